#include "adapters/soap/source/soap_request_action.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

#include "adapters/http/common/content_type.hpp"
#include "core/text/charset.hpp"

namespace qiao::soap {

namespace {

std::string_view unquote(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

}  // namespace

RequestAction read_request_action(const http::Request& request) {
  RequestAction out;
  const std::string_view content_type = request[boost::beast::http::field::content_type];
  out.version_hint =
      boost::beast::iequals(http::media_type(content_type), "application/soap+xml") ? Version::v1_2 : Version::v1_1;
  out.action = http::content_type_parameter(content_type, "action");
  out.charset = normalize_charset(http::content_type_parameter(content_type, "charset"));

  const auto soap_action = request.find("SOAPAction");
  if (soap_action != request.end()) {
    const std::string_view value = unquote(soap_action->value());
    if (!value.empty()) out.action = value;
  }
  return out;
}

}  // namespace qiao::soap

#include "adapters/soap/source/soap_request_action.hpp"

#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <cctype>

#include "core/text/charset.hpp"

namespace qiao::soap {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view unquote(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

RequestAction read_request_action(const http::Request& request) {
  RequestAction out;
  std::string_view content_type = request[boost::beast::http::field::content_type];
  const auto semicolon = content_type.find(';');
  out.version_hint = iequals(trim(content_type.substr(0, semicolon)), "application/soap+xml") ? Version::v1_2 : Version::v1_1;

  // Parameters of the media type: ; charset=utf-8; action="urn:x" (a quoted value holds no ';'
  // in practice: actions are URIs).
  std::string_view params = semicolon == std::string_view::npos ? std::string_view() : content_type.substr(semicolon + 1);
  while (!params.empty()) {
    const auto next = params.find(';');
    const std::string_view param = params.substr(0, next);
    params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
    const auto eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view name = trim(param.substr(0, eq));
    if (iequals(name, "action")) out.action = unquote(param.substr(eq + 1));
    else if (iequals(name, "charset")) out.charset = normalize_charset(unquote(param.substr(eq + 1)));
  }

  const auto soap_action = request.find("SOAPAction");
  if (soap_action != request.end()) {
    const std::string_view value = unquote(soap_action->value());
    if (!value.empty()) out.action = value;
  }
  return out;
}

}  // namespace qiao::soap

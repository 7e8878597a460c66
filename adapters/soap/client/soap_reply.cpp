#include "adapters/soap/client/soap_reply.hpp"

#include <boost/beast/http/field.hpp>
#include <memory>
#include <utility>
#include <variant>

#include "adapters/http/common/content_type.hpp"
#include "core/text/charset.hpp"

namespace qiao::soap {

namespace {

// The reply's options: the operation's, read in the endpoint's charset, or else in the one the
// reply's Content-Type names, when the document declares none itself.
xml::Options reply_options(const SoapSettings& settings, std::string_view operation, const http::Response& response) {
  xml::Options options = settings.options_for(operation).xml;
  options.encoding = settings.charset;
  if (options.encoding.empty()) {
    const std::string named =
        http::content_type_parameter(response[boost::beast::http::field::content_type], "charset");
    if (!named.empty() && charset_supported(named)) options.encoding = normalize_charset(named);
  }
  return options;
}

}  // namespace

Error fault_error(const SoapSettings& settings, const Fault& fault) {
  auto detail = std::make_shared<Object>();
  detail->push_back("faultcode", Value(fault.code));
  if (!fault.subcode.empty()) detail->push_back("faultsubcode", Value(fault.subcode));
  detail->push_back("faultstring", Value(fault.reason));
  if (!fault.actor.empty()) detail->push_back("faultactor", Value(fault.actor));
  if (!fault.detail.is_null()) detail->push_back("faultdetail", fault.detail);
  std::string what = "SOAP fault " + (fault.code.empty() ? std::string("(no code)") : fault.code);
  if (!fault.reason.empty()) what += ": " + http::excerpt(fault.reason);
  Error error = settings.fail(ErrorKind::upstream, what);
  error.detail = std::move(detail);
  return error;
}

Expected<CallResponse> read_soap_reply(const SoapSettings& settings, std::string_view operation,
                                       http::Response&& response) {
  const int status = response.result_int();
  if (response.body().empty() && (status == 202 || status == 204)) {
    CallResponse out;
    out.status = status;
    out.headers = http::reply_headers(response);
    return out;
  }
  const xml::Options options = reply_options(settings, operation, response);
  // The body is kept for the status error's excerpt only when there may be one.
  Buffer bytes = status >= 400 ? make_buffer(response.body()) : make_buffer(std::move(response.body()));
  auto read = read_envelope(bytes, options);
  if (auto* envelope = std::get_if<Envelope>(&read)) {
    if (envelope->fault) return fault_error(settings, *envelope->fault);
    if (status >= 400) return http::status_error(*settings.client, response);
    CallResponse out;
    out.status = status;
    out.headers = http::reply_headers(response);
    out.body = std::move(envelope->content);
    return out;
  }
  if (status >= 400) return http::status_error(*settings.client, response);
  std::string why = std::get<EnvelopeError>(read).error.message;
  constexpr std::string_view repeated = "not a SOAP envelope: ";
  if (std::string_view(why).starts_with(repeated)) why.erase(0, repeated.size());
  return settings.fail(ErrorKind::upstream, "reply is not a SOAP envelope: " + why);
}

}  // namespace qiao::soap

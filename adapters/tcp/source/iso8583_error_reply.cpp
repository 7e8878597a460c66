#include "adapters/tcp/source/iso8583_error_reply.hpp"

#include <spdlog/spdlog.h>

#include "codecs/iso8583/iso8583_codec.hpp"
#include "codecs/iso8583/response.hpp"
#include "core/log.hpp"

namespace qiao::tcp {

namespace {

// A Spec built in code rather than loaded may lack the defaults: 96 then.
std::string_view response_code(const iso8583::Spec& spec, const Error& failure) {
  auto code = spec.error_codes.find(error_kind_name(failure.kind));
  if (code == spec.error_codes.end()) code = spec.error_codes.find("default");
  return code == spec.error_codes.end() ? std::string_view("96") : std::string_view(code->second);
}

}  // namespace

std::string iso8583_error_reply(const iso8583::Spec& spec, const Buffer& raw, const Error& failure) {
  // A request the codec refused is answered too (30, format error), with what could be read of it.
  const Value request = iso8583::readable_part(raw, spec);
  if (request.is_null()) return {};
  auto response = iso8583::make_response(request, spec);
  if (!response) {
    log::system().debug("iso8583: no error answer: {}", response.error().message);
    return {};
  }
  response->as_object().push_back("39", Value(std::string(response_code(spec, failure))));
  auto bytes = iso8583::encode(*response, spec);
  if (!bytes) {
    log::system().warn("iso8583: the error answer could not be encoded: {}", bytes.error().message);
    return {};
  }
  return std::move(*bytes);
}

}  // namespace qiao::tcp

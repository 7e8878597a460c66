#include "codecs/iso8583/iso8583_answers.hpp"

#include "codecs/iso8583/iso8583_codec.hpp"
#include "codecs/iso8583/response.hpp"

namespace qiao::iso8583 {

namespace {

// A Spec built in code rather than loaded may lack the defaults: 96 then.
std::string_view response_code(const Spec& spec, const Error& failure) {
  auto code = spec.error_codes.find(error_kind_name(failure.kind));
  if (code == spec.error_codes.end()) code = spec.error_codes.find("default");
  return code == spec.error_codes.end() ? std::string_view("96") : std::string_view(code->second);
}

}  // namespace

Expected<std::string> Iso8583Answers::answer(const Buffer& raw, const Error* failure) const {
  if (failure == nullptr || !raw) return std::string();
  const Value request = readable_part(raw, spec_);
  if (request.is_null()) return std::string();
  auto response = make_response(request, spec_);
  if (!response) return std::string();  // a response, or a message class that has none
  response->as_object().push_back("39", Value(std::string(response_code(spec_, *failure))));
  auto bytes = encode(*response, spec_);
  if (!bytes) return make_error(ErrorKind::internal, "the error answer could not be encoded: " + bytes.error().message);
  return bytes;
}

}  // namespace qiao::iso8583

#include "codecs/iso8583/response.hpp"

#include <algorithm>

#include "codecs/iso8583/iso8583_codec.hpp"

namespace qiao::iso8583 {

namespace {

Error refuse(const std::string& what) { return make_error(ErrorKind::flow, "iso8583: " + what); }

// The MAC field for a message whose highest field is `highest`.
int mac_field_for(const Spec& spec, int highest) {
  if (spec.mac_field != 0) return spec.mac_field;
  return highest > 64 ? 128 : 64;
}

Expected<MacInput> cut(std::string packed, const Layout& layout, const Spec& spec) {
  const int highest = layout.fields.empty() ? 0 : layout.fields.back().field;
  MacInput input;
  input.mac_field = mac_field_for(spec, highest);
  for (const Layout::Span& span : layout.fields) {
    if (span.field != input.mac_field) continue;
    input.begin = layout.mti_begin;
    input.end = span.begin;
    input.packed = std::move(packed);
    return input;
  }
  return refuse("mac input: the message has no field " + std::to_string(input.mac_field) + " (MAC)");
}

}  // namespace

Expected<Value> make_response(const Value& request, const Spec& spec) {
  if (!request.is_object()) return refuse("response: the request must be a decoded message (object)");
  const Value* mti = request.find("mti");
  if (!mti || !mti->is_string() || mti->as_string().size() != 4 ||
      mti->as_string().find_first_not_of("0123456789") != std::string_view::npos)
    return refuse("response: the request has no 4-digit mti");
  std::string response_mti(mti->as_string());
  if ((response_mti[2] - '0') % 2 != 0) return refuse("response: mti " + response_mti + " is already a response");
  response_mti[2] = static_cast<char>(response_mti[2] + 1);

  Object out;
  out.push_back("mti", Value(std::move(response_mti)));
  for (const HeaderSpec& h : spec.headers) {
    const Value* given = request.find(h.name);
    if (!given || given->is_null()) continue;
    if (!given->is_string() || given->as_string().size() != 2 * h.length)
      return refuse("response: header " + h.name + " is not " + std::to_string(2 * h.length) + " hex digits");
    std::string hex(given->as_string());
    if (h.tpdu) {
      // TPDU: id (1 byte), destination (2), source (2); the reply goes back where it came from.
      hex = hex.substr(0, 2) + hex.substr(6, 4) + hex.substr(2, 4);
    }
    out.push_back(h.name, Value(std::move(hex)));
  }
  std::vector<int> echo = spec.echo;
  std::sort(echo.begin(), echo.end());
  for (int n : echo) {
    const Value* given = request.find(spec.fields[n].key);
    if (given && !given->is_null()) out.push_back(spec.fields[n].key, *given);
  }
  return Value(std::move(out));
}

Expected<MacInput> mac_input(const Buffer& packed, const Spec& spec) {
  Layout layout;
  auto decoded = decode(packed, spec, &layout);
  if (!decoded) return std::move(decoded).error();
  return cut(*packed, layout, spec);
}

Expected<MacInput> mac_input(const Value& message, const Spec& spec) {
  if (!message.is_object()) return refuse("mac input: the message must be an object of mti and fields");
  int highest = 0;
  for (const auto& [key, member] : message.as_object()) {
    int n = 0;
    for (char c : key) n = (c >= '0' && c <= '9' && n < 1000) ? n * 10 + (c - '0') : 1000;
    if (n <= 128 && !member.is_null()) highest = std::max(highest, n);
  }
  const int mac = mac_field_for(spec, highest);
  if (!spec.defines(mac)) return refuse("mac input: the dialect has no field " + std::to_string(mac) + " for a MAC");
  Layout layout;
  Expected<std::string> packed = make_error(ErrorKind::internal, "");
  const Value* present = message.find(spec.fields[mac].key);
  if (present && !present->is_null()) {
    packed = encode(message, spec, &layout);
  } else {
    Value with_mac = message;
    with_mac.as_object().set(spec.fields[mac].key, Value(std::string(2 * spec.fields[mac].length, '0')));
    packed = encode(with_mac, spec, &layout);
  }
  if (!packed) return std::move(packed).error();
  return cut(std::move(*packed), layout, spec);
}

}  // namespace qiao::iso8583

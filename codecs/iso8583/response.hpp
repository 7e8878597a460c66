#pragma once
// Helpers a flow needs around ISO 8583 beyond decode and encode: the skeleton of a response to a
// request, and the exact bytes a MAC is computed over (the MAC algorithms live elsewhere and are
// applied to this range).

#include <cstddef>
#include <string>
#include <string_view>

#include "codecs/iso8583/spec.hpp"
#include "core/error.hpp"
#include "core/value.hpp"

namespace qiao::iso8583 {

// MTI +10 (0200 → 0210, 0800 → 0810), the fields the dialect lists under `echo` copied from the
// request, a TPDU with destination and source swapped, other headers copied. Errors are
// ErrorKind::flow ("iso8583: response: mti 0210 is already a response").
Expected<Value> make_response(const Value& request, const Spec& spec);

// The packed message and the range a MAC covers: from the MTI up to, not including, the MAC
// field (the spec's mac_field; else 128 when a field above 64 is present, else 64).
struct MacInput {
  std::string packed;
  std::size_t begin = 0;
  std::size_t end = 0;
  int mac_field = 0;
  std::string_view bytes() const { return std::string_view(packed).substr(begin, end - begin); }
};

// From received bytes, which must carry the MAC field. Errors: bad_input (undecodable), flow
// (no MAC field).
Expected<MacInput> mac_input(const Buffer& packed, const Spec& spec);
// From a message about to be sent: encoded with the MAC field present (all zero bytes when the
// value lacks it, so the bitmap already announces it), then cut as above.
Expected<MacInput> mac_input(const Value& message, const Spec& spec);

}  // namespace qiao::iso8583

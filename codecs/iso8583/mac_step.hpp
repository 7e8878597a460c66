#pragma once
// The `mac` flow step: computes the MAC of an ISO 8583 message and sets its MAC field, or checks
// the MAC a message arrived with. It lives with the codec because it needs the codec's notion of
// which bytes a MAC covers (response.hpp, mac_input); the algorithms come from qiao_crypto.
//
//   - mac: { codec: "iso8583:cup", algorithm: cup_pos, key: "${BANK_MAK}", field: 64 }
//   - mac: { codec: "iso8583:cup", algorithm: x919, key: "${BANK_MAK}", verify: true, from: vars.bank }

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "codecs/iso8583/spec.hpp"
#include "core/error.hpp"
#include "core/flow/step.hpp"

namespace qiao::iso8583 {

enum class MacAlgorithm { x99, x919, cup_pos };

// "x99", "x919" or "cup_pos"; nullopt for any other name.
std::optional<MacAlgorithm> parse_mac_algorithm(std::string_view name);

// The 8 MAC bytes of `data`: X9.9 and X9.19 give them raw, the UnionPay POS MAC as the 8
// upper-case hex characters that are its bytes. Key errors are ErrorKind::flow.
Expected<std::string> compute_mac(MacAlgorithm algorithm, std::string_view key_hex, std::string_view data,
                                  bool one_bit_padding = false);

// How `field` holds the 8 MAC bytes in a Value: a `b` field as 16 hex digits (the codec holds
// binary fields as hex), a 16-character text field as hex too, an 8-character text field as
// the bytes themselves. Errors (ErrorKind::config) for a field of any other size.
Expected<std::string> mac_field_text(const FieldSpec& field, std::string_view mac_bytes);

std::unique_ptr<StepKind> make_mac_step_kind();

}  // namespace qiao::iso8583

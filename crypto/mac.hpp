#pragma once
// Message authentication codes bank and insurer hosts put in ISO 8583 field 64/128 and in
// fixed-length messages. Keys are hex as specifications and key ceremonies print them; data is
// the exact bytes the MAC covers (for ISO 8583, the packed range the dialect names).
//
//   ANSI X9.9    DES CBC-MAC, zero IV, one 8-byte key (16 hex).
//   ANSI X9.19   retail MAC, ISO 9797-1 MAC algorithm 3: single-DES CBC under KL, then the last
//                block decrypted under KR and encrypted under KL (32 hex, KL‖KR).
//   UnionPay POS the "ECB" MAC of China UnionPay terminals: XOR of all blocks, expanded to hex,
//                two DES encryptions under the MAK (16 hex; 32 hex runs two-key triple DES).
//
// Errors (ErrorKind::flow) name the problem: "mac: x919 key: expected 32 hex digits (KL‖KR), got 16".

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace qiao::crypto {

// How data is brought to a whole number of 8-byte blocks (ISO 9797-1).
enum class Padding {
  zeros,    // method 1: zero bytes, none when already whole; empty data is one zero block
  one_bit,  // method 2: 0x80 then zero bytes, always at least one byte
};

// Each returns the 8 MAC bytes (raw; to_hex in core/text/hex.hpp for the 16-hex form).
Expected<std::string> x99_mac(std::string_view key_hex, std::string_view data, Padding padding = Padding::zeros);
Expected<std::string> x919_mac(std::string_view key_hex, std::string_view data, Padding padding = Padding::zeros);

// Returns the 8 upper-case hex characters that are the MAC (field 64 carries them as 8 bytes).
Expected<std::string> cup_pos_mac(std::string_view key_hex, std::string_view data);

}  // namespace qiao::crypto

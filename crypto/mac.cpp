#include "crypto/mac.hpp"

#include <algorithm>

#include "core/text/hex.hpp"
#include "crypto/des_cipher.hpp"

namespace qiao::crypto {

namespace {

// Checks the key's length in hex digits before its characters, so a key pasted with a space or
// a missing digit gets the more useful message.
Expected<std::string> key_bytes(std::string_view key_hex, std::string_view algorithm, std::size_t single_digits,
                                std::size_t double_digits) {
  const std::string what = "mac: " + std::string(algorithm) + " key";
  if (key_hex.size() != single_digits && key_hex.size() != double_digits) {
    std::string expected =
        single_digits == double_digits
            ? std::to_string(single_digits) + " hex digits" + (single_digits == 32 ? " (KL‖KR)" : " (single DES)")
            : std::to_string(single_digits) + " hex digits (single DES) or " + std::to_string(double_digits) +
                  " (double length)";
    return make_error(ErrorKind::flow, what + ": expected " + expected + ", got " + std::to_string(key_hex.size()));
  }
  return from_hex(key_hex, what);
}

// The data as whole blocks, padded as asked.
std::string padded(std::string_view data, Padding padding) {
  std::string out(data);
  if (padding == Padding::one_bit) out += '\x80';
  if (out.empty() || out.size() % 8 != 0) out.append(8 - out.size() % 8, '\0');
  return out;
}

Block block_at(std::string_view bytes, std::size_t offset) {
  Block b{};
  std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(offset), 8, b.begin());
  return b;
}

void xor_into(Block& into, const Block& with) {
  for (std::size_t i = 0; i < 8; ++i) into[i] ^= with[i];
}

std::string to_string(const Block& b) { return std::string(b.begin(), b.end()); }

// CBC with a zero IV, keeping only the last ciphertext block.
Block cbc_mac(DesCipher& cipher, std::string_view blocks) {
  Block chain{};
  for (std::size_t offset = 0; offset < blocks.size(); offset += 8) {
    xor_into(chain, block_at(blocks, offset));
    chain = cipher.encrypt(chain);
  }
  return chain;
}

}  // namespace

Expected<std::string> x99_mac(std::string_view key_hex, std::string_view data, Padding padding) {
  auto key = key_bytes(key_hex, "x99", 16, 16);
  if (!key) return std::move(key).error();
  auto cipher = DesCipher::create(*key);
  if (!cipher) return std::move(cipher).error();
  return to_string(cbc_mac(*cipher, padded(data, padding)));
}

Expected<std::string> x919_mac(std::string_view key_hex, std::string_view data, Padding padding) {
  auto key = key_bytes(key_hex, "x919", 32, 32);
  if (!key) return std::move(key).error();
  auto left = DesCipher::create(std::string_view(*key).substr(0, 8));
  if (!left) return std::move(left).error();
  auto right = DesCipher::create(std::string_view(*key).substr(8, 8));
  if (!right) return std::move(right).error();
  const Block chained = cbc_mac(*left, padded(data, padding));
  return to_string(left->encrypt(right->decrypt(chained)));
}

Expected<std::string> cup_pos_mac(std::string_view key_hex, std::string_view data) {
  auto key = key_bytes(key_hex, "cup_pos", 16, 32);
  if (!key) return std::move(key).error();
  auto cipher = DesCipher::create(*key);
  if (!cipher) return std::move(cipher).error();
  const std::string blocks = padded(data, Padding::zeros);
  Block folded{};
  for (std::size_t offset = 0; offset < blocks.size(); offset += 8) xor_into(folded, block_at(blocks, offset));
  const std::string folded_hex = to_hex(to_string(folded));  // 16 ASCII characters
  Block step = cipher->encrypt(block_at(folded_hex, 0));
  xor_into(step, block_at(folded_hex, 8));
  const std::string mac_hex = to_hex(to_string(cipher->encrypt(step)));
  return mac_hex.substr(0, 8);
}

}  // namespace qiao::crypto

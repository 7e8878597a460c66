// MAC vectors. The published ones come from /work/shared/fixtures/mac/vectors.md (ANSI X9.9 /
// ISO 9797-1 examples); each was reproduced with the OpenSSL command line before being written
// here. The others were computed independently of Qiao with the OpenSSL command line, as each
// comment shows (`-provider legacy -provider default` gives the CLI single DES).

#include "crypto/mac.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "core/text/hex.hpp"

using namespace qiao;
using namespace qiao::crypto;

namespace {

std::string hex_of(const Expected<std::string>& mac) {
  REQUIRE(mac);
  return to_hex(*mac);
}

std::string error_of(const Expected<std::string>& mac) {
  REQUIRE_FALSE(mac);
  CHECK(mac.error().kind == ErrorKind::flow);
  return mac.error().message;
}

const std::string now_is = "Now is the time for all ";  // 24 bytes: three whole blocks

}  // namespace

TEST_CASE("mac: ANSI X9.9", "[crypto]") {
  // Published: key 0123456789ABCDEF, "Now is the time for all " → 70A30640CC76DD8B. Reproduced by
  //   printf 'Now is the time for all ' | openssl enc -des-cbc -provider legacy -provider default
  //     -K 0123456789ABCDEF -iv 0000000000000000 -nopad | xxd -p      (one line; the last block)
  CHECK(hex_of(x99_mac("0123456789ABCDEF", now_is)) == "70A30640CC76DD8B");
  CHECK(hex_of(x99_mac("0123456789abcdef", now_is)) == "70A30640CC76DD8B");  // either case
  // Method 2 adds a whole block 80 00…00 to data already whole: the same command over
  //   printf 'Now is the time for all \x80\0\0\0\0\0\0\0' → 10E1F0F108341B6D
  CHECK(hex_of(x99_mac("0123456789ABCDEF", now_is, Padding::one_bit)) == "10E1F0F108341B6D");
  // Method 1 pads "Now is the time for" (19 bytes) with five zeros; so does writing them.
  CHECK(x99_mac("0123456789ABCDEF", now_is.substr(0, 19)).value() ==
        x99_mac("0123456789ABCDEF", now_is.substr(0, 19) + std::string(5, '\0')).value());
  CHECK(x99_mac("0123456789ABCDEF", "").value() == x99_mac("0123456789ABCDEF", std::string(8, '\0')).value());
  CHECK(x99_mac("0123456789ABCDEF", now_is)->size() == 8);
}

TEST_CASE("mac: ANSI X9.19 retail MAC", "[crypto]") {
  // Published: KL = 8 × 'A' (bytes 0x41), KR = 8 × 'B' (0x42), "hello world", method 1 →
  // 3DDE5C5511661CBF. The fixture's "16 × 'A'" is the key written as ASCII, so in hex the key is
  // 41…41 42…42; read as the hex digits AAAA…/BBBB… (bytes 0xAA/0xBB) it gives 78DA3D3DEB48FD4D
  // instead. Reproduced (x = last block of openssl enc -des-cbc -K 4141414141414141 over the
  // padded data, then openssl enc -d -des-ecb -K 4242424242424242, then enc -des-ecb -K 41…41).
  CHECK(hex_of(x919_mac("41414141414141414242424242424242", "hello world")) == "3DDE5C5511661CBF");
  CHECK(hex_of(x919_mac("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB", "hello world")) == "78DA3D3DEB48FD4D");
  // The same steps over "hello world" 80 00 00 00 00 → E16941032C3BC7D4.
  CHECK(hex_of(x919_mac("41414141414141414242424242424242", "hello world", Padding::one_bit)) == "E16941032C3BC7D4");
  // KL‖KR = 0123456789ABCDEF FEDCBA9876543210 over "Now is the time for all ": the known
  // A1C72E74EA3FA9B6, and by a second route: single-DES CBC of the first two blocks under KL
  // (chain C), then two-key 3DES CBC of the last block with IV C:
  //   printf 'Now is t…' | tail -c 8 | openssl enc -des-ede-cbc -K 0123…3210 -iv C -nopad
  CHECK(hex_of(x919_mac("0123456789ABCDEFFEDCBA9876543210", now_is)) == "A1C72E74EA3FA9B6");
  // With KL = KR the final decrypt/encrypt cancel out: X9.19 becomes X9.9.
  CHECK(x919_mac("0123456789ABCDEF0123456789ABCDEF", now_is).value() == x99_mac("0123456789ABCDEF", now_is).value());
}

TEST_CASE("mac: UnionPay POS ECB MAC", "[crypto]") {
  // Computed with bash and the OpenSSL CLI, independently of Qiao (script in the comment of
  // crypto/README.md, "UnionPay POS MAC by hand"):
  //   data 0200702406C020C09A11166222600110012345000000000000000100000001 (31 bytes, zero padded)
  //   XOR of the four blocks              9932224624A020D0
  //   as 16 ASCII characters              "9932224624A020D0"
  //   openssl enc -des-ecb -K MAK over "99322246", XOR "24A020D0", encrypt again → 38CB931C91679281
  //   MAC = the first 8 hex characters    "38CB931C"
  const std::string data = *from_hex("0200702406C020C09A11166222600110012345000000000000000100000001", "data");
  CHECK(cup_pos_mac("1234567890ABCDEF", data).value() == "38CB931C");
  // A double-length MAK runs two-key triple DES (openssl enc -des-ede-ecb) in both encryptions.
  CHECK(cup_pos_mac("1234567890ABCDEFFEDCBA0987654321", data).value() == "B7C08A81");
  // Empty data is one zero block: "0000000000000000" → D7391884…
  CHECK(cup_pos_mac("1234567890ABCDEF", "").value() == "D7391884");
  // Zero padding: trailing zero bytes up to a block boundary do not change the MAC.
  CHECK(cup_pos_mac("1234567890ABCDEF", data + '\0').value() == "38CB931C");
}

TEST_CASE("mac: key errors", "[crypto]") {
  CHECK(error_of(x99_mac("0123456789ABCDE", now_is)) == "mac: x99 key: expected 16 hex digits (single DES), got 15");
  CHECK(error_of(x99_mac("0123456789ABCDEFFEDCBA9876543210", now_is)) ==
        "mac: x99 key: expected 16 hex digits (single DES), got 32");
  CHECK(error_of(x99_mac("0123456789ABCDEG", now_is)) == "mac: x99 key: 'G' at position 16 is not a hex digit");
  CHECK(error_of(x99_mac("0123 456789ABCDE", now_is)) == "mac: x99 key: ' ' at position 5 is not a hex digit");
  CHECK(error_of(x919_mac("0123456789ABCDEF", now_is)) == "mac: x919 key: expected 32 hex digits (KL‖KR), got 16");
  CHECK(error_of(cup_pos_mac("0123456789ABCDEF01", now_is)) ==
        "mac: cup_pos key: expected 16 hex digits (single DES) or 32 (double length), got 18");
  CHECK(error_of(cup_pos_mac("0123456789ABCDE\x01", now_is)) ==
        "mac: cup_pos key: byte 1 at position 16 is not a hex digit");
}

TEST_CASE("mac: hex conversions", "[crypto]") {
  CHECK(to_hex(std::string("\x00\x7f\x80\xff", 4)) == "007F80FF");
  CHECK(from_hex("007f80FF", "x").value() == std::string("\x00\x7f\x80\xff", 4));
  CHECK(from_hex("", "x").value().empty());
  CHECK(from_hex("ABC", "x").error().message == "x: an odd number of hex digits (3)");
}

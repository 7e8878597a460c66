// DesCipher runs single DES on DES-EDE3 with K1 = K2 = K3 (see crypto/des_cipher.hpp). These tests
// show that equals single DES: against the textbook vector, and against OpenSSL's own single DES
// from the legacy provider, loaded into a private library context when it is installed.

#include "crypto/des_cipher.hpp"

#include <openssl/evp.h>
#include <openssl/provider.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "core/text/hex.hpp"

using namespace qiao;
using namespace qiao::crypto;

namespace {

Block block_from_hex(std::string_view hex) {
  const std::string bytes = *from_hex(hex, "test");
  Block b{};
  std::copy(bytes.begin(), bytes.end(), b.begin());
  return b;
}

std::string hex(const Block& b) { return to_hex(std::string(b.begin(), b.end())); }

}  // namespace

TEST_CASE("des: single DES through DES-EDE3 matches the textbook vector", "[crypto]") {
  // FIPS 46 worked example (also in every DES tutorial): key 133457799BBCDFF1,
  // plaintext 0123456789ABCDEF → 85E813540F0AB405.
  auto cipher = DesCipher::create(*from_hex("133457799BBCDFF1", "key"));
  REQUIRE(cipher);
  CHECK(hex(cipher->encrypt(block_from_hex("0123456789ABCDEF"))) == "85E813540F0AB405");
  CHECK(hex(cipher->decrypt(block_from_hex("85E813540F0AB405"))) == "0123456789ABCDEF");
}

TEST_CASE("des: two-key triple DES is K1 K2 K1", "[crypto]") {
  // By single-DES steps, so the test does not trust the same code path twice, and against
  //   printf 'Now is t' | openssl enc -des-ede-ecb -K 0123456789ABCDEFFEDCBA9876543210 -nopad | xxd -p
  // (OpenSSL's DES-EDE is two-key EDE): d80a0d8b2bae5e4e.
  auto k1 = DesCipher::create(*from_hex("0123456789ABCDEF", "key"));
  auto k2 = DesCipher::create(*from_hex("FEDCBA9876543210", "key"));
  auto both = DesCipher::create(*from_hex("0123456789ABCDEFFEDCBA9876543210", "key"));
  REQUIRE((k1 && k2 && both));
  const Block plain = block_from_hex("4E6F772069732074");
  const Block by_steps = k1->encrypt(k2->decrypt(k1->encrypt(plain)));
  CHECK(both->encrypt(plain) == by_steps);
  CHECK(both->decrypt(by_steps) == plain);
  CHECK(hex(by_steps) == "D80A0D8B2BAE5E4E");
}

TEST_CASE("des: equals OpenSSL's legacy single DES on random keys and blocks", "[crypto]") {
  OSSL_LIB_CTX* legacy_context = OSSL_LIB_CTX_new();
  REQUIRE(legacy_context != nullptr);
  OSSL_PROVIDER* legacy = OSSL_PROVIDER_load(legacy_context, "legacy");
  EVP_CIPHER* des = legacy ? EVP_CIPHER_fetch(legacy_context, "DES-ECB", nullptr) : nullptr;
  if (des == nullptr) {
    if (legacy) OSSL_PROVIDER_unload(legacy);
    OSSL_LIB_CTX_free(legacy_context);
    WARN("OpenSSL's legacy provider is not installed: compared with the textbook vector only");
    return;
  }
  std::mt19937_64 random(20261122);
  for (int round = 0; round < 200; ++round) {
    std::string key(8, '\0');
    Block plain{};
    for (auto& c : key) c = static_cast<char>(random());
    for (auto& b : plain) b = static_cast<std::uint8_t>(random());

    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    REQUIRE(EVP_EncryptInit_ex2(ctx, des, reinterpret_cast<const unsigned char*>(key.data()), nullptr, nullptr) == 1);
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    Block expected{};
    int written = 0;
    REQUIRE(EVP_EncryptUpdate(ctx, expected.data(), &written, plain.data(), 8) == 1);
    EVP_CIPHER_CTX_free(ctx);

    auto cipher = DesCipher::create(key);
    REQUIRE(cipher);
    REQUIRE(hex(cipher->encrypt(plain)) == hex(expected));
    REQUIRE(cipher->decrypt(expected) == plain);
  }
  EVP_CIPHER_free(des);
  OSSL_PROVIDER_unload(legacy);
  OSSL_LIB_CTX_free(legacy_context);
}

TEST_CASE("des: key length", "[crypto]") {
  CHECK(DesCipher::create("1234567").error().message == "mac: a DES key is 8 or 16 bytes, not 7");
  CHECK(DesCipher::create(std::string(24, 'k')).error().kind == ErrorKind::flow);
}

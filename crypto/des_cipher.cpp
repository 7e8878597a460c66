#include "crypto/des_cipher.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace qiao::crypto {

namespace {

// "DES-EDE3-ECB" is in the default provider; "DES-ECB" would need the legacy one.
Expected<EVP_CIPHER_CTX*> make_context(const unsigned char* key24, bool encrypt) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return make_error(ErrorKind::internal, "mac: out of memory creating a cipher context");
  if (EVP_CipherInit_ex2(ctx, EVP_des_ede3_ecb(), key24, nullptr, encrypt ? 1 : 0, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    return make_error(ErrorKind::internal, "mac: OpenSSL cannot set up DES-EDE3-ECB (default provider not available?)");
  }
  return ctx;
}

}  // namespace

void DesCipher::ContextDeleter::operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }

Expected<DesCipher> DesCipher::create(std::string_view key) {
  if (key.size() != 8 && key.size() != 16)
    return make_error(ErrorKind::flow, "mac: a DES key is 8 or 16 bytes, not " + std::to_string(key.size()));
  // K1 K2 K3: single DES repeats its key three times, two-key 3DES is K1 K2 K1.
  unsigned char key24[24];
  for (std::size_t i = 0; i < 24; ++i) key24[i] = static_cast<unsigned char>(key[(i < 16 ? i : i - 16) % key.size()]);
  auto encrypt = make_context(key24, true);
  auto decrypt = make_context(key24, false);
  OPENSSL_cleanse(key24, sizeof key24);
  if (!encrypt || !decrypt) {
    if (encrypt) EVP_CIPHER_CTX_free(*encrypt);
    if (decrypt) EVP_CIPHER_CTX_free(*decrypt);
    return encrypt ? decrypt.error() : encrypt.error();
  }
  return DesCipher(Context(*encrypt), Context(*decrypt));
}

Block DesCipher::run(EVP_CIPHER_CTX* ctx, const Block& in) {
  Block out{};
  int written = 0;
  // An initialised ECB context without padding turns 8 bytes into 8 bytes; anything else is a
  // broken invariant, not a condition a message can cause.
  if (EVP_CipherUpdate(ctx, out.data(), &written, in.data(), static_cast<int>(in.size())) != 1 || written != 8) {
    std::fprintf(stderr, "qiao: DES-EDE3-ECB failed on one block\n");
    std::abort();
  }
  return out;
}

Block DesCipher::encrypt(const Block& in) { return run(encrypt_.get(), in); }
Block DesCipher::decrypt(const Block& in) { return run(decrypt_.get(), in); }

}  // namespace qiao::crypto

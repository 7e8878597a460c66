#pragma once
// DES one 8-byte block at a time, for MACs: single DES (8-byte key) and two-key triple DES
// (16-byte key, K1 K2 K1).
//
// OpenSSL 3 keeps single DES in its legacy provider, which a deployment may not load (and which
// fails FIPS set-ups), so both run on DES-EDE3 from the default provider: with K1 = K2 = K3 the
// encrypt-decrypt-encrypt chain is E_K(D_K(E_K(x))) = E_K(x), one single-DES encryption.
// tests/unit/crypto/des_cipher_test.cpp checks that against single DES's published vectors and,
// when the legacy provider is installed, against OpenSSL's own DES-ECB.

#include <openssl/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/error.hpp"

namespace qiao::crypto {

using Block = std::array<std::uint8_t, 8>;

class DesCipher {
 public:
  // `key` is 8 bytes (single DES) or 16 (two-key triple DES); another length is ErrorKind::flow.
  // OpenSSL refusing the cipher is ErrorKind::internal.
  static Expected<DesCipher> create(std::string_view key);

  // ECB on one block. Not const: the OpenSSL contexts are reused between calls.
  Block encrypt(const Block& in);
  Block decrypt(const Block& in);

 private:
  struct ContextDeleter {
    void operator()(EVP_CIPHER_CTX* ctx) const;
  };
  using Context = std::unique_ptr<EVP_CIPHER_CTX, ContextDeleter>;
  DesCipher(Context encrypt, Context decrypt) : encrypt_(std::move(encrypt)), decrypt_(std::move(decrypt)) {}
  static Block run(EVP_CIPHER_CTX* ctx, const Block& in);

  Context encrypt_;
  Context decrypt_;
};

}  // namespace qiao::crypto

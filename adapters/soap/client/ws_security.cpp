#include "adapters/soap/client/ws_security.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace qiao::soap {

namespace {

constexpr std::size_t nonce_bytes = 16;

// ISO 8601 in UTC with milliseconds, as the profile's xsd:dateTime examples write it.
std::string utc_timestamp(std::chrono::system_clock::time_point now) {
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis % 1000));
  return text;
}

}  // namespace

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::string password_digest(std::string_view nonce, std::string_view created, std::string_view password) {
  std::string input;
  input.reserve(nonce.size() + created.size() + password.size());
  input.append(nonce).append(created).append(password);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return base64(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

Expected<Value> username_token_header(const UsernameToken& token) {
  Object username_token;
  username_token.push_back("wsse:Username", Value(token.username));
  if (token.password_type == PasswordType::text) {
    username_token.push_back("wsse:Password",
                             Value(Object{{"@Type", Value(password_text_type)}, {"#text", Value(token.password)}}));
  } else {
    std::string nonce(nonce_bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), static_cast<int>(nonce.size())) != 1) {
      return make_error(ErrorKind::internal, "WS-Security: no random bytes for the nonce");
    }
    const std::string created = utc_timestamp(std::chrono::system_clock::now());
    username_token.push_back("wsse:Password",
                             Value(Object{{"@Type", Value(password_digest_type)},
                                          {"#text", Value(password_digest(nonce, created, token.password))}}));
    username_token.push_back(
        "wsse:Nonce", Value(Object{{"@EncodingType", Value(base64_encoding_type)}, {"#text", Value(base64(nonce))}}));
    username_token.push_back("wsu:Created", Value(created));
  }
  Object security{{"@xmlns:wsse", Value(wsse_namespace)},
                  {"@xmlns:wsu", Value(wsu_namespace)},
                  {"wsse:UsernameToken", Value(std::move(username_token))}};
  return Value(Object{{"wsse:Security", Value(std::move(security))}});
}

}  // namespace qiao::soap

#pragma once
// WS-Security UsernameToken (OASIS 2004 Username Token Profile 1.0) as the SOAP Header a request
// carries: the Value write_envelope writes, with the wsse and wsu prefixes declared on it.

#include <string>
#include <string_view>

#include "adapters/soap/client/soap_settings.hpp"
#include "core/error.hpp"
#include "core/value.hpp"

namespace qiao::soap {

inline constexpr std::string_view wsse_namespace =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
inline constexpr std::string_view wsu_namespace =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
inline constexpr std::string_view password_text_type =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";
inline constexpr std::string_view password_digest_type =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest";
inline constexpr std::string_view base64_encoding_type =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";

// Base64(SHA-1(nonce + created + password)); `nonce` is the raw bytes, not their Base64.
std::string password_digest(std::string_view nonce, std::string_view created, std::string_view password);

std::string base64(std::string_view bytes);

// The Header's content, { "wsse:Security" = { … UsernameToken … } }. Digest tokens get a fresh
// 16-byte nonce and the current UTC time as Created (…T10:00:00.000Z) on every call, so a server
// that remembers nonces accepts each request once. Fails (internal) only when the system has no
// randomness to give.
Expected<Value> username_token_header(const UsernameToken& token);

}  // namespace qiao::soap

#pragma once
// TLS settings of a listener (HTTPS, TLS over TCP/MLLP), read from a `tls:` block, and the OpenSSL
// context built from them.

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "core/config/schema.hpp"
#include "core/error.hpp"

namespace qiao {

struct ServerTlsSettings {
  std::string cert;       // PEM certificate chain
  std::string key;        // PEM private key
  std::string client_ca;  // when set, clients must present a certificate signed by it (mutual TLS)
  friend bool operator==(const ServerTlsSettings&, const ServerTlsSettings&) = default;
};

// The keys of a listener's `tls:` block.
Schema server_tls_schema();
// Reads a `tls:` block (errors go to `diag`).
ServerTlsSettings parse_server_tls(const ConfigNode& block, Diagnostics& diag);

Expected<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(const ServerTlsSettings& settings);

}  // namespace qiao

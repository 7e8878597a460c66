#pragma once
// TLS of a client connection (the HTTPS and tcp endpoints): the settings read from a `tls:`
// block, the OpenSSL context built from them once per EndpointSpec (OpenSSL allows one SSL_CTX
// to back SSL objects on many threads once it is set up, so every worker's connections share
// it), and the per-connection name check.

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "core/config/schema.hpp"

namespace qiao {

struct ClientTlsSettings {
  bool verify = true;       // verify the server's chain and name
  std::string ca;           // PEM file of trusted CAs; empty: the system trust store
  std::string server_name;  // name checked against the certificate and sent as SNI
  std::string cert;         // PEM client certificate (chain) for mutual TLS
  std::string key;          // its PEM private key
};

// Reads a client's `tls:` block; `block` may be an empty node (every default). server_name
// defaults to `default_server_name`, the host connected to. Errors go to `diag` as
// "<what>: tls: ...", those about the block as a whole at `where`.
ClientTlsSettings parse_client_tls(const ConfigNode& block, const Location& where, std::string_view default_server_name,
                                   const std::string& what, Diagnostics& diag);

// The context for `settings`, or null after an error reported at the `tls:` key it concerns
// (a CA file that does not load points at `ca:`), else at `where`.
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const ClientTlsSettings& settings,
                                                                   const ConfigNode& block, const Location& where,
                                                                   const std::string& what, Diagnostics& diag);

// Per connection: SNI, for host names only (RFC 6066 allows no address literals). Returns an
// error text, or an empty string.
std::string set_server_name_indication(SSL* connection, const ClientTlsSettings& settings);

// Per connection: SNI and the name the certificate must carry. Returns an error text, or an empty
// string. A template because the HTTP client holds a Beast ssl_stream and the tcp endpoint a plain
// Asio ssl::stream; both have native_handle() and set_verify_callback().
template <typename SslStream>
std::string prepare_tls_stream(SslStream& stream, const ClientTlsSettings& settings) {
  if (std::string problem = set_server_name_indication(stream.native_handle(), settings); !problem.empty()) {
    return problem;
  }
  if (settings.verify) {
    // Checks DNS names, and IP addresses against IP SANs, as RFC 2818 / RFC 6125 describe.
    boost::system::error_code ec;
    stream.set_verify_callback(boost::asio::ssl::host_name_verification(settings.server_name), ec);
    if (ec) return "cannot set certificate name check: " + ec.message();
  }
  return {};
}

// A failed handshake's reason, with OpenSSL's verification result when that is what failed
// ("certificate verify failed: unable to get local issuer certificate").
std::string describe_tls_failure(SSL* connection, const boost::system::error_code& ec);

}  // namespace qiao

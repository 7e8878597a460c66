#pragma once
// TLS of a tcp endpoint: the settings, the OpenSSL context built from them once per
// EndpointSpec (shared by every worker's connections, as OpenSSL allows once it is set up), and
// the per-connection name check. Plain Asio streams, like the rest of the tcp adapter.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace qiao::tcp {

struct TlsOptions {
  bool verify = true;       // verify the server's chain and name
  std::string ca;           // PEM file of trusted CAs; empty: the system trust store
  std::string server_name;  // name checked against the certificate and sent as SNI
  std::string cert;         // PEM client certificate (chain) for mutual TLS
  std::string key;          // its PEM private key
};

// Which `tls:` key a setup failure belongs to, so the error points at that line.
struct TlsSetupError {
  std::string_view key;
  std::string message;
};

std::variant<std::shared_ptr<boost::asio::ssl::context>, TlsSetupError> make_client_tls_context(
    const TlsOptions& options);

using TlsSocket = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

// Per connection: SNI and the name the certificate must carry. An error text, or empty.
std::string prepare_tls_socket(TlsSocket& stream, const TlsOptions& options);

// A failed handshake's reason, with OpenSSL's verification result when that is what failed.
std::string describe_tls_failure(TlsSocket& stream, const boost::system::error_code& ec);

}  // namespace qiao::tcp

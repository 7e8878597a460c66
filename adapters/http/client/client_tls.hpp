#pragma once
// TLS settings of an HTTPS endpoint and the OpenSSL context built from them once per
// EndpointSpec. OpenSSL allows one SSL_CTX to back SSL objects on many threads once it is set
// up, so every worker's connections share it.

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace qiao::http {

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

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// Per connection: SNI and the name the certificate must carry. Returns an error text, or
// an empty string.
std::string prepare_tls_stream(TlsStream& stream, const TlsOptions& options);

// A failed handshake's reason, with OpenSSL's verification result when that is what failed
// ("certificate verify failed: unable to get local issuer certificate").
std::string describe_tls_failure(TlsStream& stream, const boost::system::error_code& ec);

}  // namespace qiao::http

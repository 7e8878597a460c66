#pragma once
// TLS settings of an HTTPS listener and the OpenSSL context built from them.

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

#include "core/error.hpp"

namespace qiao::http {

struct ServerTlsSettings {
  std::string cert;       // PEM certificate chain
  std::string key;        // PEM private key
  std::string client_ca;  // when set, clients must present a certificate signed by it (mutual TLS)
  friend bool operator==(const ServerTlsSettings&, const ServerTlsSettings&) = default;
};

Expected<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(const ServerTlsSettings& settings);

}  // namespace qiao::http

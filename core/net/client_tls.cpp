#include "core/net/client_tls.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/verify_mode.hpp>
#include <optional>

namespace qiao {

namespace ssl = boost::asio::ssl;

namespace {

constexpr ConfigKey tls_keys[] = {
    {"verify", KeyType::boolean, "true",
     "Verify the server's certificate chain and name. Turn off only for tests: it allows anyone in the path to read "
     "and change the traffic."},
    {"ca", KeyType::string, "", "PEM file of the CA certificates to trust; default: the system trust store."},
    {"server_name", KeyType::string, "",
     "Name the server certificate must carry, also sent as SNI; default: the host connected to."},
    {"cert", KeyType::string, "", "PEM client certificate (with its chain) for mutual TLS; needs key."},
    {"key", KeyType::string, "", "PEM private key of cert."},
};

// Which `tls:` key a setup failure belongs to, so the error points at that line.
struct SetupFailure {
  std::string_view key;
  std::string message;
};

std::optional<SetupFailure> set_up(ssl::context& context, const ClientTlsSettings& settings) {
  boost::system::error_code ec;
  // SSLv2/3 are already gone from OpenSSL 3; compression invites CRIME.
  context.set_options(ssl::context::default_workarounds | ssl::context::no_compression, ec);

  if (settings.verify) {
    context.set_verify_mode(ssl::verify_peer, ec);
    if (settings.ca.empty()) {
      context.set_default_verify_paths(ec);
      if (ec) return SetupFailure{"ca", "cannot load the system trust store: " + ec.message()};
    } else {
      context.load_verify_file(settings.ca, ec);
      if (ec) return SetupFailure{"ca", "cannot load CA file '" + settings.ca + "': " + ec.message()};
    }
  } else {
    context.set_verify_mode(ssl::verify_none, ec);
  }

  if (!settings.cert.empty()) {
    context.use_certificate_chain_file(settings.cert, ec);
    if (ec) return SetupFailure{"cert", "cannot load certificate '" + settings.cert + "': " + ec.message()};
    context.use_private_key_file(settings.key, ssl::context::pem, ec);
    if (ec) return SetupFailure{"key", "cannot load private key '" + settings.key + "': " + ec.message()};
    if (SSL_CTX_check_private_key(context.native_handle()) != 1) {
      return SetupFailure{"key",
                          "private key '" + settings.key + "' does not match certificate '" + settings.cert + "'"};
    }
  }
  return std::nullopt;
}

}  // namespace

ClientTlsSettings parse_client_tls(const ConfigNode& block, const Location& where, std::string_view default_server_name,
                                   const std::string& what, Diagnostics& diag) {
  ConfigReader reader(block, tls_keys, diag, what + ": tls");
  ClientTlsSettings settings;
  settings.verify = reader.boolean("verify");
  settings.ca = reader.string("ca");
  settings.server_name = reader.has("server_name") ? reader.string("server_name") : std::string(default_server_name);
  settings.cert = reader.string("cert");
  settings.key = reader.string("key");
  if (settings.cert.empty() != settings.key.empty()) {
    diag.error(where, what + ": tls: cert and key go together (mutual TLS needs both)");
  }
  return settings;
}

std::shared_ptr<ssl::context> make_client_tls_context(const ClientTlsSettings& settings, const ConfigNode& block,
                                                      const Location& where, const std::string& what,
                                                      Diagnostics& diag) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  if (auto failure = set_up(*context, settings)) {
    auto key_node = block.get(failure->key);
    diag.error(key_node ? key_node->location() : where,
               what + ": tls: " + std::string(failure->key) + ": " + failure->message);
    return nullptr;
  }
  return context;
}

std::string set_server_name_indication(SSL* connection, const ClientTlsSettings& settings) {
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(settings.server_name, ec);
  const bool is_ip = !ec;
  if (!is_ip && SSL_set_tlsext_host_name(connection, settings.server_name.c_str()) != 1) {
    return "cannot set SNI name '" + settings.server_name + "'";
  }
  return {};
}

std::string describe_tls_failure(SSL* connection, const boost::system::error_code& ec) {
  std::string reason = ec.message();
  const long verify = SSL_get_verify_result(connection);
  if (verify != X509_V_OK) reason += ": " + std::string(X509_verify_cert_error_string(verify));
  return reason;
}

}  // namespace qiao

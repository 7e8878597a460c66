#include "core/net/server_tls.hpp"

namespace qiao {

namespace ssl = boost::asio::ssl;

namespace {

constexpr ConfigKey tls_keys[] = {
    {"cert", KeyType::string, "", "PEM certificate chain file", true},
    {"key", KeyType::string, "", "PEM private key file", true},
    {"client_ca", KeyType::string, "", "PEM CA file; when set, clients must present a certificate it signed"},
};

}  // namespace

Schema server_tls_schema() { return tls_keys; }

ServerTlsSettings parse_server_tls(const ConfigNode& block, Diagnostics& diag) {
  ConfigReader reader(block, tls_keys, diag, "tls");
  ServerTlsSettings settings;
  settings.cert = reader.string("cert");
  settings.key = reader.string("key");
  settings.client_ca = reader.string("client_ca");
  return settings;
}

Expected<std::shared_ptr<ssl::context>> make_server_tls_context(const ServerTlsSettings& settings) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  boost::system::error_code ec;
  context->use_certificate_chain_file(settings.cert, ec);
  if (ec) return make_error(ErrorKind::config, "tls.cert '" + settings.cert + "': " + ec.message());
  context->use_private_key_file(settings.key, ssl::context::pem, ec);
  if (ec) return make_error(ErrorKind::config, "tls.key '" + settings.key + "': " + ec.message());
  if (!settings.client_ca.empty()) {
    context->load_verify_file(settings.client_ca, ec);
    if (ec) return make_error(ErrorKind::config, "tls.client_ca '" + settings.client_ca + "': " + ec.message());
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return context;
}

}  // namespace qiao

#include "adapters/http/server/server_tls.hpp"

namespace qiao::http {

namespace ssl = boost::asio::ssl;

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

}  // namespace qiao::http

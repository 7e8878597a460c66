#include "adapters/tcp/client/client_tls.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/verify_mode.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

namespace qiao::tcp {

namespace ssl = boost::asio::ssl;

std::variant<std::shared_ptr<ssl::context>, TlsSetupError> make_client_tls_context(const TlsOptions& options) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  // SSLv2/3 are already gone from OpenSSL 3; compression invites CRIME.
  context->set_options(ssl::context::default_workarounds | ssl::context::no_compression, ec);
  if (options.verify) {
    context->set_verify_mode(ssl::verify_peer, ec);
    if (options.ca.empty()) {
      context->set_default_verify_paths(ec);
      if (ec) return TlsSetupError{"ca", "cannot load the system trust store: " + ec.message()};
    } else {
      context->load_verify_file(options.ca, ec);
      if (ec) return TlsSetupError{"ca", "cannot load CA file '" + options.ca + "': " + ec.message()};
    }
  } else {
    context->set_verify_mode(ssl::verify_none, ec);
  }
  if (!options.cert.empty()) {
    context->use_certificate_chain_file(options.cert, ec);
    if (ec) return TlsSetupError{"cert", "cannot load certificate '" + options.cert + "': " + ec.message()};
    context->use_private_key_file(options.key, ssl::context::pem, ec);
    if (ec) return TlsSetupError{"key", "cannot load private key '" + options.key + "': " + ec.message()};
    if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
      return TlsSetupError{"key", "private key '" + options.key + "' does not match certificate '" + options.cert + "'"};
    }
  }
  return context;
}

std::string prepare_tls_socket(TlsSocket& stream, const TlsOptions& options) {
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(options.server_name, ec);
  const bool is_ip = !ec;
  ec.clear();
  // RFC 6066 allows only host names in SNI, never address literals.
  if (!is_ip && SSL_set_tlsext_host_name(stream.native_handle(), options.server_name.c_str()) != 1) {
    return "cannot set SNI name '" + options.server_name + "'";
  }
  if (options.verify) {
    stream.set_verify_callback(ssl::host_name_verification(options.server_name), ec);
    if (ec) return "cannot set certificate name check: " + ec.message();
  }
  return {};
}

std::string describe_tls_failure(TlsSocket& stream, const boost::system::error_code& ec) {
  std::string reason = ec.message();
  const long verify = SSL_get_verify_result(stream.native_handle());
  if (verify != X509_V_OK) reason += ": " + std::string(X509_verify_cert_error_string(verify));
  return reason;
}

}  // namespace qiao::tcp

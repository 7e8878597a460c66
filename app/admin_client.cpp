#include "app/admin_client.hpp"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <fstream>
#include <iostream>
#include <sstream>

#include "codecs/json/json_codec.hpp"
#include "core/config/diagnostics.hpp"
#include "core/net/host_port.hpp"

namespace qiao {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string read_token(const ServerConfig& config) {
  if (!config.admin_token.empty()) return config.admin_token;
  std::ifstream in(config.admin_token_file());
  std::string token;
  std::getline(in, token);
  return token;
}

template <class Stream>
asio::awaitable<Expected<AdminReply>> exchange(Stream& stream, http::request<http::string_body> request) {
  co_await http::async_write(stream, request, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  co_await http::async_read(stream, buffer, response, asio::use_awaitable);
  co_return AdminReply{static_cast<int>(response.result_int()), std::move(response.body())};
}

}  // namespace

Expected<AdminReply> call_admin(const ServerConfig& config, const std::string& method, const std::string& target,
                                std::chrono::milliseconds timeout) {
  const std::string token = read_token(config);
  if (token.empty()) {
    return make_error(ErrorKind::config, "no admin token: set admin.token in " + config.file +
                                             " or start the gateway once (" + config.admin_token_file() + ")");
  }
  auto address = parse_host_port(config.admin_listen);
  if (!address) return make_error(ErrorKind::config, "admin.listen '" + config.admin_listen + "' is not HOST:PORT");
  // A listener on every interface is reached on loopback from this machine.
  std::string host = address->host;
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  if (host == "::") host = "::1";
  const std::string authority =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(address->port);

  http::request<http::string_body> request;
  request.method_string(method);
  request.target(target);
  request.version(11);
  request.set(http::field::host, authority);
  request.set(http::field::authorization, "Bearer " + token);
  request.set(http::field::connection, "close");
  request.prepare_payload();

  asio::io_context io;
  std::optional<Expected<AdminReply>> result;
  std::string failure;
  auto run = [&]() -> asio::awaitable<void> {
    asio::ip::tcp::resolver resolver(io);
    auto endpoints = co_await resolver.async_resolve(host, std::to_string(address->port), asio::use_awaitable);
    if (!config.admin_tls) {
      beast::tcp_stream stream(io);
      co_await stream.async_connect(endpoints, asio::use_awaitable);
      result = co_await exchange(stream, std::move(request));
      co_return;
    }
    // The gateway's own certificate is the trust anchor: the admin listener's certificate is
    // often self-signed, and the command runs beside the gateway with its files.
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.load_verify_file(config.resolve(config.admin_tls->cert));
    tls.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(io, tls);
    stream.set_verify_callback(asio::ssl::host_name_verification(host));
    co_await beast::get_lowest_layer(stream).async_connect(endpoints, asio::use_awaitable);
    co_await stream.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
    result = co_await exchange(stream, std::move(request));
  };
  asio::co_spawn(io, run(), [&](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      failure = ex.what();
    }
  });
  io.run_for(timeout);
  if (result) return std::move(*result);
  if (failure.empty()) failure = "no answer within " + std::to_string(timeout.count()) + " ms";
  return make_error(ErrorKind::unavailable, "admin API at " + authority + ": " + failure);
}

std::string text_of(const Value* v) {
  if (!v) return {};
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_int()) return std::to_string(v->as_int());
  if (v->is_number()) return fmt::format("{:g}", v->to_double());
  if (v->is_bool()) return v->as_bool() ? "true" : "false";
  return {};
}

void add_query(std::string& query, const char* name, const std::string& value) {
  if (value.empty()) return;
  query += query.empty() ? '?' : '&';
  query += name;
  query += '=';
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') query.push_back(static_cast<char>(c));
    else query += fmt::format("%{:02X}", c);
  }
}

AdminAnswer ask_admin(const std::string& command, const std::string& config_path, const std::string& admin_address,
                      const std::string& method, const std::string& target) {
  Diagnostics diag;
  ServerConfig config = load_server_config(config_path, diag);
  if (!diag.ok()) {
    std::cerr << diag.text();
    return {2, Value()};
  }
  if (!admin_address.empty()) config.admin_listen = admin_address;
  auto reply = call_admin(config, method, target, std::chrono::seconds(30));
  if (!reply) {
    std::cerr << "qiao " << command << ": " << reply.error().message << "\n";
    return {1, Value()};
  }
  auto body = json::decode(make_buffer(reply->body));
  if (reply->status != 200) {
    const Value* message = body ? body->find_path("error.message") : nullptr;
    std::cerr << "qiao " << command << ": " << reply->status << " " << (message ? text_of(message) : reply->body)
              << "\n";
    return {1, Value()};
  }
  if (!body) {
    std::cerr << "qiao " << command << ": the admin API answered something that is not JSON: " << body.error().message
              << "\n";
    return {1, Value()};
  }
  return {0, std::move(*body)};
}

}  // namespace qiao

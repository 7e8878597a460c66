// The HTTP message writer sends the bytes Beast's own serializer would: the same start line,
// fields and body, for requests and responses, custom reasons and unknown methods, and a chunked
// message (which it leaves to Beast) still arrives chunked.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "adapters/http/common/message_writer.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

namespace {

template <bool isRequest>
std::string beast_bytes(const bhttp::message<isRequest, bhttp::string_body>& message) {
  std::ostringstream out;
  out << message;
  return out.str();
}

// What write_message puts on a real socket, read back from its peer until the writer closes.
template <bool isRequest>
std::string written_bytes(const bhttp::message<isRequest, bhttp::string_body>& message) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  asio::ip::tcp::socket server = acceptor.accept();
  std::string head = "left over from a previous message";
  auto sent = asio::co_spawn(
      io,
      [&]() -> asio::awaitable<boost::system::error_code> {
        auto [ec, n] = co_await qiao::http::write_message(client, message, head);
        client.shutdown(asio::ip::tcp::socket::shutdown_send);
        co_return ec;
      },
      asio::use_future);
  io.run();
  REQUIRE(!sent.get());
  std::string received;
  boost::system::error_code ec;
  asio::read(server, asio::dynamic_buffer(received), ec);
  CHECK(ec == asio::error::eof);
  return received;
}

}  // namespace

TEST_CASE("http message writer: a response is the bytes Beast's serializer writes", "[http]") {
  bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "application/json; charset=utf-8");
  res.set("X-Trace", "abc");
  res.insert("Set-Cookie", "a=1");
  res.insert("Set-Cookie", "b=2");
  res.body() = R"({"RegNo":"R1","Amount":12.50})";
  res.prepare_payload();
  CHECK(written_bytes(res) == beast_bytes(res));
  CHECK(written_bytes(res).starts_with("HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"));

  SECTION("a status without a standard reason, a custom reason, HTTP/1.0, no body") {
    res.result(599);
    CHECK(written_bytes(res) == beast_bytes(res));
    res.reason("Upstream Said No");
    CHECK(written_bytes(res) == beast_bytes(res));
    res.version(10);
    res.body().clear();
    res.prepare_payload();
    CHECK(written_bytes(res) == beast_bytes(res));
    CHECK(written_bytes(res).starts_with("HTTP/1.0 599 Upstream Said No\r\n"));
  }
}

TEST_CASE("http message writer: a request is the bytes Beast's serializer writes", "[http]") {
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/his/register?dept=0101", 11};
  req.set(bhttp::field::host, "127.0.0.1:8080");
  req.set(bhttp::field::content_type, "application/json");
  req.body() = R"({"patientId":"P001"})";
  req.prepare_payload();
  CHECK(written_bytes(req) == beast_bytes(req));

  SECTION("a method Beast has no verb for") {
    req.method_string("PURGE");
    CHECK(written_bytes(req) == beast_bytes(req));
    CHECK(written_bytes(req).starts_with("PURGE /his/register?dept=0101 HTTP/1.1\r\n"));
  }
}

TEST_CASE("http message writer: a chunked message goes out chunked", "[http]") {
  bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
  res.body() = "hello";
  res.chunked(true);
  const std::string bytes = written_bytes(res);
  CHECK(bytes == beast_bytes(res));
  CHECK(bytes.ends_with("\r\n5\r\nhello\r\n0\r\n\r\n"));
}

TEST_CASE("http message writer: a message that ends the connection is not an error", "[http]") {
  bhttp::response<bhttp::string_body> res{bhttp::status::bad_request, 11};
  res.body() = "no";
  res.keep_alive(false);
  res.prepare_payload();
  CHECK(written_bytes(res) == beast_bytes(res));
}

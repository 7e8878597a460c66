// The HTTP client endpoint against real Beast servers on 127.0.0.1 (port 0), each on its own
// thread: round trips, keep-alive, the pool bound, timeouts, errors, retry, HTTPS and config.

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "adapters/http/client/http_endpoint.hpp"
#include "adapters/http/client/url.hpp"
#include "core/config/config_node.hpp"
#include "core/worker.hpp"
#include "qiao/version.hpp"

#if __has_include("codecs/json/json_codec.hpp")
#include "codecs/json/json_codec.hpp"
#define QIAO_TEST_HAVE_JSON 1
#endif

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using qiao::CallRequest;
using qiao::CallResponse;
using qiao::ErrorKind;
using qiao::Expected;
using qiao::Value;

std::string tls_file(const std::string& name) { return std::string(QIAO_SOURCE_DIR) + "/tests/data/tls/" + name; }

// The body as one string Value, so these tests need no real codec. A body containing
// "not-text" fails to decode, to exercise the client's decode error.
class TextCodec final : public qiao::Codec {
 public:
  std::string_view content_type() const override { return "text/plain"; }
  Expected<Value> decode(const qiao::Buffer& bytes) const override {
    if (bytes->find("not-text") != std::string::npos) return qiao::make_error(ErrorKind::bad_input, "not text");
    return Value(*bytes);
  }
  Expected<std::string> encode(const Value& value) const override {
    if (!value.is_string()) return qiao::make_error(ErrorKind::bad_input, "text codec encodes strings only");
    return std::string(value.as_string());
  }
};

// ---- the test server ----

struct SeenRequest {
  std::string method;
  std::string target;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  bool has(const std::string& name) const { return headers.count(name) != 0; }
};

struct ServerReply {
  unsigned status = 200;
  std::string body;
  std::map<std::string, std::string> headers;
  std::chrono::milliseconds delay{0};
  bool never = false;             // read the request, then never answer
  bool close_after = false;       // answer keep-alive, then close the connection anyway
  bool connection_close = false;  // answer with Connection: close
  bool interim = false;           // send a 103 Early Hints before the reply
};

class TestServer {
 public:
  using Handler = std::function<ServerReply(const SeenRequest&)>;

  explicit TestServer(Handler handler, std::shared_ptr<asio::ssl::context> tls = nullptr)
      : handler_(std::move(handler)),
        tls_(std::move(tls)),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept_loop(), [this](std::exception_ptr e) { note(e); });
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestServer() {
    io_.stop();
    thread_.join();
  }

  unsigned short port() const { return port_; }
  std::string url(const std::string& path = "/x") const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  int accepted() const { return accepted_; }
  int max_concurrent() const { return max_concurrent_; }
  int open_connections() const { return concurrent_; }
  std::vector<SeenRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::string failure() const {
    std::lock_guard lock(mutex_);
    return failure_;
  }

 private:
  void note(std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      std::lock_guard lock(mutex_);
      failure_ += std::string(ex.what()) + "\n";
    }
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      asio::co_spawn(io_, session(std::move(socket)), [this](std::exception_ptr e) { note(e); });
    }
  }

  asio::awaitable<void> session(tcp::socket socket) {
    ++accepted_;
    const int now = ++concurrent_;
    int seen = max_concurrent_;
    while (now > seen && !max_concurrent_.compare_exchange_weak(seen, now)) {
    }
    struct Leave {
      std::atomic<int>& count;
      ~Leave() { --count; }
    } leave{concurrent_};

    beast::tcp_stream stream(std::move(socket));
    if (!tls_) {
      co_await serve(stream);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> secure(std::move(stream), *tls_);
    auto [ec] = co_await secure.async_handshake(asio::ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;  // the client refused our certificate, or we refused its
    co_await serve(secure);
  }

  template <class Stream>
  asio::awaitable<void> serve(Stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request<bhttp::string_body> request;
      auto [read_ec, read] = co_await bhttp::async_read(stream, buffer, request, asio::as_tuple(asio::use_awaitable));
      if (read_ec) co_return;
      SeenRequest seen{std::string(request.method_string()), std::string(request.target()), request.body(), {}};
      for (const auto& field : request) {
        std::string name(field.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        seen.headers[name] = std::string(field.value());
      }
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(seen);
      }
      const ServerReply reply = handler_(seen);
      if (reply.never || reply.delay.count() > 0) {
        asio::steady_timer timer(co_await asio::this_coro::executor,
                                 reply.never ? std::chrono::milliseconds(1h) : reply.delay);
        (void)co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (reply.never) co_return;
      }
      if (reply.interim) {
        bhttp::response<bhttp::empty_body> hints;
        hints.version(11);
        hints.result(103);  // Early Hints: Beast 1.81 has no name for it
        hints.set(bhttp::field::link, "</style.css>; rel=preload");
        auto [hints_ec, hints_written] =
            co_await bhttp::async_write(stream, hints, asio::as_tuple(asio::use_awaitable));
        if (hints_ec) co_return;
      }
      bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(reply.status), 11};
      response.set(bhttp::field::content_type, "text/plain");
      for (const auto& [name, value] : reply.headers) response.set(name, value);
      response.body() = reply.body;
      response.keep_alive(request.keep_alive() && !reply.connection_close);
      response.prepare_payload();
      auto [write_ec, written] = co_await bhttp::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
      if (write_ec || !response.keep_alive() || reply.close_after) {
        beast::error_code ignored;
        beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(stream).close();
        co_return;
      }
    }
  }

  // Declared before io_ so that they outlive the coroutine frames io_ destroys.
  Handler handler_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::atomic<int> accepted_{0};
  std::atomic<int> concurrent_{0};
  std::atomic<int> max_concurrent_{0};
  mutable std::mutex mutex_;
  std::vector<SeenRequest> requests_;
  std::string failure_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::thread thread_;
};

std::shared_ptr<asio::ssl::context> server_tls(bool require_client_cert = false) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  context->use_certificate_chain_file(tls_file("server.crt"));
  context->use_private_key_file(tls_file("server.key"), asio::ssl::context::pem);
  if (require_client_cert) {
    context->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
    context->load_verify_file(tls_file("ca.crt"));
  }
  return context;
}

ServerReply echo(const SeenRequest& request) {
  ServerReply reply;
  reply.body = "echo:" + request.body;
  reply.headers["X-Reply"] = "yes";
  return reply;
}

// ---- the client side: one worker io_context on the test thread ----

qiao::EndpointCommon make_common(std::chrono::milliseconds timeout = 5s, std::size_t pool = 16,
                                 std::shared_ptr<const qiao::Codec> codec = std::make_shared<TextCodec>()) {
  qiao::EndpointCommon common;
  common.name = "his";
  common.timeout = timeout;
  common.connect_timeout = 2s;
  common.pool = pool;
  common.codec = std::move(codec);
  return common;
}

CallRequest text_request(std::string body) {
  CallRequest request;
  request.body = Value(std::move(body));
  return request;
}

asio::awaitable<void> call_into(qiao::Endpoint& endpoint, CallRequest request,
                                std::optional<Expected<CallResponse>>& out) {
  out.emplace(co_await endpoint.call(std::move(request)));
}

void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

struct Client {
  asio::io_context io;
  std::shared_ptr<const qiao::EndpointSpec> spec;
  std::unique_ptr<qiao::Endpoint> endpoint;

  explicit Client(const std::string& yaml, qiao::EndpointCommon common = make_common()) {
    qiao::set_current_worker(qiao::Worker{0, &io});
    auto node = qiao::ConfigNode::parse(yaml, "test.yaml");
    REQUIRE(node.has_value());
    qiao::Diagnostics diag;
    spec = qiao::http::make_http_endpoint_kind()->parse(*node, std::move(common), diag);
    INFO(diag.text());
    REQUIRE(spec);
    endpoint = spec->instantiate(qiao::current_worker());
  }
  ~Client() {
    endpoint.reset();  // before io, which it uses
    qiao::set_current_worker(qiao::Worker{});
  }

  // Not io.run(): idle keep-alive connections keep the pool's reaper timer pending, so the
  // io_context never runs out of work while the endpoint lives.
  template <class Done>
  void run_until(Done done) {
    const auto give_up = std::chrono::steady_clock::now() + 30s;
    io.restart();
    while (!done() && std::chrono::steady_clock::now() < give_up) io.run_one_for(100ms);
  }

  Expected<CallResponse> call(CallRequest request = text_request("hello")) {
    std::optional<Expected<CallResponse>> result;
    asio::co_spawn(io, call_into(*endpoint, std::move(request), result), rethrow);
    run_until([&] { return result.has_value(); });
    REQUIRE(result.has_value());
    return std::move(*result);
  }

  std::vector<Expected<CallResponse>> call_concurrently(std::size_t count) {
    std::vector<std::optional<Expected<CallResponse>>> results(count);
    for (std::size_t i = 0; i < count; ++i) {
      asio::co_spawn(io, call_into(*endpoint, text_request("call " + std::to_string(i)), results[i]), rethrow);
    }
    run_until([&] { return std::all_of(results.begin(), results.end(), [](const auto& r) { return r.has_value(); }); });
    std::vector<Expected<CallResponse>> out;
    for (auto& result : results) {
      REQUIRE(result.has_value());
      out.push_back(std::move(*result));
    }
    return out;
  }
};

std::string error_text(const Expected<CallResponse>& result) {
  return result ? std::string("(no error)") : result.error().message;
}

std::string header(const CallResponse& response, std::string_view name) {
  const Value* value = response.headers.find(name);
  return value && value->is_string() ? std::string(value->as_string()) : std::string("(absent)");
}

unsigned short unused_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

}  // namespace

TEST_CASE("http client: request and reply round trip with headers", "[http][client]") {
  TestServer server(echo);
  Client client("url: " + server.url("/his/Register?x=1") + "\nheaders: { X-Api-Key: k1, X-Over: config }\n");

  CallRequest request = text_request("hello");
  request.headers.set("X-Trace", "t-1");
  request.headers.set("X-Count", 42);
  request.headers.set("X-Over", "call");
  request.headers.set("Content-Length", "999");  // framing belongs to the client
  auto result = client.call(std::move(request));
  INFO(error_text(result));
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->body == Value("echo:hello"));
  CHECK(header(*result, "x-reply") == "yes");
  CHECK(header(*result, "content-type") == "text/plain");

  auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].target == "/his/Register?x=1");
  CHECK(seen[0].body == "hello");
  CHECK(seen[0].headers["content-type"] == "text/plain");
  CHECK(seen[0].headers["content-length"] == "5");
  CHECK(seen[0].headers["x-api-key"] == "k1");
  CHECK(seen[0].headers["x-over"] == "call");
  CHECK(seen[0].headers["x-trace"] == "t-1");
  CHECK(seen[0].headers["x-count"] == "42");
  CHECK(seen[0].headers["host"] == "127.0.0.1:" + std::to_string(server.port()));
  CHECK(seen[0].headers["user-agent"] == std::string("qiao/") + qiao::version_string);
  CHECK(server.failure().empty());
}

TEST_CASE("http client: GET sends no body", "[http][client]") {
  TestServer server(echo);
  Client client("url: " + server.url("/status") + "\nmethod: get\n");
  auto result = client.call(text_request("ignored"));
  INFO(error_text(result));
  REQUIRE(result);
  CHECK(result->body == Value("echo:"));
  auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "GET");
  CHECK(seen[0].body.empty());
  CHECK_FALSE(seen[0].has("content-type"));
  CHECK(client.spec->describe() == "http GET " + server.url("/status"));
}

TEST_CASE("http client: sequential calls reuse one keep-alive connection", "[http][client]") {
  TestServer server(echo);
  Client client("url: " + server.url());
  for (int i = 0; i < 10; ++i) {
    auto result = client.call(text_request(std::to_string(i)));
    INFO(error_text(result));
    REQUIRE(result);
    CHECK(result->body == Value("echo:" + std::to_string(i)));
  }
  CHECK(server.accepted() == 1);
  CHECK(server.requests().size() == 10);
}

TEST_CASE("http client: Connection: close from the server is honoured", "[http][client]") {
  TestServer server([](const SeenRequest& request) {
    ServerReply reply = echo(request);
    reply.connection_close = true;
    return reply;
  });
  Client client("url: " + server.url());
  for (int i = 0; i < 3; ++i) {
    auto result = client.call();
    INFO(error_text(result));
    REQUIRE(result);
    CHECK(header(*result, "connection") == "close");
  }
  CHECK(server.accepted() == 3);
  CHECK(server.requests().size() == 3);
}

TEST_CASE("http client: an interim 1xx reply is skipped", "[http][client]") {
  TestServer server([](const SeenRequest& request) {
    ServerReply reply = echo(request);
    reply.interim = true;
    return reply;
  });
  Client client("url: " + server.url());
  for (int i = 0; i < 2; ++i) {
    auto result = client.call();
    INFO(error_text(result));
    REQUIRE(result);
    CHECK(result->status == 200);
    CHECK(result->body == Value("echo:hello"));
  }
  CHECK(server.accepted() == 1);
}

TEST_CASE("http client: the pool bounds concurrent connections per worker", "[http][client]") {
  TestServer server([](const SeenRequest& request) {
    ServerReply reply = echo(request);
    reply.delay = 30ms;  // keeps each connection busy so calls must queue
    return reply;
  });
  Client client("url: " + server.url(), make_common(10s, 2));
  auto results = client.call_concurrently(10);
  for (std::size_t i = 0; i < results.size(); ++i) {
    INFO(error_text(results[i]));
    REQUIRE(results[i]);
    CHECK(results[i]->body == Value("echo:call " + std::to_string(i)));
  }
  CHECK(server.max_concurrent() <= 2);
  CHECK(server.accepted() <= 2);
  CHECK(server.requests().size() == 10);
}

TEST_CASE("http client: time spent waiting for a pooled connection counts against the timeout", "[http][client]") {
  TestServer server([](const SeenRequest& request) {
    ServerReply reply = echo(request);
    reply.delay = 400ms;
    return reply;
  });
  // One connection: the second call waits 400 ms for it, and the server's 400 ms then take it
  // past its 600 ms.
  Client client("url: " + server.url(), make_common(600ms, 1));
  const auto start = std::chrono::steady_clock::now();
  auto results = client.call_concurrently(2);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  INFO(error_text(results[0]));
  REQUIRE(results[0]);
  REQUIRE_FALSE(results[1]);
  CHECK(results[1].error().kind == ErrorKind::timeout);
  CHECK(results[1].error().message == "endpoint 'his': no reply within 600 ms from " + server.url());
  CHECK(elapsed < 3s);
  CHECK(server.accepted() == 1);
}

TEST_CASE("http client: connection refused is unavailable", "[http][client]") {
  const std::string url = "http://127.0.0.1:" + std::to_string(unused_port()) + "/x";
  Client client("url: " + url);
  auto result = client.call();
  REQUIRE_FALSE(result);
  CHECK(result.error().kind == ErrorKind::unavailable);
  CHECK_THAT(result.error().message, Catch::StartsWith("endpoint 'his': cannot connect to " + url + ": "));
  CHECK_THAT(result.error().message, Catch::Contains("refused", Catch::CaseSensitive::No));
}

TEST_CASE("http client: unknown host is unavailable", "[http][client]") {
  Client client("url: http://no-such-host.invalid/x");
  auto result = client.call();
  REQUIRE_FALSE(result);
  CHECK(result.error().kind == ErrorKind::unavailable);
  CHECK_THAT(result.error().message, Catch::StartsWith("endpoint 'his': cannot resolve 'no-such-host.invalid'"));
}

TEST_CASE("http client: a server that never answers times out within the bound", "[http][client]") {
  TestServer server([](const SeenRequest&) {
    ServerReply reply;
    reply.never = true;
    return reply;
  });
  Client client("url: " + server.url(), make_common(300ms));
  const auto start = std::chrono::steady_clock::now();
  auto result = client.call();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(result);
  CHECK(result.error().kind == ErrorKind::timeout);
  CHECK(result.error().message == "endpoint 'his': no reply within 300 ms from " + server.url());
  CHECK(elapsed >= 300ms);
  CHECK(elapsed < 3s);
}

TEST_CASE("http client: HTTP error status is an upstream error with a body excerpt", "[http][client]") {
  TestServer server([](const SeenRequest& request) {
    ServerReply reply;
    reply.status = 500;
    reply.body = request.body == "long" ? std::string(300, 'x') : "database is down\r\n";
    return reply;
  });
  Client client("url: " + server.url());

  auto result = client.call();
  REQUIRE_FALSE(result);
  CHECK(result.error().kind == ErrorKind::upstream);
  CHECK(result.error().message == "endpoint 'his': HTTP 500 from " + server.url() + ": database is down  ");

  auto long_result = client.call(text_request("long"));
  REQUIRE_FALSE(long_result);
  CHECK(long_result.error().message ==
        "endpoint 'his': HTTP 500 from " + server.url() + ": " + std::string(200, 'x') + "…");
  CHECK(server.accepted() == 1);  // an error reply leaves the connection reusable
}

TEST_CASE("http client: a reply the codec cannot decode is an upstream error", "[http][client]") {
  TestServer server([](const SeenRequest&) {
    ServerReply reply;
    reply.body = "not-text";
    return reply;
  });
  Client client("url: " + server.url());
  auto result = client.call();
  REQUIRE_FALSE(result);
  CHECK(result.error().kind == ErrorKind::upstream);
  CHECK(result.error().message == "endpoint 'his': reply is not valid text/plain: not text");
}

TEST_CASE("http client: a request the codec cannot encode is bad input", "[http][client]") {
  TestServer server(echo);
  Client client("url: " + server.url());
  CallRequest request;
  request.body = Value(qiao::Object{{"a", 1}});
  auto result = client.call(std::move(request));
  REQUIRE_FALSE(result);
  CHECK(result.error().kind == ErrorKind::bad_input);
  CHECK(server.requests().empty());
}

TEST_CASE("http client: an idle connection closed by the server is retried once, transparently", "[http][client]") {
  TestServer server([](const SeenRequest& request) {
    ServerReply reply = echo(request);
    reply.close_after = true;  // says keep-alive, then closes: the next call finds it dead
    return reply;
  });
  Client client("url: " + server.url());
  for (int i = 0; i < 3; ++i) {
    auto result = client.call(text_request(std::to_string(i)));
    INFO(error_text(result));
    REQUIRE(result);
    CHECK(result->body == Value("echo:" + std::to_string(i)));
    std::this_thread::sleep_for(20ms);  // let the server's FIN arrive while the connection idles
  }
  CHECK(server.accepted() == 3);
  CHECK(server.requests().size() == 3);  // each request reached the server exactly once
}

TEST_CASE("http client: an endpoint dropped on another thread closes its connections on its worker", "[http][client]") {
  TestServer server(echo);
  auto node = qiao::ConfigNode::parse("url: " + server.url(), "test.yaml");
  REQUIRE(node.has_value());
  qiao::Diagnostics diag;
  auto spec = qiao::http::make_http_endpoint_kind()->parse(*node, make_common(), diag);
  REQUIRE(spec);

  asio::io_context worker_io;
  auto work = asio::make_work_guard(worker_io);
  std::thread worker([&] {
    qiao::set_current_worker(qiao::Worker{1, &worker_io});
    worker_io.run();
  });
  auto endpoint = spec->instantiate(qiao::Worker{1, &worker_io});
  std::optional<Expected<CallResponse>> result;
  std::promise<void> done;
  asio::co_spawn(worker_io, call_into(*endpoint, text_request("x"), result), [&](std::exception_ptr e) {
    if (e) {
      done.set_exception(e);
    } else {
      done.set_value();
    }
  });
  done.get_future().get();
  REQUIRE(result.has_value());
  INFO(error_text(*result));
  CHECK(*result);
  CHECK(server.open_connections() == 1);  // kept alive, idle in the pool

  endpoint.reset();  // on this thread, while the worker runs
  const auto give_up = std::chrono::steady_clock::now() + 5s;
  while (server.open_connections() != 0 && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(5ms);
  CHECK(server.open_connections() == 0);

  work.reset();  // with the pool gone nothing is pending, so run() returns by itself
  worker.join();
}

TEST_CASE("http client: HTTPS with the test CA", "[http][client][tls]") {
  TestServer server(echo, server_tls());
  Client client("url: " + server.url() + "\ntls: { ca: " + tls_file("ca.crt") + " }\n");
  for (int i = 0; i < 2; ++i) {
    auto result = client.call();
    INFO(error_text(result));
    REQUIRE(result);
    CHECK(result->body == Value("echo:hello"));
  }
  CHECK(server.accepted() == 1);
}

TEST_CASE("http client: HTTPS by host name, verified against the certificate's DNS name", "[http][client][tls]") {
  TestServer server(echo, server_tls());
  Client client("url: https://localhost:" + std::to_string(server.port()) + "/x\ntls: { ca: " + tls_file("ca.crt") +
                " }\n");
  auto result = client.call();
  INFO(error_text(result));
  REQUIRE(result);
  CHECK(server.requests().at(0).headers["host"] == "localhost:" + std::to_string(server.port()));
}

TEST_CASE("http client: HTTPS refuses an untrusted certificate", "[http][client][tls]") {
  TestServer server(echo, server_tls());
  Client client("url: " + server.url());  // system trust store: the test CA is not in it
  auto result = client.call();
  REQUIRE_FALSE(result);
  CHECK(result.error().kind == ErrorKind::unavailable);
  CHECK_THAT(result.error().message, Catch::Contains("certificate verify failed"));
  CHECK(server.requests().empty());
}

TEST_CASE("http client: HTTPS refuses a certificate for another name", "[http][client][tls]") {
  TestServer server(echo, server_tls());
  Client client("url: " + server.url() + "\ntls: { ca: " + tls_file("ca.crt") + ", server_name: his.example }\n");
  auto result = client.call();
  REQUIRE_FALSE(result);
  CHECK(result.error().kind == ErrorKind::unavailable);
  CHECK_THAT(result.error().message, Catch::Contains("certificate verify failed"));
}

TEST_CASE("http client: HTTPS without verification accepts any certificate", "[http][client][tls]") {
  TestServer server(echo, server_tls());
  Client client("url: " + server.url() + "\ntls: { verify: false }\n");
  auto result = client.call();
  INFO(error_text(result));
  REQUIRE(result);
}

TEST_CASE("http client: mutual TLS with a client certificate", "[http][client][tls]") {
  TestServer server(echo, server_tls(true));
  SECTION("with the certificate the server trusts") {
    Client client("url: " + server.url() + "\ntls: { ca: " + tls_file("ca.crt") + ", cert: " + tls_file("client.crt") +
                  ", key: " + tls_file("client.key") + " }\n");
    auto result = client.call();
    INFO(error_text(result));
    REQUIRE(result);
    CHECK(result->body == Value("echo:hello"));
  }
  SECTION("without one") {
    Client client("url: " + server.url() + "\ntls: { ca: " + tls_file("ca.crt") + " }\n");
    auto result = client.call();
    REQUIRE_FALSE(result);
    CHECK(server.requests().empty());
  }
}

#ifdef QIAO_TEST_HAVE_JSON
TEST_CASE("http client: JSON body with the json codec", "[http][client][json]") {
  TestServer server([](const SeenRequest& request) {
    ServerReply reply;
    reply.headers["Content-Type"] = "application/json";
    reply.body = request.body == "\"broken\"" ? "{\"regNo\":" : R"({"regNo":"R1","echo":)" + request.body + "}";
    return reply;
  });
  Client client("url: " + server.url(), make_common(5s, 16, std::make_shared<qiao::json::JsonCodec>()));

  auto broken = client.call(text_request("broken"));
  REQUIRE_FALSE(broken);
  CHECK(broken.error().kind == ErrorKind::upstream);
  CHECK_THAT(broken.error().message, Catch::StartsWith("endpoint 'his': reply is not valid application/json: json: "));

  CallRequest request;
  request.body = Value(qiao::Object{{"patientId", "P1"}});
  auto result = client.call(std::move(request));
  INFO(error_text(result));
  REQUIRE(result);
  const Value* reg = result->body.find("regNo");
  REQUIRE(reg);
  CHECK(*reg == Value("R1"));
  const Value* patient = result->body.find_path("echo.patientId");
  REQUIRE(patient);
  CHECK(*patient == Value("P1"));
  CHECK(server.requests().at(0).headers["content-type"] == "application/json");
}
#endif

namespace {

std::string parse_errors(const std::string& yaml, qiao::EndpointCommon common = make_common()) {
  auto node = qiao::ConfigNode::parse(yaml, "test.yaml");
  REQUIRE(node.has_value());
  qiao::Diagnostics diag;
  auto spec = qiao::http::make_http_endpoint_kind()->parse(*node, std::move(common), diag);
  CHECK((spec == nullptr) == !diag.ok());
  return diag.text();
}

}  // namespace

TEST_CASE("http client config: errors point at file:line:col", "[http][client][config]") {
  CHECK(parse_errors("method: POST\nurl: ftp://his.example/x\n") ==
        "test.yaml:2:6: endpoint 'his': http: url 'ftp://his.example/x': must start with http:// or https://\n");
  CHECK_THAT(parse_errors("url: http://his.example:99999/x\n"),
             Catch::StartsWith("test.yaml:1:6: ") && Catch::Contains("port '99999'"));
  CHECK_THAT(parse_errors("method: POST\n"), Catch::Contains("missing required key 'url'"));
  CHECK_THAT(parse_errors("url: http://h/x\nmethod: FETCH\n"),
             Catch::StartsWith("test.yaml:2:9: ") && Catch::Contains("method 'FETCH'"));
  CHECK_THAT(parse_errors("url: http://h/x\npath_from_operation: true\n"),
             Catch::StartsWith("test.yaml:2:1: ") && Catch::Contains("unknown key 'path_from_operation'"));
  CHECK_THAT(parse_errors("url: http://h/x\nheaders: { Content-Length: 3 }\n"),
             Catch::StartsWith("test.yaml:2:12: ") && Catch::Contains("set by the client"));
  CHECK_THAT(parse_errors("url: http://h/x\ntls: { verify: false }\n"),
             Catch::StartsWith("test.yaml:2:6: ") && Catch::Contains("use https://"));
  CHECK_THAT(parse_errors("url: https://h/x\ntls: { cert: a.pem }\n"), Catch::Contains("cert and key go together"));
  CHECK_THAT(parse_errors("url: https://h/x\ntls: { ca: /nonexistent/ca.pem }\n"),
             Catch::StartsWith("test.yaml:2:12: ") && Catch::Contains("cannot load CA file '/nonexistent/ca.pem'"));
  CHECK_THAT(parse_errors("url: https://h/x\ntls: { verify: maybe }\n"), Catch::Contains("expected true or false"));
  CHECK(parse_errors("url: https://h/x\n").empty());
}

TEST_CASE("http client config: describe and schema", "[http][client][config]") {
  auto kind = qiao::http::make_http_endpoint_kind();
  CHECK(kind->name() == "http");
  CHECK(kind->default_codec() == "json");
  auto node = qiao::ConfigNode::parse("url: http://127.0.0.1:8090/HisService\n", "test.yaml");
  REQUIRE(node.has_value());
  qiao::Diagnostics diag;
  auto spec = kind->parse(*node, make_common(), diag);
  REQUIRE(spec);
  CHECK(spec->describe() == "http POST http://127.0.0.1:8090/HisService");
  CHECK(spec->common().name == "his");
  bool documented = true;
  for (const auto& key : kind->schema()) documented = documented && !key.description.empty();
  CHECK(documented);
  CHECK(kind->schema().size() == 4);
}

TEST_CASE("http client url parsing", "[http][client][config]") {
  using qiao::http::parse_http_url;
  auto plain = parse_http_url("http://HIS.example/svc?a=1");
  REQUIRE(plain);
  CHECK_FALSE(plain->tls);
  CHECK(plain->host == "his.example");
  CHECK(plain->port == 80);
  CHECK(plain->target == "/svc?a=1");
  CHECK(plain->host_header() == "his.example");

  auto secure = parse_http_url("https://127.0.0.1:8443");
  REQUIRE(secure);
  CHECK(secure->tls);
  CHECK(secure->port == 8443);
  CHECK(secure->target == "/");
  CHECK(secure->host_header() == "127.0.0.1:8443");
  CHECK(secure->host_is_ip());

  auto v6 = parse_http_url("http://[::1]:8080?q");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->target == "/?q");
  CHECK(v6->host_header() == "[::1]:8080");

  // Non-ASCII in the YAML goes out percent-encoded, as a browser sends it.
  auto chinese = parse_http_url("http://his.example/挂号?科室=儿科");
  REQUIRE(chinese);
  CHECK(chinese->target == "/%E6%8C%82%E5%8F%B7?%E7%A7%91%E5%AE%A4=%E5%84%BF%E7%A7%91");
  CHECK(chinese->text == "http://his.example/挂号?科室=儿科");

  for (const char* bad : {"ftp://h/x", "http://", "http:///x", "http://h:/x", "http://h:0/x", "http://h:x/",
                          "http://h:65536/", "http://h!x/", "http://h%41/", "http://user:pw@h/x", "http://h/x#frag",
                          "http://h/a b", "http://[::1/x", "http://h_ 1/", "his.example/x", "http://[zz]/x"}) {
    INFO(bad);
    CHECK_FALSE(parse_http_url(bad));
  }
}

// The admin API as a function: what runs where. A journal search blocks on SQLite, so it must not
// run on the worker that read the request, or every other connection of that worker waits.

#include "core/admin.hpp"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include "core/registry.hpp"
#include "core/runtime.hpp"
#include "core/store/store.hpp"

using namespace qiao;

namespace {

// A store whose search takes as long as the test wants: until release() (or 10 s).
class SlowSearchStore final : public Store {
 public:
  void journal(JournalEntry) override {}
  bool journal_has_room() const override { return true; }
  void when_journal_has_room(std::function<void()> ready) override { ready(); }
  void flush() override {}
  Expected<std::vector<std::string>> enforce_retention() override { return std::vector<std::string>{}; }
  Expected<std::vector<JournalEntry>> search(const JournalQuery&) const override {
    searching_thread_ = std::this_thread::get_id();
    entered_.set_value();
    released_.wait_for(std::chrono::seconds(10));
    finished_ = true;
    return std::vector<JournalEntry>{};
  }
  std::uint64_t written() const override { return 0; }
  std::uint64_t dropped() const override { return 0; }
  JournalStats stats() const override { return {}; }
  void enqueue(std::vector<Delivery>, DeliveriesStored done) override {
    done(make_error(ErrorKind::unavailable, "no queues here"));
  }
  void change(std::vector<DeliveryChange>, ChangesStored done) override {
    done(make_error(ErrorKind::unavailable, "no queues here"));
  }
  Expected<std::vector<Delivery>> deliveries(const DeliveryQuery&) const override { return std::vector<Delivery>{}; }
  void claim_deliveries(DeliveriesClaimed done) override { done(make_error(ErrorKind::unavailable, "no queues here")); }
  void release_deliveries(ChangesStored done) override { done(make_error(ErrorKind::unavailable, "no queues here")); }
  Expected<std::vector<Delivery>> message_deliveries(const std::string&) const override {
    return std::vector<Delivery>{};
  }
  void claim(IdempotencyClaim, IdempotencyClaimed done) override {
    done(make_error(ErrorKind::unavailable, "no keys here"));
  }
  void settle(IdempotencySettle, std::vector<Delivery>, DeliveriesStored done) override {
    done(make_error(ErrorKind::unavailable, "no keys here"));
  }

  bool entered_within(std::chrono::seconds limit) const {
    return entered_future_.wait_for(limit) == std::future_status::ready;
  }
  void release() { release_.set_value(); }
  bool finished() const { return finished_; }
  std::thread::id searching_thread() const { return searching_thread_; }

 private:
  mutable std::promise<void> entered_;
  std::shared_future<void> entered_future_ = entered_.get_future().share();
  std::promise<void> release_;
  std::shared_future<void> released_ = release_.get_future().share();
  mutable std::atomic<bool> finished_{false};
  mutable std::thread::id searching_thread_;
};

AdminRequest get(const std::string& target) {
  AdminRequest request;
  request.method = "GET";
  request.target = target;
  request.authorization = "Bearer t0ken";
  request.host = "127.0.0.1:9900";
  return request;
}

}  // namespace

TEST_CASE("admin API: a journal search runs off the worker, which answers other requests meanwhile", "[admin]") {
  static const Plugins plugins;
  ServerConfig config;
  config.threads = 1;
  SlowSearchStore store;
  Runtime runtime(plugins, config, &store);
  // Before the API, so that it outlives the API's search thread: that thread still holds the
  // worker's executor for a moment after handing the result over (as a gateway's workers outlive
  // its admin API).
  boost::asio::io_context worker;
  AdminApi api(runtime, &store, "t0ken");
  api.listening_on("127.0.0.1:9900", false);
  std::optional<AdminResponse> messages;
  std::optional<AdminResponse> health;
  boost::asio::co_spawn(worker, api.handle(get("/api/messages?limit=5")),
                        [&](std::exception_ptr, AdminResponse r) { messages = std::move(r); });
  boost::asio::co_spawn(worker, api.handle(get("/healthz")),
                        [&](std::exception_ptr, AdminResponse r) { health = std::move(r); });

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!health && std::chrono::steady_clock::now() < deadline) worker.run_one_for(std::chrono::milliseconds(100));
  REQUIRE(health);
  CHECK(health->status == 200);
  // /healthz was answered while the search was still under way, on another thread.
  REQUIRE(store.entered_within(std::chrono::seconds(10)));
  CHECK_FALSE(store.finished());
  CHECK(store.searching_thread() != std::this_thread::get_id());
  CHECK_FALSE(messages);

  store.release();
  while (!messages && std::chrono::steady_clock::now() < deadline) worker.run_one_for(std::chrono::milliseconds(100));
  REQUIRE(messages);
  CHECK(messages->status == 200);
  CHECK(messages->body == R"({"messages":[]})");
}

TEST_CASE("admin API: the token, the Host and the origin are checked before a route is", "[admin]") {
  static const Plugins plugins;
  ServerConfig config;
  config.threads = 1;
  config.admin_hosts = {"gw.example", "[fd00::1]", "10.0.0.5:443"};
  Runtime runtime(plugins, config, nullptr);
  AdminApi api(runtime, nullptr, "t0ken");
  boost::asio::io_context worker;
  auto answer = [&](AdminRequest request) {
    std::optional<AdminResponse> out;
    boost::asio::co_spawn(worker, api.handle(std::move(request)),
                          [&](std::exception_ptr, AdminResponse r) { out = r; });
    worker.restart();
    worker.run();
    REQUIRE(out);
    return out->status;
  };

  // Until the listener is bound nothing is answered: the port is not known yet.
  CHECK(answer(get("/api/flows")) == 421);
  api.listening_on("127.0.0.1:9900", false);
  CHECK(answer(get("/api/flows")) == 200);

  for (const std::string host :
       {"localhost:9900", "LOCALHOST:9900", "gw.example:9900", "[fd00::1]:9900", "10.0.0.5:443"}) {
    INFO(host);
    AdminRequest request = get("/api/flows");
    request.host = host;
    CHECK(answer(request) == 200);
  }
  for (const std::string host :
       {"", "127.0.0.1", "127.0.0.1:9901", "gw.example", "gw.example.evil:9900", "10.0.0.5:9900"}) {
    INFO(host);
    AdminRequest request = get("/healthz");
    request.host = host;
    CHECK(answer(request) == 421);
  }

  AdminRequest lower_case = get("/api/flows");
  lower_case.authorization = "bearer t0ken";
  CHECK(answer(lower_case) == 200);
  for (const std::string authorization :
       {"", "Bearer", "Bearer ", "Bearer t0ke", "Bearer t0kenn", "Basic t0ken", "t0ken"}) {
    INFO(authorization);
    AdminRequest request = get("/api/flows");
    request.authorization = authorization;
    CHECK(answer(request) == 401);
  }
  AdminRequest health = get("/healthz");
  health.authorization.clear();
  CHECK(answer(health) == 200);

  for (const std::string origin : {"http://127.0.0.1:9900", "http://localhost:9900", "http://gw.example:9900"}) {
    INFO(origin);
    AdminRequest request = get("/api/flows");
    request.origin = origin;
    CHECK(answer(request) == 200);
  }
  for (const std::string origin : {"https://127.0.0.1:9900", "http://127.0.0.1:9901", "null", "http://evil.example"}) {
    INFO(origin);
    AdminRequest request = get("/api/flows");
    request.origin = origin;
    CHECK(answer(request) == 403);
  }

  AdminRequest post = get("/api/nothing");
  post.method = "POST";
  CHECK(answer(post) == 404);
  post.content_type = "application/json;charset=utf-8";
  post.has_body = true;
  CHECK(answer(post) == 404);
  for (const std::string type : {"", "text/plain", "multipart/form-data; boundary=x",
                                 "application/x-www-form-urlencoded", "application/jsonx"}) {
    INFO(type);
    post.content_type = type;
    CHECK(answer(post) == 415);
  }
}

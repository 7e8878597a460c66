#pragma once
// The admin API, as a function from request to response (the HTTP adapter serves it):
//   GET  /healthz         liveness and the serving generation
//   GET  /api/flows       flows, their sources, counts and last errors; the last reload;
//                         the listeners with the addresses they are bound to
//   POST /api/reload      reload now; the errors, if any, as file:line:col lines
//   GET  /metrics         Prometheus text format
//   /api/messages…        the journal: search, one message's steps and deliveries, replay
//                         (core/admin_messages.hpp, core/admin_replay.hpp)
//   /api/queues…          persistent queues and dead letters (core/admin_queues.hpp)
//
// It reads every journaled message (patients' data) and reloads flows, so every request is
// checked before it is routed: the Host must name this listener (DNS rebinding), a browser's
// cross-origin request is refused, a state-changing request carries JSON or nothing (a browser
// cannot send that cross-origin without a CORS preflight, which is never answered), and all but
// /healthz need `Authorization: Bearer <token>`.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace qiao {

class Runtime;
class Store;

struct AdminRequest {
  std::string method;
  std::string target;          // path and query
  std::string authorization;   // the Authorization header
  std::string host;            // the Host header
  std::string origin;          // the Origin header; empty when absent
  std::string sec_fetch_site;  // the Sec-Fetch-Site header a browser adds; empty when absent
  std::string content_type;    // the Content-Type header; empty when absent
  bool has_body = false;
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class AdminApi {
 public:
  // `token` is admin.token, or the generated one (admin_token.hpp); never empty.
  AdminApi(Runtime& runtime, Store* store, std::string token);
  ~AdminApi();
  AdminApi(const AdminApi&) = delete;
  AdminApi& operator=(const AdminApi&) = delete;

  // The address the admin listener is bound to (the port when 0 was configured), from which the
  // accepted Host and Origin values follow. Until it is known every request is refused.
  void listening_on(const std::string& bound_address, bool tls);

  boost::asio::awaitable<AdminResponse> handle(AdminRequest request);

 private:
  struct Origins {
    std::vector<std::string> hosts;    // accepted Host values, lower case
    std::vector<std::string> origins;  // accepted Origin values, lower case
  };

  std::shared_ptr<const Origins> origins() const;
  bool token_matches(std::string_view authorization) const;
  AdminResponse flows() const;

  Runtime& runtime_;
  Store* store_;
  const std::string token_;
  mutable std::mutex origins_mutex_;
  std::shared_ptr<const Origins> origins_;
  // Journal searches run here, not on the worker that read the request: a search over a large
  // journal can take seconds, and the worker serves other connections meanwhile. One thread is
  // enough, since the store answers one search at a time on its read connection anyway.
  boost::asio::thread_pool journal_reader_{1};
};

}  // namespace qiao

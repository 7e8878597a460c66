#pragma once
// The admin API, as a function from request to response (the HTTP adapter serves it):
//   GET  /healthz         liveness and the serving generation
//   GET  /api/flows       flows, their sources, counts and last errors; the last reload;
//                         the listeners with the addresses they are bound to
//   POST /api/reload      reload now; the errors, if any, as file:line:col lines
//   GET  /metrics         Prometheus text format
//   GET  /api/messages    journal search: ?flow=&outcome=&id=&limit=

#include <boost/asio/awaitable.hpp>

#include <string>

namespace qiao {

class Runtime;
class Store;

struct AdminRequest {
  std::string method;
  std::string target;         // path and query
  std::string authorization;  // the Authorization header
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class AdminApi {
 public:
  AdminApi(Runtime& runtime, Store* store) : runtime_(runtime), store_(store) {}
  boost::asio::awaitable<AdminResponse> handle(AdminRequest request);

 private:
  AdminResponse flows() const;
  AdminResponse messages(std::string_view query) const;
  Runtime& runtime_;
  Store* store_;
};

}  // namespace qiao

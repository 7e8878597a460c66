#pragma once
// One flow's `http:` source block: a route on the http listener by method and path.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/http/server/http_served_source.hpp"

namespace qiao::http {

class HttpSourceSpec final : public HttpServedSource {
 public:
  std::string path;  // without the trailing "*" for prefix routes
  bool prefix = false;
  std::vector<std::string> methods;  // upper case; empty means any

  std::string describe() const override {
    std::string m;
    for (const auto& method : methods) m += (m.empty() ? "" : ",") + method;
    return (settings.tls ? "https " : "http ") + (m.empty() ? std::string("*") : m) + " " + listen.str() + path +
           (prefix ? "*" : "");
  }
  bool allows(std::string_view method) const {
    return methods.empty() || std::find(methods.begin(), methods.end(), method) != methods.end();
  }
};

}  // namespace qiao::http

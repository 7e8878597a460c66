#include "adapters/http/server/outcome_response.hpp"

#include <boost/beast/http/field.hpp>

namespace qiao::http {

namespace bhttp = boost::beast::http;

Response make_outcome_response(unsigned http_version, Outcome outcome, std::string_view allow) {
  Response res;
  res.version(http_version ? http_version : 11);
  res.result(static_cast<unsigned>(outcome.status));
  res.set(bhttp::field::server, "qiao");
  if (!outcome.content_type.empty()) res.set(bhttp::field::content_type, outcome.content_type);
  res.set("X-Message-Id", outcome.message_id);
  if (!allow.empty()) res.set(bhttp::field::allow, allow);
  for (const auto& [name, value] : outcome.headers) {
    if (value.is_string()) res.set(name, value.as_string());
  }
  res.body() = std::move(outcome.body);
  return res;
}

}  // namespace qiao::http

#include "adapters/http/server/request_message.hpp"

#include "core/text/ascii.hpp"

namespace qiao::http {

Message make_request_message(const Request& request, const ConnectionInfo& connection, std::string_view kind,
                             std::string_view path) {
  Message msg;
  msg.id = next_message_id();
  for (const auto& field : request)
    msg.headers.push_back(ascii_lower(field.name_string()), Value(std::string(field.value())));
  const auto trace = request.find("X-Trace-Id");
  msg.trace_id = trace != request.end() ? std::string(trace->value()) : msg.id;
  msg.source.push_back("kind", Value(std::string(kind)));
  msg.source.push_back("remote", Value(connection.remote));
  msg.source.push_back("tls", Value(connection.tls));
  if (!path.empty()) {
    msg.source.push_back("method", Value(std::string(request.method_string())));
    msg.source.push_back("path", Value(std::string(path)));
  }
  return msg;
}

}  // namespace qiao::http

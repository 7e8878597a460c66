#pragma once
// What `call` and `send` share: the request they make of an endpoint — the message body, or what
// a Lua block returns (a body and optionally a table of headers) — plus fixed headers and an
// operation.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>

#include "core/config/schema.hpp"
#include "core/endpoint.hpp"
#include "core/lua/lua_program.hpp"

namespace qiao {

class ConfigNode;
class ConfigReader;
class FlowBuilder;
class FlowRun;

class EndpointRequest {
 public:
  // The keys it reads, for the step's schema.
  static constexpr ConfigKey endpoint_key{"endpoint", KeyType::string, "",
                                          "name of the endpoint (declared in an endpoints file)", true};
  static constexpr ConfigKey operation_key{"operation", KeyType::string, "",
                                           "operation for endpoints that have several (SOAP)"};
  static constexpr ConfigKey lua_key{
      "lua", KeyType::string, "",
      "Lua returning the request body (and optionally a table of headers); default: the message body"};
  static constexpr ConfigKey headers_key{"headers", KeyType::mapping, "", "fixed request headers"};

  void parse(const ConfigReader& reader, FlowBuilder& builder);
  // Only the endpoint, named by a scalar: the request is the message body.
  void parse_name(const ConfigNode& name, FlowBuilder& builder);

  // The request, or nullopt when the Lua replied instead (run.reply is then set).
  boost::asio::awaitable<Expected<std::optional<CallRequest>>> build(FlowRun& run) const;

  std::string endpoint;  // empty when the name did not resolve (an error was reported)

 private:
  std::string operation_;
  std::optional<LuaChunkId> lua_;
  Object headers_;
};

}  // namespace qiao

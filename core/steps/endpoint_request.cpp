#include "core/steps/endpoint_request.hpp"

#include "core/flow/flow_builder.hpp"
#include "core/flow/flow_run.hpp"

namespace qiao {

void EndpointRequest::parse_name(const ConfigNode& name, FlowBuilder& builder) {
  if (const EndpointSpec* spec = builder.endpoint(name)) endpoint = spec->common().name;
}

void EndpointRequest::parse(const ConfigReader& reader, FlowBuilder& builder) {
  if (auto name = reader.node("endpoint")) parse_name(*name, builder);
  operation_ = reader.string("operation");
  if (auto lua = reader.node("lua")) lua_ = builder.lua(*lua, LuaChunkKind::block);
  if (auto headers = reader.node("headers")) {
    for (const auto& [name, value] : headers->entries()) headers_.set(name.scalar(), Value(value.scalar()));
  }
}

boost::asio::awaitable<Expected<std::optional<CallRequest>>> EndpointRequest::build(FlowRun& run) const {
  CallRequest request;
  request.operation = operation_;
  request.headers = headers_;
  if (!lua_) {
    request.body = run.msg.body;
    co_return std::optional<CallRequest>(std::move(request));
  }
  auto built = co_await run.lua(*lua_);
  if (!built) co_return std::move(built).error();
  if (built->reply) {
    run.reply = std::move(built->reply);
    co_return std::optional<CallRequest>();
  }
  if (!built->values.empty()) request.body = std::move(built->values[0]);
  if (built->values.size() > 1 && built->values[1].is_object()) {
    for (auto& [name, value] : built->values[1].as_object()) {
      if (value.is_string()) request.headers.set(name, std::move(value));
    }
  }
  co_return std::optional<CallRequest>(std::move(request));
}

}  // namespace qiao

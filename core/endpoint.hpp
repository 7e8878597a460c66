#pragma once
// An endpoint is a named outbound connection (HTTP client, SOAP client, TCP client, Kafka
// producer …). Flows reach it by name through `call` steps and qiao.call in Lua.
//
// Three stages, as for every plugin: an EndpointKind parses and validates configuration into an
// immutable EndpointSpec (shared by all workers of one generation); the spec instantiates one
// Endpoint per worker, which owns that worker's connections. The persistent queue behind `send`
// (core/delivery) calls Endpoint::call like any step.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/codec.hpp"
#include "core/config/schema.hpp"
#include "core/error.hpp"
#include "core/value.hpp"
#include "core/worker.hpp"

namespace qiao {

struct CallRequest {
  Value body;
  Object headers;         // protocol headers to add (string values)
  std::string operation;  // e.g. a SOAP operation; empty when the endpoint has one
};

struct CallResponse {
  Value body;  // decoded with the endpoint's codec
  Object headers;
  int status = 0;  // protocol status when there is one (HTTP status code)
};

// Settings every endpoint has, read by the core before the kind sees its own block.
struct EndpointCommon {
  std::string name;
  std::chrono::milliseconds timeout{30'000};  // whole request, connect included
  std::chrono::milliseconds connect_timeout{5'000};
  std::size_t pool = 16;               // connections per worker
  std::size_t max_in_flight = 8;       // queued deliveries under way at once (send)
  std::shared_ptr<const Codec> codec;  // encodes requests, decodes replies
};

class Endpoint {
 public:
  virtual ~Endpoint() = default;
  // Errors: timeout (no answer in time), unavailable (could not connect), upstream (the peer
  // answered with an error), bad_input (the reply could not be decoded).
  virtual boost::asio::awaitable<Expected<CallResponse>> call(CallRequest request) = 0;
};

class EndpointSpec {
 public:
  virtual ~EndpointSpec() = default;
  virtual const EndpointCommon& common() const = 0;
  virtual std::string describe() const = 0;  // for /api/flows and logs, e.g. "http POST http://…"
  // Called on the worker's own thread; the Endpoint is used only there.
  virtual std::unique_ptr<Endpoint> instantiate(const Worker& worker) const = 0;
};

class EndpointKind {
 public:
  virtual ~EndpointKind() = default;
  virtual std::string_view name() const = 0;
  virtual std::string_view description() const = 0;
  virtual Schema schema() const = 0;
  // `config` is the kind's own block (the value of `http:` in `his: { http: {...}, timeout: 5s }`);
  // errors go to `diag` as file:line:col, and then the result is nullptr.
  virtual std::shared_ptr<const EndpointSpec> parse(const ConfigNode& config, EndpointCommon common,
                                                    Diagnostics& diag) const = 0;
  // The codec an endpoint of this kind uses when the file names none (json for HTTP).
  virtual std::string_view default_codec() const = 0;
};

}  // namespace qiao

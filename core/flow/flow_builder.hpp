#pragma once
// What step kinds may use while a generation is built: diagnostics, the Lua program, and
// lookups of endpoints, codecs and other steps by name.

#include <memory>
#include <string>

#include "core/codec.hpp"
#include "core/config/config_node.hpp"
#include "core/endpoint.hpp"
#include "core/flow/step.hpp"
#include "core/lua/lua_program.hpp"

namespace qiao {

class FlowBuilder {
 public:
  virtual ~FlowBuilder() = default;
  virtual Diagnostics& diagnostics() = 0;
  virtual const std::string& flow_id() const = 0;
  virtual LuaChunkId lua(const ConfigNode& code, LuaChunkKind kind) = 0;
  // The endpoint named by a scalar node; an undeclared name is reported and gives nullptr.
  virtual const EndpointSpec* endpoint(const ConfigNode& name) = 0;
  // A codec named by a scalar node ("json", "iso8583:config/cup.yaml"); nullptr on errors.
  virtual std::shared_ptr<const Codec> codec(const ConfigNode& name) = 0;
  // A nested list of steps (for route).
  virtual Steps steps(const ConfigNode& list) = 0;
};

}  // namespace qiao

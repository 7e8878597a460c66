#pragma once
// Name → plugin lookup. Every plugin the build includes registers its kinds at start-up
// (cmake/QiaoPlugins.cmake); a duplicate name is an error then, never a silent override.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/codec.hpp"
#include "core/endpoint.hpp"
#include "core/error.hpp"
#include "core/flow/step.hpp"
#include "core/listener.hpp"
#include "core/lua/lua_library.hpp"
#include "core/source.hpp"

namespace qiao {

template <class Kind>
class Registry {
 public:
  Status add(std::unique_ptr<Kind> kind) {
    std::string name(kind->name());
    if (kinds_.count(name)) return make_error(ErrorKind::internal, "plugin '" + name + "' registered twice");
    kinds_.emplace(std::move(name), std::move(kind));
    return Ok{};
  }
  const Kind* find(std::string_view name) const {
    auto it = kinds_.find(std::string(name));
    return it == kinds_.end() ? nullptr : it->second.get();
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& entry : kinds_) out.push_back(entry.first);
    return out;
  }
  std::string names_joined() const {
    std::string out;
    for (const auto& entry : kinds_) out += (out.empty() ? "" : ", ") + entry.first;
    return out;
  }
  const std::map<std::string, std::unique_ptr<Kind>, std::less<>>& all() const { return kinds_; }

 private:
  std::map<std::string, std::unique_ptr<Kind>, std::less<>> kinds_;
};

struct Plugins {
  Registry<SourceKind> sources;
  Registry<ListenerKind> listeners;
  Registry<EndpointKind> endpoints;
  Registry<CodecKind> codecs;
  Registry<StepKind> steps;
  Registry<LuaLibrary> lua_libraries;
};

}  // namespace qiao

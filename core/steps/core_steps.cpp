#include "core/steps/core_steps.hpp"

#include "core/steps/step_kinds.hpp"

namespace qiao {

Status register_core_steps(Plugins& plugins) {
  for (auto* make : {&make_lua_step_kind, &make_check_step_kind, &make_call_step_kind, &make_send_step_kind,
                     &make_publish_step_kind, &make_route_step_kind, &make_reply_step_kind}) {
    if (auto added = plugins.steps.add(make()); !added) return added;
  }
  return Ok{};
}

}  // namespace qiao

#pragma once
// Factories of the core step kinds, one per file.

#include <memory>

#include "core/flow/step.hpp"

namespace qiao {

std::unique_ptr<StepKind> make_lua_step_kind();
std::unique_ptr<StepKind> make_check_step_kind();
std::unique_ptr<StepKind> make_call_step_kind();
std::unique_ptr<StepKind> make_send_step_kind();
std::unique_ptr<StepKind> make_publish_step_kind();
std::unique_ptr<StepKind> make_route_step_kind();
std::unique_ptr<StepKind> make_reply_step_kind();

}  // namespace qiao

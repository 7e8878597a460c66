// `route` picks the first case whose `when` (a Lua expression) is true and runs its steps
// and/or reply; `otherwise` runs when none matched. Without a reply the flow goes on after it.
//
//   - route:
//       - when: vars.his.ResultCode ~= "0"
//         reply: { status: 409, lua: 'return { error = vars.his.ResultMsg }' }
//       - otherwise: { steps: [ … ] }

#include <optional>
#include <vector>

#include "core/config/schema.hpp"
#include "core/flow/flow_builder.hpp"
#include "core/flow/flow_run.hpp"
#include "core/steps/step_kinds.hpp"

namespace qiao {

namespace {

constexpr ConfigKey case_keys[] = {
    {"when", KeyType::string, "", "Lua expression; the first true case is taken"},
    {"steps", KeyType::sequence, "", "steps to run when the case is taken"},
    {"reply", KeyType::mapping, "", "reply to send when the case is taken (after its steps)"},
};
constexpr ConfigKey otherwise_keys[] = {
    {"steps", KeyType::sequence, "", "steps to run when no case matched"},
    {"reply", KeyType::mapping, "", "reply to send when no case matched"},
};

struct RouteCase {
  std::optional<LuaChunkId> when;  // empty for otherwise
  Steps steps;
  std::optional<ReplySpec> reply;
};

class RouteStep final : public Step {
 public:
  std::vector<RouteCase> cases;

  boost::asio::awaitable<Expected<StepResult>> run(FlowRun& run) const override {
    for (const auto& route_case : cases) {
      if (route_case.when) {
        auto test = co_await run.lua(*route_case.when);
        if (!test) co_return std::move(test).error();
        if (!test->truthy) continue;
      }
      auto result = co_await run_steps(route_case.steps, run);
      if (!result || *result == StepResult::replied) co_return result;
      if (route_case.reply) {
        auto reply = co_await make_reply(*route_case.reply, run);
        if (!reply) co_return std::move(reply).error();
        run.reply = std::move(*reply);
        co_return StepResult::replied;
      }
      co_return StepResult::next;
    }
    co_return StepResult::next;
  }
};

class RouteStepKind final : public StepKind {
 public:
  std::string_view name() const override { return "route"; }
  std::string_view description() const override {
    return "content-based choice: the first case whose `when` Lua expression is true runs; optional otherwise";
  }

  std::unique_ptr<Step> parse(const ConfigNode& value, FlowBuilder& builder) const override {
    Diagnostics& diag = builder.diagnostics();
    if (!value.is_sequence() || value.items().empty()) {
      diag.error(value.location(),
                 "route: expected a list of cases ({ when, steps, reply }) and optionally { otherwise }");
      return nullptr;
    }
    auto step = std::make_unique<RouteStep>();
    const auto items = value.items();
    for (std::size_t i = 0; i < items.size(); ++i) {
      const ConfigNode& item = items[i];
      RouteCase route_case;
      if (auto otherwise = item.get("otherwise")) {
        if (item.entries().size() != 1)
          diag.error(item.location(), "route: put steps and reply inside otherwise: { … }");
        if (i + 1 != items.size()) diag.error(item.location(), "route: otherwise must be the last case");
        ConfigReader reader(*otherwise, otherwise_keys, diag, "otherwise");
        parse_body(reader, route_case, builder);
      } else {
        ConfigReader reader(item, case_keys, diag, "route case");
        if (auto when = reader.node("when")) {
          route_case.when = builder.lua(*when, LuaChunkKind::expression);
        } else {
          diag.error(item.location(), "route: a case needs `when` (or is `otherwise`)");
        }
        parse_body(reader, route_case, builder);
      }
      step->cases.push_back(std::move(route_case));
    }
    return step;
  }

 private:
  static void parse_body(const ConfigReader& reader, RouteCase& route_case, FlowBuilder& builder) {
    if (auto steps = reader.node("steps")) route_case.steps = builder.steps(*steps);
    if (auto reply = reader.node("reply")) route_case.reply = parse_reply_spec(*reply, builder);
    if (!reader.has("steps") && !reader.has("reply")) {
      reader.diagnostics().error(reader.mapping().location(), "route: a case needs steps, a reply, or both");
    }
  }
};

}  // namespace

std::unique_ptr<StepKind> make_route_step_kind() { return std::make_unique<RouteStepKind>(); }

}  // namespace qiao

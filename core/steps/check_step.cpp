// `check` rejects a message that lacks required fields or has fields of the wrong type, with an
// error the sender can act on (HTTP 400, HL7 AE …) naming every problem at once.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config/schema.hpp"
#include "core/flow/flow_builder.hpp"
#include "core/flow/flow_run.hpp"
#include "core/steps/step_kinds.hpp"

namespace qiao {

namespace {

constexpr ConfigKey check_keys[] = {
    {"required", KeyType::strings, "", "fields that must be present and non-empty (dotted paths into the body)"},
    {"types", KeyType::mapping, "", "field → type: string, integer, number, boolean, object or array"},
    {"lua", KeyType::string, "", "a Lua expression that must be true"},
    {"message", KeyType::string, "", "the error text when the Lua expression is false"},
};

enum class FieldType { string, integer, number, boolean, object, array };

std::optional<FieldType> field_type(const std::string& name) {
  if (name == "string") return FieldType::string;
  if (name == "integer") return FieldType::integer;
  if (name == "number") return FieldType::number;
  if (name == "boolean") return FieldType::boolean;
  if (name == "object") return FieldType::object;
  if (name == "array") return FieldType::array;
  return std::nullopt;
}

bool has_type(const Value& v, FieldType t) {
  switch (t) {
    case FieldType::string: return v.is_string();
    case FieldType::integer:
      return v.is_int() || (v.is_decimal() && v.as_decimal().text.find_first_of(".eE") == std::string::npos);
    case FieldType::number: return v.is_number();
    case FieldType::boolean: return v.is_bool();
    case FieldType::object: return v.is_object();
    case FieldType::array: return v.is_array();
  }
  return false;
}

struct TypedField {
  std::string path;
  std::string type_name;
  FieldType type;
};

class CheckStep final : public Step {
 public:
  CheckStep(std::vector<std::string> required, std::vector<TypedField> types, std::optional<LuaChunkId> lua,
            std::string message)
      : required_(std::move(required)), types_(std::move(types)), lua_(lua), message_(std::move(message)) {}

  boost::asio::awaitable<Expected<StepResult>> run(FlowRun& run) const override {
    std::vector<std::string> problems;
    const Value& body = run.msg.body;
    for (const auto& path : required_) {
      const Value* v = body.find_path(path);
      if (!v || v->is_null() || (v->is_string() && v->as_string().empty())) {
        problems.push_back("missing required field '" + path + "'");
      }
    }
    for (const auto& field : types_) {
      const Value* v = body.find_path(field.path);
      if (v && !v->is_null() && !has_type(*v, field.type)) {
        problems.push_back("field '" + field.path + "' must be " + field.type_name + ", not " +
                           std::string(type_name(v->type())));
      }
    }
    if (problems.empty() && lua_) {
      auto outcome = co_await run.lua(*lua_);
      if (!outcome) co_return std::move(outcome).error();
      if (!outcome->truthy) problems.push_back(message_);
    }
    if (problems.empty()) co_return StepResult::next;
    std::string text;
    for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
    co_return make_error(ErrorKind::check_failed, text);
  }

 private:
  std::vector<std::string> required_;
  std::vector<TypedField> types_;
  std::optional<LuaChunkId> lua_;
  std::string message_;
};

class CheckStepKind final : public StepKind {
 public:
  std::string_view name() const override { return "check"; }
  std::string_view description() const override {
    return "rejects the message (400-class error) unless required fields are present and typed as declared";
  }
  std::unique_ptr<Step> parse(const ConfigNode& value, FlowBuilder& builder) const override {
    Diagnostics& diag = builder.diagnostics();
    ConfigReader reader(value, check_keys, diag, "check");
    std::vector<TypedField> types;
    if (auto types_node = reader.node("types")) {
      for (const auto& [field, type] : types_node->entries()) {
        auto t = field_type(type.scalar());
        if (!t) {
          diag.error(type.location(),
                     "check: unknown type '" + type.scalar() + "' (string, integer, number, boolean, object, array)");
          continue;
        }
        types.push_back(TypedField{field.scalar(), type.scalar(), *t});
      }
    }
    std::optional<LuaChunkId> lua;
    if (auto lua_node = reader.node("lua")) lua = builder.lua(*lua_node, LuaChunkKind::expression);
    std::string message =
        reader.has("message")
            ? reader.string("message")
            : "check failed: " + (reader.has("lua") ? reader.node("lua")->raw_scalar() : std::string());
    if (!reader.has("required") && !reader.has("types") && !reader.has("lua")) {
      diag.error(value.location(), "check: give at least one of required, types, lua");
    }
    return std::make_unique<CheckStep>(reader.strings("required"), std::move(types), lua, std::move(message));
  }
};

}  // namespace

std::unique_ptr<StepKind> make_check_step_kind() { return std::make_unique<CheckStepKind>(); }

}  // namespace qiao

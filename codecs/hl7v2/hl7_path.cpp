#include "codecs/hl7v2/hl7_path.hpp"

#include <cctype>
#include <charconv>

namespace qiao::hl7 {

namespace {

Error path_error(std::string_view path, const std::string& what) {
  return make_error(ErrorKind::flow, "hl7: path '" + std::string(path) + "': " + what);
}

// Reads a positive number at `pos`; 0 on failure.
std::size_t read_number(std::string_view text, std::size_t& pos) {
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), n);
  if (ec != std::errc() || n == 0 || n > 100000) return 0;
  pos = static_cast<std::size_t>(end - text.data());
  return n;
}

const Array* segments_of(const Value& message) {
  const Value* segments = message.is_object() ? message.find("segments") : nullptr;
  return segments != nullptr && segments->is_array() ? &segments->as_array() : nullptr;
}

bool is_header(std::string_view id) { return id == "MSH" || id == "FHS" || id == "BHS"; }

std::string_view id_of(const Value& segment) {
  const Value* id = segment.find("id");
  return id != nullptr && id->is_string() ? id->as_string() : std::string_view();
}

// Element n (1-based) of a level that may hold a scalar (which is its own first element).
const Value* element(const Value& v, std::size_t n) {
  if (v.is_array()) return n <= v.as_array().size() ? &v.as_array()[n - 1] : nullptr;
  return n == 1 ? &v : nullptr;
}

// Makes `v` a list (a scalar becomes its first element) of at least n and returns element n;
// a scalar asked for element 1 stays as it is.
Value& element(Value& v, std::size_t n) {
  if (!v.is_array()) {
    if (n == 1) return v;
    Value first = std::move(v);
    v = Value(Array{});
    v.as_array().push_back(first.is_null() ? Value("") : std::move(first));
  }
  Array& a = v.as_array();
  while (a.size() < n) a.emplace_back("");
  return a[n - 1];
}

}  // namespace

Expected<Path> parse_path(std::string_view text) {
  Path path;
  if (text.size() < 3) return path_error(text, "expected a segment id such as PID");
  for (std::size_t i = 0; i < 3; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!std::isupper(c) && !std::isdigit(c)) return path_error(text, "expected a segment id such as PID");
  }
  path.segment = std::string(text.substr(0, 3));
  std::size_t pos = 3;
  const auto bracket = [&](std::size_t& out, const char* what) -> bool {
    if (pos < text.size() && text[pos] == '[') {
      ++pos;
      out = read_number(text, pos);
      if (out == 0 || pos >= text.size() || text[pos] != ']') return false;
      ++pos;
    }
    (void)what;
    return true;
  };
  if (!bracket(path.segment_index, "segment")) return path_error(text, "expected [n] with n ≥ 1 after the segment id");
  if (pos == text.size()) return path;
  if (text[pos] != '-') return path_error(text, "expected '-' and a field number after the segment");
  ++pos;
  path.field = read_number(text, pos);
  if (path.field == 0) return path_error(text, "expected a field number ≥ 1 after '-'");
  if (!bracket(path.repetition, "repetition")) return path_error(text, "expected [n] with n ≥ 1 after the field");
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    path.component = read_number(text, pos);
    if (path.component == 0) return path_error(text, "expected a component number ≥ 1 after '.'");
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      path.subcomponent = read_number(text, pos);
      if (path.subcomponent == 0) return path_error(text, "expected a subcomponent number ≥ 1 after '.'");
    }
  }
  if (pos != text.size()) return path_error(text, "unexpected '" + std::string(text.substr(pos)) + "'");
  return path;
}

Expected<Value> get(const Value& message, const Path& path) {
  const Array* segments = segments_of(message);
  if (segments == nullptr) {
    if (message.find("messages") != nullptr)
      return make_error(ErrorKind::flow, "hl7: this is a batch; use one of its messages (body.messages[i])");
    return make_error(ErrorKind::flow, "hl7: not a decoded HL7 v2 message (an object with \"segments\")");
  }
  const Value* segment = nullptr;
  std::size_t seen = 0;
  for (const Value& s : *segments) {
    if (id_of(s) == path.segment && ++seen == path.segment_index) {
      segment = &s;
      break;
    }
  }
  if (segment == nullptr) return Value();
  if (path.field == 0) return *segment;
  const Value* fields = segment->find("fields");
  if (fields == nullptr || !fields->is_array() || path.field > fields->as_array().size()) return Value();
  return get_in_field(fields->as_array()[path.field - 1], path);
}

Value get_in_field(const Value& field_value, const Path& path) {
  const Value* field = &field_value;
  const Value* rep = path.repetition == 1 ? field : nullptr;
  if (field->is_object()) {
    const Value* reps = field->find("rep");
    rep = reps != nullptr && reps->is_array() && path.repetition <= reps->as_array().size()
              ? &reps->as_array()[path.repetition - 1]
              : nullptr;
  }
  if (rep == nullptr) return Value();
  if (path.component == 0) return *rep;
  const Value* component = element(*rep, path.component);
  if (component == nullptr) return Value();
  if (path.subcomponent == 0) return *component;
  const Value* sub = element(*component, path.subcomponent);
  return sub == nullptr ? Value() : *sub;
}

Expected<Value> get(const Value& message, std::string_view path) {
  auto parsed = parse_path(path);
  if (!parsed) return std::move(parsed).error();
  return get(message, *parsed);
}

Status set(Value& message, const Path& path, Value value) {
  if (message.is_null() || (message.is_object() && message.as_object().empty()))
    message = Value(Object{{"segments", Value(Array{})}});
  if (segments_of(message) == nullptr) {
    if (message.find("messages") != nullptr)
      return make_error(ErrorKind::flow, "hl7: this is a batch; set in one of its messages (body.messages[i])");
    return make_error(ErrorKind::flow, "hl7: not a decoded HL7 v2 message (an object with \"segments\")");
  }
  if (is_header(path.segment) && (path.field == 1 || path.field == 2))
    return make_error(ErrorKind::flow,
                      "hl7: " + path.segment + "-1 and " + path.segment + "-2 are the separators and cannot be set");
  Array& segments = message.as_object().find("segments")->as_array();
  std::size_t seen = 0;
  std::size_t last = segments.size();  // index of the last segment with this id
  Value* segment = nullptr;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (id_of(segments[i]) == path.segment) {
      last = i;
      if (++seen == path.segment_index) {
        segment = &segments[i];
        break;
      }
    }
  }
  while (segment == nullptr) {
    Object fresh{{"id", Value(path.segment)}, {"fields", Value(Array{})}};
    if (path.segment == "MSH") fresh.find("fields")->as_array() = Array{Value("|"), Value("^~\\&")};
    std::size_t at = last == segments.size() ? (path.segment == "MSH" ? 0 : segments.size()) : last + 1;
    segments.insert(segments.begin() + static_cast<std::ptrdiff_t>(at), Value(std::move(fresh)));
    last = at;
    if (++seen == path.segment_index) segment = &segments[at];
  }
  if (path.field == 0) {
    *segment = std::move(value);
    return Ok{};
  }
  Value* fields = segment->as_object().find("fields");
  if (fields == nullptr || !fields->is_array()) {
    segment->as_object().set("fields", Value(Array{}));
    fields = segment->as_object().find("fields");
  }
  Array& list = fields->as_array();
  while (list.size() < path.field) list.emplace_back("");
  Value* target = &list[path.field - 1];
  if (target->is_object() || path.repetition > 1) {
    if (!target->is_object() || target->find("rep") == nullptr || !target->find("rep")->is_array()) {
      Value first = std::move(*target);
      *target = Value(Object{{"rep", Value(Array{first.is_null() ? Value("") : std::move(first)})}});
    }
    Array& reps = target->as_object().find("rep")->as_array();
    while (reps.size() < path.repetition) reps.emplace_back("");
    target = &reps[path.repetition - 1];
  }
  if (path.subcomponent > 0 && !target->is_array()) {
    // The repetition must be a list of components before a component can hold subcomponents.
    Value only = std::move(*target);
    *target = Value(Array{only.is_null() ? Value("") : std::move(only)});
  }
  if (path.component > 0) target = &element(*target, path.component);
  if (path.subcomponent > 0) target = &element(*target, path.subcomponent);
  *target = std::move(value);
  return Ok{};
}

Status set(Value& message, std::string_view path, Value value) {
  auto parsed = parse_path(path);
  if (!parsed) return std::move(parsed).error();
  return set(message, *parsed, std::move(value));
}

std::string text_at(const Value& message, std::string_view path) {
  auto value = get(message, path);
  if (!value) return {};
  const Value* v = &*value;
  while (v->is_array() && !v->as_array().empty()) v = &v->as_array().front();
  if (v->is_object()) {
    const Value* reps = v->find("rep");
    if (reps == nullptr || !reps->is_array() || reps->as_array().empty()) return {};
    v = &reps->as_array().front();
    while (v->is_array() && !v->as_array().empty()) v = &v->as_array().front();
  }
  return v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace qiao::hl7

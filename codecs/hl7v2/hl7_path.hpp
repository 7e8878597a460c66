#pragma once
// Terse paths into a decoded HL7 v2 message, the way integration engineers write them:
// "PID-5.1", "OBX[2]-5", "PID-3[2].1", "PID-3.4.1", "MSH-9". Used by the Lua library `hl7` and by
// the TCP/MLLP adapter; works on the Value shape hl7v2 decodes to (README.md).

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/value.hpp"

namespace qiao::hl7 {

struct Path {
  std::string segment;            // "PID"
  std::size_t segment_index = 1;  // OBX[2] → 2: the 2nd OBX of the message
  std::size_t field = 0;          // 0: the whole segment
  std::size_t repetition = 1;     // PID-3[2] → 2; without [n], the first repetition
  std::size_t component = 0;      // 0: the whole repetition
  std::size_t subcomponent = 0;   // 0: the whole component
};

// Errors are ErrorKind::flow: "hl7: path 'PID-x': <what>".
Expected<Path> parse_path(std::string_view text);

// The value at `path`: a string, or an array when the place holds components/subcomponents, or
// the segment object for a bare "PID". Null when the message does not reach that far.
// Errors (a batch or something that is not a message) are ErrorKind::flow.
Expected<Value> get(const Value& message, const Path& path);
Expected<Value> get(const Value& message, std::string_view path);
// What get() gives for `path` (its repetition, component and subcomponent) once it found the
// field `path` names.
Value get_in_field(const Value& field, const Path& path);

// Puts `value` at `path`, creating missing segments (after the last one with the same id, or at
// the end; a missing MSH goes first with the default separators), fields, repetitions,
// components and subcomponents. MSH-1 and MSH-2 (the separators) cannot be set.
Status set(Value& message, const Path& path, Value value);
Status set(Value& message, std::string_view path, Value value);

// The text of a leaf, or of the first component/subcomponent when the place holds more; empty
// when absent. For code that wants "the value of MSH-10" without caring how it is split.
std::string text_at(const Value& message, std::string_view path);

}  // namespace qiao::hl7

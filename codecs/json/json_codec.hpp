#pragma once
// The JSON codec: RFC 8259 text ⇄ Value. See README.md for the mapping and the error texts.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/codec.hpp"
#include "core/error.hpp"
#include "core/value.hpp"

namespace qiao::json {

// Arrays and objects nested deeper than this are refused on decode and on encode, so a hostile
// body cannot exhaust the stack and everything we emit we can read back.
inline constexpr std::size_t max_depth = 128;

// Decoded strings longer than this borrow from the decoder's copy of the message; shorter ones
// fit std::string's small-string storage, which is cheaper than sharing a reference count.
inline constexpr std::size_t borrow_above = 15;

// Errors are ErrorKind::bad_input with "json: <what> at byte <offset>".
Expected<Value> decode(const Buffer& bytes);

// Compact JSON (no whitespace). Errors are ErrorKind::flow, because the Value came from a flow,
// with "json: <what> at <path>", the path written like $.patient.name or $.items[2].
Expected<std::string> encode(const Value& value);

class JsonCodec final : public Codec {
 public:
  std::string_view content_type() const override { return "application/json"; }
  Expected<Value> decode(const Buffer& bytes) const override;
  Expected<std::string> encode(const Value& value) const override;
};

class JsonCodecKind final : public CodecKind {
 public:
  std::string_view name() const override { return "json"; }
  std::string_view description() const override;
  Schema schema() const override;
  std::shared_ptr<const Codec> create(const ConfigReader& options, std::string_view base_dir) const override;
};

}  // namespace qiao::json

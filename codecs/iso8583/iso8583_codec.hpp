#pragma once
// The ISO 8583 codec: bank and card-network messages ⇄ Value, driven by a dialect's spec file
// (config/iso8583/*.yaml). See README.md for the spec format, the Value shape and the errors.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codecs/iso8583/iso8583_answers.hpp"
#include "codecs/iso8583/spec.hpp"
#include "core/codec.hpp"
#include "core/error.hpp"
#include "core/value.hpp"

namespace qiao::iso8583 {

// Where the parts of a packed message lie, for MACs computed over a byte range of it.
struct Layout {
  struct Span {
    int field = 0;
    std::size_t begin = 0;  // the field's first byte (its length prefix, if any)
    std::size_t end = 0;
  };
  std::size_t mti_begin = 0;  // after the raw headers
  std::vector<Span> fields;   // in wire order
};

// Value: { "mti": "0200", <header name>: hex, "2": "6224…", …, "55": { "9F26": hex, … },
// "60": { "1": "22", "2": "000001", … } }. Errors are ErrorKind::bad_input, e.g.
// "iso8583: field 4 (amount): 'A' is not a digit at byte 23"; too_large beyond max_size.
Expected<Value> decode(const Buffer& bytes, const Spec& spec, Layout* layout = nullptr);

// As much of a message as can be read: the whole Value when it decodes, else its headers, MTI and
// the fields before the one that failed (to answer a broken request with the fields it echoes);
// null when not even the MTI can be read.
Value readable_part(const Buffer& bytes, const Spec& spec);

// Keys other than "mti", header names and field numbers the dialect defines are refused; null
// values are absent fields. Errors are ErrorKind::flow and name the field.
Expected<std::string> encode(const Value& value, const Spec& spec, Layout* layout = nullptr);

class Iso8583Codec final : public Codec {
 public:
  explicit Iso8583Codec(Spec spec) : spec_(std::move(spec)) {}
  Iso8583Codec(const Iso8583Codec&) = delete;  // answers_ refers to spec_
  Iso8583Codec& operator=(const Iso8583Codec&) = delete;
  std::string_view content_type() const override { return "application/octet-stream"; }
  Expected<Value> decode(const Buffer& bytes) const override { return iso8583::decode(bytes, spec_); }
  Expected<std::string> encode(const Value& value) const override { return iso8583::encode(value, spec_); }
  const ProtocolAnswers* answers() const override { return &answers_; }
  const Spec& spec() const { return spec_; }

 private:
  Spec spec_;
  Iso8583Answers answers_{spec_};
};

class Iso8583CodecKind final : public CodecKind {
 public:
  std::string_view name() const override { return "iso8583"; }
  std::string_view description() const override;
  Schema schema() const override;
  std::string_view argument_key() const override { return "spec"; }
  std::shared_ptr<const Codec> create(const ConfigReader& options, std::string_view base_dir) const override;
};

}  // namespace qiao::iso8583

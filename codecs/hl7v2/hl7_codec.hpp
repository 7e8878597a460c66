#pragma once
// The HL7 v2 ER7 codec ("hl7v2"): pipe-and-hat messages ⇄ Value, losslessly. See README.md for
// the Value shape, the options and the error texts.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "codecs/hl7v2/hl7_answers.hpp"
#include "core/codec.hpp"
#include "core/error.hpp"
#include "core/value.hpp"

namespace qiao::hl7 {

// Codec options ("hl7v2:charset=GBK,line_endings=any,max_size=2MiB"; the schema is in hl7_codec_kind.cpp).
struct Options {
  // Used when MSH-18 is empty: the charset of the bytes on decode and of the output on encode.
  // Canonical spelling (normalize_charset); empty means UTF-8.
  std::string charset;
  // Accept LF and CRLF as segment terminators besides CR (encode always writes CR).
  bool any_line_ending = false;
  std::size_t max_size = 4 * 1024 * 1024;  // bytes of one message or batch
  std::size_t max_segments = 10000;        // segments in one message or batch
};

// Decode errors are ErrorKind::bad_input (too_large for the limits), "hl7v2: …" naming the byte
// offset and, where there is one, the segment and field.
Expected<Value> decode(const Buffer& bytes, const Options& options = {});

// Encode errors are ErrorKind::flow (the Value came from a flow) and name the segment and field.
Expected<std::string> encode(const Value& value, const Options& options = {});

class Hl7Codec final : public Codec {
 public:
  explicit Hl7Codec(Options options) : options_(std::move(options)) {}
  Hl7Codec(const Hl7Codec&) = delete;  // answers_ refers to this codec
  Hl7Codec& operator=(const Hl7Codec&) = delete;
  std::string_view content_type() const override { return "x-application/hl7-v2+er7"; }
  Expected<Value> decode(const Buffer& bytes) const override { return hl7::decode(bytes, options_); }
  Expected<std::string> encode(const Value& value) const override { return hl7::encode(value, options_); }
  const ProtocolAnswers* answers() const override { return &answers_; }
  const Options& options() const { return options_; }

 private:
  Options options_;
  Hl7Answers answers_{*this, options_.charset};
};

class Hl7CodecKind final : public CodecKind {
 public:
  std::string_view name() const override { return "hl7v2"; }
  std::string_view description() const override;
  Schema schema() const override;
  std::shared_ptr<const Codec> create(const ConfigReader& options, std::string_view base_dir) const override;
};

// ---- pieces shared by the decoder, the encoder and the path helpers ----

// The separators of one message, from MSH-1 and MSH-2. A separator MSH-2 leaves out is '\0'
// (the decoder refuses NUL bytes, so it never matches).
struct Separators {
  char field = '|';
  char component = '^';
  char repetition = '~';
  char escape = '\\';
  char subcomponent = '&';
};

// Checks MSH-1 and MSH-2 and fills `out`; returns an error text (without prefix) or empty.
std::string read_separators(std::string_view msh1, std::string_view msh2, Separators& out);

// Length of the well-formed escape sequence starting at text[0] (which is the escape character),
// closing escape character included; 0 when it is not one.
std::size_t escape_length(std::string_view text, const Separators& seps);

// The separator a well-formed three-character sequence \F\ \S\ \T\ \R\ stands for in a decoded
// value; '\0' for any other sequence (and for \T\ or \R\ when MSH-2 defines no such separator),
// which a decoded value keeps as written.
char escaped_separator(std::string_view sequence, const Separators& seps);

// Three capital letters or digits, as every segment id is.
bool valid_segment_id(std::string_view id);

// A segment Value's id and fields, checked for an encoder: an object with an "id" string and a
// "fields" array (absent or null means none). `must_be`: the id this position requires (MSH first
// in a message), or empty. Returns an error text naming `where` (without prefix), or empty.
struct SegmentParts {
  std::string_view id;
  const Array* fields = nullptr;
};
std::string segment_parts(const Value& seg, const std::string& where, std::string_view must_be, SegmentParts& out);

// MSH-18 of the (first) message as written (first subcomponent of the first component of the first
// repetition); "" when none.
std::string declared_charset(const Value& value);

}  // namespace qiao::hl7

#pragma once
// The "hl7v2-xml" codec: HL7 v2 in the element-per-position XML form Mirth Connect writes
// (<HL7Message><PID><PID.5><PID.5.1>…) ⇄ the same Value the "hl7v2" (ER7) codec gives. See
// README.md for the form, the options and the error texts.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/codec.hpp"
#include "core/error.hpp"
#include "core/value.hpp"

namespace qiao::hl7xml {

// Decoded strings longer than this borrow from the decoder's copy of the document.
inline constexpr std::size_t borrow_above = 15;

// The codec's options, e.g. "hl7v2-xml:encoding=GBK,indent=2" (the schema is in hl7_xml_codec_kind.cpp).
struct Options {
  // Decode: the charset of a document that declares none. Encode: the charset written and
  // declared. Empty means UTF-8. Never MSH-18: that names the ER7 bytes' charset, not the XML's.
  std::string encoding;
  // Encode: spaces per level; 0 writes everything on one line.
  std::size_t indent = 0;
  // Encode: write <?xml version="1.0" encoding="…"?> first.
  bool declaration = true;
  // Decode: documents larger than this are refused (too_large) before parsing; encode: output.
  std::size_t max_size = 16 * 1024 * 1024;
  // Decode and encode: segments in one message or batch (too_large beyond).
  std::size_t max_segments = 10000;
};

// Upper bound for indent=.
inline constexpr std::size_t max_indent = 8;

// Errors are ErrorKind::bad_input ("hl7v2-xml: <what> at line L, column C"), too_large for the
// limits. The Value equals what hl7::decode gives for the ER7 form of the same message.
Expected<Value> decode(const Buffer& bytes, const Options& options = {});

// Errors are ErrorKind::flow (the Value came from a flow) and name the segment and field.
Expected<std::string> encode(const Value& value, const Options& options = {});

class Hl7XmlCodec final : public Codec {
 public:
  explicit Hl7XmlCodec(Options options);
  std::string_view content_type() const override { return content_type_; }
  Expected<Value> decode(const Buffer& bytes) const override { return hl7xml::decode(bytes, options_); }
  Expected<std::string> encode(const Value& value) const override { return hl7xml::encode(value, options_); }
  const Options& options() const { return options_; }

 private:
  Options options_;
  std::string content_type_;
};

class Hl7XmlCodecKind final : public CodecKind {
 public:
  std::string_view name() const override { return "hl7v2-xml"; }
  std::string_view description() const override;
  Schema schema() const override;
  std::shared_ptr<const Codec> create(const ConfigReader& options, std::string_view base_dir) const override;
};

}  // namespace qiao::hl7xml

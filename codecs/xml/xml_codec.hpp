#pragma once
// The XML codec: XML 1.0 text ⇄ Value, on pugixml. See README.md for the mapping, the options
// and the error texts.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/codec.hpp"
#include "core/error.hpp"
#include "core/value.hpp"

namespace qiao::xml {

// Decoded strings longer than this borrow from the decoder's copy of the message (see json).
inline constexpr std::size_t borrow_above = 15;

// The codec's options, e.g. "xml:root=Request,arrays=Item,OBX,nested=ResultXml,encoding=GBK"
// (the schema is in xml_codec_kind.cpp).
struct Options {
  // Encode: the root element when the Value is not already { Root = { … } }.
  std::string root;
  // Decode: elements always decoded as arrays, even when they occur once.
  std::vector<std::string> arrays;
  // Decode: elements whose text is itself an XML document, decoded in place. Encode: an
  // object under such a key is written as XML text (escaped once, or CDATA when listed there).
  std::vector<std::string> nested;
  // Encode: elements whose text is written as a CDATA section.
  std::vector<std::string> cdata;
  // Encode: namespace declarations put on the root element, in order ("xmlns", "xmlns:soap").
  std::vector<std::pair<std::string, std::string>> namespaces;
  // Decode: the charset of a document that declares none. Encode: the charset written and
  // declared. Empty means UTF-8.
  std::string encoding;
  // Encode: write <?xml version="1.0" encoding="…"?> first.
  bool declaration = true;
  // Decode: documents larger than this are refused (too_large), before any parsing.
  std::size_t max_size = 16 * 1024 * 1024;
  // Decode and encode: elements nested deeper than this are refused.
  std::size_t max_depth = 128;
};

// Upper bound for max_depth: decoding and encoding recurse once per level.
inline constexpr std::size_t max_depth_limit = 1000;

// Errors are ErrorKind::bad_input ("xml: <what> at line L, column C") or too_large.
Expected<Value> decode(const Buffer& bytes, const Options& options = {});

// Errors are ErrorKind::flow, because the Value came from a flow: "xml: <what> at <path>".
Expected<std::string> encode(const Value& value, const Options& options = {});

class XmlCodec final : public Codec {
 public:
  explicit XmlCodec(Options options);
  std::string_view content_type() const override { return content_type_; }
  Expected<Value> decode(const Buffer& bytes) const override;
  Expected<std::string> encode(const Value& value) const override;
  const Options& options() const { return options_; }

 private:
  Options options_;
  std::string content_type_;
};

class XmlCodecKind final : public CodecKind {
 public:
  std::string_view name() const override { return "xml"; }
  std::string_view description() const override;
  Schema schema() const override;
  std::shared_ptr<const Codec> create(const ConfigReader& options, std::string_view base_dir) const override;
};

}  // namespace qiao::xml

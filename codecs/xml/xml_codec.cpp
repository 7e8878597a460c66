#include "codecs/xml/xml_codec.hpp"

namespace qiao::xml {

XmlCodec::XmlCodec(Options options) : options_(std::move(options)) {
  content_type_ = "application/xml; charset=" + (options_.encoding.empty() ? std::string("UTF-8") : options_.encoding);
}

Expected<Value> XmlCodec::decode(const Buffer& bytes) const { return xml::decode(bytes, options_); }

Expected<std::string> XmlCodec::encode(const Value& value) const { return xml::encode(value, options_); }

}  // namespace qiao::xml

#include "codecs/hl7v2_xml/hl7_xml_codec.hpp"

namespace qiao::hl7xml {

Hl7XmlCodec::Hl7XmlCodec(Options options) : options_(std::move(options)) {
  content_type_ = "application/xml; charset=" + (options_.encoding.empty() ? std::string("UTF-8") : options_.encoding);
}

}  // namespace qiao::hl7xml

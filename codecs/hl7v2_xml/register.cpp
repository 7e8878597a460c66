#include "codecs/hl7v2_xml/register.hpp"

#include <memory>

#include "codecs/hl7v2_xml/hl7_xml_codec.hpp"

namespace qiao::hl7xml {

Status register_plugins(Plugins& plugins) { return plugins.codecs.add(std::make_unique<Hl7XmlCodecKind>()); }

}  // namespace qiao::hl7xml

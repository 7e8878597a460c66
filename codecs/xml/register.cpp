#include "codecs/xml/register.hpp"

#include <memory>

#include "codecs/xml/xml_codec.hpp"

namespace qiao::xml {

Status register_plugins(Plugins& plugins) { return plugins.codecs.add(std::make_unique<XmlCodecKind>()); }

}  // namespace qiao::xml

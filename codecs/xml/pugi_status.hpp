#pragma once
// pugixml's parse statuses in words, for the XML codecs' errors. Only codecs that link pugixml
// include this header; xml_codec.hpp names no pugixml type.

#include <pugixml.hpp>
#include <string_view>

namespace qiao::xml {

std::string_view status_text(pugi::xml_parse_status status);

}  // namespace qiao::xml

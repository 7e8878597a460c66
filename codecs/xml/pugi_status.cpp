#include "codecs/xml/pugi_status.hpp"

namespace qiao::xml {

std::string_view status_text(pugi::xml_parse_status status) {
  switch (status) {
    case pugi::status_unrecognized_tag: return "malformed tag";
    case pugi::status_bad_pi: return "malformed processing instruction or declaration";
    case pugi::status_bad_comment: return "malformed comment";
    case pugi::status_bad_cdata: return "malformed CDATA section";
    case pugi::status_bad_doctype: return "malformed DOCTYPE";
    case pugi::status_bad_pcdata: return "malformed text";
    case pugi::status_bad_start_element: return "malformed start tag";
    case pugi::status_bad_attribute: return "malformed attribute";
    case pugi::status_bad_end_element: return "malformed end tag";
    case pugi::status_end_element_mismatch: return "mismatched end tag";
    case pugi::status_no_document_element: return "no root element";
    case pugi::status_out_of_memory: return "out of memory";
    default: return "cannot parse";
  }
}

}  // namespace qiao::xml

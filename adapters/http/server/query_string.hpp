#pragma once
// The query part of a request target, as a flow sees it in msg.source.query. Written here rather
// than on Boost.URL's parse_query (which the admin API and the HTTP endpoint's URLs use): that one
// refuses a whole query for one bad escape or one raw UTF-8 byte, and kiosks and WeChat pages
// send both (`name=张三`); a flow must still see every pair the client sent.

#include <string>
#include <string_view>

#include "core/value.hpp"

namespace qiao::http {

// %XX escapes and '+' as space (form encoding); a malformed escape stays as written.
std::string percent_decode(std::string_view text);

// "a=1&b=x%20y" → { a = "1", b = "x y" }; a name without '=' has an empty value; a repeated
// name keeps its last value.
Object parse_query(std::string_view query);

}  // namespace qiao::http

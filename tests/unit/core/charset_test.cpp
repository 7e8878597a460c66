#include "core/text/charset.hpp"

#include <catch2/catch.hpp>

using namespace qiao;

TEST_CASE("GBK and GB 18030 convert to and from UTF-8", "[charset]") {
  const std::string gbk = "\xd5\xc5\xc8\xfd";  // 张三
  auto utf8 = to_utf8(gbk, "GBK");
  REQUIRE(utf8);
  CHECK(*utf8 == "张三");
  auto back = from_utf8(*utf8, "gb18030");
  REQUIRE(back);
  CHECK(*back == gbk);
  CHECK(normalize_charset("GB 18030-2000") == "GB18030");
  CHECK(normalize_charset("UNICODE UTF-8").empty());
  CHECK(charset_supported("gbk"));
  CHECK_FALSE(charset_supported("NO-SUCH-CHARSET"));
}

TEST_CASE("invalid bytes are reported with their offset", "[charset]") {
  auto truncated = to_utf8("ab\xd5", "GBK");
  REQUIRE_FALSE(truncated);
  CHECK(truncated.error().message == "charset: truncated GBK sequence at byte 2");
  auto bad_utf8 = to_utf8("ok\xff", "");
  REQUIRE_FALSE(bad_utf8);
  CHECK(bad_utf8.error().message == "charset: invalid UTF-8 at byte 2");
  auto unmappable = from_utf8("x😀", "GBK");
  REQUIRE_FALSE(unmappable);
  CHECK(unmappable.error().message == "charset: byte 1 cannot be converted from UTF-8 to GBK");
  CHECK(find_invalid_utf8("\xed\xa0\x80") == 0);  // a UTF-16 surrogate is not UTF-8
}

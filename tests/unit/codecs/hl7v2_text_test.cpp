// hl7 text helpers: free text into a field and a field's text out for a reader.
#include <catch2/catch.hpp>
#include <string>

#include "codecs/hl7v2/hl7_codec.hpp"
#include "codecs/hl7v2/hl7_path.hpp"
#include "codecs/hl7v2/hl7_text.hpp"

namespace hl7 = qiao::hl7;
using qiao::Value;

TEST_CASE("hl7 escape_text makes free text safe for a field", "[hl7v2]") {
  CHECK(hl7::escape_text("血常规|复查^A&B~C\\D") == "血常规\\F\\复查\\S\\A\\T\\B\\R\\C\\E\\D");
  CHECK(hl7::escape_text("line 1\r\nline 2\nline 3\rend") == "line 1\\.br\\line 2\\.br\\line 3\\.br\\end");
  CHECK(hl7::escape_text("") == "");

  hl7::Separators custom;
  REQUIRE(hl7::read_separators("#", "$%@*", custom).empty());
  CHECK(hl7::escape_text("a#b|c@d", custom) == "a@F@b|c@E@d");

  // Escaped text survives a trip through a message: the encoder writes it as it is, the decoder
  // gives back the separators it stood for.
  auto message =
      hl7::decode(qiao::make_buffer(std::string("MSH|^~\\&|HIS|H|LIS|L|20261120||ORU^R01|1|P|2.5\rNTE|1\r")));
  REQUIRE(message);
  REQUIRE(hl7::set(*message, "NTE-3", hl7::escape_text("A|B\\C\nD")));
  auto bytes = hl7::encode(*message);
  REQUIRE(bytes);
  CHECK(bytes->substr(bytes->find("NTE")) == "NTE|1||A\\F\\B\\E\\C\\.br\\D\r");
  auto again = hl7::decode(qiao::make_buffer(*bytes));
  REQUIRE(again);
  CHECK(hl7::text_at(*again, "NTE-3") == "A|B\\E\\C\\.br\\D");
  CHECK(hl7::unescape_text(hl7::text_at(*again, "NTE-3")) == "A|B\\C\nD");
}

TEST_CASE("hl7 unescape_text gives what a reader should see", "[hl7v2]") {
  CHECK(hl7::unescape_text("a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f") == "a|b^c&d~e\\f");
  CHECK(hl7::unescape_text("第一行\\.br\\第二行") == "第一行\n第二行");
  CHECK(hl7::unescape_text("a\\.sp\\b\\.sp+2\\c\\.sp0\\d") == "a\nb\n\ncd");
  CHECK(hl7::unescape_text("\\H\\HIGH\\N\\ normal\\.in+4\\\\.ce\\x") == "HIGH normalx");
  CHECK(hl7::unescape_text("\\XE5BCA0\\三") == "张三");  // hex bytes that are UTF-8 text
  CHECK(hl7::unescape_text("\\X0D0A\\") == "\r\n");
  CHECK(hl7::unescape_text("\\XD5C5\\") == "\\XD5C5\\");  // GBK bytes: not text in a UTF-8 Value
  CHECK(hl7::unescape_text("\\Zcustom\\\\C2842\\\\M2442\\x") == "x");
  CHECK(hl7::unescape_text("C:\\temp\\Q") == "C:\\temp\\Q");  // no well-formed sequence: kept
  CHECK(hl7::unescape_text("trailing\\") == "trailing\\");

  hl7::Separators custom;
  REQUIRE(hl7::read_separators("#", "$%@*", custom).empty());
  CHECK(hl7::unescape_text("a@F@b@S@c@E@d\\F\\", custom) == "a#b$c@d\\F\\");
}

TEST_CASE("hl7 message_separators reads MSH-1 and MSH-2", "[hl7v2]") {
  auto custom = hl7::decode(qiao::make_buffer(std::string("MSH#$%@*#HIS\rPID#1\r")));
  REQUIRE(custom);
  const hl7::Separators seps = hl7::message_separators(*custom);
  CHECK(seps.field == '#');
  CHECK(seps.component == '$');
  CHECK(seps.repetition == '%');
  CHECK(seps.escape == '@');
  CHECK(seps.subcomponent == '*');
  CHECK(hl7::message_separators(Value()).field == '|');  // nothing to read: the standard ones
}

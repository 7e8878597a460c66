// The helpers around the codec: the response skeleton (a UnionPay 0200 → 0210 end to end), the
// bytes a MAC covers, and the Lua library `iso8583` resolving codecs by name as flows do.

#include <lua.hpp>

#include "codecs/iso8583/iso8583_lua.hpp"
#include "codecs/iso8583/response.hpp"
#include "codecs/json/json_codec.hpp"
#include "core/lua/lua_codecs.hpp"
#include "core/lua/lua_value.hpp"
#include "tests/unit/codecs/codec_name_support.hpp"
#include "tests/unit/codecs/iso8583_test_support.hpp"

using namespace qiao;
using namespace iso8583_test;

namespace {

std::string json_of(const Value& v) {
  auto text = json::encode(v);
  REQUIRE(text);
  return *text;
}

}  // namespace

TEST_CASE("a UnionPay sale request gets its 0210 response: MTI +10, echoed fields, TPDU swapped", "[iso8583][cup]") {
  const auto& spec = dialect("cup");
  const Value request = decode_ok(spec, read_hex("cup_sale_0200.hex"));
  auto response = iso8583::make_response(request, spec);
  REQUIRE(response);
  CHECK(json_of(*response) ==
        R"({"mti":"0210","tpdu":"6000000006","header":"603100311003","2":"6222021234567890123","3":"000000",)"
        R"("4":"000000012345","11":"000123","14":"2812","25":"00","41":"12345678","42":"898310048141234",)"
        R"("49":"156","60":{"1":"22","2":"000001","3":"000","4":"5","5":"0"}})");

  // What the host adds; the encoded answer is the golden 0210, bitmap rebuilt from the fields.
  Object& fields = response->as_object();
  fields.set("12", "153012");
  fields.set("13", "1122");
  fields.set("15", "1122");
  fields.set("37", "123456789012");
  fields.set("38", "A12345");
  fields.set("39", "00");
  fields.set("44", "01020000   01030000   ");
  fields.set("64", "1122334455667788");
  const std::string golden = read_hex("cup_sale_0210.hex");
  CHECK(hex(encode_ok(spec, *response)) == hex(golden));
  CHECK(decode_ok(spec, golden).find("39")->as_string() == "00");

  CHECK(iso8583::make_response(decode_ok(spec, golden), spec).error().message ==
        "iso8583: response: mti 0210 is already a response");
  CHECK(iso8583::make_response(Value(Object{{"3", "000000"}}), spec).error().message ==
        "iso8583: response: the request has no 4-digit mti");
  // 0800 sign-on → 0810; a dialect without headers has no TPDU to swap.
  auto sign_on =
      iso8583::make_response(Value(Object{{"mti", "0800"}, {"11", "000001"}, {"70", "001"}}), dialect("iso87ascii"));
  REQUIRE(sign_on);
  CHECK(json_of(*sign_on) == R"({"mti":"0810","11":"000001"})");
}

TEST_CASE("the MAC covers the MTI up to, not including, the MAC field", "[iso8583][mac]") {
  const auto& spec = dialect("cup");
  const std::string sale = read_hex("cup_sale_0200.hex");
  auto from_bytes = iso8583::mac_input(make_buffer(sale), spec);
  REQUIRE(from_bytes);
  CHECK(from_bytes->mac_field == 64);
  CHECK(from_bytes->begin == 11);  // after the TPDU and the header
  CHECK(from_bytes->end == 203);   // field 64 is the last 8 bytes
  CHECK(hex(from_bytes->bytes()) == hex(sale.substr(11, 192)));

  // A message about to be sent, without its MAC yet: the bitmap already announces field 64.
  Value outgoing = decode_ok(spec, sale);
  outgoing.as_object().erase("64");
  auto from_value = iso8583::mac_input(outgoing, spec);
  REQUIRE(from_value);
  CHECK(hex(from_value->bytes()) == hex(sale.substr(11, 192)));
  CHECK(hex(from_value->packed.substr(203)) == "0000000000000000");

  outgoing.as_object().erase("64");
  CHECK(iso8583::mac_input(make_buffer(encode_ok(spec, outgoing)), spec).error().message ==
        "iso8583: mac input: the message has no field 64 (MAC)");

  // With a secondary bitmap the MAC is field 128 (ISO 8583:1987 ASCII).
  const auto& ascii = dialect("iso87ascii");
  const std::string raw =
      "0800"
      "8220000000000000"
      "0400000000000001"
      "1122153012"
      "000001"
      "301"
      "0011223344556677";
  auto secondary = iso8583::mac_input(make_buffer(raw), ascii);
  REQUIRE(secondary);
  CHECK(secondary->mac_field == 128);
  CHECK(secondary->bytes() ==
        "0800"
        "8220000000000000"
        "0400000000000001"
        "1122153012"
        "000001"
        "301");
}

namespace {

struct Lua {
  lua_State* L = luaL_newstate();
  CodecLookup lookup = [](std::string_view name) -> Expected<std::shared_ptr<const Codec>> {
    if (name == "json") return std::shared_ptr<const Codec>(std::make_shared<json::JsonCodec>());
    if (name.rfind("iso8583:", 0) == 0) return qiao::testing::make_codec(name, QIAO_SOURCE_DIR);
    return make_error(ErrorKind::config, "unknown codec '" + std::string(name) + "'");
  };
  Lua() {
    luaL_openlibs(L);
    lua::install_value_support(L);
    lua::set_codec_lookup(L, &lookup);
    iso8583::Iso8583LuaLibrary().open(L);
    lua_setglobal(L, "iso8583");
  }
  ~Lua() { lua_close(L); }
  // Runs `script` with `raw` as a global string; returns the result converted, or the error text.
  std::string run(const std::string& script, const std::string& raw, Value* result = nullptr) {
    lua_pushlstring(L, raw.data(), raw.size());
    lua_setglobal(L, "raw");
    if (luaL_dostring(L, script.c_str()) != LUA_OK) {
      std::string error = lua_tostring(L, -1);
      lua_pop(L, 1);
      return "error: " + error;
    }
    std::size_t len = 0;
    const char* s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : "";
    std::string text(s, len);
    if (result != nullptr) *result = *qiao::lua::to_value(L, -1, "result");
    lua_pop(L, 1);
    return text;
  }
};

}  // namespace

TEST_CASE("Lua library iso8583: response and mac_input by codec name", "[iso8583][lua]") {
  Lua lua;
  const std::string sale = read_hex("cup_sale_0200.hex");
  CHECK(lua.run("local r = iso8583.response('iso8583:cup', raw); return r.mti .. ' ' .. r.tpdu .. ' ' .. r['4']",
                sale) == "0210 6000000006 000000012345");
  Value response;
  lua.run("return iso8583.response('iso8583:config/iso8583/cup.yaml', raw)", sale, &response);
  CHECK(json_of(response) ==
        R"({"mti":"0210","tpdu":"6000000006","header":"603100311003","2":"6222021234567890123","3":"000000",)"
        R"("4":"000000012345","11":"000123","14":"2812","25":"00","41":"12345678","42":"898310048141234",)"
        R"("49":"156","60":{"1":"22","2":"000001","3":"000","4":"5","5":"0"}})");
  CHECK(hex(lua.run("return iso8583.mac_input('iso8583:cup', raw)", sale)) == hex(sale.substr(11, 192)));

  // A table as DESIGN.md writes one, with integer keys and an integer amount: the keys arrive as
  // "3", "4", the amount is zero-filled, headers come from the dialect's defaults.
  CHECK(hex(lua.run("return iso8583.mac_input('iso8583:cup', { mti = '0200', [3] = '000000', [4] = 12345, [11] = 7 })",
                    "")) ==
        "0200"
        "3020000000000001"
        "000000"
        "000000012345"
        "000007");
  CHECK(lua.run("local r = iso8583.response('iso8583:cup', { mti = '0200', tpdu = '6000120034', [3] = '000000', [39] = "
                "'00' })"
                "; return r.tpdu .. ' ' .. r['3'] .. ' ' .. tostring(r['39'])",
                "") == "6000340012 000000 nil");

  CHECK(lua.run("return iso8583.response('json', raw)", sale) ==
        "error: iso8583: codec 'json' is not an iso8583 codec");
  CHECK(lua.run("return iso8583.response('nope', raw)", sale) == "error: unknown codec 'nope'");
  CHECK(lua.run("return iso8583.response('iso8583:cup', 'short')", sale) ==
        "error: iso8583: header header: needs 6 bytes, 0 left at byte 5");
  CHECK(lua.run("return iso8583.mac_input('iso8583:cup', { mti = '0200', [3] = 'abc' })", "") ==
        "error: iso8583: field 3 (processing code / 交易处理码): 'abc' is not numeric (character 1)");
  CHECK(lua.run("return iso8583.response('iso8583:cup', 42)", sale) ==
        "error: iso8583.response: the request must be a decoded message (table) or its bytes");
}

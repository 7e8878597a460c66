// Codecs are built when a generation loads, from their names in decode:, encode:, an endpoint's
// codec:, a flow's codecs: list and literal strings in its Lua; a mistake is a load error at its
// file:line:col, and at run time a name the load did not build is an error, never a build.
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "codecs/hl7v2/hl7_codec.hpp"
#include "codecs/hl7v2/register.hpp"
#include "codecs/iso8583/register.hpp"
#include "codecs/json/register.hpp"
#include "codecs/xml/register.hpp"
#include "codecs/xml/xml_codec.hpp"
#include "core/codec_name.hpp"
#include "core/lua/lua_codec_literals.hpp"
#include "core/steps/core_steps.hpp"
#include "tests/unit/core/flow_harness.hpp"

using namespace qiao;

namespace {

const Plugins& plugins() {
  static const Plugins p = [] {
    Plugins out;
    (void)register_core_steps(out);
    (void)json::register_plugins(out);
    (void)hl7::register_plugins(out);
    (void)xml::register_plugins(out);
    (void)iso8583::register_plugins(out);
    flow_test::add_fake_source(out);
    return out;
  }();
  return p;
}

class StatusRenderer final : public ErrorRenderer {
 public:
  void render(const Error& error, Outcome& outcome) const override {
    outcome.status = 500;
    outcome.body = error.message;
  }
};

const StatusRenderer status_renderer;

struct Loaded : flow_test::FlowHarness {
  explicit Loaded(const std::string& flow, const std::string& endpoints = "")
      : FlowHarness(plugins(), endpoints, flow, status_renderer, std::chrono::milliseconds(2000), QIAO_SOURCE_DIR) {}
  std::string file() const { return (scratch.dir / "flows/flow.yaml").string(); }
};

std::shared_ptr<const Codec> built(std::string_view yaml) {
  auto node = ConfigNode::parse(yaml, "flows/a.yaml");
  REQUIRE(node);
  Diagnostics diag;
  auto codec = build_codec(plugins().codecs, *node->get("decode"), QIAO_SOURCE_DIR, diag);
  INFO(diag.text());
  REQUIRE(codec);
  return codec;
}

std::string first_error(std::string_view yaml) {
  auto node = ConfigNode::parse(yaml, "flows/a.yaml");
  REQUIRE(node);
  Diagnostics diag;
  CHECK_FALSE(build_codec(plugins().codecs, *node->get("decode"), QIAO_SOURCE_DIR, diag));
  REQUIRE_FALSE(diag.ok());
  return diag.errors().front();
}

}  // namespace

TEST_CASE("codec names: the short form and the mapping form give the same options", "[codec][config]") {
  const auto short_codec = built("decode: \"hl7v2:charset=GBK,line_endings=any\"\n");
  const auto mapping_codec = built("decode: { hl7v2: { charset: GBK, line_endings: any } }\n");
  const auto& short_form = dynamic_cast<const hl7::Hl7Codec&>(*short_codec);
  const auto& mapping = dynamic_cast<const hl7::Hl7Codec&>(*mapping_codec);
  CHECK(short_form.options().charset == "GBK");
  CHECK(short_form.options().any_line_ending);
  CHECK(mapping.options().charset == "GBK");
  CHECK(mapping.options().any_line_ending);

  // A bare item continues the list before it; key:name=value is an entry of a mapping option.
  const auto xml_built = built("decode: \"xml:arrays=Item,OBX,xmlns:soap=http://s/,xmlns=http://d/,declaration=no\"\n");
  const auto& xml_codec = dynamic_cast<const xml::XmlCodec&>(*xml_built);
  CHECK(xml_codec.options().arrays == std::vector<std::string>{"Item", "OBX"});
  CHECK(xml_codec.options().namespaces ==
        std::vector<std::pair<std::string, std::string>>{{"xmlns:soap", "http://s/"}, {"xmlns", "http://d/"}});
  CHECK_FALSE(xml_codec.options().declaration);
  const auto xml_mapping_built = built("decode: { xml: { arrays: [Item, OBX], xmlns: { soap: \"http://s/\" } } }\n");
  const auto& xml_mapping = dynamic_cast<const xml::XmlCodec&>(*xml_mapping_built);
  CHECK(xml_mapping.options().arrays == std::vector<std::string>{"Item", "OBX"});
  CHECK(xml_mapping.options().namespaces ==
        std::vector<std::pair<std::string, std::string>>{{"xmlns:soap", "http://s/"}});
}

TEST_CASE("codec names: mistakes are reported at the name's file:line:col", "[codec][config]") {
  CHECK(first_error("decode: \"hl7v2:colour=red\"\n") ==
        "flows/a.yaml:1:9: codec hl7v2: unknown key 'colour' (known: charset, line_endings, max_size, max_segments)");
  CHECK(first_error("decode: hl7v2:max_segments=many\n") ==
        "flows/a.yaml:1:9: codec hl7v2: max_segments: expected an integer, found 'many'");
  CHECK(first_error("decode: { hl7v2: { charset: KLINGON } }\n") ==
        "flows/a.yaml:1:29: codec hl7v2: charset 'KLINGON' is not supported");
  CHECK(first_error("decode:\n  hl7v2:\n    max_size: lots\n") ==
        "flows/a.yaml:3:15: codec hl7v2: max_size: expected a size such as 8192, 64KiB or 1MiB, found 'lots'");
  CHECK(first_error("decode: { hl7v2: { colour: red } }\n") ==
        "flows/a.yaml:1:20: codec hl7v2: unknown key 'colour' (known: charset, line_endings, max_size, max_segments)");
  CHECK(first_error("decode: \"iso8583:nope\"\n") == "flows/a.yaml:1:9: codec iso8583: no dialect 'nope' (looked for " +
                                                         std::string(QIAO_SOURCE_DIR) + "/config/iso8583/nope.yaml)");
  CHECK(first_error("decode: \"hl7:charset=GBK\"\n") ==
        "flows/a.yaml:1:9: unknown codec 'hl7' (known: hl7v2, iso8583, json, xml)");
  CHECK(first_error("decode: { hl7v2: {}, json: {} }\n").rfind("flows/a.yaml:1:9: a codec is a name such as", 0) == 0);
}

TEST_CASE("lua codec literals: first arguments of the named calls, outside comments and other strings",
          "[codec][lua]") {
  LuaChunk chunk;
  chunk.file = "flows/a.yaml";
  chunk.line = 10;
  chunk.column = 7;
  chunk.code =
      "local v = qiao.codec.decode(\"iso8583:cup\", body)\n"
      "-- qiao.codec.decode(\"commented:out\", body)\n"
      "--[[ qiao.codec.encode('block:comment', v) ]]\n"
      "local s = 'qiao.codec.encode(\"in:a:string\", v)'\n"
      "return qiao.codec.encode( 'hl7v2:charset=GBK' , v), iso8583.response(\"iso8583:cup\", v), "
      "x.qiao.codec.decode('no')\n"
      "local computed = qiao.codec.decode(name, body)\n";
  const std::vector<std::string> callees{"qiao.codec.decode", "qiao.codec.encode", "iso8583.response"};
  const auto found = find_codec_literals(chunk, callees);
  REQUIRE(found.size() == 3);
  CHECK(found[0].name == "iso8583:cup");
  CHECK(found[0].line == 10);
  CHECK(found[0].column == 7 + 28);
  CHECK(found[1].name == "hl7v2:charset=GBK");
  CHECK(found[1].line == 14);
  CHECK(found[1].column == 27);
  CHECK(found[2].name == "iso8583:cup");
  CHECK(found[2].line == 14);
}

TEST_CASE("codecs named literally in Lua are built at load, a bad one is a load error at its line",
          "[codec][lua][engine]") {
  Loaded good(R"(id: f
source:
  fake: { name: a }
steps:
  - lua: |
      local text = qiao.codec.encode("hl7v2:charset=GBK", { segments = {} })
      vars.n = iso8583.response("iso8583:cup", { mti = "0200" }).mti
reply:
  lua: 'return { n = vars.n }'
)");
  INFO(good.diag.text());
  REQUIRE(good.gen);
  CHECK(good.gen->codec("hl7v2:charset=GBK"));
  CHECK(good.gen->codec("iso8583:cup"));
  CHECK(good.gen->codec("json"));
  CHECK(good.gen->codec("hl7v2:charset=GB18030").error().message ==
        "codec 'hl7v2:charset=GB18030' was not built when the flows loaded: write its name as a literal string in "
        "the call, or list it in the flow's codecs:");

  Loaded bad(R"(id: f
source:
  fake: { name: a }
steps:
  - lua: |
      local ok = 1
      local v = qiao.codec.decode("iso8583:nope", body)
)");
  CHECK_FALSE(bad.gen);
  REQUIRE(bad.diag.errors().size() == 1);
  // A block's code is unindented before Lua sees it: the column counts from the code's own margin.
  CHECK(bad.diag.errors()[0] == bad.file() + ":7:29: codec iso8583: no dialect 'nope' (looked for " +
                                    std::string(QIAO_SOURCE_DIR) + "/config/iso8583/nope.yaml)");
}

TEST_CASE("a codec name Lua computes is an error for the message unless the flow lists it in codecs:",
          "[codec][lua][engine]") {
  const std::string steps = R"(
steps:
  - lua: |
      local name = "xml:" .. "root=R"
      vars.text = qiao.codec.encode(name, { a = "1" })
reply:
  lua: 'return { ok = vars.text ~= nil }'
)";
  Loaded computed("id: f\nsource:\n  fake: { name: a }\n" + steps);
  INFO(computed.diag.text());
  REQUIRE(computed.gen);
  const Outcome refused = computed.run("{}");
  CHECK(refused.status == 500);
  CHECK_THAT(refused.body, Catch::Contains("codec 'xml:root=R' was not built when the flows loaded"));

  Loaded declared("id: f\nsource:\n  fake: { name: a }\ncodecs: [\"xml:root=R\"]\n" + steps);
  INFO(declared.diag.text());
  REQUIRE(declared.gen);
  const Outcome ok = declared.run("{}");
  INFO(ok.body);
  CHECK(ok.status == 200);

  Loaded misdeclared("id: f\nsource:\n  fake: { name: a }\ncodecs: [\"xml:encoding=NOPE\"]\n" + steps);
  CHECK_FALSE(misdeclared.gen);
  REQUIRE(misdeclared.diag.errors().size() == 1);
  CHECK(misdeclared.diag.errors()[0] == misdeclared.file() + ":4:10: codec xml: encoding 'NOPE' is not supported");
}

TEST_CASE("a reply's encode and a mac step's codec take the mapping form too", "[codec][config]") {
  Loaded reply(R"(id: t
source:
  fake: { name: a }
  decode: json
reply:
  lua: 'return { segments = { { id = "MSH", fields = { "|", "^~\\&", "HIS" } } } }'
  encode: { hl7v2: { line_endings: any } }
)");
  INFO(reply.diag.text());
  REQUIRE(reply.gen);
  const Outcome o = reply.run(R"({"n":1})");
  CHECK(o.body == "MSH|^~\\&|HIS\r");
  CHECK(o.content_type == "x-application/hl7-v2+er7");

  Loaded mac(R"(id: t
source:
  fake: { name: a }
  decode: json
steps:
  - mac: { codec: { iso8583: { spec: cup } }, algorithm: x99, key: "0123456789ABCDEF", from: vars.none }
  - mac: { codec: { json: {} }, algorithm: x99, key: "0123456789ABCDEF" }
)");
  CHECK_FALSE(mac.gen);
  const std::string text = mac.diag.text();
  INFO(text);
  CHECK(text.find("flows/flow.yaml:7:") != std::string::npos);
  CHECK(text.find("mac: codec 'json' is not an iso8583 codec") != std::string::npos);
  CHECK(text.find("flows/flow.yaml:6:") == std::string::npos);  // the mapping form of iso8583 is a codec
}

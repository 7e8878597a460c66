// The `mac` flow step: the algorithms it dispatches to (published vectors), MACs over a UnionPay
// sale computed independently with the OpenSSL command line, and flows that check an incoming
// message, sign their reply, and sign a request to a bank and check the bank's reply.
//
// The goldens over the sale (tests/data/iso8583/cup_sale_0200.hex, bytes 11 to 203, the MTI up
// to field 64) came from the OpenSSL CLI, as crypto/README.md shows for the UnionPay MAC:
//   X9.9  key 0123456789ABCDEF: des-cbc, zero IV, last block            → 69860635839F636C
//   X9.19 key 0123456789ABCDEF FEDCBA9876543210: des-cbc under KL, then
//         the last block by des-ede-cbc under KL‖KR from the chaining value → 912AD7CDEDA2202C
//   UnionPay POS, MAK 1234567890ABCDEF (the README's script)            → C6FBCD08

#include <catch2/catch.hpp>
#include <cstdlib>

#include "codecs/iso8583/mac_step.hpp"
#include "codecs/iso8583/register.hpp"
#include "codecs/iso8583/response.hpp"
#include "codecs/json/register.hpp"
#include "core/steps/core_steps.hpp"
#include "core/text/hex.hpp"
#include "crypto/mac.hpp"
#include "crypto/register.hpp"
#include "tests/unit/codecs/iso8583_test_support.hpp"
#include "tests/unit/core/flow_harness.hpp"

using namespace qiao;
using namespace iso8583_test;

namespace {

const std::string now_is = "Now is the time for all ";
constexpr const char* mak = "1234567890ABCDEF";
constexpr const char* x919_key = "0123456789ABCDEFFEDCBA9876543210";

std::string mac_hex(iso8583::MacAlgorithm algorithm, std::string_view key, std::string_view data) {
  auto mac = iso8583::compute_mac(algorithm, key, data);
  INFO((mac ? "" : mac.error().message));
  REQUIRE(mac);
  return algorithm == iso8583::MacAlgorithm::cup_pos ? *mac : to_hex(*mac);
}

// The sale with field 64 replaced by `mac` (8 bytes).
std::string sale_with_mac(std::string_view mac) {
  std::string sale = read_hex("cup_sale_0200.hex");
  REQUIRE(sale.size() == 211);
  return sale.substr(0, 203) + std::string(mac);
}

// A bank host: checks the request's X9.19 MAC (39 = A0 when wrong), answers 00 with a MAC of its
// own; an amount of 6.66 makes it answer with a broken MAC. Computed without the step.
class BankEndpoint final : public Endpoint {
 public:
  boost::asio::awaitable<Expected<CallResponse>> call(CallRequest request) override {
    const auto& spec = dialect("cup");
    auto input = iso8583::mac_input(request.body, spec);
    if (!input) co_return make_error(ErrorKind::upstream, input.error().message);
    const Value* carried = request.body.find("64");
    const bool mac_ok = carried && carried->as_string() == to_hex(*crypto::x919_mac(x919_key, input->bytes()));
    auto response = iso8583::make_response(request.body, spec);
    if (!response) co_return make_error(ErrorKind::upstream, response.error().message);
    response->as_object().set("39", mac_ok ? "00" : "A0");
    auto reply_input = iso8583::mac_input(*response, spec);
    std::string reply_mac = to_hex(*crypto::x919_mac(x919_key, reply_input->bytes()));
    if (request.body.find("4")->as_string() == "000000000666") reply_mac[0] = reply_mac[0] == '0' ? '1' : '0';
    response->as_object().set("64", reply_mac);
    CallResponse out;
    out.body = std::move(*response);
    co_return out;
  }
};

class BankSpec final : public EndpointSpec {
 public:
  explicit BankSpec(EndpointCommon common) : common_(std::move(common)) {}
  const EndpointCommon& common() const override { return common_; }
  std::string describe() const override { return "bank"; }
  std::unique_ptr<Endpoint> instantiate(const Worker&) const override { return std::make_unique<BankEndpoint>(); }

 private:
  EndpointCommon common_;
};

constexpr ConfigKey bank_keys[] = {{"note", KeyType::string, "", "ignored"}};

class BankKind final : public EndpointKind {
 public:
  std::string_view name() const override { return "bank"; }
  std::string_view description() const override { return "test bank host"; }
  Schema schema() const override { return bank_keys; }
  std::shared_ptr<const EndpointSpec> parse(const ConfigNode& config, EndpointCommon common,
                                            Diagnostics& diag) const override {
    ConfigReader reader(config, bank_keys, diag, "bank");
    return std::make_shared<BankSpec>(std::move(common));
  }
  std::string_view default_codec() const override { return "json"; }
};

const Plugins& plugins() {
  static const Plugins p = [] {
    Plugins out;
    (void)register_core_steps(out);
    (void)json::register_plugins(out);
    (void)iso8583::register_plugins(out);
    (void)crypto::register_plugins(out);
    flow_test::add_fake_source(out);
    (void)out.endpoints.add(std::make_unique<BankKind>());
    return out;
  }();
  return p;
}

class KindRenderer final : public ErrorRenderer {
 public:
  void render(const Error& error, Outcome& outcome) const override {
    outcome.status = error.kind == ErrorKind::rejected ? 403 : error.kind == ErrorKind::upstream ? 502 : 500;
    outcome.body = std::string(error_kind_name(error.kind)) + ": " + error.message;
  }
};

const KindRenderer kind_renderer;

struct Harness : flow_test::FlowHarness {
  explicit Harness(const std::string& flow)
      : FlowHarness(plugins(), "bank: { bank: {}, timeout: 1s }\n", flow, kind_renderer,
                    std::chrono::milliseconds(2000), QIAO_SOURCE_DIR) {
    INFO(diag.text());
    REQUIRE(gen);
  }
};

}  // namespace

TEST_CASE("mac step: the algorithms give the published vectors", "[iso8583][mac]") {
  using iso8583::MacAlgorithm;
  CHECK(mac_hex(MacAlgorithm::x99, "0123456789ABCDEF", now_is) == "70A30640CC76DD8B");
  CHECK(mac_hex(MacAlgorithm::x919, x919_key, now_is) == "A1C72E74EA3FA9B6");
  CHECK(mac_hex(MacAlgorithm::x919, "41414141414141414242424242424242", "hello world") == "3DDE5C5511661CBF");
  CHECK(mac_hex(MacAlgorithm::cup_pos, mak,
                *from_hex("0200702406C020C09A11166222600110012345000000000000000100000001", "data")) == "38CB931C");
  auto padded = iso8583::compute_mac(MacAlgorithm::x99, "0123456789ABCDEF", now_is, true);
  REQUIRE(padded);
  CHECK(to_hex(*padded) == to_hex(*crypto::x99_mac("0123456789ABCDEF", now_is, crypto::Padding::one_bit)));
  CHECK(to_hex(*padded) != "70A30640CC76DD8B");

  CHECK(iso8583::parse_mac_algorithm("cup_pos") == MacAlgorithm::cup_pos);
  CHECK_FALSE(iso8583::parse_mac_algorithm("x9.19"));
}

TEST_CASE("mac step: MACs over a UnionPay sale match the OpenSSL command line", "[iso8583][mac]") {
  using iso8583::MacAlgorithm;
  auto input = iso8583::mac_input(make_buffer(read_hex("cup_sale_0200.hex")), dialect("cup"));
  REQUIRE(input);
  CHECK(mac_hex(MacAlgorithm::x99, "0123456789ABCDEF", input->bytes()) == "69860635839F636C");
  CHECK(mac_hex(MacAlgorithm::x919, x919_key, input->bytes()) == "912AD7CDEDA2202C");
  CHECK(mac_hex(MacAlgorithm::cup_pos, mak, input->bytes()) == "C6FBCD08");
}

TEST_CASE("mac step: how the MAC field holds the 8 bytes", "[iso8583][mac]") {
  iso8583::FieldSpec field;
  field.label = "field 64 (MAC)";
  field.type = iso8583::FieldType::b;
  field.length = 8;
  CHECK(*iso8583::mac_field_text(field, "C6FBCD08") == "4336464243443038");  // binary: hex of the 8 bytes
  field.type = iso8583::FieldType::ans;
  CHECK(*iso8583::mac_field_text(field, "C6FBCD08") == "C6FBCD08");  // 8 characters: the bytes themselves
  field.length = 16;
  CHECK(*iso8583::mac_field_text(field, std::string("\x01\xAB\x00\x10\x20\x30\x40\xFF", 8)) == "01AB0010203040FF");
  field.format = iso8583::LengthFormat::ll;
  CHECK(iso8583::mac_field_text(field, "C6FBCD08").error().message ==
        "mac: field 64 (MAC) cannot hold a MAC: it must be b 8, or fixed text of 8 or 16 characters");
}

TEST_CASE("mac step: an incoming message is checked, the reply signed", "[iso8583][mac][engine]") {
  ::setenv("QIAO_TEST_BANK_MAK", mak, 1);
  Harness h(R"(id: pos
source:
  fake: { name: a }
  decode: "iso8583:cup"
steps:
  - mac: { codec: "iso8583:cup", algorithm: cup_pos, key: "${QIAO_TEST_BANK_MAK}", verify: true }
  - lua: |
      vars.reply = iso8583.response("iso8583:cup", body)
      vars.reply[39] = "00"
  - mac: { codec: "iso8583:cup", algorithm: cup_pos, key: "${QIAO_TEST_BANK_MAK}", field: 64, from: vars.reply }
reply:
  lua: 'return vars.reply'
)");
  Outcome ok = h.run(sale_with_mac("C6FBCD08"));
  INFO(ok.body);
  REQUIRE(ok.status == 200);
  const Value reply = decode_ok(dialect("cup"), ok.body);
  CHECK(reply.find("mti")->as_string() == "0210");
  CHECK(reply.find("39")->as_string() == "00");
  auto reply_input = iso8583::mac_input(make_buffer(ok.body), dialect("cup"));
  REQUIRE(reply_input);
  CHECK(reply.find("64")->as_string() == to_hex(*crypto::cup_pos_mac(mak, reply_input->bytes())));

  // The received MAC is compared without regard to what the step would write: a wrong MAC, a
  // changed amount, a message without field 64 are refused, and the text never shows the MAC due.
  Outcome wrong = h.run(sale_with_mac("C6FBCD09"));
  CHECK(wrong.status == 403);
  CHECK(wrong.body == "rejected: mac: field 64 of body does not match its cup_pos MAC");
  std::string tampered = sale_with_mac("C6FBCD08");
  // TPDU and header (11), MTI (2), bitmap (8), field 2 (11), field 3 (3), then field 4's 6 BCD bytes.
  tampered[11 + 2 + 8 + 11 + 3 + 5] = 0x46;  // amount 123.45 → 123.46
  CHECK(decode_ok(dialect("cup"), tampered).find("4")->as_string() == "000000012346");
  CHECK(h.run(tampered).status == 403);
  CHECK(wrong.body.find("C6FBCD08") == std::string::npos);
  CHECK(wrong.body.find("4336464243443038") == std::string::npos);

  Value unsigned_sale = decode_ok(dialect("cup"), read_hex("cup_sale_0200.hex"));
  unsigned_sale.as_object().erase("64");
  Outcome missing = h.run(encode_ok(dialect("cup"), unsigned_sale));
  CHECK(missing.status == 403);
  CHECK(missing.body == "rejected: mac: iso8583: mac input: the message has no field 64 (MAC)");
}

TEST_CASE("mac step: a request to a bank is signed and the bank's reply checked", "[iso8583][mac][engine]") {
  Harness h(R"(id: pay
source:
  fake: { name: a }
  decode: json
steps:
  - lua: |
      vars.req = { mti = "0200", tpdu = "6000060000", header = "603100311003", [3] = "000000",
                   [4] = body.amount, [11] = "000123", [41] = "12345678", [42] = "898310048141234", [49] = "156" }
  - mac: { codec: "iso8583:cup", algorithm: x919, key: "0123456789ABCDEFFEDCBA9876543210", from: vars.req }
  - call: { endpoint: bank, lua: 'return vars.req', into: bank }
  - mac: { codec: "iso8583:cup", algorithm: x919, key: "0123456789abcdeffedcba9876543210", verify: true, from: vars.bank }
reply:
  lua: 'return { code = vars.bank[39], mti = vars.bank.mti }'
)");
  CHECK(h.run(R"({"amount":"000000012345"})").body == R"({"code":"00","mti":"0210"})");
  // The bank's MAC is wrong: the bank is at fault, not the sender.
  Outcome forged = h.run(R"({"amount":"000000000666"})");
  CHECK(forged.status == 502);
  CHECK(forged.body == "upstream: mac: field 64 of vars.bank does not match its x919 MAC");
}

TEST_CASE("mac step: configuration errors name the place", "[iso8583][mac][config]") {
  flow_test::FlowHarness h(plugins(), "bank: { bank: {} }\n", R"(id: bad
source:
  fake: { name: a }
  decode: json
steps:
  - mac: { codec: json, algorithm: x99, key: "0123456789ABCDEF" }
  - mac: { codec: "iso8583:cup", algorithm: md5, key: "0123456789ABCDEF" }
  - mac: { codec: "iso8583:cup", algorithm: x919, key: "0123456789ABCDEF" }
  - mac: { codec: "iso8583:cup", algorithm: cup_pos, key: "1234567890ABCDEF", field: 128 }
  - mac: { codec: "iso8583:cup", algorithm: cup_pos, key: "1234567890ABCDEF", from: vars }
  - mac: { codec: "iso8583:cup", algorithm: cup_pos, key: "1234567890ABCDEF", padding: 2 }
  - mac: { algorithm: cup_pos, key: "1234567890ABCDEF", verfy: true }
)",
                           kind_renderer, std::chrono::milliseconds(2000), QIAO_SOURCE_DIR);
  CHECK_FALSE(h.gen);
  const std::string text = h.diag.text();
  INFO(text);
  CHECK(text.find("flows/flow.yaml:6:19: mac: codec 'json' is not an iso8583 codec") != std::string::npos);
  CHECK(text.find("flows/flow.yaml:7:45: mac: algorithm must be x99, x919 or cup_pos, not 'md5'") != std::string::npos);
  CHECK(text.find("flows/flow.yaml:8:56: mac: x919 key: expected 32 hex digits (KL‖KR), got 16") != std::string::npos);
  CHECK(text.find("flows/flow.yaml:9:86: mac: the dialect's MAC field is 64, not 128") != std::string::npos);
  CHECK(text.find("flows/flow.yaml:10:") != std::string::npos);
  CHECK(text.find("mac: from must be body or vars.NAME, not 'vars'") != std::string::npos);
  CHECK(text.find("flows/flow.yaml:11:") != std::string::npos);
  CHECK(text.find("mac: cup_pos always pads with zeros") != std::string::npos);
  CHECK(text.find("flows/flow.yaml:12:") != std::string::npos);
  CHECK(text.find("unknown key 'verfy'") != std::string::npos);
}

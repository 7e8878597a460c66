#include "codecs/iso8583/mac_step.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "codecs/iso8583/iso8583_codec.hpp"
#include "codecs/iso8583/response.hpp"
#include "core/config/schema.hpp"
#include "core/flow/flow_builder.hpp"
#include "core/flow/flow_run.hpp"
#include "core/text/ascii.hpp"
#include "core/text/hex.hpp"
#include "crypto/mac.hpp"

namespace qiao::iso8583 {

namespace {

constexpr ConfigKey mac_keys[] = {
    {"codec", KeyType::any, "",
     "the message's iso8583 codec, \"iso8583:cup\" or { iso8583: { spec: cup } }: its dialect says which bytes "
     "the MAC covers",
     true},
    {"algorithm", KeyType::string, "",
     "x99 (ANSI X9.9), x919 (ANSI X9.19 retail MAC) or cup_pos (UnionPay POS ECB MAC)", true},
    {"key", KeyType::string, "", "the MAC key in hex: 16 digits, 32 for x919 (KL‖KR) or a double-length cup_pos MAK",
     true},
    {"field", KeyType::integer, "",
     "the MAC field (64 or 128); default: the dialect's mac_field, else 128 when a field above 64 is present, else 64"},
    {"verify", KeyType::boolean, "false",
     "false: compute the MAC and set the field; true: fail the message unless its MAC field matches"},
    {"from", KeyType::string, "body", "the message: body, or vars.NAME (a call's reply, a request being built)"},
    {"padding", KeyType::integer, "1", "x99 and x919: ISO 9797-1 padding method 1 (zeros) or 2 (0x80 then zeros)"},
};

constexpr std::size_t mac_length = 8;

class MacStep final : public Step {
 public:
  std::shared_ptr<const Codec> codec;  // keeps the spec alive
  const Spec* spec = nullptr;
  MacAlgorithm algorithm = MacAlgorithm::cup_pos;
  std::string algorithm_name;
  std::string key;
  bool one_bit_padding = false;
  int field = 0;  // 0: the dialect decides
  bool verify = false;
  std::string var;  // empty: the body

  boost::asio::awaitable<Expected<StepResult>> run(FlowRun& run) const override {
    Status done = verify ? check(run) : sign(run);
    if (!done) co_return std::move(done).error();
    co_return StepResult::next;
  }

 private:
  std::string where() const { return var.empty() ? "body" : "vars." + var; }

  Expected<Value*> target(FlowRun& run) const {
    Value* message = var.empty() ? &run.msg.body : run.msg.vars.find(var);
    if (message == nullptr || !message->is_object())
      return make_error(ErrorKind::flow, "mac: " + where() + " is not a decoded ISO 8583 message");
    return message;
  }

  Expected<std::string> field_text(const MacInput& input) const {
    if (field != 0 && input.mac_field != field)
      return make_error(ErrorKind::flow, "mac: the dialect puts this message's MAC in field " +
                                             std::to_string(input.mac_field) + ", not " + std::to_string(field));
    auto mac = compute_mac(algorithm, key, input.bytes(), one_bit_padding);
    if (!mac) return std::move(mac).error();
    return mac_field_text(spec->fields[input.mac_field], *mac);
  }

  Status sign(FlowRun& run) const {
    auto message = target(run);
    if (!message) return std::move(message).error();
    auto input = mac_input(**message, *spec);
    if (!input) return std::move(input).error();
    auto text = field_text(*input);
    if (!text) return std::move(text).error();
    (*message)->as_object().set(spec->fields[input->mac_field].key, Value(std::move(*text)));
    return Ok{};
  }

  Status check(FlowRun& run) const {
    // A message that fails its MAC decoded fine but cannot be trusted: the body is refused
    // (rejected: HTTP 403, an AR acknowledgement), a call's reply is the endpoint's fault
    // (upstream: 502), as the caller did nothing wrong.
    const ErrorKind refused = var.empty() ? ErrorKind::rejected : ErrorKind::upstream;
    auto message = target(run);
    if (!message) return std::move(message).error();
    // The body is checked on the bytes as received, so a sender's own encoding choices (pad
    // nibbles, hex case) cannot upset it; a var has only its Value, which is encoded again.
    const bool received = var.empty() && run.msg.raw && !run.msg.raw->empty();
    auto input = received ? mac_input(run.msg.raw, *spec) : mac_input(**message, *spec);
    if (!input) {
      if (input.error().kind == ErrorKind::flow) return make_error(refused, "mac: " + input.error().message);
      return std::move(input).error();
    }
    const FieldSpec& mac_field = spec->fields[input->mac_field];
    const Value* carried = (*message)->find(mac_field.key);
    if (carried == nullptr || !carried->is_string())
      return make_error(refused, "mac: " + where() + " has no field " + mac_field.key + " (MAC)");
    auto expected = field_text(*input);
    if (!expected) return std::move(expected).error();
    const std::string given =
        expected->size() == 2 * mac_length ? ascii_upper(carried->as_string()) : std::string(carried->as_string());
    // Constant time, and the error never shows the MAC expected: a sender must not learn it.
    if (given.size() != expected->size() || CRYPTO_memcmp(given.data(), expected->data(), given.size()) != 0)
      return make_error(
          refused, "mac: field " + mac_field.key + " of " + where() + " does not match its " + algorithm_name + " MAC");
    return Ok{};
  }
};

class MacStepKind final : public StepKind {
 public:
  std::string_view name() const override { return "mac"; }
  std::string_view description() const override {
    return "computes the MAC of an ISO 8583 message (x99, x919, cup_pos) and sets its MAC field, or with verify: true "
           "fails the message when the MAC it carries does not match";
  }

  std::unique_ptr<Step> parse(const ConfigNode& value, FlowBuilder& builder) const override {
    Diagnostics& diag = builder.diagnostics();
    ConfigReader reader(value, mac_keys, diag, "mac");
    auto step = std::make_unique<MacStep>();
    if (auto codec_node = reader.node("codec")) {
      step->codec = builder.codec(*codec_node);
      if (step->codec) {
        const auto* iso = dynamic_cast<const Iso8583Codec*>(step->codec.get());
        if (iso != nullptr) step->spec = &iso->spec();
        else
          diag.error(
              codec_node->location(),
              "mac: codec '" +
                  (codec_node->is_scalar() ? codec_node->scalar() : codec_node->entries().front().first.scalar()) +
                  "' is not an iso8583 codec");
      }
    }
    if (auto algorithm_node = reader.node("algorithm")) {
      step->algorithm_name = algorithm_node->scalar();
      if (auto algorithm = parse_mac_algorithm(step->algorithm_name)) {
        step->algorithm = *algorithm;
      } else {
        diag.error(algorithm_node->location(),
                   "mac: algorithm must be x99, x919 or cup_pos, not '" + step->algorithm_name + "'");
        step->algorithm_name.clear();
      }
    }
    const std::int64_t padding = reader.integer("padding");
    if (padding != 1 && padding != 2) {
      diag.error(reader.node("padding")->location(), "mac: padding must be 1 (zeros) or 2 (0x80 then zeros)");
    } else if (padding == 2 && step->algorithm == MacAlgorithm::cup_pos && !step->algorithm_name.empty()) {
      diag.error(reader.node("padding")->location(), "mac: cup_pos always pads with zeros");
    }
    step->one_bit_padding = padding == 2;
    if (auto key_node = reader.node("key")) {
      step->key = key_node->scalar();
      // A bad key is a load error, not a failure of every message later.
      if (!step->algorithm_name.empty()) {
        if (auto tried = compute_mac(step->algorithm, step->key, ""); !tried)
          diag.error(key_node->location(), tried.error().message);
      }
    }
    step->verify = reader.boolean("verify");
    const std::string from = reader.string("from");
    if (from.rfind("vars.", 0) == 0 && from.size() > 5 && from.find('.', 5) == std::string::npos) {
      step->var = from.substr(5);
    } else if (from != "body") {
      diag.error(reader.node("from")->location(), "mac: from must be body or vars.NAME, not '" + from + "'");
    }
    if (reader.has("field")) {
      const std::int64_t field = reader.integer("field");
      if (field != 64 && field != 128) {
        diag.error(reader.node("field")->location(), "mac: field must be 64 or 128");
      } else {
        step->field = static_cast<int>(field);
      }
    }
    if (step->spec != nullptr) check_fields(*step, *reader.node(reader.has("field") ? "field" : "codec"), diag);
    return step;
  }

 private:
  // The MAC fields this step may meet must exist and hold 8 bytes, so no message finds out later.
  // `place` is where errors point: the field key when given, else the codec.
  static void check_fields(const MacStep& step, const ConfigNode& place, Diagnostics& diag) {
    const Spec& spec = *step.spec;
    if (step.field != 0 && spec.mac_field != 0 && step.field != spec.mac_field) {
      diag.error(place.location(), "mac: the dialect's MAC field is " + std::to_string(spec.mac_field) + ", not " +
                                       std::to_string(step.field));
      return;
    }
    const int wanted = step.field != 0 ? step.field : spec.mac_field;
    for (int number : {64, 128}) {
      if (wanted != 0 && number != wanted) continue;
      if (!spec.defines(number)) {
        if (wanted != 0) diag.error(place.location(), "mac: the dialect has no field " + std::to_string(number));
        continue;
      }
      if (auto form = mac_field_text(spec.fields[number], std::string(mac_length, '0')); !form)
        diag.error(place.location(), form.error().message);
    }
  }
};

}  // namespace

std::optional<MacAlgorithm> parse_mac_algorithm(std::string_view name) {
  if (name == "x99") return MacAlgorithm::x99;
  if (name == "x919") return MacAlgorithm::x919;
  if (name == "cup_pos") return MacAlgorithm::cup_pos;
  return std::nullopt;
}

Expected<std::string> compute_mac(MacAlgorithm algorithm, std::string_view key_hex, std::string_view data,
                                  bool one_bit_padding) {
  const auto padding = one_bit_padding ? crypto::Padding::one_bit : crypto::Padding::zeros;
  switch (algorithm) {
    case MacAlgorithm::x99: return crypto::x99_mac(key_hex, data, padding);
    case MacAlgorithm::x919: return crypto::x919_mac(key_hex, data, padding);
    case MacAlgorithm::cup_pos: return crypto::cup_pos_mac(key_hex, data);
  }
  return make_error(ErrorKind::internal, "mac: unknown algorithm");
}

Expected<std::string> mac_field_text(const FieldSpec& field, std::string_view mac_bytes) {
  if (field.type == FieldType::b && field.length == mac_length) return to_hex(mac_bytes);
  if (field.type != FieldType::b && field.format == LengthFormat::fixed) {
    if (field.length == 2 * mac_length) return to_hex(mac_bytes);
    if (field.length == mac_length) return std::string(mac_bytes);
  }
  return make_error(ErrorKind::config,
                    "mac: " + field.label + " cannot hold a MAC: it must be b 8, or fixed text of 8 or 16 characters");
}

std::unique_ptr<StepKind> make_mac_step_kind() { return std::make_unique<MacStepKind>(); }

}  // namespace qiao::iso8583

// The flow engine end to end, without sockets (flow_harness.hpp), with a fake endpoint kind.

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
#include <functional>
#include <lua.hpp>
#include <random>

#include "codecs/json/register.hpp"
#include "core/config/schema.hpp"
#include "core/steps/core_steps.hpp"
#include "tests/unit/core/flow_harness.hpp"

using namespace qiao;
namespace asio = boost::asio;

namespace {

// Answers with what it was sent, after `delay_ms` if the request says so; fails as asked.
class FakeEndpoint final : public Endpoint {
 public:
  explicit FakeEndpoint(int* in_flight, int* max_in_flight) : in_flight_(in_flight), max_in_flight_(max_in_flight) {}
  asio::awaitable<Expected<CallResponse>> call(CallRequest request) override {
    ++*in_flight_;
    *max_in_flight_ = std::max(*max_in_flight_, *in_flight_);
    if (const Value* delay = request.body.find("delay_ms")) {
      asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(delay->as_int()));
      co_await timer.async_wait(asio::use_awaitable);
    }
    --*in_flight_;
    if (const Value* fail = request.body.find("fail")) {
      co_return make_error(fail->as_string() == "timeout" ? ErrorKind::timeout : ErrorKind::upstream, "fake says no");
    }
    CallResponse response;
    response.status = 200;
    response.body = Value(
        Object{{"echo", request.body}, {"headers", Value(request.headers)}, {"operation", Value(request.operation)}});
    co_return response;
  }

 private:
  int* in_flight_;
  int* max_in_flight_;
};

int fake_in_flight = 0;
int fake_max_in_flight = 0;

class FakeEndpointSpec final : public EndpointSpec {
 public:
  explicit FakeEndpointSpec(EndpointCommon common) : common_(std::move(common)) {}
  const EndpointCommon& common() const override { return common_; }
  std::string describe() const override { return "fake"; }
  std::unique_ptr<Endpoint> instantiate(const Worker&) const override {
    return std::make_unique<FakeEndpoint>(&fake_in_flight, &fake_max_in_flight);
  }

 private:
  EndpointCommon common_;
};

constexpr ConfigKey no_keys[] = {{"note", KeyType::string, "", "ignored"}};

class FakeEndpointKind final : public EndpointKind {
 public:
  std::string_view name() const override { return "fake"; }
  std::string_view description() const override { return "test endpoint"; }
  Schema schema() const override { return no_keys; }
  std::shared_ptr<const EndpointSpec> parse(const ConfigNode& config, EndpointCommon common,
                                            Diagnostics& diag) const override {
    ConfigReader reader(config, no_keys, diag, "fake");
    return std::make_shared<FakeEndpointSpec>(std::move(common));
  }
  std::string_view default_codec() const override { return "json"; }
};

// A library as a codec would add one: `twice.of(21)` is 42.
class TwiceLibrary final : public LuaLibrary {
 public:
  std::string_view name() const override { return "twice"; }
  std::string_view description() const override { return "test library"; }
  void open(lua_State* L) const override {
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, [](lua_State* state) -> int {
      lua_pushinteger(state, 2 * luaL_checkinteger(state, 1));
      return 1;
    });
    lua_setfield(L, -2, "of");
  }
};

const Plugins& test_plugins() {
  static const Plugins plugins = [] {
    Plugins p;
    (void)register_core_steps(p);
    (void)json::register_plugins(p);
    (void)p.endpoints.add(std::make_unique<FakeEndpointKind>());
    flow_test::add_fake_source(p);
    (void)p.lua_libraries.add(std::make_unique<TwiceLibrary>());
    return p;
  }();
  return plugins;
}

class StatusRenderer final : public ErrorRenderer {
 public:
  void render(const Error& error, Outcome& outcome) const override {
    outcome.status = error.kind == ErrorKind::check_failed || error.kind == ErrorKind::bad_input ? 400
                     : error.kind == ErrorKind::timeout                                          ? 504
                                                                                                 : 500;
    outcome.body = std::string(error_kind_name(error.kind)) + ": " + error.message;
  }
};

const StatusRenderer status_renderer;

// Flows of these tests have the endpoint "backend" (FakeEndpoint).
struct Harness : flow_test::FlowHarness {
  explicit Harness(const std::string& flow, std::chrono::milliseconds lua_slice = std::chrono::milliseconds(2000))
      : FlowHarness(test_plugins(), "backend: { fake: {}, timeout: 1s }\n", flow, status_renderer, lua_slice) {}
};

const char* header = "id: t\nsource:\n  fake: { name: a }\n  decode: json\n";

}  // namespace

TEST_CASE("lua steps change vars and body, the reply keeps key order", "[engine]") {
  Harness h(std::string(header) + R"(steps:
  - lua: |
      vars.total = body.price * body.count
      body.seen = true
reply:
  lua: 'return { zeta = 1, id = msg.id, total = vars.total, body = body }'
)");
  REQUIRE(h.diag.ok());
  Outcome o = h.run(R"({"price":3,"count":4,"b":1,"a":2})");
  CHECK(o.status == 200);
  CHECK(o.body == R"({"body":{"price":3,"count":4,"b":1,"a":2,"seen":true},"id":"m0","total":12,"zeta":1})");
  CHECK(o.content_type == "application/json");
}

TEST_CASE("lua steps share one body table until a step outside Lua changes it", "[engine][lua]") {
  // msg keeps what a script puts in it for the message's later steps, so the table a step saw
  // can be compared with the next one's: the same table, not converted into Lua again, while
  // only Lua touched the body; a fresh one once the call put its answer in vars.
  Harness h(std::string(header) + R"(steps:
  - lua: |
      body.n = body.n + 1
      msg.first_body, msg.first_vars = body, vars
  - lua: |
      vars.body_kept = rawequal(body, msg.first_body)
      msg.second_vars = vars
  - call: { endpoint: backend, lua: 'return { n = body.n }', into: his }
  - lua: |
      vars.vars_kept = rawequal(vars, msg.second_vars)
      vars.body_after_call = rawequal(body, msg.first_body)
reply:
  lua: 'return { n = body.n, vars = vars, pushed_float = math.type(body.f) }'
)");
  REQUIRE(h.diag.ok());
  Outcome o = h.run(R"({"n":1,"f":2.0})");
  CHECK(o.status == 200);
  CHECK(o.body ==
        R"({"n":2,"pushed_float":"float","vars":{"body_kept":true,"his":{"echo":{"n":2},"headers":{},"operation":""},)"
        R"("vars_kept":false,"body_after_call":true}})");
}

TEST_CASE("a body and vars the scripts only read cross into Lua once and never back", "[engine][lua]") {
  Harness h(std::string(header) + R"(steps:
  - lua: 'local n = body.n + #vars'
  - check: { required: [n] }
  - lua: 'local m = body.n * 2'
reply:
  lua: 'return { n = body.n }'
)");
  REQUIRE(h.diag.ok());
  // A fresh generation: its worker's Lua has converted nothing before this message.
  CHECK(h.run(R"({"n":1})").body == R"({"n":1})");
  const LuaConversions read_only = h.gen->lua().conversions();
  CHECK(read_only.pushed == 2);  // body and vars, for the first script
  CHECK(read_only.pulled == 0);

  // A script that changes the body sends it back once; the next script sees its table as is.
  Harness changing(std::string(header) + R"(steps:
  - lua: 'body.n = body.n + 1'
  - lua: 'local m = body.n * 2'
reply:
  lua: 'return { n = body.n }'
)");
  REQUIRE(changing.diag.ok());
  CHECK(changing.run(R"({"n":1})").body == R"({"n":2})");
  const LuaConversions changed = changing.gen->lua().conversions();
  CHECK(changed.pushed == 1);  // the body: no script names vars
  CHECK(changed.pulled == 1);
}

TEST_CASE(
    "a script that cannot name the body or vars does not get them pushed, and msg.body and msg.vars cross on first "
    "read",
    "[engine][lua]") {
  Harness h(std::string(header) + R"(steps:
  - lua: 'vars.seen = 1'
reply:
  lua: 'return vars'
)");
  REQUIRE(h.diag.ok());
  CHECK(h.run(R"({"n":1,"big":[1,2,3]})").body == R"({"seen":1})");
  CHECK(h.gen->lua().conversions().pushed == 1);  // vars only
  CHECK(h.gen->lua().conversions().pulled == 1);

  Harness reading(std::string(header) + R"(steps:
  - lua: 'msg.vars.n = msg.body.n + 1'
reply:
  lua: 'return { n = msg.vars.n, again = msg.body.n, same = rawequal(msg.body, msg.body) }'
)");
  REQUIRE(reading.diag.ok());
  CHECK(reading.run(R"({"n":1})").body == R"({"again":1,"n":2,"same":true})");
  // Once each, on the step's first reads: the reply finds them as the step left them.
  CHECK(reading.gen->lua().conversions().pushed == 2);

  SECTION("assigning msg.body or msg.vars before any read replaces them, nil included") {
    Harness replacing(std::string(header) + R"(steps:
  - lua: 'msg.body = { replaced = true }'
  - lua: 'msg.vars = nil'
  - lua: 'msg.vars.kept = msg.body.replaced'
  - lua: 'msg.body = nil'
reply:
  lua: 'return { body_is_nil = msg.body == nil, vars = vars }'
)");
    REQUIRE(replacing.diag.ok());
    CHECK(replacing.run(R"({"n":1})").body == R"({"body_is_nil":true,"vars":{"kept":true}})");
  }

  SECTION("a body changed through msg.body is the body the next script names") {
    Harness recoded(std::string(header) + R"(steps:
  - lua: 'msg.vars.before = msg.body.n'
  - check: { required: [n] }
  - lua: 'msg.body.n = msg.body.n + 10'
  - lua: 'vars.after = body.n'
reply:
  lua: 'return vars'
)");
    REQUIRE(recoded.diag.ok());
    CHECK(recoded.run(R"({"n":1})").body == R"({"before":1,"after":11})");
  }
}

TEST_CASE("a body replaced by another untouched table, or by its own again, is taken for what it is", "[engine][lua]") {
  // Both bodies are lazy tables no script filled: only the one the run started with stands for
  // the message's body unchanged.
  Harness h(std::string(header) + R"(steps:
  - lua: |
      local first = body
      msg.body = qiao.json.decode('{"other":[1,2]}')
      vars.saved = first.n
  - lua: 'local b = body; msg.body = { temporary = true }; msg.body = b'
reply:
  lua: 'return { body = body, n = vars.saved }'
)");
  REQUIRE(h.diag.ok());
  CHECK(h.run(R"({"n":1})").body == R"({"body":{"other":[1,2]},"n":1})");
  CHECK(h.gen->lua().conversions().pulled == 2);  // the new body after step one, vars; none after two
}

TEST_CASE("a table a later step could not have been pushed as is gets pushed again", "[engine][lua]") {
  // 7.0 converts back to the integer 7: the next step must see math.type 'integer', as a
  // fresh push gives it, not the float the last step left; a table built by a script has no
  // object metatable, so the next step gets the pushed one.
  Harness h(std::string(header) + R"(steps:
  - lua: |
      body.n = 14 / 2
      body.t = { a = 1 }
      msg.first_body = body
  - lua: |
      vars.kind = math.type(body.n)
      vars.same = rawequal(body, msg.first_body)
      body.t.b = 2
reply:
  lua: 'return { vars = vars, body = body }'
)");
  REQUIRE(h.diag.ok());
  Outcome o = h.run(R"({"n":1})");
  CHECK(o.body == R"({"body":{"n":7,"t":{"a":1,"b":2}},"vars":{"kind":"integer","same":false}})");
}

TEST_CASE("msg.raw, msg.headers and msg.source cross into Lua when read, and pairs lists them", "[engine][lua]") {
  Harness h(std::string(header) + R"(steps:
  - lua: |
      local names = {}
      for k in pairs(msg) do names[#names + 1] = k end
      table.sort(names)
      vars.names = table.concat(names, ",")
reply:
  lua: 'return { raw = msg.raw, channel = msg.headers["x-channel"], names = vars.names, other = msg.nothing }'
)");
  REQUIRE(h.diag.ok());
  Outcome o = h.run(R"({"a":1})");
  CHECK(o.body == R"({"channel":"kiosk","names":"body,flow,headers,id,raw,source,trace_id,vars","raw":"{\"a\":1}"})");
}

TEST_CASE("check names every missing field and wrong type", "[engine]") {
  Harness h(std::string(header) + "steps:\n  - check: { required: [a, b.c], types: { d: integer } }\n");
  REQUIRE(h.diag.ok());
  Outcome o = h.run(R"({"a":"","d":"7"})");
  CHECK(o.status == 400);
  CHECK(
      o.body ==
      "check_failed: missing required field 'a'; missing required field 'b.c'; field 'd' must be integer, not string");
  CHECK(h.run(R"({"a":"x","b":{"c":1},"d":7})").status == 200);
}

TEST_CASE("call puts the reply in vars, lua builds the request and headers", "[engine]") {
  Harness h(std::string(header) + R"(steps:
  - call:
      endpoint: backend
      operation: Register
      headers: { X-Fixed: "1" }
      lua: 'return { PatientID = body.id }, { ["X-Sign"] = "abc" }'
      into: his
reply:
  lua: 'return vars.his'
)");
  REQUIRE(h.diag.ok());
  Outcome o = h.run(R"({"id":"P1"})");
  CHECK(o.body == R"({"echo":{"PatientID":"P1"},"headers":{"X-Fixed":"1","X-Sign":"abc"},"operation":"Register"})");
}

TEST_CASE("a failed call fails the message, or lands in vars with on_error: continue", "[engine]") {
  Harness failing(std::string(header) + "steps:\n  - call: { endpoint: backend }\n");
  REQUIRE(failing.diag.ok());
  Outcome o = failing.run(R"({"fail":"timeout"})");
  CHECK(o.status == 504);
  CHECK(o.body == "timeout: fake says no");

  Harness routed(std::string(header) + R"(steps:
  - call: { endpoint: backend, into: bank, on_error: continue }
  - route:
      - when: vars.bank.error ~= nil
        reply: { status: 503, lua: 'return { code = vars.bank.error.code }' }
      - otherwise: { reply: { body: { ok: true } } }
)");
  REQUIRE(routed.diag.ok());
  CHECK(routed.run(R"({"fail":"upstream"})").body == R"({"code":"upstream"})");
  CHECK(routed.run(R"({"fail":"upstream"})").status == 503);
  CHECK(routed.run(R"({"x":1})").body == R"({"ok":true})");
}

TEST_CASE("route takes the first true case, then continues when it does not reply", "[engine]") {
  Harness h(std::string(header) + R"(steps:
  - route:
      - when: body.n > 10
        steps:
          - lua: 'vars.size = "big"'
      - when: body.n > 5
        steps:
          - lua: 'vars.size = "medium"'
      - otherwise:
          reply: { status: 422, body: { error: small } }
reply:
  lua: 'return { size = vars.size }'
)");
  REQUIRE(h.diag.ok());
  CHECK(h.run(R"({"n":11})").body == R"({"size":"big"})");
  CHECK(h.run(R"({"n":6})").body == R"({"size":"medium"})");
  Outcome small = h.run(R"({"n":1})");
  CHECK(small.status == 422);
  CHECK(small.body == R"({"error":"small"})");
}

TEST_CASE("qiao.call suspends only its own message", "[engine][lua]") {
  Harness h(std::string(header) + R"(steps:
  - lua: |
      local reply, meta = qiao.call("backend", { delay_ms = 30, n = body.n }, { headers = { ["X-N"] = tostring(body.n) } })
      return qiao.reply(201, { n = reply.echo.n, header = reply.headers["X-N"], status = meta.status })
)");
  REQUIRE(h.diag.ok());
  fake_max_in_flight = 0;
  auto outcomes = h.run(std::vector<std::string>{R"({"n":1})", R"({"n":2})", R"({"n":3})"});
  // All three calls were waiting at once on the one test thread: none blocked it.
  CHECK(fake_max_in_flight == 3);
  CHECK(outcomes[0].status == 201);
  CHECK(outcomes[1].body == R"({"header":"2","n":2,"status":200})");
  CHECK(outcomes[2].body == R"({"header":"3","n":3,"status":200})");
}

TEST_CASE("globals belong to their message, even between its calls", "[engine][lua]") {
  // The script forgets `local`: `patient` is a global, set before a call that other messages'
  // code runs during, and read after it. Resume order is shuffled by the calls' delays.
  Harness h(std::string(header) + R"(steps:
  - lua: |
      earlier = leftover
      patient = body.id
      leftover = body.id
      qiao.call("backend", { delay_ms = body.delay })
      vars.after_call = patient
  - lua: |
      assert(_G.patient == patient)
      return qiao.reply({ id = vars.after_call, next_step = patient, earlier = earlier })
)");
  REQUIRE(h.diag.ok());
  constexpr int count = 3000;
  std::vector<std::string> bodies;
  for (int i = 0; i < count; ++i) {
    bodies.push_back(R"({"id":"P)" + std::to_string(i) + R"(","delay":)" + std::to_string((i * 7919) % 40) + "}");
  }
  fake_max_in_flight = 0;
  auto outcomes = h.run(bodies);
  CHECK(fake_max_in_flight == count);  // every message was suspended at once on the one thread
  int own = 0;
  for (int i = 0; i < count; ++i) {
    const std::string id = "P" + std::to_string(i);
    if (outcomes[i].body == R"({"id":")" + id + R"(","next_step":")" + id + R"("})") ++own;
    else FAIL_CHECK("message " << i << " got " << outcomes[i].body);
  }
  CHECK(own == count);

  // And after the messages are done, nothing of theirs is left for the next one.
  CHECK(h.run(R"({"id":"later","delay":0})").body == R"({"id":"later","next_step":"later"})");
}

TEST_CASE("the shared base cannot be changed by a script", "[engine][lua]") {
  const auto answer = [](const std::string& lua) {
    Harness h(std::string(header) + "steps:\n  - lua: |\n      " + lua + "\n");
    REQUIRE(h.diag.ok());
    return h.run("{}").body;
  };
  for (const char* change : {"string.upper = nil", "qiao.call = nil", "qiao.json.encode = print", "twice.of = nil",
                             "rawset(qiao, 'extra', 1)", "table.insert(string, 1)", "os.time = nil"}) {
    INFO(change);
    CHECK(answer(change).find("shared by every message and cannot be changed") != std::string::npos);
  }
  for (const char* reach : {"getmetatable('').__index.upper = nil", "setmetatable(_ENV, nil)",
                            "getmetatable(qiao.array()).__index = {}", "getmetatable(qiao.reply({})).__index = {}"}) {
    INFO(reach);
    CHECK(answer(reach).rfind("flow: ", 0) == 0);
  }
  // What a script may do with the base still works: read it, list it, shadow a name for itself.
  CHECK(answer("local n = 0 for _ in pairs(string) do n = n + 1 end\n"
               "      local upper = string.upper; string = { upper = function() return 'mine' end }\n"
               "      return qiao.reply({ listed = n > 10, mine = string.upper('x'), real = upper('x'), "
               "method = ('x'):upper() })") == R"({"listed":true,"method":"X","mine":"mine","real":"X"})");
}

TEST_CASE("qiao.call errors can be caught with pcall, or fail the message with their kind", "[engine][lua]") {
  Harness caught(std::string(header) + R"(steps:
  - lua: |
      local ok, err = pcall(qiao.call, "backend", { fail = "timeout" })
      return qiao.reply({ ok = ok, code = err.code, text = tostring(err) })
)");
  REQUIRE(caught.diag.ok());
  CHECK(caught.run("{}").body == R"({"code":"timeout","ok":false,"text":"timeout: fake says no"})");

  Harness uncaught(std::string(header) + "steps:\n  - lua: 'qiao.call(\"backend\", { fail = \"timeout\" })'\n");
  CHECK(uncaught.run("{}").status == 504);

  Harness unknown(std::string(header) + "steps:\n  - lua: 'qiao.call(\"nowhere\", {})'\n");
  CHECK(unknown.run("{}").body == "flow: unknown endpoint 'nowhere'");
}

TEST_CASE("lua errors name the flow file and line, qiao.fail chooses the kind", "[engine][lua]") {
  Harness h(std::string(header) + "steps:\n  - lua: |\n      local x = nil\n      return x.field\n");
  REQUIRE(h.diag.ok());
  Outcome o = h.run("{}");
  CHECK(o.status == 500);
  CHECK(o.body.find("flows/flow.yaml:8:") != std::string::npos);
  CHECK(o.body.find("attempt to index a nil value") != std::string::npos);

  Harness fail(std::string(header) + "steps:\n  - lua: 'qiao.fail(\"check_failed\", \"amount must be positive\")'\n");
  CHECK(fail.run("{}").body == "check_failed: amount must be positive");
}

TEST_CASE("a script that never yields is stopped", "[engine][lua]") {
  Harness h(std::string(header) + "steps:\n  - lua: 'while true do end'\n", std::chrono::milliseconds(100));
  REQUIRE(h.diag.ok());
  Outcome o = h.run("{}");
  CHECK(o.status == 500);
  CHECK(o.body.find("ran for more than 100 ms without yielding") != std::string::npos);
}

TEST_CASE("values survive the trip through Lua", "[engine][lua]") {
  Harness h(std::string(header) + "steps:\n  - lua: 'body.half = body.ten / 2'\n");
  REQUIRE(h.diag.ok());
  // Empty arrays stay arrays, nulls inside containers stay null, integers stay integers.
  CHECK(h.run(R"({"list":[],"obj":{},"none":null,"nested":[1,null,"x"],"ten":10,"pi":3.25})").body ==
        R"({"list":[],"obj":{},"none":null,"nested":[1,null,"x"],"ten":10,"pi":3.25,"half":5})");
}

TEST_CASE("a number Lua does not change leaves as it came", "[engine][lua][decimal]") {
  const std::string numbers =
      R"({"amount":12.50,"total":100.00,"rate":0.10,"kilo":1e3,"tiny":-0.000,"card":62220212345678901234,)"
      R"("id":6222021234567890123,"list":[0.50,2.0,-7.25E-1]})";
  Harness untouched(std::string(header) + "steps:\n  - lua: 'vars.seen = true'\n");
  REQUIRE(untouched.diag.ok());
  CHECK(untouched.run(numbers).body == numbers);

  // Copied into a new table, a call or a reply, a number keeps its text too.
  Harness copied(std::string(header) + R"(steps:
  - lua: |
      local echo = qiao.call("backend", { fee = body.amount, list = body.list })
      return qiao.reply({ fee = echo.echo.fee, list = echo.echo.list, kilo = body.kilo })
)");
  REQUIRE(copied.diag.ok());
  CHECK(copied.run(numbers).body == R"({"fee":12.50,"kilo":1e3,"list":[0.50,2.0,-7.25E-1]})");

  // Two spellings of one number: each stays where it was.
  Harness both(std::string(header) + "steps:\n  - lua: 'vars.seen = true'\n");
  CHECK(both.run(R"({"a":12.50,"b":12.5,"c":[12.500]})").body == R"({"a":12.50,"b":12.5,"c":[12.500]})");

  // Arithmetic is Lua's: a changed number is written in its shortest form.
  Harness changed(std::string(header) +
                  "steps:\n  - lua: 'body.amount = body.amount * 2; body.rate = body.rate + 0.01'\n");
  CHECK(changed.run(R"({"amount":12.50,"rate":0.10})").body == R"({"amount":25,"rate":0.11})");
}

TEST_CASE("qiao.decimal computes exactly", "[engine][lua][decimal]") {
  Harness h(std::string(header) + R"(steps:
  - lua: |
      local amount = qiao.decimal(body.amount)
      local float_sum = 0.1 + 0.2
      return qiao.reply({
        kept = tostring(amount),
        plus_cent = amount + "0.01",
        doubled = amount * 2,
        minus = amount - body.fee,
        exact = qiao.decimal("0.1") + 0.2 == qiao.decimal("0.3"),
        float = float_sum == 0.3,
        less = amount < 13 and amount > qiao.decimal("12.49") and amount <= body.amount,
        share = amount:div(3, 2),
        rounded = qiao.decimal("2.345"):round(2),
        negative_rounded = qiao.decimal("-2.345"):round(2),
        padded = qiao.decimal(7):round(2),
        text = "total " .. amount,
        number = amount:tonumber() * 2,
        big = qiao.decimal("99999999999999999999.99") + 1,
      })
)");
  REQUIRE(h.diag.ok());
  CHECK(h.run(R"({"amount":12.50,"fee":0.75})").body ==
        R"({"big":100000000000000000000.99,"doubled":25.00,"exact":true,"float":false,"kept":"12.50","less":true,)"
        R"("minus":11.75,"negative_rounded":-2.35,"number":25,"padded":7.00,"plus_cent":12.51,"rounded":2.35,)"
        R"("share":4.17,"text":"total 12.50"})");

  const auto error_of = [](const std::string& lua) {
    Harness e(std::string(header) + "steps:\n  - lua: '" + lua + "'\n");
    REQUIRE(e.diag.ok());
    return e.run("{}").body;
  };
  CHECK(error_of("return qiao.decimal(\"12,50\")").find("'12,50' is not a decimal number") != std::string::npos);
  CHECK(error_of("return qiao.decimal(\"1\") / 3").find("use d:div(x, scale)") != std::string::npos);
  CHECK(error_of("return qiao.decimal(\"1\"):div(0, 2)").find("division by zero") != std::string::npos);
  CHECK(error_of("return qiao.decimal(string.rep(\"9\", 38)) * 10").find("more than 38 digits") != std::string::npos);
}

TEST_CASE("property: random JSON through a Lua step leaves byte for byte", "[engine][lua][decimal]") {
  Harness h(std::string(header) + "steps:\n  - lua: 'vars.seen = body ~= nil'\n");
  REQUIRE(h.diag.ok());
  std::mt19937 random(20261203);
  const auto pick = [&random](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  const auto digits = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += static_cast<char>('0' + pick(10));
    return s;
  };
  std::function<std::string(int)> number = [&](int) {
    std::string n = pick(3) == 0 ? "-" : "";
    const std::string whole = pick(4) == 0 ? "0" : std::to_string(1 + pick(9)) + digits(pick(22));
    n += whole;
    if (pick(2)) n += "." + digits(1 + pick(6));
    if (pick(5) == 0) n += std::string(pick(2) ? "e" : "E") + (pick(2) ? "-" : "") + std::to_string(pick(30));
    return n;
  };
  std::function<std::string(int)> value = [&](int depth) -> std::string {
    const int kind = depth > 3 ? pick(2) : pick(4);
    if (kind == 0) return number(depth);
    if (kind == 1) return pick(2) ? R"("s)" + digits(3) + R"(")" : (pick(2) ? "true" : "null");
    std::string out(1, kind == 2 ? '[' : '{');
    const int n = pick(5);
    for (int i = 0; i < n; ++i) {
      if (i) out += ',';
      if (kind == 3) out += R"("k)" + std::to_string(i) + R"(":)";
      out += value(depth + 1);
    }
    return out + (kind == 2 ? ']' : '}');
  };
  std::vector<std::string> documents;
  for (int i = 0; i < 500; ++i) {
    std::string doc = "{";
    for (int k = 0; k < 1 + pick(6); ++k) doc += (k ? ",\"f" : "\"f") + std::to_string(k) + "\":" + value(0);
    documents.push_back(doc + "}");
  }
  auto outcomes = h.run(documents);
  for (std::size_t i = 0; i < documents.size(); ++i) {
    INFO(documents[i]);
    CHECK(outcomes[i].body == documents[i]);
  }
}

TEST_CASE("lua helpers: json, codec, ordered tables, null", "[engine][lua]") {
  Harness h(std::string(header) + R"(steps:
  - lua: |
      local inner = qiao.json.decode('{"b":1,"a":[true]}')
      local ordered = qiao.ordered()
      ordered.PatientID = "P1"
      ordered.DeptCode = "0101"
      ordered.Amount = 5
      return qiao.reply({
        text = qiao.codec.encode("json", inner),
        ordered = qiao.json.encode(ordered),
        is_null = body.x == qiao.null,
      })
)");
  REQUIRE(h.diag.ok());
  CHECK(
      h.run(R"({"x":null})").body ==
      R"({"is_null":true,"ordered":"{\"PatientID\":\"P1\",\"DeptCode\":\"0101\",\"Amount\":5}","text":"{\"b\":1,\"a\":[true]}"})");
}

TEST_CASE("plugins add Lua libraries as globals", "[engine][lua]") {
  Harness h(std::string(header) + "steps:\n  - lua: 'return qiao.reply({ answer = twice.of(body.n) })'\n");
  REQUIRE(h.diag.ok());
  CHECK(h.run(R"({"n":21})").body == R"({"answer":42})");
}

TEST_CASE("undecodable input is a bad_input error", "[engine]") {
  Harness h(std::string(header) + "steps: []\n");
  REQUIRE(h.diag.ok());
  Outcome o = h.run(R"({"a":)");
  CHECK(o.status == 400);
  CHECK(o.body.rfind("bad_input: json:", 0) == 0);
}

TEST_CASE("building a generation reports every error with its position", "[engine][config]") {
  Harness h(R"(id: t
source:
  fake: { name: a }
  decode: jsno
stpes: []
steps:
  - lua: 'return ((('
  - call: { endpoint: bakend }
  - frobnicate: {}
  - route: [ { when: 'body.x ==' , reply: { status: 99 } } ]
)");
  CHECK_FALSE(h.gen);
  const std::string text = h.diag.text();
  INFO(text);
  CHECK(text.find("flows/flow.yaml:5:1: flow: unknown key 'stpes'") != std::string::npos);
  CHECK(text.find("flows/flow.yaml:4:11: unknown codec 'jsno'") != std::string::npos);
  CHECK(text.find("flows/flow.yaml:7:") != std::string::npos);
  CHECK(text.find("flows/flow.yaml:8:23: unknown endpoint 'bakend' (declared: backend)") != std::string::npos);
  CHECK(text.find("flows/flow.yaml:9:5: unknown step 'frobnicate'") != std::string::npos);
  CHECK(text.find("flows/flow.yaml:10:") != std::string::npos);
  CHECK(text.find("flows/flow.yaml:11:") == std::string::npos);
  CHECK(text.find("reply: status must be 100..999") != std::string::npos);
}

TEST_CASE("metrics count outcomes per flow", "[engine][metrics]") {
  Harness h(std::string(header) + "steps:\n  - check: { required: [a] }\n");
  REQUIRE(h.diag.ok());
  h.run(std::vector<std::string>{R"({"a":1})", R"({"a":1})", "{}"});
  FlowStats& stats = h.metrics.flow("t");
  CHECK(stats.count(nullptr) == 2);
  const Error check{ErrorKind::check_failed, ""};
  CHECK(stats.count(&check) == 1);
  const std::string text = h.metrics.render(1);
  CHECK(text.find("qiao_messages_total{flow=\"t\",outcome=\"ok\"} 2") != std::string::npos);
  CHECK(text.find("qiao_messages_total{flow=\"t\",outcome=\"check_failed\"} 1") != std::string::npos);
  CHECK(text.find("qiao_message_duration_seconds_count{flow=\"t\"} 3") != std::string::npos);
}

TEST_CASE("endpoint event counters are one per endpoint and event, shown by /metrics", "[engine][metrics]") {
  std::atomic<std::uint64_t>& late = qiao::endpoint_event_counter("metrics-test-bank", "unmatched_reply");
  CHECK(&late == &qiao::endpoint_event_counter("metrics-test-bank", "unmatched_reply"));  // found again, not made anew
  CHECK(&late != &qiao::endpoint_event_counter("metrics-test-lis", "unmatched_reply"));
  const std::uint64_t before = late.load();
  late.fetch_add(2);
  const std::string text = Metrics().render(1);
  CHECK(text.find("# TYPE qiao_endpoint_events_total counter\n") != std::string::npos);
  CHECK(text.find("qiao_endpoint_events_total{endpoint=\"metrics-test-bank\",event=\"unmatched_reply\"} " +
                  std::to_string(before + 2) + "\n") != std::string::npos);
}

namespace {

// A source that answers a successful flow itself (as MLLP with ack: auto does): the flow's reply
// never reaches the sender.
class OwnAnswerRenderer final : public ErrorRenderer {
 public:
  void render(const Error& error, Outcome& outcome) const override { outcome.body = "failed: " + error.message; }
  void accepted(Outcome& outcome) const override { outcome.body = "own answer"; }
  bool sends_flow_reply() const override { return false; }
};

}  // namespace

TEST_CASE("a source that answers for the flow gets no reply encoded, and a reply script still runs", "[engine]") {
  const OwnAnswerRenderer own_answer;
  flow_test::FlowHarness by_default(test_plugins(), "{}\n", std::string(header) + "steps:\n  - lua: 'body.n = 2'\n",
                                    own_answer);
  REQUIRE(by_default.diag.ok());
  const Outcome o = by_default.run(R"({"n":1})");
  CHECK_FALSE(o.error);
  CHECK(o.body == "own answer");
  CHECK(o.content_type.empty());  // the body was not encoded as the flow's JSON reply

  flow_test::FlowHarness failing_reply(
      test_plugins(), "{}\n", std::string(header) + "reply:\n  lua: 'qiao.fail(\"rejected\", \"no\")'\n", own_answer);
  REQUIRE(failing_reply.diag.ok());
  const Outcome failed = failing_reply.run(R"({"n":1})");
  REQUIRE(failed.error);
  CHECK(failed.body == "failed: no");

  // The same flow for a source that sends the reply: encoded with the flow's codec.
  Harness sent(std::string(header) + "steps:\n  - lua: 'body.n = 2'\n");
  REQUIRE(sent.diag.ok());
  const Outcome reply = sent.run(R"({"n":1})");
  CHECK(reply.body == R"({"n":2})");
  CHECK(reply.content_type == "application/json");
}

// What a Lua step costs a decoded message before its script runs and after: the body crossing
// into Lua (push_value), the check that a script which only read it left it unchanged, the
// conversion back (to_value); beside them the lazy push that replaced the whole one, and the C++
// copy and comparison it consists of. On the hl7-adt example's first ADT and on a 20-OBX ORU^R01.
//
//   build/bench/lua_value_bench --benchmark_min_time=1

#include <benchmark/benchmark.h>

#include <fstream>
#include <lua.hpp>
#include <sstream>
#include <string>

#include "bench/codec_bench.hpp"
#include "bench/oru_r01.hpp"
#include "codecs/hl7v2/hl7_codec.hpp"
#include "core/lua/lua_value.hpp"

namespace {

std::string first_adt() {
  std::ifstream in(QIAO_SOURCE_DIR "/examples/hl7-adt/adt.hl7", std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  const auto second = all.find("MSH", 1);
  return all.substr(0, second);
}

qiao::Value decoded(std::string er7) {
  qiao::hl7::Options options;
  options.any_line_ending = true;
  return qiao::bench::must(qiao::hl7::decode(qiao::make_buffer(std::move(er7)), options), "message does not decode");
}

const qiao::Value& message(std::int64_t which) {
  static const qiao::Value adt = decoded(first_adt());
  static const qiao::Value oru = decoded(qiao::bench::oru_r01_er7());
  return which == 0 ? adt : oru;
}

struct State {
  lua_State* L = luaL_newstate();
  State() { qiao::lua::install_value_support(L); }
  ~State() { lua_close(L); }
};

void push_whole(lua_State* L, const qiao::Value& value) { qiao::lua::push_value(L, value); }
void push_lazy(lua_State* L, const qiao::Value& value) { qiao::lua::push_lazy_value(L, value); }

// The body pushed whole (what every step paid before lazy tables) or lazily (a C++ copy of the
// tree and one table).
template <void (*push)(lua_State*, const qiao::Value&)>
void BM_push(benchmark::State& state) {
  const State lua;
  const qiao::Value& body = message(state.range(0));
  for (auto _ : state) {
    push(lua.L, body);
    lua_pop(lua.L, 1);
  }
  lua_gc(lua.L, LUA_GCCOLLECT);
}

// What a flow's step pays now: the body copied into a lazy table, and found unchanged.
void BM_push_lazy_unchanged(benchmark::State& state) {
  const State lua;
  const qiao::Value& body = message(state.range(0));
  for (auto _ : state) {
    qiao::lua::push_lazy_value(lua.L, body);
    benchmark::DoNotOptimize(qiao::lua::unchanged(lua.L, -1, body));
    lua_pop(lua.L, 1);
  }
  lua_gc(lua.L, LUA_GCCOLLECT);
}

void BM_unchanged(benchmark::State& state) {
  const State lua;
  const qiao::Value& body = message(state.range(0));
  qiao::lua::push_value(lua.L, body);
  for (auto _ : state) benchmark::DoNotOptimize(qiao::lua::unchanged(lua.L, -1, body));
}

void BM_to_value(benchmark::State& state) {
  const State lua;
  const qiao::Value& body = message(state.range(0));
  qiao::lua::push_value(lua.L, body);
  for (auto _ : state) benchmark::DoNotOptimize(qiao::lua::to_value(lua.L, -1, "body"));
}

// What unchanged() does for a lazy table no script touched.
void BM_compare(benchmark::State& state) {
  const qiao::Value& body = message(state.range(0));
  const qiao::Value copy = body;
  for (auto _ : state) benchmark::DoNotOptimize(copy == body);
}

void BM_copy(benchmark::State& state) {
  const qiao::Value& body = message(state.range(0));
  for (auto _ : state) {
    qiao::Value copy = body;
    benchmark::DoNotOptimize(copy);
  }
}

}  // namespace

// Argument 0: the ADT^A01 of examples/hl7-adt; 1: the ORU^R01.
BENCHMARK_TEMPLATE(BM_push, push_whole)->Arg(0)->Arg(1);
BENCHMARK_TEMPLATE(BM_push, push_lazy)->Arg(0)->Arg(1);
BENCHMARK(BM_push_lazy_unchanged)->Arg(0)->Arg(1);
BENCHMARK(BM_unchanged)->Arg(0)->Arg(1);
BENCHMARK(BM_to_value)->Arg(0)->Arg(1);
BENCHMARK(BM_compare)->Arg(0)->Arg(1);
BENCHMARK(BM_copy)->Arg(0)->Arg(1);

BENCHMARK_MAIN();

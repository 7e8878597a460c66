// hl7v2-xml codec throughput on a typical ORU^R01 lab result from the LIS (PID, PV1, ORC, OBR and
// 20 OBX, the message bench/hl7v2_codec_bench.cpp uses) in the XML form, compact and indented.
// Bytes/s counts the XML text; items/s counts messages.
//
//   build/bench/hl7v2_xml_codec_bench --benchmark_min_time=1

#include <benchmark/benchmark.h>

#include "bench/codec_bench.hpp"
#include "bench/oru_r01.hpp"
#include "codecs/hl7v2/hl7_codec.hpp"
#include "codecs/hl7v2_xml/hl7_xml_codec.hpp"

namespace {

const qiao::Value& oru_value() {
  static const qiao::Value value =
      qiao::bench::must(qiao::hl7::decode(qiao::make_buffer(qiao::bench::oru_r01_er7())), "body does not decode");
  return value;
}

qiao::Buffer oru_xml(const qiao::hl7xml::Options& options) {
  return qiao::make_buffer(qiao::bench::must(qiao::hl7xml::encode(oru_value(), options), "body does not encode"));
}

void decode_bench(benchmark::State& state, const qiao::hl7xml::Options& options) {
  const qiao::Buffer body = oru_xml(options);
  for (auto _ : state) benchmark::DoNotOptimize(qiao::hl7xml::decode(body, options));
  qiao::bench::count_throughput(state, body->size());
  state.counters["xml_bytes"] = static_cast<double>(body->size());
}

void encode_bench(benchmark::State& state, const qiao::hl7xml::Options& options) {
  const qiao::Value& value = oru_value();
  const std::size_t size = oru_xml(options)->size();
  for (auto _ : state) benchmark::DoNotOptimize(qiao::hl7xml::encode(value, options));
  qiao::bench::count_throughput(state, size);
}

void BM_decode_oru(benchmark::State& state) { decode_bench(state, {}); }
void BM_encode_oru(benchmark::State& state) { encode_bench(state, {}); }
qiao::hl7xml::Options indented() {
  qiao::hl7xml::Options options;
  options.indent = 2;
  return options;
}

void BM_decode_oru_indented(benchmark::State& state) { decode_bench(state, indented()); }
void BM_encode_oru_indented(benchmark::State& state) { encode_bench(state, indented()); }

}  // namespace

BENCHMARK(BM_decode_oru);
BENCHMARK(BM_encode_oru);
BENCHMARK(BM_decode_oru_indented);
BENCHMARK(BM_encode_oru_indented);

BENCHMARK_MAIN();

// hl7v2 codec throughput on a typical ORU^R01 lab result from the LIS (PID, PV1, ORC, OBR and 20
// OBX, ~2.5 KB, UTF-8) and on the same message in GBK with charset=GBK. Bytes/s counts the ER7
// text; items/s counts messages.
//
//   build/bench/hl7v2_codec_bench --benchmark_min_time=1

#include <benchmark/benchmark.h>

#include "bench/codec_bench.hpp"
#include "bench/oru_r01.hpp"
#include "codecs/hl7v2/hl7_codec.hpp"

namespace {

const qiao::Buffer& oru() {
  static const qiao::Buffer buffer = qiao::make_buffer(qiao::bench::oru_r01_er7());
  return buffer;
}

qiao::Value decoded(const qiao::Buffer& body, const qiao::hl7::Options& options) {
  return qiao::bench::must(qiao::hl7::decode(body, options), "body does not decode");
}

void BM_decode_oru(benchmark::State& state) {
  const auto& body = oru();
  const qiao::hl7::Options options;
  for (auto _ : state) benchmark::DoNotOptimize(qiao::hl7::decode(body, options));
  qiao::bench::count_throughput(state, body->size());
}

void BM_encode_oru(benchmark::State& state) {
  const auto& body = oru();
  const qiao::hl7::Options options;
  const qiao::Value value = decoded(body, options);
  for (auto _ : state) benchmark::DoNotOptimize(qiao::hl7::encode(value, options));
  qiao::bench::count_throughput(state, body->size());
}

// The same message as a Chinese HIS sends it: GBK, MSH-18 empty, hl7v2:charset=GBK.
void BM_decode_oru_gbk(benchmark::State& state) {
  qiao::hl7::Options options;
  options.charset = "GBK";
  qiao::Value value = decoded(oru(), {});
  value.as_object().find("segments")->as_array()[0].as_object().find("fields")->as_array()[17] = qiao::Value("");
  const qiao::Buffer body = qiao::make_buffer(*qiao::hl7::encode(value, options));
  for (auto _ : state) benchmark::DoNotOptimize(qiao::hl7::decode(body, options));
  qiao::bench::count_throughput(state, body->size());
}

}  // namespace

BENCHMARK(BM_decode_oru);
BENCHMARK(BM_encode_oru);
BENCHMARK(BM_decode_oru_gbk);

BENCHMARK_MAIN();

// hl7v2 codec throughput on a typical ORU^R01 lab result from the LIS (PID, PV1, ORC, OBR and 20
// OBX, ~2.5 KB, UTF-8) and on the same message in GBK with charset=GBK. Bytes/s counts the ER7
// text; items/s counts messages. And the AA an MLLP source sends for each message: written from
// the header's bytes (what the codec's answers do) beside the general path (decode the MSH, build
// the ACK as a Value, encode it), which they took before.
//
//   build/bench/hl7v2_codec_bench --benchmark_min_time=1

#include <benchmark/benchmark.h>

#include "bench/codec_bench.hpp"
#include "bench/oru_r01.hpp"
#include "codecs/hl7v2/hl7_ack.hpp"
#include "codecs/hl7v2/hl7_codec.hpp"
#include "core/protocol_answers.hpp"

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

void BM_accept_ack_answers(benchmark::State& state) {
  const qiao::hl7::Hl7Codec codec({});
  const auto& body = oru();
  for (auto _ : state) benchmark::DoNotOptimize(codec.answers()->answer(body, nullptr));
  qiao::bench::count_throughput(state, body->size());
}

void BM_accept_ack_general(benchmark::State& state) {
  const qiao::hl7::Hl7Codec codec({});
  const auto& body = oru();
  const std::string_view text = *body;
  const std::string msh(text.substr(0, text.find('\r') + 1));
  for (auto _ : state) {
    auto header = codec.decode(qiao::make_buffer(std::string(msh)));
    auto ack = qiao::hl7::make_ack(*header, "AA", "");
    benchmark::DoNotOptimize(codec.encode(*ack));
  }
  qiao::bench::count_throughput(state, body->size());
}

}  // namespace

BENCHMARK(BM_decode_oru);
BENCHMARK(BM_encode_oru);
BENCHMARK(BM_decode_oru_gbk);
BENCHMARK(BM_accept_ack_answers);
BENCHMARK(BM_accept_ack_general);

BENCHMARK_MAIN();

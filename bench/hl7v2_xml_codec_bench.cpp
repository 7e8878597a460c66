// hl7v2-xml codec throughput on a typical ORU^R01 lab result from the LIS (PID, PV1, ORC, OBR and
// 20 OBX, the message bench/hl7v2_codec_bench.cpp uses) in the XML form, compact and indented.
// Bytes/s counts the XML text; items/s counts messages.
//
//   build/bench/hl7v2_xml_codec_bench --benchmark_min_time=1

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "codecs/hl7v2/hl7_codec.hpp"
#include "codecs/hl7v2_xml/hl7_xml_codec.hpp"

namespace {

std::string oru_er7() {
  static const char* const items[][5] = {
      {"WBC", "白细胞计数", "10*9/L", "3.5-9.5", "6.42"},   {"RBC", "红细胞计数", "10*12/L", "4.3-5.8", "4.87"},
      {"HGB", "血红蛋白", "g/L", "130-175", "148"},         {"PLT", "血小板计数", "10*9/L", "125-350", "231"},
      {"GLU", "葡萄糖", "mmol/L", "3.9-6.1", "5.62"},       {"ALT", "丙氨酸氨基转移酶", "U/L", "9-50", "27.3"},
      {"CREA", "肌酐", "umol/L", "57-111", "84.1"},         {"K", "钾", "mmol/L", "3.5-5.3", "4.15"},
  };
  std::string s =
      "MSH|^~\\&|LIS|LAB01|HIS|HOSP01|20261120101500||ORU^R01^ORU_R01|LAB20261120001|P|2.5|||AL|NE||UNICODE UTF-8\r"
      "PID|1||100234^^^HOSP01^MR~110101199003071234^^^CHN^NNCHN||张^三^^^^^L||19900307|M|||北京市朝阳区建国路88号^^北京^^100022^CN||^PRN^PH^^^^13800138000\r"
      "PV1|1|O|OPD^^^HOSP01||||D1234^李^四|||MED\r"
      "ORC|RE|ORD0001^HIS|LAB0001^LIS||CM\r"
      "OBR|1|ORD0001^HIS|LAB0001^LIS|CBC^血常规^L|||20261120090000|||||||20261120091000|静脉血|D1234^李^四\r";
  for (int i = 0; i < 20; ++i) {
    const auto& item = items[i % 8];
    s += "OBX|" + std::to_string(i + 1) + "|NM|" + item[0] + "^" + item[1] + "^L||" + item[4] + "|" + item[2] + "|" +
         item[3] + "|" + (i % 5 == 0 ? "H" : "N") + "|||F|||20261120100000||王五^检验师\r";
  }
  s += "NTE|1|L|复查结果与前次一致\\.br\\请结合临床 \\T\\ 随访\r";
  return s;
}

const qiao::Value& oru_value() {
  static const qiao::Value value = [] {
    auto v = qiao::hl7::decode(qiao::make_buffer(oru_er7()));
    if (!v) {
      std::fprintf(stderr, "benchmark body does not decode: %s\n", v.error().message.c_str());
      std::abort();
    }
    return std::move(v).value();
  }();
  return value;
}

qiao::Buffer oru_xml(const qiao::hl7xml::Options& options) {
  auto xml = qiao::hl7xml::encode(oru_value(), options);
  if (!xml) {
    std::fprintf(stderr, "benchmark body does not encode: %s\n", xml.error().message.c_str());
    std::abort();
  }
  return qiao::make_buffer(std::move(xml).value());
}

void decode_bench(benchmark::State& state, const qiao::hl7xml::Options& options) {
  const qiao::Buffer body = oru_xml(options);
  for (auto _ : state) benchmark::DoNotOptimize(qiao::hl7xml::decode(body, options));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body->size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["xml_bytes"] = static_cast<double>(body->size());
}

void encode_bench(benchmark::State& state, const qiao::hl7xml::Options& options) {
  const qiao::Value& value = oru_value();
  const std::size_t size = oru_xml(options)->size();
  for (auto _ : state) benchmark::DoNotOptimize(qiao::hl7xml::encode(value, options));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_decode_oru(benchmark::State& state) { decode_bench(state, {}); }
void BM_encode_oru(benchmark::State& state) { encode_bench(state, {}); }
void BM_decode_oru_indented(benchmark::State& state) { decode_bench(state, *qiao::hl7xml::parse_options("indent=2")); }
void BM_encode_oru_indented(benchmark::State& state) { encode_bench(state, *qiao::hl7xml::parse_options("indent=2")); }

}  // namespace

BENCHMARK(BM_decode_oru);
BENCHMARK(BM_encode_oru);
BENCHMARK(BM_decode_oru_indented);
BENCHMARK(BM_encode_oru_indented);

BENCHMARK_MAIN();

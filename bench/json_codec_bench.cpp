// JSON codec throughput on two bodies a hospital gateway sees all day: a ~1 KB registration
// request from a kiosk and a ~64 KB lab report from the LIS. Bytes/s counts the JSON text;
// items/s counts whole messages.
//
//   build/bench/json_codec_bench --benchmark_min_time=1

#include <benchmark/benchmark.h>

#include <string>

#include "bench/codec_bench.hpp"
#include "codecs/json/json_codec.hpp"

namespace {

std::string registration_json() {
  std::string s;
  s += R"({"orderNo":"R20240611000123","channel":"KIOSK-03","requestTime":"2024-06-11T08:15:42+08:00",)";
  s += R"("patient":{"patientId":"P0012345","cardNo":"6217000010012345678","cardType":"medicalInsurance",)";
  s += R"("name":"张三","gender":"M","birthDate":"1980-02-29","idCard":"110101198002290011",)";
  s += R"("phone":"13800138000","address":"北京市东城区东华门街道王府井大街 1 号院 3 单元 502 室"},)";
  s += R"("dept":{"code":"0301","name":"心血管内科","campus":"本部","floor":"门诊楼 3 层 B 区"},)";
  s += R"("doctor":{"code":"D1024","name":"李四","title":"主任医师"},)";
  s += R"("schedule":{"date":"2024-06-11","period":"AM","slot":3,"startTime":"08:30","endTime":"09:00"},)";
  s += R"("fees":[{"item":"挂号费","code":"F001","amount":12.50,"quantity":1},)";
  s += R"({"item":"诊查费","code":"F002","amount":50.00,"quantity":1},)";
  s += R"({"item":"病历本","code":"F017","amount":1.00,"quantity":1}],)";
  s += R"("total":63.50,"insurance":{"type":"城镇职工","fundPay":44.45,"selfPay":19.05,"ratio":0.70},)";
  s += R"("payment":{"method":"wechat","transactionId":"4200001234202406110123456789","paid":true},)";
  s += R"("firstVisit":true,"urgent":false,"remark":null,"operator":"SELF-SERVICE",)";
  s += R"("signature":"9f2c4e1a7b3d5f60182a4c6e8b0d2f41a3c5e7f9b1d3f5a7c9e1b3d5f7a9c1e3"})";
  return s;
}

std::string lab_result_json() {
  static const char* const items[][5] = {
      // code, name, unit, reference range, typical value
      {"WBC", "白细胞计数", "10^9/L", "3.5-9.5", "6.42"}, {"RBC", "红细胞计数", "10^12/L", "4.3-5.8", "4.87"},
      {"HGB", "血红蛋白", "g/L", "130-175", "148"},       {"PLT", "血小板计数", "10^9/L", "125-350", "231"},
      {"GLU", "葡萄糖", "mmol/L", "3.9-6.1", "5.62"},     {"ALT", "丙氨酸氨基转移酶", "U/L", "9-50", "27.3"},
      {"CREA", "肌酐", "umol/L", "57-111", "84.1"},       {"K", "钾", "mmol/L", "3.5-5.3", "4.15"},
  };
  std::string s;
  s += R"({"reportId":"LIS202406110004567","patientId":"P0012345","visitNo":"MZ20240611000123",)";
  s += R"("specimen":{"barcode":"100245678901","type":"静脉血","collectedAt":"2024-06-11T08:42:10+08:00"},)";
  s += R"("orderingDept":"心血管内科","instrument":"Sysmex XN-1000 / Roche cobas 8000","observations":[)";
  for (int i = 0; s.size() < 64 * 1024 - 400; ++i) {
    const auto& item = items[i % 8];
    if (i > 0) s += ',';
    s += R"({"seq":)" + std::to_string(i + 1) + R"(,"code":")" + item[0] + R"(","name":")" + item[1] + R"(","value":)" +
         item[4] + R"(,"unit":")" + item[2] + R"(","referenceRange":")" + item[3] + R"(","flag":")" +
         (i % 11 == 0 ? "H" : "N") + R"(","method":"流式细胞术/比色法",)" +
         R"("verifiedBy":"王五","verifiedAt":"2024-06-11T10:)" + std::to_string(10 + i % 50) +
         R"(:00+08:00","comment":)" + (i % 7 == 0 ? R"("复查结果与前次一致，请结合临床")" : "null") + "}";
  }
  s += R"(],"conclusion":"各项指标未见明显异常","status":"final"})";
  return s;
}

const qiao::Buffer& registration() {
  static const qiao::Buffer buffer = qiao::make_buffer(registration_json());
  return buffer;
}

const qiao::Buffer& lab_result() {
  static const qiao::Buffer buffer = qiao::make_buffer(lab_result_json());
  return buffer;
}

qiao::Value decoded(const qiao::Buffer& body) {
  return qiao::bench::must(qiao::json::decode(body), "body does not decode");
}

void decode_body(benchmark::State& state, const qiao::Buffer& (*body)()) {
  const qiao::Buffer& bytes = body();
  for (auto _ : state) {
    auto value = qiao::json::decode(bytes);
    benchmark::DoNotOptimize(value);
  }
  qiao::bench::count_throughput(state, bytes->size());
  state.counters["body_bytes"] = static_cast<double>(bytes->size());
}

void encode_body(benchmark::State& state, const qiao::Buffer& (*body)()) {
  const qiao::Value value = decoded(body());
  std::size_t size = 0;
  for (auto _ : state) {
    auto text = qiao::json::encode(value);
    size = text->size();
    benchmark::DoNotOptimize(text);
  }
  qiao::bench::count_throughput(state, size);
  state.counters["body_bytes"] = static_cast<double>(size);
}

BENCHMARK_CAPTURE(decode_body, registration_1k, registration);
BENCHMARK_CAPTURE(encode_body, registration_1k, registration);
BENCHMARK_CAPTURE(decode_body, lab_result_64k, lab_result);
BENCHMARK_CAPTURE(encode_body, lab_result_64k, lab_result);

}  // namespace

BENCHMARK_MAIN();

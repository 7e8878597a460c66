// Delimited codec throughput on two files a hospital gateway reads every day: the bank's
// reconciliation statement (pipe-delimited, GBK, typed by config/layouts/bank-statement.yaml,
// ~10 000 lines) and an untyped UTF-8 CSV export with quoting (~10 000 lines). Bytes/s counts the
// file; items/s counts records.
//
//   build/bench/delimited_codec_bench --benchmark_min_time=1

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "codecs/delimited/delimited_codec.hpp"
#include "core/text/charset.hpp"

namespace {

constexpr int lines = 10000;

qiao::delimited::Options must(qiao::Expected<qiao::delimited::Options> o) {
  if (!o) {
    std::fprintf(stderr, "benchmark options do not parse: %s\n", o.error().message.c_str());
    std::abort();
  }
  return std::move(o).value();
}

const qiao::delimited::Options& bank_options() {
  static const auto o = must(qiao::delimited::load_layout(QIAO_SOURCE_DIR "/config/layouts/bank-statement.yaml"));
  return o;
}

const qiao::delimited::Options& csv_options() {
  static const qiao::delimited::Options o = [] {
    qiao::delimited::Options options;
    options.header = true;
    return options;
  }();
  return o;
}

std::string two(int v) { return (v < 10 ? "0" : "") + std::to_string(v); }

const qiao::Buffer& bank_statement() {
  static const qiao::Buffer buffer = [] {
    static const char* const remarks[] = {"挂号缴费", "门诊缴费 检验", "住院预交金", "退号", "药费"};
    std::string s;
    for (int i = 0; i < lines; ++i) {
      const int cents = 1 + (i * 7919) % 500000;
      s += "20261122|" + two(8 + i % 12) + two(i % 60) + two((i * 7) % 60) + "|BK2026112200" +
           std::to_string(100000 + i) + "|MZ2026112200" + std::to_string(200000 + i) + "|621700******" +
           std::to_string(1000 + i % 9000) + "|0" + std::to_string(1 + i % 2) + "|" + std::to_string(cents / 100) +
           "." + two(cents % 100) + "|" + (i % 3 ? "0.19" : "") + "|00|" + remarks[i % 5] + "|\r\n";
    }
    auto converted = qiao::from_utf8(s, "GBK");
    return qiao::make_buffer(std::move(*converted));
  }();
  return buffer;
}

const qiao::Buffer& csv_export() {
  static const qiao::Buffer buffer = [] {
    std::string s = "patientId,name,dept,diagnosis,amount,visitTime\r\n";
    for (int i = 0; i < lines; ++i) {
      s += "P00" + std::to_string(12345 + i) + "," + (i % 4 ? "张三" : "\"欧阳,娜娜\"") + ",心血管内科," +
           (i % 5 ? "\"高血压病 2 级, 极高危\"" : "\"复查 \"\"正常\"\"\"") + "," + std::to_string(i % 1000) + ".50," +
           "2026-11-22 08:" + two(i % 60) + ":00\r\n";
    }
    return qiao::make_buffer(std::move(s));
  }();
  return buffer;
}

qiao::Value decoded(const qiao::Buffer& body, const qiao::delimited::Options& o) {
  auto value = qiao::delimited::decode(body, o);
  if (!value) {
    std::fprintf(stderr, "benchmark body does not decode: %s\n", value.error().message.c_str());
    std::abort();
  }
  return std::move(value).value();
}

void decode_file(benchmark::State& state, const qiao::Buffer& (*body)(), const qiao::delimited::Options& (*options)()) {
  const qiao::Buffer& bytes = body();
  for (auto _ : state) {
    auto value = qiao::delimited::decode(bytes, options());
    benchmark::DoNotOptimize(value);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes->size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * lines));
  state.counters["file_bytes"] = static_cast<double>(bytes->size());
}

void encode_file(benchmark::State& state, const qiao::Buffer& (*body)(), const qiao::delimited::Options& (*options)()) {
  const qiao::Value value = decoded(body(), options());
  std::size_t size = 0;
  for (auto _ : state) {
    auto text = qiao::delimited::encode(value, options());
    size = text->size();
    benchmark::DoNotOptimize(text);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * lines));
  state.counters["file_bytes"] = static_cast<double>(size);
}

BENCHMARK_CAPTURE(decode_file, bank_statement_gbk_typed, bank_statement, bank_options)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(encode_file, bank_statement_gbk_typed, bank_statement, bank_options)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(decode_file, csv_utf8_quoted, csv_export, csv_options)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(encode_file, csv_utf8_quoted, csv_export, csv_options)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

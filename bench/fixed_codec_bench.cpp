// Fixed codec throughput on what a hospital gateway reads and writes with it: a bank's daily
// statement (config/layouts/bank-statement-fixed.yaml: GBK, CRLF, header + 10 000 details +
// trailer, implied-decimal amounts, dates, Chinese names in one detail of two) and one insurer
// request record (config/layouts/insurer-request-fixed.yaml, 140 bytes). Bytes/s counts the
// input; items/s counts records.
//
//   build/bench/fixed_codec_bench --benchmark_min_time=1

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "codecs/fixed/fixed_codec.hpp"
#include "core/text/charset.hpp"

namespace {

constexpr int details = 10000;

template <class T>
T must(qiao::Expected<T> v, const char* what) {
  if (!v) {
    std::fprintf(stderr, "benchmark %s: %s\n", what, v.error().message.c_str());
    std::abort();
  }
  return std::move(v).value();
}

const qiao::fixed::Layout& statement_layout() {
  static const auto layout = must(
      qiao::fixed::load_layout(std::string(QIAO_SOURCE_DIR) + "/config/layouts/bank-statement-fixed.yaml"), "layout");
  return layout;
}

const qiao::fixed::Layout& insurer_layout() {
  static const auto layout = must(
      qiao::fixed::load_layout(std::string(QIAO_SOURCE_DIR) + "/config/layouts/insurer-request-fixed.yaml"), "layout");
  return layout;
}

std::string padded(std::string text, std::size_t n, char pad = ' ', bool right = false) {
  const std::size_t fill = n > text.size() ? n - text.size() : 0;
  return right ? std::string(fill, pad) + text : text + std::string(fill, pad);
}

std::string two(int v) { return (v < 10 ? "0" : "") + std::to_string(v); }

// Built in GBK record by record, so byte lengths are right however wide the names are.
const qiao::Buffer& statement() {
  static const qiao::Buffer buffer = [] {
    static const char* const names[] = {"张三", "WANG WU", "欧阳明月", "LI SI", "赵六"};
    static const char* const remarks[] = {"挂号缴费", "", "门诊缴费", "REFUND", "药费"};
    const auto gbk = [](const std::string& s) { return must(qiao::from_utf8(s, "GBK"), "GBK"); };
    std::string s =
        "H10102898110000012345"
        "20261122"
        "20261123020000" +
        std::string(17, ' ') + "\r\n";
    long long total = 0;
    for (int i = 0; i < details; ++i) {
      const int fen = 1 + (i * 7919) % 500000;
      const bool refund = i % 17 == 0;
      total += refund ? -fen : fen;
      s += "D120261122" + two(8 + i % 12) + two(i % 60) + two((i * 7) % 60) + "BK20261122" +
           std::to_string(1000000000 + i) + padded("HIS" + std::to_string(20261122000 + i), 16) + (refund ? "-" : "+") +
           padded(std::to_string(fen), 12, '0', true) + padded(std::to_string(fen % 97), 8, '0', true) +
           padded(gbk(names[i % 5]), 20) + padded(gbk(remarks[i % 5]), 10) + "\r\n";
    }
    s += "T1" + padded(std::to_string(details), 8, '0', true) + (total < 0 ? "-" : "+") +
         padded(std::to_string(total < 0 ? -total : total), 14, '0', true) + std::string(12, ' ') + "\r\n";
    return qiao::make_buffer(std::move(s));
  }();
  return buffer;
}

const qiao::Buffer& insurer_request() {
  static const qiao::Buffer buffer = [] {
    std::ifstream in(std::string(QIAO_SOURCE_DIR) + "/tests/data/fixed/insurer-request.bin", std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return qiao::make_buffer(s.str());
  }();
  return buffer;
}

void decode_file(benchmark::State& state, const qiao::Buffer& (*body)(), const qiao::fixed::Layout& (*layout)(),
                 int records) {
  const qiao::Buffer& bytes = body();
  (void)must(qiao::fixed::decode(bytes, layout()), "decode");
  for (auto _ : state) {
    auto value = qiao::fixed::decode(bytes, layout());
    benchmark::DoNotOptimize(value);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes->size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * records);
  state.counters["file_bytes"] = static_cast<double>(bytes->size());
}

void encode_file(benchmark::State& state, const qiao::Buffer& (*body)(), const qiao::fixed::Layout& (*layout)(),
                 int records) {
  const qiao::Value value = must(qiao::fixed::decode(body(), layout()), "decode");
  std::size_t size = 0;
  for (auto _ : state) {
    auto text = qiao::fixed::encode(value, layout());
    size = text->size();
    benchmark::DoNotOptimize(text);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * records);
  state.counters["file_bytes"] = static_cast<double>(size);
}

BENCHMARK_CAPTURE(decode_file, bank_statement_gbk, statement, statement_layout, details + 2)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(encode_file, bank_statement_gbk, statement, statement_layout, details + 2)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(decode_file, insurer_request_gbk, insurer_request, insurer_layout, 1)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(encode_file, insurer_request_gbk, insurer_request, insurer_layout, 1)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

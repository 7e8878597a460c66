// ISO 8583 codec throughput on the messages a payment gateway packs and unpacks all day: a China
// UnionPay POS sale (0200: TPDU, header, BCD, field 55 TLV, field 60 subfields; 211 bytes) and an
// ISO 8583:1987 ASCII sale with a secondary bitmap and MAC in field 128 (259 bytes). items/s is messages per second.
//
//   build/bench/iso8583_codec_bench --benchmark_min_time=1

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "codecs/iso8583/iso8583_codec.hpp"
#include "codecs/iso8583/wire.hpp"
#include "core/text/hex.hpp"

namespace {

const qiao::iso8583::Spec& dialect(const char* name) {
  static std::map<std::string, qiao::iso8583::Spec> specs;
  auto it = specs.find(name);
  if (it != specs.end()) return it->second;
  auto spec = qiao::iso8583::load_argument(name, QIAO_SOURCE_DIR);
  if (!spec) {
    std::fprintf(stderr, "dialect %s does not load: %s\n", name, spec.error().message.c_str());
    std::abort();
  }
  return specs.emplace(name, std::move(*spec)).first->second;
}

const qiao::Buffer& cup_sale() {
  static const qiao::Buffer buffer =
      qiao::make_buffer(*qiao::from_hex("6000060000603100311003"
                                        "0200"
                                        "702406C020C19A31"
                                        "1962220212345678901230"
                                        "000000"
                                        "000000012345"
                                        "000123"
                                        "2812"
                                        "0051"
                                        "0001"
                                        "00"
                                        "12"
                                        "276222021234567890123D28122010"
                                        "3132333435363738"
                                        "383938333130303438313431323334"
                                        "00040102"
                                        "313536"
                                        "A1B2C3D4E5F60718"
                                        "2600000000000000"
                                        "0070"
                                        "9F26080123456789ABCDEF"
                                        "9F270180"
                                        "9F100707010103A00000"
                                        "9F370411223344"
                                        "9F36020013"
                                        "95050000000000"
                                        "9A03261122"
                                        "9C0100"
                                        "9F0206000000012345"
                                        "5F2A020156"
                                        "82027C00"
                                        "000730313054455354"
                                        "001322000001000500"
                                        "0102030405060708",
                                        "cup sale"));
  return buffer;
}

const qiao::Buffer& ascii_sale() {
  static const qiao::Buffer buffer = qiao::make_buffer(
      "0200"
      "F23C448128E09000"
      "0000000000000001"
      "164111111111111111"
      "003000"
      "000000010000"
      "1122153012"
      "000123"
      "153012"
      "1122"
      "2812"
      "5411"
      "051"
      "00"
      "06123456"
      "284111111111111111=28122011234"
      "123456789012"
      "TERM0001"
      "MERCHANT0000001"
      "Qiao test merchant       Beijing      CN"
      "156"
      "0123456789ABCDEF"
      "FEDCBA9876543210");
  return buffer;
}

void decode_message(benchmark::State& state, const qiao::Buffer& (*body)(), const char* name) {
  const auto& spec = dialect(name);
  const qiao::Buffer& bytes = body();
  if (auto check = qiao::iso8583::decode(bytes, spec); !check) {
    std::fprintf(stderr, "benchmark message does not decode: %s\n", check.error().message.c_str());
    std::abort();
  }
  for (auto _ : state) {
    auto value = qiao::iso8583::decode(bytes, spec);
    benchmark::DoNotOptimize(value);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes->size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void encode_message(benchmark::State& state, const qiao::Buffer& (*body)(), const char* name) {
  const auto& spec = dialect(name);
  const qiao::Value value = *qiao::iso8583::decode(body(), spec);
  std::size_t size = 0;
  for (auto _ : state) {
    auto bytes = qiao::iso8583::encode(value, spec);
    size = bytes->size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

BENCHMARK_CAPTURE(decode_message, cup_sale_0200, cup_sale, "cup");
BENCHMARK_CAPTURE(encode_message, cup_sale_0200, cup_sale, "cup");
BENCHMARK_CAPTURE(decode_message, iso87ascii_sale_0200, ascii_sale, "iso87ascii");
BENCHMARK_CAPTURE(encode_message, iso87ascii_sale_0200, ascii_sale, "iso87ascii");

}  // namespace

BENCHMARK_MAIN();

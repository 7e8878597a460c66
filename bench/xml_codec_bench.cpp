// XML codec throughput on two bodies a hospital gateway sees all day: a ~1 KB registration
// request to a HIS WebService and a ~64 KB lab report from the LIS with repeating items, plus a
// SOAP response carrying the lab report as an escaped string (nested=). Bytes/s counts the XML
// text; items/s counts whole messages.
//
//   build/bench/xml_codec_bench --benchmark_min_time=1

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench/codec_bench.hpp"
#include "codecs/xml/xml_codec.hpp"

namespace {

std::string registration_xml() {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<Request>
  <TradeCode>1001</TradeCode><HospitalId>H0001</HospitalId><TerminalId>KIOSK-03</TerminalId>
  <OrderNo>R20240611000123</OrderNo><RequestTime>2024-06-11T08:15:42+08:00</RequestTime>
  <Patient cardType="medicalInsurance">
    <PatientID>P0012345</PatientID><CardNo>6217000010012345678</CardNo><Name>张三</Name><Sex>M</Sex>
    <BirthDate>1980-02-29</BirthDate><IDCard>110101198002290011</IDCard><Phone>13800138000</Phone>
    <Address>北京市东城区东华门街道王府井大街 1 号院 3 单元 502 室</Address>
  </Patient>
  <Dept code="0301" campus="本部">心血管内科</Dept>
  <Doctor code="D1024" title="主任医师">李四</Doctor>
  <Schedule><Date>2024-06-11</Date><Period>AM</Period><Slot>3</Slot><Start>08:30</Start><End>09:00</End></Schedule>
  <Fees>
    <Fee code="F001"><Item>挂号费</Item><Amount>12.50</Amount><Quantity>1</Quantity></Fee>
    <Fee code="F002"><Item>诊查费</Item><Amount>50.00</Amount><Quantity>1</Quantity></Fee>
    <Fee code="F017"><Item>病历本</Item><Amount>1.00</Amount><Quantity>1</Quantity></Fee>
  </Fees>
  <Total>63.50</Total>
  <Payment method="wechat"><TransactionId>4200001234202406110123456789</TransactionId><Paid>true</Paid></Payment>
  <Signature>9f2c4e1a7b3d5f60182a4c6e8b0d2f41a3c5e7f9b1d3f5a7c9e1b3d5f7a9c1e3</Signature>
</Request>
)";
}

std::string lab_report_xml() {
  static const char* const items[][5] = {
      {"WBC", "白细胞计数", "10^9/L", "3.5-9.5", "6.42"}, {"RBC", "红细胞计数", "10^12/L", "4.3-5.8", "4.87"},
      {"HGB", "血红蛋白", "g/L", "130-175", "148"},       {"PLT", "血小板计数", "10^9/L", "125-350", "231"},
      {"GLU", "葡萄糖", "mmol/L", "3.9-6.1", "5.62"},     {"ALT", "丙氨酸氨基转移酶", "U/L", "9-50", "27.3"},
      {"CREA", "肌酐", "umol/L", "57-111", "84.1"},       {"K", "钾", "mmol/L", "3.5-5.3", "4.15"},
  };
  std::string s = R"(<?xml version="1.0" encoding="UTF-8"?><LabReport reportId="LIS202406110004567" status="final">)";
  s += "<PatientID>P0012345</PatientID><VisitNo>MZ20240611000123</VisitNo>";
  s += R"(<Specimen barcode="100245678901" collectedAt="2024-06-11T08:42:10+08:00">静脉血</Specimen>)";
  for (int i = 0; s.size() < 64 * 1024 - 400; ++i) {
    const auto& item = items[i % 8];
    s += "<Item seq=\"" + std::to_string(i + 1) + "\"><Code>" + item[0] + "</Code><Name>" + item[1] + "</Name><Value>" +
         item[4] + "</Value><Unit>" + item[2] + "</Unit><Range>" + item[3] + "</Range><Flag>" +
         (i % 11 == 0 ? "H" : "N") + "</Flag><Method>流式细胞术/比色法</Method><VerifiedBy>王五</VerifiedBy>" +
         (i % 7 == 0 ? "<Comment>复查结果与前次一致，请结合临床 &amp; 随访</Comment>" : "") + "</Item>";
  }
  s += "<Conclusion>各项指标未见明显异常</Conclusion></LabReport>";
  return s;
}

// The lab report as HIS WebServices return it: escaped text inside a SOAP response.
std::string soap_nested_xml() {
  std::string inner = lab_report_xml();
  std::string escaped;
  for (char c : inner) {
    if (c == '<') escaped += "&lt;";
    else if (c == '>') escaped += "&gt;";
    else if (c == '&') escaped += "&amp;";
    else escaped += c;
  }
  return R"(<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">)"
         R"(<soap:Body><GetLabReportResponse xmlns="http://his.example/"><GetLabReportResult>)" +
         escaped + "</GetLabReportResult></GetLabReportResponse></soap:Body></soap:Envelope>";
}

struct Body {
  qiao::Buffer bytes;
  qiao::xml::Options options;
};

const Body& registration() {
  static const Body body{qiao::make_buffer(registration_xml()), {}};
  return body;
}

qiao::xml::Options xml_options(std::vector<std::string> arrays, std::vector<std::string> nested = {}) {
  qiao::xml::Options options;
  options.arrays = std::move(arrays);
  options.nested = std::move(nested);
  return options;
}

const Body& lab_report() {
  static const Body body{qiao::make_buffer(lab_report_xml()), xml_options({"Item"})};
  return body;
}

const Body& soap_nested() {
  static const Body body{qiao::make_buffer(soap_nested_xml()), xml_options({"Item"}, {"GetLabReportResult"})};
  return body;
}

qiao::Value decoded(const Body& body) {
  return qiao::bench::must(qiao::xml::decode(body.bytes, body.options), "body does not decode");
}

void decode_body(benchmark::State& state, const Body& (*get)()) {
  const Body& body = get();
  decoded(body);
  for (auto _ : state) {
    auto value = qiao::xml::decode(body.bytes, body.options);
    benchmark::DoNotOptimize(value);
  }
  qiao::bench::count_throughput(state, body.bytes->size());
  state.counters["body_bytes"] = static_cast<double>(body.bytes->size());
}

void encode_body(benchmark::State& state, const Body& (*get)()) {
  const Body& body = get();
  const qiao::Value value = decoded(body);
  std::size_t size = 0;
  for (auto _ : state) {
    auto text = qiao::xml::encode(value, body.options);
    size = text->size();
    benchmark::DoNotOptimize(text);
  }
  qiao::bench::count_throughput(state, size);
  state.counters["body_bytes"] = static_cast<double>(size);
}

BENCHMARK_CAPTURE(decode_body, registration_1k, registration);
BENCHMARK_CAPTURE(encode_body, registration_1k, registration);
BENCHMARK_CAPTURE(decode_body, lab_report_64k, lab_report);
BENCHMARK_CAPTURE(encode_body, lab_report_64k, lab_report);
BENCHMARK_CAPTURE(decode_body, soap_nested_lab_report, soap_nested);
BENCHMARK_CAPTURE(encode_body, soap_nested_lab_report, soap_nested);

}  // namespace

BENCHMARK_MAIN();

// libFuzzer target for the fixed codec. The first byte picks one of a few layouts (the shipped
// GBK bank statement with a discriminator; a GBK single record with explicit points and
// overpunch; UTF-8 by position with every sign kind; GB18030 back-to-back; ISO-8859-1 with a
// date-time); the rest is the input. Beyond "no crash, no sanitizer report" it checks the
// codec's promises: decode errors are bad_input or too_large with a "fixed: " message; whatever
// decodes also encodes; and the encoding decodes back to an equal Value.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "codecs/fixed/fixed_codec.hpp"

namespace {

[[noreturn]] void broken(const char* promise, const std::string& detail) {
  std::fprintf(stderr, "fixed_fuzz: %s: %s\n", promise, detail.c_str());
  std::abort();
}

const char* const layouts[] = {
    // 0: config/layouts/bank-statement-fixed.yaml
    R"(charset: GBK
terminator: crlf
max_records: 200
discriminator: { start: 1, length: 2 }
header:
  match: H1
  fields:
    - { name: recordType,   length: 2 }
    - { name: bankCode,     length: 4 }
    - { name: merchantNo,   length: 15, required: true }
    - { name: settleDate,   length: 8,  type: date, format: yyyyMMdd, required: true }
    - { name: createdAt,    length: 14, type: date, format: yyyyMMddHHmmss }
    - { name: reserved,     length: 17 }
detail:
  match: D1
  fields:
    - { name: recordType,   length: 2 }
    - { name: txnDate,      length: 8,  type: date, format: yyyyMMdd, required: true }
    - { name: txnTime,      length: 6,  type: date, format: HHmmss }
    - { name: bankSerial,   length: 20, required: true }
    - { name: hisOrderNo,   length: 16 }
    - { name: amount,       length: 13, type: decimal, scale: 2, sign: leading, required: true }
    - { name: fee,          length: 8,  type: decimal, scale: 2 }
    - { name: payerName,    length: 20 }
    - { name: remark,       length: 10, truncate: true }
trailer:
  match: T1
  fields:
    - { name: recordType,   length: 2 }
    - { name: recordCount,  length: 8,  type: integer, required: true }
    - { name: totalAmount,  length: 15, type: decimal, scale: 2, sign: leading }
    - { name: totalFee,     length: 12, type: decimal, scale: 2 }
)",
    // 1: a single GBK record (config/layouts/insurer-request-fixed.yaml, shorter)
    R"(charset: GBK
terminator: none
record:
  fields:
    - { name: transCode,    length: 4,  required: true }
    - { name: transTime,    length: 14, type: date, format: yyyyMMddHHmmss }
    - { name: patientName,  length: 9 }
    - { name: visitNo,      length: 6, align: right, pad: "0" }
    - { name: totalAmount,  length: 8, type: decimal, scale: 2 }
    - { name: selfPay,      length: 7, type: decimal, scale: 2, point: explicit, pad: " " }
    - { name: items,        length: 3,  type: integer, default: "1" }
    - { name: adjustment,   length: 5,  type: decimal, scale: 2, sign: overpunch }
)",
    // 2: UTF-8 by position, every sign kind
    R"(terminator: lf
final_terminator: false
max_records: 100
header: { fields: [ { name: tag, length: 1 }, { name: d, length: 10, type: date, format: "yyyy-MM-dd" } ] }
detail:
  fields:
    - { name: lead,   length: 5, type: integer, sign: leading }
    - { name: trail,  length: 5, type: decimal, scale: 1, sign: trailing }
    - { name: minus,  length: 6, type: decimal, scale: 2, sign: minus, pad: " " }
    - { name: left,   length: 4, type: integer, align: left, pad: " ", sign: minus }
    - { name: punch,  length: 3, type: integer, sign: overpunch }
    - { name: name,   length: 7, align: right, pad: "*" }
trailer: { fields: [ { name: count, length: 3, type: integer } ] }
)",
    // 3: GB18030 back-to-back, discriminator by field
    R"(charset: GB18030
terminator: none
max_records: 100
discriminator: { field: kind }
header: { match: "A", fields: [ { name: kind, length: 1 }, { name: t, length: 4, type: date, format: HHmm } ] }
detail: { match: "B", fields: [ { name: kind, length: 1 }, { name: name, length: 6 }, { name: n, length: 2, type: integer } ] }
)",
    // 4: ISO-8859-1, any line ending
    R"(charset: ISO-8859-1
max_size: 4KiB
detail: { fields: [ { name: at, length: 19, type: date, format: "yyyy-MM-dd'T'HH:mm:ss" }, { name: text, length: 5 } ] }
)",
};

std::vector<qiao::fixed::Layout> make_layouts() {
  std::vector<qiao::fixed::Layout> out;
  for (const char* yaml : layouts) {
    auto layout = qiao::fixed::parse_layout(yaml, "fuzz.yaml");
    if (!layout) broken("layout does not load", layout.error().message);
    out.push_back(std::move(*layout));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<qiao::fixed::Layout> all = make_layouts();
  if (size == 0) return 0;
  const qiao::fixed::Layout& layout = all[data[0] % all.size()];
  auto input = qiao::make_buffer(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));

  auto decoded = qiao::fixed::decode(input, layout);
  if (!decoded) {
    const qiao::Error& error = decoded.error();
    if (error.kind != qiao::ErrorKind::bad_input && error.kind != qiao::ErrorKind::too_large)
      broken("decode error kind is neither bad_input nor too_large", error.message);
    if (error.message.rfind("fixed: ", 0) != 0) broken("decode error lacks the fixed: prefix", error.message);
    return 0;
  }

  auto encoded = qiao::fixed::encode(*decoded, layout);
  if (!encoded) broken("a decoded value failed to encode", encoded.error().message);

  auto again = qiao::fixed::decode(qiao::make_buffer(*encoded), layout);
  if (!again) broken("the encoding failed to decode", again.error().message + " in " + *encoded);
  if (!(*again == *decoded)) broken("the round trip changed the value", *encoded);
  return 0;
}

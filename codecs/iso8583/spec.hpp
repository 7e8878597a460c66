#pragma once
// A compiled ISO 8583 dialect: what a spec file under config/iso8583/ says, checked and turned
// into plain structs once when a flow loads, then shared read-only by every worker.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace qiao::iso8583 {

// How characters, digits or bytes sit on the wire. `hex` is binary data written as ASCII hex
// digits (two per byte), as ASCII dialects carry PIN blocks and MACs.
enum class Encoding : std::uint8_t { ascii, bcd, binary, ebcdic, hex };

// ISO 8583 data element types. `xn` is "x+n": a C (credit) or D (debit) sign, then digits.
enum class FieldType : std::uint8_t { n, a, an, ans, as, ns, anp, z, b, xn };

enum class LengthFormat : std::uint8_t { fixed, ll, lll, llll };

// Where the spare nibble goes when an odd number of digits is packed as BCD, and what it holds.
enum class Pad : std::uint8_t { left, right, left_f, right_f };

// How encode brings a short value of a fixed field to its length; `none` demands the exact length.
enum class Fill : std::uint8_t { left_zeros, right_spaces, left_spaces, right_zeros, none };

enum class Composite : std::uint8_t { none, positional, tlv };

// One positional part of a composite field (UnionPay field 60: message type, batch number, …).
struct Subfield {
  std::string key;    // "1", "2", … : its key in the field's object
  std::string name;   // for errors and documentation
  std::string label;  // "field 60.2 (batch number)"
  FieldType type = FieldType::n;
  std::uint32_t length = 0;  // characters
};

struct FieldSpec {
  int number = 0;     // 0: the dialect does not define this field
  std::string key;    // "4"
  std::string name;   // "amount, transaction"
  std::string label;  // "field 4 (amount, transaction)", for errors
  FieldType type = FieldType::ans;
  LengthFormat format = LengthFormat::fixed;
  // The fixed length or the maximum: digits for n and z, characters for text, bytes for b.
  std::uint32_t length = 0;
  Encoding data = Encoding::ascii;
  Encoding prefix = Encoding::ascii;  // variable fields only
  Pad pad = Pad::left;                // BCD data with an odd digit count
  Fill fill = Fill::none;             // fixed fields on encode
  Composite composite = Composite::none;
  std::vector<Subfield> subfields;  // positional composites
};

// Raw bytes before the MTI (a TPDU, a network's message header), exposed as hex strings.
struct HeaderSpec {
  std::string name;
  std::size_t length = 0;  // bytes
  bool tpdu = false;       // a 5-byte TPDU: a response swaps its destination and source
  bool has_default = false;
  std::string default_bytes;  // used by encode when the value lacks this header
};

struct Spec {
  std::string file;  // where it came from, for messages
  std::string description;
  std::vector<HeaderSpec> headers;
  Encoding mti = Encoding::ascii;                               // ascii, bcd or ebcdic
  Encoding bitmap = Encoding::binary;                           // binary or hex
  std::vector<FieldSpec> fields = std::vector<FieldSpec>(129);  // indexed by field number
  int highest = 0;                                              // the highest field defined
  std::vector<int> echo;                                        // fields a response copies from its request
  int mac_field = 0;                                            // 0: 128 with a secondary bitmap, else 64
  // Field 39 of the answer to a request whose flow failed, by error kind name ("default": the
  // rest); the dialect's `error_codes` over 30 (refused), 91 (unreachable, timeout), 96.
  std::map<std::string, std::string, std::less<>> error_codes;
  std::size_t max_size = 64 * 1024;  // bytes of message accepted by decode

  bool defines(int number) const { return number >= 2 && number <= 128 && fields[number].number != 0; }
};

// The codec argument: a spec file path (relative to base_dir) or a shipped dialect's short name
// ("cup" → base_dir/config/iso8583/cup.yaml). Errors are ErrorKind::config, spec file errors
// read "file:line:col: iso8583: what".
Expected<Spec> load_argument(std::string_view argument, std::string_view base_dir);
Expected<Spec> load_spec(const std::string& path);
Expected<Spec> parse_spec(std::string_view yaml, const std::string& file_label);

std::string_view type_name(FieldType type);

}  // namespace qiao::iso8583

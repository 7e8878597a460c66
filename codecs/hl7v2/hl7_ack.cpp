#include "codecs/hl7v2/hl7_ack.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <ctime>
#include <random>
#include <string_view>

#include "codecs/hl7v2/hl7_codec.hpp"
#include "codecs/hl7v2/hl7_path.hpp"
#include "core/text/charset.hpp"

namespace qiao::hl7 {

namespace {

bool accept_ack_requested(std::string_view msh15) { return msh15 == "AL" || msh15 == "ER" || msh15 == "SU"; }

// Formatted once a second per thread: localtime_r takes glibc's time zone lock, and an MLLP
// source stamps every ACK.
std::string now_stamp() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  thread_local std::time_t formatted_at = -1;
  thread_local char buffer[32];
  if (t != formatted_at) {
    std::tm tm{};
    localtime_r(&t, &tm);
    std::strftime(buffer, sizeof buffer, "%Y%m%d%H%M%S", &tm);
    formatted_at = t;
  }
  return buffer;
}

// 14 digits of time and 6 of a counter: 20 characters, the ST length MSH-10 had up to v2.5, and
// unique per second and process for a million ACKs.
void append_control_id(std::string& out, std::string_view stamp) {
  static std::atomic<std::uint32_t> counter{std::random_device{}() % 1000000};
  std::uint32_t n = counter.fetch_add(1, std::memory_order_relaxed) % 1000000;
  out += stamp;
  char digits[6];
  for (int i = 5; i >= 0; --i, n /= 10) digits[i] = static_cast<char>('0' + n % 10);
  out.append(digits, sizeof digits);
}

std::string new_control_id(std::string_view stamp) {
  std::string id;
  append_control_id(id, stamp);
  return id;
}

std::string_view error_name(std::string_view code) {
  if (code == "0") return "Message accepted";
  if (code == "100") return "Segment sequence error";
  if (code == "101") return "Required field missing";
  if (code == "102") return "Data type error";
  if (code == "103") return "Table value not found";
  if (code == "200") return "Unsupported message type";
  if (code == "201") return "Unsupported event code";
  if (code == "202") return "Unsupported processing id";
  if (code == "203") return "Unsupported version id";
  if (code == "204") return "Unknown key identifier";
  if (code == "205") return "Duplicate key identifier";
  if (code == "206") return "Application record locked";
  return "Application internal error";
}

Value field_or_empty(const Value& message, const char* path) {
  auto v = get(message, path);
  return v && !v->is_null() ? std::move(*v) : Value("");
}

}  // namespace

bool enhanced_mode(const Value& message) {
  return !text_at(message, "MSH-15").empty() || !text_at(message, "MSH-16").empty();
}

namespace {

bool wanted(std::string_view msh15, std::string_view msh16, bool success) {
  if (msh15.empty() && msh16.empty()) return true;  // original mode
  const std::string_view condition = accept_ack_requested(msh15) ? msh15 : msh16;
  if (condition == "NE") return false;
  if (condition == "ER") return !success;
  if (condition == "SU") return success;
  return !condition.empty();
}

}  // namespace

bool ack_wanted(const Value& message, std::string_view code) {
  return wanted(text_at(message, "MSH-15"), text_at(message, "MSH-16"), code.size() == 2 && code[1] == 'A');
}

Expected<Value> make_ack(const Value& message, std::string_view code, std::string_view text,
                         const AckOptions& options) {
  auto msh = get(message, "MSH");
  if (!msh) return std::move(msh).error();
  if (msh->is_null()) return make_error(ErrorKind::flow, "hl7: cannot acknowledge a message without MSH");
  if (code.size() != 2 || (code[0] != 'A' && code[0] != 'C') || (code[1] != 'A' && code[1] != 'E' && code[1] != 'R'))
    return make_error(ErrorKind::flow, "hl7: acknowledgement code must be AA, AE or AR (or CA, CE, CR), not '" +
                                           std::string(code) + "'");
  if (text_at(message, "MSH-9") == "ACK")
    return make_error(ErrorKind::flow, "hl7: will not acknowledge an acknowledgement (MSH-9 is ACK)");
  const char outcome = code[1];
  const bool commit = enhanced_mode(message) && accept_ack_requested(text_at(message, "MSH-15"));
  const std::string ack_code = std::string(1, commit ? 'C' : 'A') + outcome;

  const std::string stamp = options.timestamp.empty() ? now_stamp() : options.timestamp;
  const std::string control_id = options.control_id.empty() ? new_control_id(stamp) : options.control_id;
  const std::string trigger = text_at(message, "MSH-9.2");

  Array msh_fields;
  msh_fields.push_back(field_or_empty(message, "MSH-1"));
  msh_fields.push_back(field_or_empty(message, "MSH-2"));
  msh_fields.push_back(field_or_empty(message, "MSH-5"));  // sender ← original receiver
  msh_fields.push_back(field_or_empty(message, "MSH-6"));
  msh_fields.push_back(field_or_empty(message, "MSH-3"));  // receiver ← original sender
  msh_fields.push_back(field_or_empty(message, "MSH-4"));
  msh_fields.emplace_back(stamp);
  msh_fields.emplace_back("");
  msh_fields.push_back(trigger.empty() ? Value("ACK") : Value(Array{Value("ACK"), Value(trigger), Value("ACK")}));
  msh_fields.emplace_back(control_id);
  msh_fields.push_back(field_or_empty(message, "MSH-11"));
  msh_fields.push_back(field_or_empty(message, "MSH-12"));
  if (Value charset = field_or_empty(message, "MSH-18"); !(charset == Value(""))) {
    while (msh_fields.size() < 17) msh_fields.emplace_back("");
    msh_fields.push_back(std::move(charset));
  }

  Array msa{Value(ack_code), field_or_empty(message, "MSH-10")};
  if (!text.empty()) msa.emplace_back(std::string(text));

  Array segments;
  segments.push_back(Value(Object{{"id", Value("MSH")}, {"fields", Value(std::move(msh_fields))}}));
  segments.push_back(Value(Object{{"id", Value("MSA")}, {"fields", Value(std::move(msa))}}));
  if (outcome != 'A') {
    const std::string version = text_at(message, "MSH-12");
    Value code_value(Array{Value(options.error_code), Value(error_name(options.error_code)), Value("HL70357")});
    Array err;
    if (!version.empty() && version < "2.5") {
      // Up to v2.4 ERR-1 is the only field: location^^^code&text&table.
      Array location{Value(""), Value(""), Value(""),
                     Value(Array{Value(options.error_code), Value(error_name(options.error_code)), Value("HL70357")})};
      err.emplace_back(std::move(location));
    } else {
      err = Array{Value(""), Value(""), std::move(code_value),   Value("E"), Value(""),
                  Value(""), Value(""), Value(std::string(text))};
    }
    segments.push_back(Value(Object{{"id", Value("ERR")}, {"fields", Value(std::move(err))}}));
  }
  return Value(Object{{"segments", Value(std::move(segments))}});
}

namespace {

// Charsets in which printable ASCII bytes stand for themselves, so the header's bytes mean the
// same decoded or not; all of them ones iconv converts.
bool ascii_is_itself(std::string_view normalized_charset) {
  for (const std::string_view charset : {"", "GBK", "GB18030", "GB2312", "BIG5", "ISO-8859-1"})
    if (normalized_charset == charset) return true;
  return false;
}

}  // namespace

// The auto ACK of every message an MLLP source accepts: decoding the header into a Value, building
// the ACK as one and encoding it cost more than decoding the message itself did.
std::optional<std::string> accept_ack_from_header(std::string_view msh, std::string_view default_charset,
                                                  const AckOptions& options) {
  if (msh.size() < 8 || msh.compare(0, 3, "MSH") != 0) return std::nullopt;
  for (const char c : msh) {
    if (c < 0x20 || c > 0x7e) return std::nullopt;
  }
  const char field_separator = msh[3];
  // fields[n] is MSH-(n+1), fields[0] "MSH" itself; the ACK echoes none past MSH-18.
  std::array<std::string_view, 18> fields;
  std::size_t field_count = 0;
  for (std::size_t at = 0; field_count < fields.size();) {
    const std::size_t end = msh.find(field_separator, at);
    fields[field_count++] = msh.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  Separators seps;
  if (!read_separators(msh.substr(3, 1), fields[1], seps).empty()) return std::nullopt;
  if (seps.escape != '\0' && msh.find(seps.escape, 4 + fields[1].size()) != std::string_view::npos) return std::nullopt;
  const auto field = [&](std::size_t n) { return n < field_count ? fields[n] : std::string_view(); };
  // make_ack copies the first repetition of each field it echoes.
  for (const std::size_t echoed : {2, 3, 4, 5, 9, 10, 11, 17}) {
    if (seps.repetition != '\0' && field(echoed).find(seps.repetition) != std::string_view::npos) return std::nullopt;
  }
  const auto first = [](std::string_view text, char separator) {
    return separator == '\0' ? text : text.substr(0, text.find(separator));
  };

  const std::string_view type = first(first(first(field(8), seps.repetition), seps.component), seps.subcomponent);
  if (type == "ACK") return std::nullopt;  // make_ack says why none is sent
  std::string_view trigger;
  if (const std::string_view message_type = first(field(8), seps.repetition);
      seps.component != '\0' && message_type.find(seps.component) != std::string_view::npos) {
    const std::string_view rest = message_type.substr(message_type.find(seps.component) + 1);
    trigger = first(first(rest, seps.component), seps.subcomponent);
  }
  const std::string_view msh18 = first(first(field(17), seps.component), seps.subcomponent);
  if (!ascii_is_itself(normalize_charset(msh18.empty() ? default_charset : msh18))) return std::nullopt;
  const std::string_view msh15 = field(14);
  const std::string_view msh16 = field(15);
  for (const std::string_view mode : {msh15, msh16}) {
    for (const char separator : {seps.component, seps.repetition, seps.subcomponent})
      if (separator != '\0' && mode.find(separator) != std::string_view::npos) return std::nullopt;
  }
  if (!wanted(msh15, msh16, true)) return std::string();
  const bool commit = !(msh15.empty() && msh16.empty()) && accept_ack_requested(msh15);

  const std::string stamp = options.timestamp.empty() ? now_stamp() : options.timestamp;
  std::string out;
  out.reserve(msh.size() + 64);
  const auto put = [&](std::string_view text) {
    out += field_separator;
    out += text;
  };
  out += "MSH";
  put(fields[1]);
  put(field(4));  // sender ← original receiver
  put(field(5));
  put(field(2));  // receiver ← original sender
  put(field(3));
  put(stamp);
  put("");
  out += field_separator;
  out += "ACK";
  if (!trigger.empty()) {
    out += seps.component;
    out += trigger;
    out += seps.component;
    out += "ACK";
  }
  out += field_separator;
  if (options.control_id.empty()) append_control_id(out, stamp);
  else out += options.control_id;
  put(field(10));
  put(field(11));
  if (const std::string_view charset = field(17); !charset.empty()) {
    out.append(5, field_separator);  // MSH-13 to MSH-17 empty
    put(charset);
  }
  out += "\rMSA";
  put(commit ? "CA" : "AA");
  put(field(9));
  out += '\r';
  return out;
}

}  // namespace qiao::hl7

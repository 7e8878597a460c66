// Decoding: RapidJSON's SAX reader parses in situ over one copy of the message, and a handler
// builds the Value tree directly, so there is no intermediate DOM and long strings are views.

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <iterator>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "codecs/json/json_codec.hpp"

namespace qiao::json {
namespace {

// Numbers as strings: we decide int or Decimal from the text, and Decimal keeps the text exactly,
// so no number ever passes through a double.
constexpr unsigned parse_flags =
    rapidjson::kParseInsituFlag | rapidjson::kParseValidateEncodingFlag | rapidjson::kParseNumbersAsStringsFlag;

// Zero bytes after the input. RapidJSON stops at the first one; its UTF-8 validator reads a whole
// sequence before judging it, so a lead byte at the very end makes it read up to three more.
constexpr std::size_t padding = 4;

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

Error bad_input(std::string_view what, std::size_t offset) {
  return make_error(ErrorKind::bad_input, "json: " + std::string(what) + " at byte " + std::to_string(offset));
}

// RapidJSON's text ("Invalid value.") reads as a sentence; ours are clauses ("invalid value at byte 3").
std::string rapidjson_message(rapidjson::ParseErrorCode code) {
  std::string text = rapidjson::GetParseError_En(code);
  if (!text.empty() && text.back() == '.') text.pop_back();
  if (!text.empty() && text.front() >= 'A' && text.front() <= 'Z')
    text.front() = static_cast<char>(text.front() - 'A' + 'a');
  return text;
}

// RapidJSON 1.1 checks that a high surrogate escape is followed by a low one, but lets a lone low
// surrogate (\uDC00-\uDFFF) through as the bytes ED B0-BF xx, which are not UTF-8. Raw ED bytes
// in the input were validated already, so ED followed by A0-BF can only come from such an escape.
bool has_lone_low_surrogate(const char* str, std::size_t length) {
  const auto* at = reinterpret_cast<const unsigned char*>(str);
  const unsigned char* end = at + length;
  while (at != end) {
    at = static_cast<const unsigned char*>(std::memchr(at, 0xED, static_cast<std::size_t>(end - at)));
    if (at == nullptr || end - at < 2) return false;
    if (at[1] >= 0xA0) return true;
    ++at;
  }
  return false;
}

// Duplicate keys: the last value wins, at the position of the first occurrence (what Object::set
// does). Small objects are checked pairwise; big ones by sorting, so a body with many keys cannot
// cost n² compares.
void drop_duplicate_keys(Object& object) {
  const std::size_t n = object.size();
  if (n < 2) return;
  auto members = object.begin();
  std::vector<std::size_t> order;
  constexpr std::size_t pairwise_up_to = 16;
  if (n <= pairwise_up_to) {
    bool duplicate = false;
    for (std::size_t i = 1; i < n && !duplicate; ++i)
      for (std::size_t j = 0; j < i && !duplicate; ++j) duplicate = members[i].first == members[j].first;
    if (!duplicate) return;
  }
  order.resize(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return members[a].first < members[b].first; });
  std::vector<bool> keep(n, true);
  bool duplicate = false;
  for (std::size_t group = 0; group < n;) {
    std::size_t next = group + 1;
    while (next < n && members[order[next]].first == members[order[group]].first) ++next;
    if (next - group > 1) {
      duplicate = true;
      members[order[group]].second = std::move(members[order[next - 1]].second);
      for (std::size_t k = group + 1; k < next; ++k) keep[order[k]] = false;
    }
    group = next;
  }
  if (!duplicate) return;
  Object unique;
  unique.reserve(static_cast<std::size_t>(std::count(keep.begin(), keep.end(), true)));
  for (std::size_t i = 0; i < n; ++i)
    if (keep[i]) unique.push_back(std::move(members[i].first), std::move(members[i].second));
  object = std::move(unique);
}

Value number_from_text(const char* str, std::size_t length) {
  std::int64_t integer = 0;
  const char* end = str + length;
  auto [stop, ec] = std::from_chars(str, end, integer);
  // "-0" is not the integer 0 on the way back out.
  if (ec == std::errc() && stop == end && (integer != 0 || str[0] != '-')) return Value(integer);
  return Value(Decimal{std::string(str, length)});
}

// The SAX handler. Finished values wait on one stack (names of object members on another) until
// their container closes; RapidJSON then tells us how many there are, so every array and object
// is allocated once at its exact size, the way RapidJSON's own Document does it.
class ValueBuilder {
 public:
  using Ch = char;

  enum class Stop { none, too_deep, lone_surrogate };

  ValueBuilder(Buffer anchor, const char* begin) : anchor_(std::move(anchor)), begin_(begin) {}

  bool Null() { return add(Value()); }
  bool Bool(bool b) { return add(Value(b)); }
  // With kParseNumbersAsStringsFlag RapidJSON reports every number through RawNumber; these
  // complete the handler concept and map the same way should the flags ever change.
  bool Int(int i) { return add(Value(static_cast<std::int64_t>(i))); }
  bool Uint(unsigned u) { return add(Value(static_cast<std::int64_t>(u))); }
  bool Int64(std::int64_t i) { return add(Value(i)); }
  bool Uint64(std::uint64_t u) {
    const std::string text = std::to_string(u);
    return add(number_from_text(text.data(), text.size()));
  }
  bool Double(double d) { return add(Value(d)); }

  bool RawNumber(const char* str, rapidjson::SizeType length, bool /*copy*/) {
    return add(number_from_text(str, length));
  }

  bool String(const char* str, rapidjson::SizeType length, bool /*copy*/) {
    if (has_lone_low_surrogate(str, length)) return stop_at_string(str);
    std::string_view view(str, length);
    if (length > borrow_above) return add(Value(Text::borrow(anchor_, view)));
    return add(Value(view));
  }

  // Names stay views into the parse buffer until their object closes.
  bool Key(const char* str, rapidjson::SizeType length, bool /*copy*/) {
    if (has_lone_low_surrogate(str, length)) return stop_at_string(str);
    keys_.emplace_back(str, length);
    return true;
  }

  bool StartObject() { return open(); }
  bool StartArray() { return open(); }

  bool EndObject(rapidjson::SizeType count) {
    Object object;
    object.reserve(count);
    const auto first_value = values_.end() - count;
    const auto first_key = keys_.end() - count;
    for (rapidjson::SizeType i = 0; i < count; ++i)
      object.push_back(std::string(first_key[i]), std::move(first_value[i]));
    values_.erase(first_value, values_.end());
    keys_.erase(first_key, keys_.end());
    drop_duplicate_keys(object);
    --depth_;
    return add(Value(std::move(object)));
  }

  bool EndArray(rapidjson::SizeType count) {
    const auto first = values_.end() - count;
    Array array(std::make_move_iterator(first), std::make_move_iterator(values_.end()));
    values_.erase(first, values_.end());
    --depth_;
    return add(Value(std::move(array)));
  }

  Value take_root() { return std::move(root_); }
  Stop stop() const { return stop_; }
  std::size_t stop_offset() const { return stop_offset_; }

 private:
  bool add(Value v) {
    if (depth_ == 0) root_ = std::move(v);
    else values_.push_back(std::move(v));
    return true;
  }

  bool open() {
    if (depth_ >= max_depth) {
      stop_ = Stop::too_deep;
      return false;
    }
    ++depth_;
    return true;
  }

  bool stop_at_string(const char* str) {
    stop_ = Stop::lone_surrogate;
    stop_offset_ = static_cast<std::size_t>(str - begin_) - 1;  // the opening quote
    return false;
  }

  Buffer anchor_;
  const char* begin_;
  std::vector<Value> values_;
  std::vector<std::string_view> keys_;
  std::size_t depth_ = 0;
  Value root_;
  Stop stop_ = Stop::none;
  std::size_t stop_offset_ = 0;
};

}  // namespace

Expected<Value> decode(const Buffer& bytes) {
  if (!bytes || bytes->empty()) return make_error(ErrorKind::bad_input, "json: empty body");
  const std::string& input = *bytes;

  // The one copy: in-situ parsing unescapes strings into it, and borrowed Texts keep it alive.
  auto copy = std::make_shared<std::string>();
  copy->reserve(input.size() + padding);
  copy->append(input);
  copy->append(padding, '\0');
  char* begin = copy->data();

  // Windows tools often start UTF-8 with a byte order mark; RFC 8259 lets a parser ignore it.
  const std::size_t skip = std::string_view(input).starts_with(utf8_bom) ? utf8_bom.size() : 0;

  ValueBuilder builder(Buffer(copy), begin);
  rapidjson::InsituStringStream stream(begin + skip);
  rapidjson::Reader reader;
  const rapidjson::ParseResult result = reader.Parse<parse_flags>(stream, builder);

  // RapidJSON treats a NUL byte as the end of the input; JSON allows none anywhere, so one
  // that stopped the parser is the real error.
  auto at_nul = [&](std::size_t offset) { return offset < input.size() && input[offset] == '\0'; };

  if (result.IsError()) {
    const std::size_t offset = skip + result.Offset();
    if (result.Code() == rapidjson::kParseErrorTermination) {
      if (builder.stop() == ValueBuilder::Stop::too_deep)
        return bad_input("nesting deeper than " + std::to_string(max_depth) + " levels", offset - 1);
      return bad_input(rapidjson_message(rapidjson::kParseErrorStringUnicodeSurrogateInvalid), builder.stop_offset());
    }
    if (at_nul(offset)) return bad_input("unexpected NUL byte", offset);
    return bad_input(rapidjson_message(result.Code()), offset);
  }
  const std::size_t end = skip + stream.Tell();
  if (end != input.size()) return bad_input("unexpected NUL byte", end);
  return builder.take_root();
}

}  // namespace qiao::json

#include "core/delivery/request_bytes.hpp"

#include <bit>
#include <cstdint>
#include <cstring>

namespace qiao {

namespace {

constexpr unsigned char format_version = 1;
// Deeper trees than any message holds are a damaged row, not a message: the decoder recurses.
// The xml codec builds the deepest ones: up to 1000 elements (its max_depth_limit), each an
// object with maybe an array of repeated elements under it, so about 2000 Value levels.
constexpr int max_depth = 4096;

void put_varint(std::string& out, std::uint64_t n) {
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7F) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
}

void put_u64(std::string& out, std::uint64_t n) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
}

void put_text(std::string& out, std::string_view text) {
  put_varint(out, text.size());
  out.append(text);
}

void put_value(std::string& out, const Value& value) {
  out.push_back(static_cast<char>(value.type()));
  switch (value.type()) {
    case Value::Type::null: break;
    case Value::Type::boolean: out.push_back(value.as_bool() ? 1 : 0); break;
    case Value::Type::integer: put_u64(out, static_cast<std::uint64_t>(value.as_int())); break;
    case Value::Type::real: put_u64(out, std::bit_cast<std::uint64_t>(value.as_real())); break;
    case Value::Type::decimal: put_text(out, value.as_decimal().text); break;
    case Value::Type::string: put_text(out, value.as_string()); break;
    case Value::Type::bytes: put_text(out, value.as_bytes().data.view()); break;
    case Value::Type::array:
      put_varint(out, value.as_array().size());
      for (const Value& item : value.as_array()) put_value(out, item);
      break;
    case Value::Type::object:
      put_varint(out, value.as_object().size());
      for (const auto& [key, member] : value.as_object()) {
        put_text(out, key);
        put_value(out, member);
      }
      break;
  }
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}

  bool byte(unsigned char& out) {
    if (rest_.empty()) return false;
    out = static_cast<unsigned char>(rest_.front());
    rest_.remove_prefix(1);
    return true;
  }
  bool varint(std::uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      unsigned char b = 0;
      if (!byte(b)) return false;
      out |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool u64(std::uint64_t& out) {
    if (rest_.size() < 8) return false;
    out = 0;
    for (int i = 0; i < 8; ++i) out |= static_cast<std::uint64_t>(static_cast<unsigned char>(rest_[i])) << (8 * i);
    rest_.remove_prefix(8);
    return true;
  }
  bool text(std::string_view& out) {
    std::uint64_t size = 0;
    if (!varint(size) || size > rest_.size()) return false;
    out = rest_.substr(0, size);
    rest_.remove_prefix(size);
    return true;
  }
  bool value(Value& out, int depth) {
    unsigned char tag = 0;
    if (depth > max_depth || !byte(tag)) return false;
    std::string_view s;
    std::uint64_t n = 0;
    switch (static_cast<Value::Type>(tag)) {
      case Value::Type::null: out = Value(); return true;
      case Value::Type::boolean:
        if (!byte(tag) || tag > 1) return false;
        out = Value(tag == 1);
        return true;
      case Value::Type::integer:
        if (!u64(n)) return false;
        out = Value(static_cast<std::int64_t>(n));
        return true;
      case Value::Type::real:
        if (!u64(n)) return false;
        out = Value(std::bit_cast<double>(n));
        return true;
      case Value::Type::decimal:
        if (!text(s)) return false;
        out = Value(Decimal{std::string(s)});
        return true;
      case Value::Type::string:
        if (!text(s)) return false;
        out = Value(std::string(s));
        return true;
      case Value::Type::bytes:
        if (!text(s)) return false;
        out = Value(Bytes{Text(std::string(s))});
        return true;
      case Value::Type::array: {
        // Each element takes at least one byte: a count beyond what is left is damage. Room
        // grows with the elements read, not with the count: nested arrays of a damaged row
        // may each claim what is left, and would together reserve far more than it holds.
        if (!varint(n) || n > rest_.size()) return false;
        Array items;
        for (std::uint64_t i = 0; i < n; ++i)
          if (!value(items.emplace_back(), depth + 1)) return false;
        out = Value(std::move(items));
        return true;
      }
      case Value::Type::object: {
        if (!varint(n) || n > rest_.size()) return false;
        Object members;  // not reserved, as for arrays
        for (std::uint64_t i = 0; i < n; ++i) {
          Value member;
          if (!text(s) || !value(member, depth + 1)) return false;
          members.push_back(std::string(s), std::move(member));
        }
        out = Value(std::move(members));
        return true;
      }
    }
    return false;
  }
  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace

std::string encode_request(const CallRequest& request) {
  std::string out;
  out.push_back(static_cast<char>(format_version));
  put_text(out, request.operation);
  put_value(out, Value(request.headers));
  put_value(out, request.body);
  return out;
}

Expected<CallRequest> decode_request(std::string_view bytes) {
  auto damaged = [] { return make_error(ErrorKind::internal, "the queued request in the store is damaged"); };
  Reader reader(bytes);
  unsigned char version = 0;
  if (!reader.byte(version)) return damaged();
  if (version != format_version) {
    return make_error(ErrorKind::internal, "the queued request was written in format " + std::to_string(version) +
                                               ", which this build does not read");
  }
  CallRequest request;
  std::string_view operation;
  Value headers;
  if (!reader.text(operation) || !reader.value(headers, 0) || !headers.is_object() || !reader.value(request.body, 0) ||
      !reader.done())
    return damaged();
  request.operation = std::string(operation);
  request.headers = std::move(headers.as_object());
  return request;
}

}  // namespace qiao

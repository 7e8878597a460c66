// Encoding: a recursive walk over the Value feeding RapidJSON's Writer. The path of a failing
// value is collected only while unwinding from the failure, so success pays nothing for it.

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "codecs/json/json_codec.hpp"
#include "core/text/utf8.hpp"

namespace qiao::json {
namespace {

// RFC 8259 number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
bool is_json_number(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  auto digit = [&](std::size_t k) { return k < n && s[k] >= '0' && s[k] <= '9'; };
  auto digits = [&] {
    const std::size_t start = i;
    while (digit(i)) ++i;
    return i > start;
  };
  if (i < n && s[i] == '-') ++i;
  if (i < n && s[i] == '0') ++i;
  else if (!digits()) return false;
  if (i < n && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

// For quoting user data inside an error message: valid UTF-8 is kept (keys are often Chinese),
// anything else becomes \xNN so the message itself stays valid UTF-8 and printable.
void append_escaped(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = p[i];
    const std::size_t length = c >= 0x80 ? utf8_sequence_length(p + i, s.size() - i) : 1;
    if (c >= 0x80 && length > 0) {
      out.append(s.substr(i, length));
      i += length;
      continue;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
    ++i;
  }
}

// A key reads as .name when it is plain: ASCII letters, digits, '_', '-', or well-formed UTF-8.
bool is_plain_key(std::string_view key) {
  if (key.empty()) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(key.data());
  for (std::size_t i = 0; i < key.size();) {
    const unsigned char c = p[i];
    if (c >= 0x80) {
      const std::size_t length = utf8_sequence_length(p + i, key.size() - i);
      if (length == 0) return false;
      i += length;
      continue;
    }
    const bool plain =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!plain) return false;
    ++i;
  }
  return true;
}

struct PathPart {
  std::string_view key;
  std::size_t index = 0;
  bool is_index = false;
};

class Encoder {
 public:
  Encoder() : writer_(buffer_) {}

  bool write(const Value& v, std::size_t depth) {
    switch (v.type()) {
      case Value::Type::null: return writer_.Null();
      case Value::Type::boolean: return writer_.Bool(v.as_bool());
      case Value::Type::integer: return writer_.Int64(v.as_int());
      case Value::Type::real:
        if (!std::isfinite(v.as_real())) return fail("cannot encode NaN/Infinity");
        return writer_.Double(v.as_real());
      case Value::Type::decimal: {
        const std::string& text = v.as_decimal().text;
        if (!is_json_number(text)) {
          std::string what = "decimal \"";
          append_escaped(what, std::string_view(text).substr(0, 40));
          what += text.size() > 40 ? "...\"" : "\"";
          return fail(what + " is not a JSON number");
        }
        // Writer::RawNumber in RapidJSON 1.1 writes its argument quoted; RawValue writes it as is.
        return writer_.RawValue(text.data(), text.size(), rapidjson::kNumberType);
      }
      case Value::Type::string: return write_string(v.as_string(), false);
      case Value::Type::bytes: return write_hex(v.as_bytes().data.view());
      case Value::Type::array: return write_array(v.as_array(), depth + 1);
      case Value::Type::object: return write_object(v.as_object(), depth + 1);
    }
    std::abort();  // a Value type this switch does not know is a bug, not bad data
  }

  Expected<std::string> result(bool ok) {
    if (ok) return std::string(buffer_.GetString(), buffer_.GetSize());
    std::string message = "json: " + what_ + " at $";
    for (auto part = failure_path_.rbegin(); part != failure_path_.rend(); ++part) {
      if (part->is_index) {
        message += '[' + std::to_string(part->index) + ']';
      } else if (is_plain_key(part->key)) {
        message += '.';
        message += part->key;
      } else {
        message += "[\"";
        append_escaped(message, part->key);
        message += "\"]";
      }
    }
    return make_error(ErrorKind::flow, std::move(message));
  }

 private:
  bool fail(std::string what) {
    what_ = std::move(what);
    return false;
  }

  bool fail_too_deep() { return fail("nesting deeper than " + std::to_string(max_depth) + " levels"); }

  bool write_array(const Array& array, std::size_t depth) {
    if (depth > max_depth) return fail_too_deep();
    writer_.StartArray();
    for (std::size_t i = 0; i < array.size(); ++i) {
      if (!write(array[i], depth)) {
        failure_path_.push_back(PathPart{{}, i, true});
        return false;
      }
    }
    return writer_.EndArray();
  }

  bool write_object(const Object& object, std::size_t depth) {
    if (depth > max_depth) return fail_too_deep();
    writer_.StartObject();
    for (const auto& [key, member] : object) {
      if (!write_string(key, true) || !write(member, depth)) {
        failure_path_.push_back(PathPart{key, 0, false});
        return false;
      }
    }
    return writer_.EndObject();
  }

  // We validate rather than RapidJSON: its validator reads past the end of a string that stops
  // inside a sequence, and it could not name the path.
  bool write_string(std::string_view s, bool is_key) {
    const char* kind = is_key ? "key" : "string";
    if (find_invalid_utf8(s) != std::string_view::npos) return fail(std::string("invalid UTF-8 in ") + kind);
    if (s.size() > std::numeric_limits<rapidjson::SizeType>::max())
      return fail(std::string(kind) + " longer than 4 GiB");
    const auto length = static_cast<rapidjson::SizeType>(s.size());
    return is_key ? writer_.Key(s.data(), length) : writer_.String(s.data(), length);
  }

  bool write_hex(std::string_view bytes) {
    static constexpr char hex[] = "0123456789abcdef";
    if (bytes.size() > std::numeric_limits<rapidjson::SizeType>::max() / 2) return fail("bytes longer than 2 GiB");
    scratch_.clear();
    scratch_.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
      scratch_ += hex[c >> 4];
      scratch_ += hex[c & 15];
    }
    return writer_.String(scratch_.data(), static_cast<rapidjson::SizeType>(scratch_.size()));
  }

  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
  std::string scratch_;
  std::string what_;
  std::vector<PathPart> failure_path_;
};

}  // namespace

Expected<std::string> encode(const Value& value) {
  Encoder encoder;
  const bool ok = encoder.write(value, 0);
  return encoder.result(ok);
}

}  // namespace qiao::json

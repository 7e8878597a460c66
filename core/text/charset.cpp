#include "core/text/charset.hpp"

#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

namespace qiao {

namespace {

struct Converter {
  iconv_t handle;
  explicit Converter(iconv_t h) : handle(h) {}
  ~Converter() {
    if (handle != reinterpret_cast<iconv_t>(-1)) iconv_close(handle);
  }
  bool ok() const { return handle != reinterpret_cast<iconv_t>(-1); }
};

Expected<std::string> convert(std::string_view input, const std::string& from, const std::string& to,
                              std::string_view what, std::size_t* failed_at = nullptr) {
  Converter converter(iconv_open(to.c_str(), from.c_str()));
  if (!converter.ok()) return make_error(ErrorKind::config, "charset: cannot convert " + from + " to " + to);
  std::string out;
  out.resize(input.size() * 2 + 16);
  char* in_ptr = const_cast<char*>(input.data());
  std::size_t in_left = input.size();
  std::size_t written = 0;
  while (in_left > 0) {
    char* out_ptr = out.data() + written;
    std::size_t out_left = out.size() - written;
    const std::size_t rc = iconv(converter.handle, &in_ptr, &in_left, &out_ptr, &out_left);
    written = out.size() - out_left;
    if (rc != static_cast<std::size_t>(-1)) break;
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
      continue;
    }
    const std::size_t offset = input.size() - in_left;
    if (failed_at != nullptr) *failed_at = offset;
    if (errno == EINVAL) {
      return make_error(ErrorKind::bad_input,
                        std::string(what) + ": truncated " + from + " sequence at byte " + std::to_string(offset));
    }
    return make_error(ErrorKind::bad_input, std::string(what) + ": byte " + std::to_string(offset) +
                                                " cannot be converted from " + from + " to " + to);
  }
  out.resize(written);
  return out;
}

}  // namespace

std::string normalize_charset(std::string_view name) {
  std::string upper;
  for (char c : name) {
    if (c == ' ' || c == '_') c = '-';
    upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  // HL7 table 0211 spells them "UNICODE UTF-8", "GB 18030-2000", "ASCII", "8859/1".
  if (upper.rfind("UNICODE-", 0) == 0) upper = upper.substr(8);
  if (upper.empty() || upper == "UTF-8" || upper == "UTF8" || upper == "ASCII" || upper == "US-ASCII") return "";
  if (upper == "GB-18030-2000" || upper == "GB18030-2000" || upper == "GB-18030") return "GB18030";
  if (upper == "CP936" || upper == "WINDOWS-936") return "GBK";
  if (upper == "8859/1") return "ISO-8859-1";
  return upper;
}

bool charset_supported(std::string_view charset) {
  const std::string name = normalize_charset(charset);
  if (name.empty()) return true;
  Converter converter(iconv_open("UTF-8", name.c_str()));
  return converter.ok();
}

Expected<std::string> to_utf8(std::string_view bytes, std::string_view charset, std::size_t* failed_at) {
  const std::string name = normalize_charset(charset);
  if (name.empty()) {
    if (auto bad = find_invalid_utf8(bytes); bad != std::string_view::npos) {
      if (failed_at != nullptr) *failed_at = bad;
      return make_error(ErrorKind::bad_input, "charset: invalid UTF-8 at byte " + std::to_string(bad));
    }
    return std::string(bytes);
  }
  return convert(bytes, name, "UTF-8", "charset", failed_at);
}

Expected<std::string> from_utf8(std::string_view text, std::string_view charset) {
  const std::string name = normalize_charset(charset);
  if (name.empty()) return std::string(text);
  return convert(text, "UTF-8", name, "charset");
}

}  // namespace qiao

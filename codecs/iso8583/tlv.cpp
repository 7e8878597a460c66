#include "codecs/iso8583/tlv.hpp"

#include "codecs/iso8583/wire.hpp"
#include "core/text/hex.hpp"

namespace qiao::iso8583 {

namespace {

// Length of the BER tag at the start of `data` (0 when incomplete). A first byte whose low five
// bits are all set continues while the following bytes have their top bit set.
std::size_t tag_length(std::string_view data) {
  if (data.empty()) return 0;
  if ((static_cast<unsigned char>(data[0]) & 0x1F) != 0x1F) return 1;
  for (std::size_t i = 1; i < data.size() && i < 4; ++i)
    if ((static_cast<unsigned char>(data[i]) & 0x80) == 0) return i + 1;
  return 0;
}

}  // namespace

bool parse_tlv(std::string_view data, Object& out, std::string& problem, std::size_t& at) {
  std::size_t pos = 0;
  while (pos < data.size()) {
    at = pos;
    const std::size_t tag_at = pos;
    const std::size_t tag_size = tag_length(data.substr(pos));
    if (tag_size == 0) {
      problem = "TLV tag is cut short or longer than 4 bytes";
      return false;
    }
    std::string tag;
    append_hex(tag, data.substr(pos, tag_size));
    pos += tag_size;
    if (pos >= data.size()) {
      problem = "TLV tag " + tag + " has no length";
      return false;
    }
    at = pos;
    const unsigned char first = static_cast<unsigned char>(data[pos++]);
    std::size_t length = first;
    if (first & 0x80) {
      const std::size_t count = first & 0x7F;
      if (count == 0 || count > 2) {
        problem = "TLV tag " + tag + ": length form 0x" + std::string(1, "0123456789ABCDEF"[first >> 4]) +
                  "0123456789ABCDEF"[first & 15] + " is not supported";
        return false;
      }
      if (data.size() - pos < count) {
        problem = "TLV tag " + tag + ": length is cut short";
        return false;
      }
      length = 0;
      for (std::size_t i = 0; i < count; ++i) length = length << 8 | static_cast<unsigned char>(data[pos++]);
    }
    if (data.size() - pos < length) {
      problem = "TLV tag " + tag + ": value needs " + std::to_string(length) + " bytes, " +
                std::to_string(data.size() - pos) + " left";
      return false;
    }
    if (out.find(tag)) {
      at = tag_at;
      problem = "TLV tag " + tag + " appears twice";
      return false;
    }
    std::string value;
    append_hex(value, data.substr(pos, length));
    out.push_back(std::move(tag), Value(std::move(value)));
    pos += length;
  }
  return true;
}

std::string build_tlv(const Object& tags, std::string& out) {
  for (const auto& [tag_hex, value] : tags) {
    const auto tag = from_hex(tag_hex, "tag");
    if (!tag || tag->empty() || tag_length(*tag) != tag->size()) return "'" + tag_hex + "' is not a BER-TLV tag";
    if (value.is_null()) continue;
    std::string bytes;
    if (value.is_bytes()) {
      bytes = value.as_bytes().data.str();
    } else if (value.is_string()) {
      auto decoded = from_hex(value.as_string(), "value");
      if (!decoded)
        return "tag " + tag_hex + ": '" + std::string(value.as_string()) + "' is not hex with an even number of digits";
      bytes = std::move(*decoded);
    } else {
      return "tag " + tag_hex + ": expected a hex string, got " + std::string(type_name(value.type()));
    }
    if (bytes.size() > 0xFFFF) return "tag " + tag_hex + ": value longer than 65535 bytes";
    out += *tag;
    if (bytes.size() < 0x80) {
      out += static_cast<char>(bytes.size());
    } else if (bytes.size() <= 0xFF) {
      out += static_cast<char>(0x81);
      out += static_cast<char>(bytes.size());
    } else {
      out += static_cast<char>(0x82);
      out += static_cast<char>(bytes.size() >> 8);
      out += static_cast<char>(bytes.size() & 0xFF);
    }
    out += bytes;
  }
  return {};
}

}  // namespace qiao::iso8583

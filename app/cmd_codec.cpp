#include <filesystem>
#include <iostream>
#include <iterator>

#include "app/commands.hpp"
#include "app/plugins.hpp"
#include "core/codec.hpp"
#include "core/codec_name.hpp"

namespace qiao {

namespace {

Expected<std::shared_ptr<const Codec>> find_codec(const std::string& name) {
  return build_codec(all_plugins().codecs, name, std::filesystem::current_path().string());
}

Expected<std::string> from_hex(const std::string& text) {
  std::string out;
  int high = -1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (digit < 0)
      return make_error(ErrorKind::bad_input,
                        "hex input: '" + std::string(1, c) + "' at byte " + std::to_string(i) + " is not a hex digit");
    if (high < 0) {
      high = digit;
    } else {
      out += static_cast<char>(high * 16 + digit);
      high = -1;
    }
  }
  if (high >= 0) return make_error(ErrorKind::bad_input, "hex input has an odd number of digits");
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace

int command_codec(const std::string& direction, const std::string& codec_spec, bool hex) {
  auto codec = find_codec(codec_spec);
  auto json = find_codec("json");
  if (!codec || !json) {
    std::cerr << "qiao codec: " << (!codec ? codec.error().message : json.error().message) << "\n";
    return 2;
  }
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());

  if (direction == "decode") {
    if (hex) {
      auto bytes = from_hex(input);
      if (!bytes) {
        std::cerr << "qiao codec: " << bytes.error().message << "\n";
        return 1;
      }
      input = std::move(*bytes);
    }
    auto value = (*codec)->decode(make_buffer(std::move(input)));
    if (!value) {
      std::cerr << "qiao codec: " << value.error().message << "\n";
      return 1;
    }
    auto text = (*json)->encode(*value);
    if (!text) {
      std::cerr << "qiao codec: " << text.error().message << "\n";
      return 1;
    }
    std::cout << *text << "\n";
    return 0;
  }

  auto value = (*json)->decode(make_buffer(std::move(input)));
  if (!value) {
    std::cerr << "qiao codec: input is not JSON: " << value.error().message << "\n";
    return 1;
  }
  auto bytes = (*codec)->encode(*value);
  if (!bytes) {
    std::cerr << "qiao codec: " << bytes.error().message << "\n";
    return 1;
  }
  if (hex) {
    std::cout << to_hex(*bytes) << "\n";
  } else {
    std::cout << *bytes;
  }
  return 0;
}

}  // namespace qiao

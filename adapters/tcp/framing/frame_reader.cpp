#include "adapters/tcp/framing/frame_reader.hpp"

#include <algorithm>

namespace qiao::tcp {

namespace {

constexpr char mllp_start = '\x0b';
constexpr std::string_view mllp_end = "\x1c\r";

Error broken(std::string text) { return make_error(ErrorKind::bad_input, "framing: " + std::move(text)); }

// A frame whose size is known (a length prefix, a delimiter found) …
Error too_large(std::size_t size, std::size_t max_frame) {
  return make_error(ErrorKind::too_large, "framing: a frame of " + std::to_string(size) + " bytes exceeds max_frame " +
                                              std::to_string(max_frame));
}

// … and one still arriving.
Error growing_too_large(std::size_t max_frame) {
  return make_error(ErrorKind::too_large, "framing: a frame of more than " + std::to_string(max_frame) +
                                              " bytes exceeds max_frame " + std::to_string(max_frame));
}

}  // namespace

void FrameReader::consume(std::size_t bytes) {
  start_ += bytes;
  scanned_ = 0;
  // Compact now and then rather than on every frame: pipelined frames are read in one go.
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  } else if (start_ > 64 * 1024 && start_ > buffer_.size() / 2) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
}

std::optional<std::size_t> FrameReader::payload_length(std::string_view prefix, Error& error) const {
  std::size_t value = 0;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const auto byte = static_cast<unsigned char>(prefix[i]);
    switch (framing_.length_encoding) {
      case LengthEncoding::binary: value = value << 8 | byte; break;
      case LengthEncoding::ascii:
        if (byte < '0' || byte > '9') {
          error =
              broken("the length prefix holds a byte that is not a digit (" + show_bytes(prefix.substr(i, 1)) + ")");
          return std::nullopt;
        }
        value = value * 10 + (byte - '0');
        break;
      case LengthEncoding::bcd:
        if ((byte >> 4) > 9 || (byte & 15) > 9) {
          error = broken("the BCD length prefix holds a nibble above 9");
          return std::nullopt;
        }
        value = value * 100 + (byte >> 4) * 10 + (byte & 15);
        break;
    }
  }
  long long length = static_cast<long long>(value) -
                     (framing_.length_includes_self ? static_cast<long long>(prefix.size()) : 0) +
                     framing_.length_adjust;
  if (length < 0) {
    error = broken("the length prefix says " + std::to_string(value) + ", less than it must count");
    return std::nullopt;
  }
  return static_cast<std::size_t>(length);
}

Expected<std::optional<std::string>> FrameReader::next() {
  if (finished_) return std::optional<std::string>();
  const std::string_view data = std::string_view(buffer_).substr(start_);
  const std::size_t max = framing_.max_frame;
  switch (framing_.kind) {
    case FramingKind::mllp: {
      // Line breaks between blocks are noise some senders add; anything else is not MLLP.
      std::size_t begin = 0;
      while (begin < data.size() && (data[begin] == '\r' || data[begin] == '\n')) ++begin;
      if (begin == data.size()) {
        consume(begin);
        return std::optional<std::string>();
      }
      if (data[begin] != mllp_start)
        return broken("expected an MLLP block (0x0B), found " + show_bytes(data.substr(begin, 1)));
      const std::size_t from = std::max(begin + 1, scanned_ > 0 ? scanned_ - 1 : 0);
      const std::size_t end = data.find(mllp_end, from);
      if (end == std::string_view::npos) {
        scanned_ = data.size();
        // The end block may have begun: its 0x1C can be here without its CR.
        if (data.size() - begin - 1 > max + 1) return growing_too_large(max);
        return std::optional<std::string>();
      }
      const std::size_t size = end - begin - 1;
      if (size > max) return too_large(size, max);
      std::string payload(data.substr(begin + 1, size));
      consume(end + mllp_end.size());
      return std::optional<std::string>(std::move(payload));
    }
    case FramingKind::delimiter: {
      const std::string& delimiter = framing_.delimiter;
      const std::size_t from = scanned_ >= delimiter.size() ? scanned_ - delimiter.size() + 1 : 0;
      const std::size_t end = data.find(delimiter, from);
      if (end == std::string_view::npos) {
        scanned_ = data.size();
        // The delimiter may have begun arriving: its first bytes are not payload yet.
        if (data.size() > max + delimiter.size() - 1) return growing_too_large(max);
        return std::optional<std::string>();
      }
      if (end > max) return too_large(end, max);
      std::string payload(data.substr(0, end));
      consume(end + delimiter.size());
      return std::optional<std::string>(std::move(payload));
    }
    case FramingKind::fixed: {
      if (data.size() < framing_.fixed_size) return std::optional<std::string>();
      std::string payload(data.substr(0, framing_.fixed_size));
      consume(framing_.fixed_size);
      return std::optional<std::string>(std::move(payload));
    }
    case FramingKind::length: {
      if (data.size() < framing_.length_size) return std::optional<std::string>();
      Error error;
      const auto length = payload_length(data.substr(0, framing_.length_size), error);
      if (!length) return error;
      if (*length > max) return too_large(*length, max);
      if (data.size() - framing_.length_size < *length) return std::optional<std::string>();
      std::string payload(data.substr(framing_.length_size, *length));
      consume(framing_.length_size + *length);
      return std::optional<std::string>(std::move(payload));
    }
    case FramingKind::close:
      if (data.size() > max) return growing_too_large(max);
      return std::optional<std::string>();
  }
  return std::optional<std::string>();
}

Expected<std::optional<std::string>> FrameReader::finish() {
  if (finished_) return std::optional<std::string>();
  finished_ = true;
  std::string_view rest = std::string_view(buffer_).substr(start_);
  if (framing_.kind == FramingKind::close) {
    if (rest.size() > framing_.max_frame) return too_large(rest.size(), framing_.max_frame);
    std::string payload(rest);
    consume(rest.size());
    return std::optional<std::string>(std::move(payload));
  }
  if (framing_.kind == FramingKind::mllp) {
    while (!rest.empty() && (rest.front() == '\r' || rest.front() == '\n')) rest.remove_prefix(1);
  }
  if (rest.empty()) return std::optional<std::string>();
  return broken("the peer closed the connection in the middle of a frame (" + std::to_string(rest.size()) +
                " bytes received of it)");
}

}  // namespace qiao::tcp

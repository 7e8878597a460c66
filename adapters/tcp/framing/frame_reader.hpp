#pragma once
// Splits a received byte stream into payloads, whatever the reads look like: several frames in
// one read, one frame over many reads, a prefix split in two. Bounded by Framing::max_frame.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/tcp/framing/framing.hpp"
#include "core/error.hpp"

namespace qiao::tcp {

class FrameReader {
 public:
  explicit FrameReader(const Framing& framing) : framing_(framing) {}

  // Appends bytes as received.
  void feed(std::string_view bytes) { buffer_.append(bytes); }

  // The next complete payload; nullopt when more bytes are needed. An error means the stream
  // cannot be read further (a frame over max_frame, a malformed prefix, bytes outside an MLLP
  // block): answer if the protocol allows, log, and close the connection.
  Expected<std::optional<std::string>> next();

  // The peer closed its side. For `close` framing the bytes received are the payload (once);
  // otherwise nothing may be left over: a half-received frame is an error.
  Expected<std::optional<std::string>> finish();

  // Bytes received and not yet returned as payloads.
  std::size_t pending() const { return buffer_.size() - start_; }

 private:
  std::optional<std::size_t> payload_length(std::string_view prefix, Error& error) const;
  void consume(std::size_t bytes);

  const Framing& framing_;
  std::string buffer_;
  std::size_t start_ = 0;    // where the unread bytes begin in buffer_
  std::size_t scanned_ = 0;  // delimiter/MLLP: bytes after start_ already searched
  bool finished_ = false;
};

}  // namespace qiao::tcp

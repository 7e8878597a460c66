#include "adapters/tcp/source/hl7_auto_ack.hpp"

#include <spdlog/spdlog.h>

#include "codecs/hl7v2/hl7_ack.hpp"
#include "core/log.hpp"

namespace qiao::tcp {

namespace {

// The first segment that is an MSH, with its terminator; empty when there is none.
std::string_view first_msh(std::string_view raw) {
  std::size_t at = 0;
  while (at < raw.size()) {
    std::size_t end = raw.find_first_of("\r\n", at);
    if (end == std::string_view::npos) end = raw.size();
    if (raw.compare(at, 3, "MSH") == 0) return raw.substr(at, end - at);
    at = end + 1;
  }
  return {};
}

// What the ACK is built from: the message's MSH, or, when even that cannot be read, an MSH with
// the standard separators and nothing else, so the sender still hears why.
Value header_of(const Codec& codec, std::string_view raw) {
  if (const std::string_view msh = first_msh(raw); !msh.empty()) {
    if (auto header = codec.decode(make_buffer(std::string(msh) + '\r')); header) return std::move(*header);
  }
  Object msh;
  msh.push_back("id", Value("MSH"));
  msh.push_back("fields", Value(Array{Value("|"), Value("^~\\&")}));
  return Value(Object{{"segments", Value(Array{Value(std::move(msh))})}});
}

}  // namespace

std::string_view ack_code(const Error* failure) {
  if (failure == nullptr) return "AA";
  switch (failure->kind) {
    case ErrorKind::bad_input:
    case ErrorKind::check_failed:
    case ErrorKind::too_large: return "AR";
    default: return "AE";
  }
}

std::string auto_ack(const Codec& codec, std::string_view raw, const Error* failure) {
  const Value header = header_of(codec, raw);
  const std::string_view code = ack_code(failure);
  if (!hl7::ack_wanted(header, code)) return {};
  auto ack = hl7::make_ack(header, code, failure ? std::string_view(failure->message) : std::string_view());
  if (!ack) {
    log::system().debug("mllp: no ACK sent: {}", ack.error().message);
    return {};
  }
  auto bytes = codec.encode(*ack);
  if (!bytes) {
    log::system().warn("mllp: the ACK could not be encoded: {}", bytes.error().message);
    return {};
  }
  return std::move(*bytes);
}

}  // namespace qiao::tcp

#include "codecs/hl7v2/hl7_answers.hpp"

#include "codecs/hl7v2/hl7_ack.hpp"
#include "codecs/hl7v2/hl7_path.hpp"

namespace qiao::hl7 {

namespace {

// The first segment that is an MSH, without its terminator; empty when there is none.
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
Value header_of(const Codec& codec, std::string_view msh) {
  if (!msh.empty()) {
    if (auto header = codec.decode(make_buffer(std::string(msh) + '\r')); header) return std::move(*header);
  }
  Object segment;
  segment.push_back("id", Value("MSH"));
  segment.push_back("fields", Value(Array{Value("|"), Value("^~\\&")}));
  return Value(Object{{"segments", Value(Array{Value(std::move(segment))})}});
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

Expected<std::string> Hl7Answers::answer(const Buffer& raw, const Error* failure) const {
  if (!raw) return std::string();
  const std::string_view msh = first_msh(*raw);
  if (failure == nullptr) {
    if (auto ack = accept_ack_from_header(msh, default_charset_)) return std::move(*ack);
  }
  const Value header = header_of(codec_, msh);
  const std::string_view code = ack_code(failure);
  if (!ack_wanted(header, code)) return std::string();
  if (text_at(header, "MSH-9") == "ACK") return std::string();  // never acknowledge an acknowledgement
  auto ack = make_ack(header, code, failure ? std::string_view(failure->message) : std::string_view());
  if (!ack) return std::move(ack).error();
  auto bytes = codec_.encode(*ack);
  if (!bytes) return make_error(ErrorKind::internal, "the ACK could not be encoded: " + bytes.error().message);
  return bytes;
}

Status Hl7Answers::verdict(const Value& reply) const {
  const std::string code = text_at(reply, "MSA-1");
  if (code == "AA" || code == "CA") return Ok{};
  if (code.empty()) return make_error(ErrorKind::upstream, "the reply is not an HL7 acknowledgement (no MSA-1)");
  if (code != "AE" && code != "AR" && code != "CE" && code != "CR")
    return make_error(ErrorKind::upstream, "HL7 " + code + ": unknown acknowledgement code in MSA-1");
  // MSA-3 is the text of v2.1–2.3 ACKs; later versions moved it to ERR-8 (user message), with
  // ERR-3 holding the coded error.
  std::string text = text_at(reply, "MSA-3");
  if (text.empty()) text = text_at(reply, "ERR-8");
  if (text.empty()) {
    const std::string coded = text_at(reply, "ERR-3");
    const std::string coded_text = text_at(reply, "ERR-3.2");
    if (!coded.empty()) text = coded + (coded_text.empty() ? "" : " " + coded_text);
  }
  Error error = make_error(ErrorKind::upstream, "HL7 " + code + (text.empty() ? std::string() : ": " + text));
  // AR/CR: the receiver rejects the message itself (HL7 v2 §2.9.2); AE/CE is an error in
  // processing it, which the receiver may get past on a later try.
  error.refused_by_peer = code == "AR" || code == "CR";
  return error;
}

std::string Hl7Answers::request_id(const Value& request) const { return text_at(request, "MSH-10"); }
std::string Hl7Answers::reply_id(const Value& reply) const { return text_at(reply, "MSA-2"); }

}  // namespace qiao::hl7

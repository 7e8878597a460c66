#pragma once
// Building the acknowledgement of a decoded HL7 v2 message, for the Lua library (`hl7.ack`) and
// the TCP/MLLP source (ack: auto).

#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/value.hpp"

namespace qiao::hl7 {

struct AckOptions {
  std::string control_id;          // MSH-10 of the ACK; generated (time + counter) when empty
  std::string timestamp;           // MSH-7 of the ACK; the local time now, YYYYMMDDHHMMSS, when empty
  std::string error_code = "207";  // ERR-3 on an error (HL7 table 0357; 207 = application internal error)
};

// Enhanced mode when MSH-15 or MSH-16 holds a value; original mode otherwise.
bool enhanced_mode(const Value& message);

// Whether the sender asked for an acknowledgement with this outcome ("AA"/"AE"/"AR", or the
// C* forms): always in original mode; in enhanced mode per MSH-15 (accept ack: AL, NE, ER, SU)
// or, when MSH-15 is NE or empty, MSH-16 (application ack).
bool ack_wanted(const Value& message, std::string_view code);

// The ACK of `message` as a Value ready for encode: sender and receiver swapped, MSH-7 now,
// a new MSH-10, MSH-9 ACK^<trigger>^ACK, MSH-11/12/18 copied, MSA-1 the code, MSA-2 the original
// MSH-10, MSA-3 `text` when given, and on an error an ERR segment carrying `text`.
// `code` is AA/AE/AR or CA/CE/CR; the letter A/E/R is the outcome and the mode decides the
// prefix: CA/CE/CR when MSH-15 asks for an accept acknowledgement, AA/AE/AR otherwise.
// Errors (ErrorKind::flow): not a message, an unknown code, or a message that is itself an ACK.
Expected<Value> make_ack(const Value& message, std::string_view code, std::string_view text,
                         const AckOptions& options = {});

// The encoded positive acknowledgement (AA, or CA in enhanced mode) of a message whose first MSH
// segment is `msh` (without its terminator), written straight from the header's bytes: the same
// bytes make_ack and the encoder give, without decoding. `default_charset` is the codec's, for an
// empty MSH-18. Empty when the sender asked for none. nullopt for a header this shortcut leaves to
// make_ack: bytes outside printable ASCII, a charset in which ASCII bytes are not themselves (or
// that the decoder may not know), escape sequences, repetitions in the fields it echoes,
// separators in MSH-15 or MSH-16, a message that is itself an ACK.
std::optional<std::string> accept_ack_from_header(std::string_view msh, std::string_view default_charset = {},
                                                  const AckOptions& options = {});

}  // namespace qiao::hl7

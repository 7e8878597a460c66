#pragma once
// How a multiplexed tcp endpoint finds the request a reply answers: by correlation fields whose
// values the peer echoes. Pure functions of decoded messages, so they are tested without sockets.
//
//   correlate: [11, 41]   the request's and the reply's values at keys "11" and "41" (ISO 8583
//                         STAN and terminal id); dotted paths reach into objects ("header.id")
//   correlate: hl7        the ids the codec's protocol gives (core/protocol_answers.hpp): for
//                         hl7v2 the request's MSH-10 (message control id) against the reply's MSA-2

#include <optional>
#include <string>
#include <vector>

#include "core/codec.hpp"
#include "core/config/config_node.hpp"
#include "core/config/diagnostics.hpp"
#include "core/error.hpp"
#include "core/protocol_answers.hpp"
#include "core/value.hpp"

namespace qiao::tcp {

struct Correlation {
  enum class Kind { none, fields, protocol };
  Kind kind = Kind::none;
  std::vector<std::string> fields;            // Kind::fields: keys or dotted paths, in the order given
  const ProtocolAnswers* protocol = nullptr;  // Kind::protocol: the endpoint codec's, set once it is known

  bool enabled() const { return kind != Kind::none; }
  std::string describe() const;  // "fields 11, 41", "hl7 MSH-10/MSA-2"
};

// Reads `correlate:` (a list of keys, a single key, or `hl7`) for an endpoint whose codec is
// `codec` (null when it is not known). nullopt after errors: `hl7` with a codec whose protocol
// names no ids is one.
std::optional<Correlation> parse_correlation(const ConfigNode& node, const Codec* codec, Diagnostics& diag);

// The key of a request or of a reply: the fields' texts joined. An error (bad_input) names the
// field the message lacks or holds as something other than a string or a number.
Expected<std::string> request_key(const Correlation& correlation, const Value& request);
Expected<std::string> reply_key(const Correlation& correlation, const Value& reply);

// The key as log lines show it: "11=000123 41=T1      ".
std::string show_key(const Correlation& correlation, const std::string& key);

}  // namespace qiao::tcp

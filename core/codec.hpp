#pragma once
// A codec turns one format's bytes into a Value and back. Codecs depend on Value only.

#include <memory>
#include <string>
#include <string_view>

#include "core/config/schema.hpp"
#include "core/error.hpp"
#include "core/value.hpp"

namespace qiao {

class ProtocolAnswers;

class Codec {
 public:
  virtual ~Codec() = default;
  // The MIME type a reply in this format carries, e.g. "application/json".
  virtual std::string_view content_type() const = 0;
  // Decoding may borrow strings from `bytes` (see Text), which is why it takes the shared buffer.
  virtual Expected<Value> decode(const Buffer& bytes) const = 0;
  virtual Expected<std::string> encode(const Value& value) const = 0;
  // How the codec's protocol answers and names messages (core/protocol_answers.hpp); null for a
  // format that is only data (JSON, XML, CSV).
  virtual const ProtocolAnswers* answers() const { return nullptr; }
};

// A registered codec family, e.g. "json", or "iso8583" whose `spec` option names a dialect.
// Flows name a codec as core/codec_name.hpp describes; both of its forms reach create() as one
// mapping, checked against schema().
class CodecKind {
 public:
  virtual ~CodecKind() = default;
  virtual std::string_view name() const = 0;
  virtual std::string_view description() const = 0;
  // The options, for the load's checks and for `qiao check --describe`.
  virtual Schema schema() const = 0;
  // The option a bare argument sets, e.g. "spec" for "iso8583:cup"; empty when there is none.
  virtual std::string_view argument_key() const { return {}; }
  // `options` has passed schema() (known keys, types). The kind checks the values and reads its
  // files (relative paths against `base_dir`), reporting each problem to options.diagnostics()
  // at the option's location. Null when anything was wrong.
  virtual std::shared_ptr<const Codec> create(const ConfigReader& options, std::string_view base_dir) const = 0;
};

}  // namespace qiao

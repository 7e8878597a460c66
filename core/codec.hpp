#pragma once
// A codec turns one format's bytes into a Value and back. Codecs depend on Value only.

#include <memory>
#include <string>
#include <string_view>

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

// A registered codec family, e.g. "json", or "iso8583" whose argument names a spec file.
class CodecKind {
 public:
  virtual ~CodecKind() = default;
  virtual std::string_view name() const = 0;
  virtual std::string_view description() const = 0;
  // `argument` is what follows the colon in "iso8583:config/cup.yaml" (empty if none);
  // `base_dir` is the directory relative paths in it are resolved against.
  virtual Expected<std::shared_ptr<const Codec>> create(std::string_view argument,
                                                       std::string_view base_dir) const = 0;
};

}  // namespace qiao

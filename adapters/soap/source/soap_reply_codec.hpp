#pragma once
// The codec a SOAP source puts in msg.reply_codec: it wraps the flow's reply in the response
// envelope of the operation the request named, in the request's SOAP version. One instance per
// (operation, version), built with the listener plan, so a request allocates none.

#include <string>
#include <vector>

#include "adapters/soap/envelope.hpp"
#include "core/codec.hpp"

namespace qiao::soap {

struct ReplyShape {
  std::string operation;             // "Register": the response element is "RegisterResponse"
  std::string namespace_uri;         // the response element's (default) namespace
  std::vector<std::string> results;  // its children; a string reply goes into the first
  std::vector<std::string> nested, cdata;
  std::vector<std::string> arrays;  // for decode
  std::string charset;              // of the written envelope; empty: UTF-8
};

class SoapReplyCodec final : public Codec {
 public:
  SoapReplyCodec(Version version, ReplyShape shape);
  std::string_view content_type() const override { return content_type_; }
  // A response envelope back to { RegisterResponse = { … } } (a Fault is a bad_input error
  // carrying its code and reason).
  Expected<Value> decode(const Buffer& bytes) const override;
  // The reply as the response element's content:
  //   { RegisterResponse = {…} }  → that content (not wrapped twice)
  //   { RegisterResult = …, … }   → children, the declared results first in their order
  //   "text" or a number          → <RegisterResult>text</RegisterResult> (the first result)
  //   { Response = {…} } when the only result is nested and not a key → that result's document
  //   null                        → an empty <RegisterResponse/>
  Expected<std::string> encode(const Value& value) const override;

 private:
  Version version_;
  ReplyShape shape_;
  std::string response_element_;
  std::string content_type_;
  xml::Options write_options_;
  xml::Options read_options_;
};

}  // namespace qiao::soap

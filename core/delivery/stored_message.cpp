#include "core/delivery/stored_message.hpp"

namespace qiao {

CallRequest stored_message(const Message& msg, const Value& source_body) {
  Object fields;
  fields.push_back("id", Value(msg.id));
  fields.push_back("trace_id", Value(msg.trace_id));
  fields.push_back(
      "received_at_us",
      Value(static_cast<std::int64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(msg.received_at.time_since_epoch()).count())));
  fields.push_back("source", Value(msg.source));
  fields.push_back("headers", Value(msg.headers));
  if (msg.raw) fields.push_back("raw", Value(Bytes{Text(*msg.raw)}));
  if (!source_body.is_null()) fields.push_back("body", source_body);
  CallRequest request;
  request.body = Value(std::move(fields));
  return request;
}

Expected<Message> restored_message(const CallRequest& stored) {
  const auto damaged = [](const char* what) {
    return Error{ErrorKind::internal, std::string("the stored message is damaged: ") + what};
  };
  if (!stored.body.is_object()) return damaged("not an object");
  const Object& fields = stored.body.as_object();
  const Value* id = fields.find("id");
  const Value* trace = fields.find("trace_id");
  const Value* received = fields.find("received_at_us");
  if (!id || !id->is_string() || id->as_string().empty()) return damaged("no id");
  if (!trace || !trace->is_string()) return damaged("no trace id");
  if (!received || !received->is_int()) return damaged("no time of arrival");
  Message msg;
  msg.id = std::string(id->as_string());
  msg.trace_id = std::string(trace->as_string());
  msg.received_at = std::chrono::system_clock::time_point(std::chrono::microseconds(received->as_int()));
  if (const Value* source = fields.find("source"); source && source->is_object()) msg.source = source->as_object();
  if (const Value* headers = fields.find("headers"); headers && headers->is_object())
    msg.headers = headers->as_object();
  if (const Value* raw = fields.find("raw")) {
    if (!raw->is_bytes()) return damaged("raw bytes of the wrong type");
    msg.raw = make_buffer(std::string(raw->as_bytes().data.view()));
  }
  if (const Value* body = fields.find("body")) msg.body = *body;
  msg.stored_on_arrival = true;
  return msg;
}

}  // namespace qiao

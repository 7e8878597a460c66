// Encoding: each record object written field by field in the layout's order, every field checked
// to fit, then the terminator. The discriminator's bytes are checked against the record type's
// match, so what is written decodes back as the same record type.

#include <string>
#include <vector>

#include "codecs/fixed/detail.hpp"

namespace qiao::fixed {

namespace {

using detail::quoted;

Error failed(std::string message) { return make_error(ErrorKind::flow, "fixed: " + std::move(message)); }

std::string_view terminator_bytes(const Layout& layout) {
  switch (layout.terminator) {
    case Terminator::lf: return "\n";
    case Terminator::any:
    case Terminator::crlf: return "\r\n";
    case Terminator::none: return "";
  }
  return "";
}

class Encoder {
 public:
  explicit Encoder(const Layout& layout) : layout_(layout), terminator_(terminator_bytes(layout)) {}

  Status record(const Value& value, const RecordType& type, const std::string& label) {
    if (!value.is_object())
      return failed(label + ": a record is an object of fields, not " + std::string(qiao::type_name(value.type())));
    // Each field's value, found in one pass: objects usually list their keys in the layout's order.
    values_.assign(type.fields.size(), nullptr);
    std::size_t hint = 0;
    for (const auto& [key, member] : value.as_object()) {
      std::size_t index = type.fields.size();
      if (hint < type.fields.size() && type.fields[hint].name == key) {
        index = hint;
      } else {
        for (std::size_t k = 0; k < type.fields.size(); ++k)
          if (type.fields[k].name == key) index = k;
      }
      if (index == type.fields.size()) return failed(label + ": unknown field " + quoted(key));
      values_[index] = &member;
      hint = index + 1;
    }
    if (!started_) started_ = true;
    else out_ += terminator_;
    const std::size_t start = out_.size();
    for (std::size_t k = 0; k < type.fields.size(); ++k) {
      const Field& field = type.fields[k];
      // A missing field takes its default; an explicit null is a blank field, as decode gave it.
      const Value fallback = values_[k] == nullptr && field.default_value ? Value(*field.default_value) : Value();
      const Value& value = values_[k] ? *values_[k] : fallback;
      if (auto written = detail::encode_field(value, field, layout_, out_); !written)
        return failed(label + " field " + field.name + ": " + written.error().message);
    }
    if (!type.match.empty()) {
      const std::string_view written =
          std::string_view(out_).substr(start + layout_.discriminator_offset, layout_.discriminator_length);
      if (written != type.match)
        return failed(label + ": bytes " + std::to_string(layout_.discriminator_offset + 1) + "-" +
                      std::to_string(layout_.discriminator_offset + layout_.discriminator_length) + " are " +
                      quoted(written) + ", not the " + type.name + " record's " + quoted(type.match));
    }
    return Ok{};
  }

  std::string finish() {
    if (started_ && layout_.final_terminator) out_ += terminator_;
    return std::move(out_);
  }

  void reserve(std::size_t records) { out_.reserve(records * (layout_.detail.length + terminator_.size())); }

 private:
  const Layout& layout_;
  const std::string_view terminator_;
  std::string out_;
  bool started_ = false;
  std::vector<const Value*> values_;
};

}  // namespace

Expected<std::string> encode(const Value& value, const Layout& layout) {
  Encoder encoder(layout);
  if (layout.single) {
    if (auto done = encoder.record(value, layout.detail, "record"); !done) return std::move(done).error();
    return encoder.finish();
  }
  if (!value.is_object())
    return failed("expected an object { header, details, trailer }, not " + std::string(qiao::type_name(value.type())));
  for (const auto& [key, member] : value.as_object()) {
    if (key == "details") continue;
    if ((key == "header" && !layout.header) || (key == "trailer" && !layout.trailer))
      return failed("the layout has no " + key + " record");
    if (key != "header" && key != "trailer")
      return failed("unknown key " + quoted(key) + " (expected header, details, trailer)");
  }
  const Value* details = value.find("details");
  if (details && !details->is_null() && !details->is_array())
    return failed("details must be an array of records, not " + std::string(qiao::type_name(details->type())));
  const std::size_t count = details && details->is_array() ? details->as_array().size() : 0;
  encoder.reserve(count + 2);
  if (layout.header) {
    const Value* header = value.find("header");
    if (!header || header->is_null()) return failed("the header record is missing (the layout declares one)");
    if (auto done = encoder.record(*header, *layout.header, "header"); !done) return std::move(done).error();
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (auto done = encoder.record(details->as_array()[i], layout.detail, "detail " + std::to_string(i + 1)); !done)
      return std::move(done).error();
  }
  if (layout.trailer) {
    const Value* trailer = value.find("trailer");
    if (!trailer || trailer->is_null()) return failed("the trailer record is missing (the layout declares one)");
    if (auto done = encoder.record(*trailer, *layout.trailer, "trailer"); !done) return std::move(done).error();
  }
  return encoder.finish();
}

}  // namespace qiao::fixed

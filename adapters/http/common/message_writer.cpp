#include "adapters/http/common/message_writer.hpp"

namespace qiao::http {

namespace bhttp = boost::beast::http;

namespace {

void append_version(unsigned version, std::string& out) {
  out += "HTTP/";
  out += static_cast<char>('0' + version / 10);
  out += '.';
  out += static_cast<char>('0' + version % 10);
}

}  // namespace

void append_start_line(const bhttp::request_header<>& header, std::string& out) {
  out += header.method_string();
  out += ' ';
  out += header.target();
  out += ' ';
  append_version(header.version(), out);
  out += "\r\n";
}

void append_start_line(const bhttp::response_header<>& header, std::string& out) {
  append_version(header.version(), out);
  out += ' ';
  // Three digits whatever the code, as Beast writes it.
  const unsigned code = header.result_int();
  out += static_cast<char>('0' + code / 100 % 10);
  out += static_cast<char>('0' + code / 10 % 10);
  out += static_cast<char>('0' + code % 10);
  out += ' ';
  out += header.reason();
  out += "\r\n";
}

void append_fields(const bhttp::fields& fields, std::string& out) {
  for (const auto& field : fields) {
    out += field.name_string();
    out += ": ";
    out += field.value();
    out += "\r\n";
  }
}

}  // namespace qiao::http

#pragma once
// Writing an HTTP/1.x message with a string body in one gather write: its start line and fields
// serialised into a buffer the connection reuses, then the body as it is.
//
// Not Beast's serializer for these: it walks a buffer sequence of variants, field by field, and on
// the pass-through flow of scripts/bench-http.sh that walk cost 9 % of the gateway's CPU, more
// than the rest of the write. The bytes are those Beast would send (start line, "name: value\r\n"
// per field, an empty line, the body); a chunked message still goes through Beast. Unlike
// bhttp::async_write, a message that ends the connection does not report end_of_stream: callers
// look at keep_alive() themselves.

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cstddef>
#include <string>
#include <tuple>

namespace qiao::http {

void append_start_line(const boost::beast::http::request_header<>& header, std::string& out);
void append_start_line(const boost::beast::http::response_header<>& header, std::string& out);
void append_fields(const boost::beast::http::fields& fields, std::string& out);

// The start line and the fields, ended by the empty line, in place of what `out` held.
template <bool isRequest>
void serialize_head(const boost::beast::http::header<isRequest>& header, std::string& out) {
  out.clear();
  append_start_line(header, out);
  append_fields(header, out);
  out += "\r\n";
}

template <class Stream, bool isRequest>
boost::asio::awaitable<std::tuple<boost::system::error_code, std::size_t>> write_message(
    Stream& stream, const boost::beast::http::message<isRequest, boost::beast::http::string_body>& message,
    std::string& head) {
  constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
  if (message.chunked()) {
    auto [ec, written] = co_await boost::beast::http::async_write(stream, message, use_tuple);
    if (ec == boost::beast::http::error::end_of_stream) ec = {};
    co_return std::tuple{ec, written};
  }
  serialize_head(message.base(), head);
  const std::array<boost::asio::const_buffer, 2> buffers{boost::asio::buffer(head),
                                                         boost::asio::buffer(message.body())};
  co_return co_await boost::asio::async_write(stream, buffers, use_tuple);
}

}  // namespace qiao::http

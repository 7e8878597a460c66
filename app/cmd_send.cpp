// qiao send: a small client to poke a flow or a peer by hand. `mllp` sends HL7 files over one
// MLLP connection and prints the ACKs; `tcp` sends one message (JSON through a codec, or hex) in
// any framing and prints the reply. Runs the tcp endpoint's own stream and framing code on a
// private io_context; every step has the --timeout deadline, so the command always ends.

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>

#include "adapters/tcp/client/framing_spec.hpp"
#include "adapters/tcp/client/peer.hpp"
#include "adapters/tcp/client/stream.hpp"
#include "adapters/tcp/framing/frame_reader.hpp"
#include "app/commands.hpp"
#include "app/plugins.hpp"
#include "codecs/hl7v2/hl7_path.hpp"
#include "core/codec.hpp"
#include "core/codec_name.hpp"
#include "core/text/hex.hpp"

namespace qiao {

namespace {

namespace asio = boost::asio;
using tcp::Clock;

Expected<std::shared_ptr<const Codec>> find_codec(const std::string& name) {
  return build_codec(all_plugins().codecs, name, std::filesystem::current_path().string());
}

std::optional<std::string> read_all(const std::string& path) {
  if (path.empty() || path == "-")
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// HL7 files are written with LF or CRLF line ends; on the wire segments end with CR.
std::string to_er7(std::string text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out += text[i] == '\n' ? '\r' : text[i];
  }
  while (!out.empty() && (out.back() == '\r' || out.back() == ' ')) out.pop_back();
  out += '\r';
  return out;
}

// A file may hold several messages one after another, as HL7 files usually do: each MSH starts
// the next. A batch (FHS/BHS envelope) goes as one.
std::vector<std::string> messages_in(const std::string& er7) {
  if (er7.rfind("FHS", 0) == 0 || er7.rfind("BHS", 0) == 0) return {er7};
  std::vector<std::string> messages;
  std::size_t start = 0;
  for (std::size_t at = er7.find("\rMSH", 1); at != std::string::npos; at = er7.find("\rMSH", at + 1)) {
    messages.push_back(er7.substr(start, at + 1 - start));
    start = at + 1;
  }
  messages.push_back(er7.substr(start));
  return messages;
}

std::string show_er7(std::string_view message) {
  std::string out(message);
  for (char& c : out) {
    if (c == '\r') c = '\n';
  }
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out;
}

// One connection for the whole command; every operation bounded by `timeout` from its start.
class Session {
 public:
  Session(const tcp::Peer& peer, const tcp::Framing& framing, std::chrono::milliseconds timeout)
      : peer_(peer), framing_(framing), reader_(framing_), timeout_(timeout) {}

  asio::awaitable<Status> connect() {
    auto stream = co_await tcp::TcpStream::open(peer_, nullptr, nullptr, Clock::now() + timeout_);
    if (!stream) {
      if (stream.error().kind == ErrorKind::timeout) co_return timed_out("connecting to " + peer_.text);
      co_return std::move(stream).error();
    }
    stream_ = std::move(*stream);
    co_return Ok{};
  }

  // Sends one payload and reads one reply payload.
  asio::awaitable<Expected<std::string>> exchange(std::string payload) {
    auto framed = tcp::frame(framing_, payload);
    if (!framed) co_return make_error(ErrorKind::bad_input, framed.error().message);
    const auto deadline = Clock::now() + timeout_;
    if (auto ec = co_await stream_->write(*framed, deadline)) {
      if (ec == asio::error::timed_out) co_return timed_out("sending");
      co_return make_error(ErrorKind::unavailable, "cannot send to " + peer_.text + ": " + ec.message());
    }
    if (framing_.kind == tcp::FramingKind::close) stream_->shutdown_send();
    std::array<char, 16 * 1024> buffer;
    for (;;) {
      auto next = reader_.next();
      if (!next) co_return make_error(ErrorKind::upstream, "unreadable reply: " + next.error().message);
      if (*next) co_return std::move(**next);
      auto [ec, read] = co_await stream_->read_some(asio::buffer(buffer), deadline);
      if (ec == asio::error::timed_out) co_return timed_out("waiting for the reply");
      if (ec == asio::error::eof) {
        auto last = reader_.finish();
        if (!last) co_return make_error(ErrorKind::upstream, last.error().message);
        if (!*last) co_return make_error(ErrorKind::upstream, peer_.text + " closed the connection without a reply");
        co_return std::move(**last);
      }
      if (ec) co_return make_error(ErrorKind::upstream, "connection to " + peer_.text + " lost: " + ec.message());
      reader_.feed(std::string_view(buffer.data(), read));
    }
  }

 private:
  Error timed_out(const std::string& doing) const {
    return make_error(ErrorKind::timeout, "timed out after " + std::to_string(timeout_.count()) + " ms " + doing);
  }

  tcp::Peer peer_;
  tcp::Framing framing_;
  tcp::FrameReader reader_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<tcp::TcpStream> stream_;
};

// Runs a coroutine returning an exit code to completion on a private io_context.
int run(asio::awaitable<int> task) {
  asio::io_context io;
  int code = 1;
  asio::co_spawn(io, std::move(task), [&code](std::exception_ptr escaped, int result) {
    if (escaped) {
      try {
        std::rethrow_exception(escaped);
      } catch (const std::exception& e) {
        std::cerr << "qiao send: " << e.what() << "\n";
      }
      code = 1;
      return;
    }
    code = result;
  });
  io.run();
  return code;
}

asio::awaitable<int> send_mllp(tcp::Peer peer, std::vector<std::pair<std::string, std::string>> messages,
                               std::chrono::milliseconds timeout) {
  auto framing = tcp::parse_framing_spec("mllp");
  Session session(peer, *framing, timeout);
  if (auto connected = co_await session.connect(); !connected) {
    std::cerr << "qiao send: " << connected.error().message << "\n";
    co_return 1;
  }
  auto hl7 = find_codec("hl7v2");
  int code = 0;
  bool first = true;
  for (auto& [file, message] : messages) {
    auto ack = co_await session.exchange(std::move(message));
    if (!ack) {
      std::cerr << "qiao send: " << file << ": " << ack.error().message << "\n";
      co_return 1;  // the connection is no longer in step with the peer
    }
    if (!first) std::cout << "\n";
    first = false;
    std::cout << show_er7(*ack) << std::flush;
    std::string status;
    if (hl7) {
      auto decoded = (*hl7)->decode(make_buffer(*ack));
      if (decoded) status = hl7::text_at(*decoded, "MSA-1");
    }
    if (status != "AA" && status != "CA") {
      std::cerr << "qiao send: " << file << ": "
                << (status.empty() ? std::string("the reply is not an HL7 acknowledgement")
                                   : "acknowledged " + status + "")
                << "\n";
      code = 1;
    }
  }
  co_return code;
}

asio::awaitable<int> send_tcp(tcp::Peer peer, tcp::Framing framing, std::shared_ptr<const Codec> codec, bool hex,
                              std::string payload, std::chrono::milliseconds timeout) {
  Session session(peer, framing, timeout);
  if (auto connected = co_await session.connect(); !connected) {
    std::cerr << "qiao send: " << connected.error().message << "\n";
    co_return 1;
  }
  auto reply = co_await session.exchange(std::move(payload));
  if (!reply) {
    std::cerr << "qiao send: " << reply.error().message << "\n";
    co_return 1;
  }
  if (hex) {
    std::cout << to_hex(*reply) << "\n";
    co_return 0;
  }
  auto value = codec->decode(make_buffer(std::move(*reply)));
  if (!value) {
    std::cerr << "qiao send: the reply does not decode: " << value.error().message << "\n";
    co_return 1;
  }
  auto json = find_codec("json");
  auto text = (*json)->encode(*value);
  if (!text) {
    std::cerr << "qiao send: " << text.error().message << "\n";
    co_return 1;
  }
  std::cout << *text << "\n";
  co_return 0;
}

std::optional<tcp::Peer> peer_or_complain(const std::string& address) {
  auto peer = tcp::parse_peer(address);
  if (!peer) std::cerr << "qiao send: expected HOST:PORT, found '" << address << "'\n";
  return peer;
}

}  // namespace

int command_send_mllp(const std::string& address, const std::vector<std::string>& files,
                      std::chrono::milliseconds timeout) {
  auto peer = peer_or_complain(address);
  if (!peer) return 2;
  std::vector<std::pair<std::string, std::string>> messages;
  for (const auto& file : files) {
    auto text = read_all(file);
    if (!text) {
      std::cerr << "qiao send: cannot read " << file << "\n";
      return 2;
    }
    for (auto& message : messages_in(to_er7(std::move(*text)))) messages.emplace_back(file, std::move(message));
  }
  return run(send_mllp(std::move(*peer), std::move(messages), timeout));
}

int command_send_tcp(const std::string& address, const std::string& framing_spec, const std::string& codec_spec,
                     bool hex, const std::string& file, std::chrono::milliseconds timeout) {
  auto peer = peer_or_complain(address);
  if (!peer) return 2;
  auto framing = tcp::parse_framing_spec(framing_spec);
  if (!framing) {
    std::cerr << "qiao send: " << framing.error().message << "\n";
    return 2;
  }
  std::shared_ptr<const Codec> codec;
  if (!codec_spec.empty()) {
    auto found = find_codec(codec_spec);
    if (!found) {
      std::cerr << "qiao send: " << found.error().message << "\n";
      return 2;
    }
    codec = *found;
  } else if (!hex) {
    std::cerr << "qiao send: --codec is needed to encode JSON input (or give --hex)\n";
    return 2;
  }
  auto input = read_all(file);
  if (!input) {
    std::cerr << "qiao send: cannot read " << file << "\n";
    return 2;
  }
  std::string payload;
  if (hex) {
    std::string digits;
    for (char c : *input) {
      if (!std::isspace(static_cast<unsigned char>(c))) digits += c;
    }
    auto bytes = from_hex(digits, "hex input");
    if (!bytes) {
      std::cerr << "qiao send: " << bytes.error().message << "\n";
      return 2;
    }
    payload = std::move(*bytes);
  } else {
    auto json = find_codec("json");
    auto value = (*json)->decode(make_buffer(std::move(*input)));
    if (!value) {
      std::cerr << "qiao send: the input is not JSON: " << value.error().message << "\n";
      return 2;
    }
    auto bytes = codec->encode(*value);
    if (!bytes) {
      std::cerr << "qiao send: " << bytes.error().message << "\n";
      return 2;
    }
    payload = std::move(*bytes);
  }
  return run(send_tcp(std::move(*peer), *framing, codec, hex, std::move(payload), timeout));
}

}  // namespace qiao

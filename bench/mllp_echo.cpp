// The yardstick for the MLLP benchmark: the least a server can do for an MLLP sender waiting for
// its ACK, so that the gateway's rate is read as a fraction of what the hop itself allows. It
// reads frames (0x0B … 0x1C 0x0D) and answers each with an AA whose MSA-2 is the message's MSH-10,
// which is all bench/mllp_load checks; it decodes nothing else, logs nothing, stores nothing.
//
//   mllp_echo HOST:PORT [-t THREADS]     (THREADS defaults to the number of cores, as qiao's)
//
// It runs until killed.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// MSH-10 of an HL7 message: the tenth field of the first segment, where MSH-1 is the separator.
std::string_view control_id(std::string_view message) {
  if (message.size() < 4) return {};
  const char separator = message[3];
  std::size_t at = 3;
  for (int field = 1; field < 9; ++field) {
    at = message.find(separator, at + 1);
    if (at == std::string_view::npos) return {};
  }
  const std::size_t end = message.find_first_of(std::string{separator, '\r'}, at + 1);
  return message.substr(at + 1, end == std::string_view::npos ? std::string_view::npos : end - at - 1);
}

void append_ack(std::string& out, std::string_view message) {
  out += '\x0b';
  out += "MSH|^~\\&|ECHO|ECHO|HIS|HOSP01|20261205000000||ACK|E1|P|2.5\rMSA|AA|";
  out += control_id(message);
  out += "\r\x1c\r";
}

asio::awaitable<void> serve(tcp::socket socket) {
  std::string in;
  std::string out;
  std::vector<char> chunk(64 * 1024);
  for (;;) {
    auto [error, n] = co_await socket.async_read_some(asio::buffer(chunk), use_tuple);
    if (error) co_return;
    in.append(chunk.data(), n);
    // Every complete frame read is answered in one write: a sender waiting for each ACK sends
    // one at a time, so this is one ACK per read in the benchmark.
    std::size_t consumed = 0;
    for (;;) {
      const std::size_t start = in.find('\x0b', consumed);
      if (start == std::string::npos) break;
      const std::size_t end = in.find("\x1c\r", start + 1);
      if (end == std::string::npos) break;
      append_ack(out, std::string_view(in).substr(start + 1, end - start - 1));
      consumed = end + 2;
    }
    in.erase(0, consumed);
    if (out.empty()) continue;
    auto [write_error, written] = co_await asio::async_write(socket, asio::buffer(out), use_tuple);
    static_cast<void>(written);
    if (write_error) co_return;
    out.clear();
  }
}

asio::awaitable<void> accept(tcp::acceptor acceptor) {
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(use_tuple);
    if (error) continue;
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: mllp_echo HOST:PORT [-t THREADS]\n");
    return 2;
  }
  const std::string address = argv[1];
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "mllp_echo: '%s' is not HOST:PORT\n", address.c_str());
    return 2;
  }
  unsigned threads = std::thread::hardware_concurrency();
  for (int i = 2; i + 1 < argc; i += 2)
    if (std::string_view(argv[i]) == "-t") threads = static_cast<unsigned>(std::atoi(argv[i + 1]));
  if (threads == 0) threads = 1;
  try {
    asio::io_context io(static_cast<int>(threads));
    const tcp::endpoint at(asio::ip::make_address(address.substr(0, colon)),
                           static_cast<unsigned short>(std::atoi(address.c_str() + colon + 1)));
    tcp::acceptor acceptor(io, at);
    asio::co_spawn(io, accept(std::move(acceptor)), asio::detached);
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : pool) t.join();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mllp_echo: %s\n", e.what());
    return 1;
  }
  return 0;
}

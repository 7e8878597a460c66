// MLLP load generator: N connections, each sending one HL7 message at a time and waiting for its
// ACK, for a fixed time. Prints messages/s, ACK latency (p50, p99, max) and what went wrong.
//
//   mllp_load HOST:PORT [-c CONNECTIONS] [-d SECONDS] [-f FILE] [-t TIMEOUT_SECONDS]
//
// The message is the first one of FILE (LF or CRLF line ends become CR), else a built-in ADT^A01.
// Every message sent gets its own MSH-10 ("L<connection>-<sequence>"); an ACK counts as a success
// only when MSA-1 is AA and MSA-2 is that id. A wrong MSA-2, a broken frame, a timeout or a
// dropped connection is an error: the connection is opened again and the run goes on, but the
// program ends with status 1 — as it does when any ACK was not AA. A benchmark, not a test: it
// asserts nothing about speed.
//
// One thread: the generator only frames, writes and scans the ACK for MSA, far less than the
// gateway does per message, and on a 2-core box the other core belongs to the server.

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/tcp/framing/frame_reader.hpp"
#include "adapters/tcp/framing/framing.hpp"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

constexpr std::string_view builtin_adt_a01 =
    "MSH|^~\\&|HIS|HOSP01|LAB|LAB01|20261122083000||ADT^A01^ADT_A01|ADT0001|P|2.5\r"
    "EVN|A01|20261122083000\r"
    "PID|1||100234^^^HOSP01^MR~110101199003071234^^^CHN^NNCHN||Wang^Xiaoming||19900307|M\r"
    "PV1|1|I|W07^701^1\r";

// The message split around MSH-10, so each send only concatenates.
struct MessageTemplate {
  std::string before_control_id;
  std::string after_control_id;
  char field_separator = '|';
};

struct Options {
  std::string host;
  std::string port;
  int connections = 1;
  double seconds = 10;
  double timeout_seconds = 10;
  std::string file;
};

// Shared by every connection; one thread, so no locking.
struct Run {
  MessageTemplate message;
  qiao::tcp::Framing framing;  // mllp, default max_frame
  tcp::endpoint server;
  Clock::time_point deadline;
  Clock::duration timeout;
  std::vector<std::uint32_t> latencies_us;
  std::uint64_t acked = 0;   // AA with the right MSA-2
  std::uint64_t not_aa = 0;  // a well-formed ACK whose MSA-1 is not AA
  std::uint64_t errors = 0;  // everything else
  std::vector<std::string> first_errors;
  std::vector<std::string> first_not_aa;
  int connections_running = 0;
  Clock::time_point finished;  // when the last connection stopped (the watchdogs linger a little)
};

void note(std::vector<std::string>& examples, std::string text) {
  if (examples.size() < 5) examples.push_back(std::move(text));
}

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "mllp_load: " << problem << "\n"
            << "usage: mllp_load HOST:PORT [-c CONNECTIONS] [-d SECONDS] [-f FILE] [-t TIMEOUT_SECONDS]\n";
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  Options options;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) usage(arg + " needs a value");
      return args[++i];
    };
    try {
      if (arg == "-c") options.connections = std::stoi(value());
      else if (arg == "-d") options.seconds = std::stod(value());
      else if (arg == "-t") options.timeout_seconds = std::stod(value());
      else if (arg == "-f") options.file = value();
      else if (options.host.empty() && !arg.starts_with('-')) {
        const auto colon = arg.rfind(':');
        if (colon == std::string::npos || colon == 0) usage("expected HOST:PORT, got " + arg);
        options.host = arg.substr(0, colon);
        options.port = arg.substr(colon + 1);
      } else usage("unexpected argument " + arg);
    } catch (const std::logic_error&) {
      usage("not a number after " + arg);
    }
  }
  if (options.host.empty()) usage("HOST:PORT is required");
  if (options.connections < 1 || options.seconds <= 0 || options.timeout_seconds <= 0) usage("values must be positive");
  return options;
}

// The first message of an HL7 file: from its first MSH up to the next MSH, segments ended by CR.
std::string first_message(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) usage("cannot read " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string message;
  std::size_t begin = 0;
  bool in_message = false;
  while (begin < text.size()) {
    std::size_t end = text.find_first_of("\r\n", begin);
    if (end == std::string::npos) end = text.size();
    const std::string_view segment(text.data() + begin, end - begin);
    begin = end + 1;
    if (segment.empty()) continue;
    if (segment.starts_with("MSH")) {
      if (in_message) break;
      in_message = true;
    }
    if (in_message) message.append(segment).push_back('\r');
  }
  if (message.empty()) usage(path + " has no MSH segment");
  return message;
}

MessageTemplate split_at_control_id(const std::string& message) {
  if (message.size() < 8 || !message.starts_with("MSH")) usage("the message does not start with MSH");
  MessageTemplate result;
  result.field_separator = message[3];
  // MSH-1 is the separator itself, so MSH-10 follows the 9th separator.
  std::size_t position = 3;
  for (int separators = 1; separators < 9; ++separators) {
    position = message.find(result.field_separator, position + 1);
    if (position == std::string::npos) usage("the MSH segment has no MSH-10");
  }
  const std::size_t start = position + 1;
  const std::size_t end = message.find_first_of(std::string{result.field_separator} + "\r", start);
  if (end == std::string::npos) usage("the MSH segment has no MSH-10");
  result.before_control_id = message.substr(0, start);
  result.after_control_id = message.substr(end);
  return result;
}

// MSA-1 and MSA-2 of an ACK; empty views when there is no MSA segment.
struct MsaFields {
  std::string_view code;
  std::string_view control_id;
  bool found = false;
};

MsaFields read_msa(std::string_view ack, char field_separator) {
  std::size_t segment = 0;
  while (segment < ack.size()) {
    std::size_t end = ack.find('\r', segment);
    if (end == std::string_view::npos) end = ack.size();
    const std::string_view line = ack.substr(segment, end - segment);
    segment = end + 1;
    if (!line.starts_with("MSA") || line.size() < 4) continue;
    MsaFields fields;
    fields.found = true;
    std::array<std::string_view, 2> values;
    std::size_t position = 4;
    for (auto& value : values) {
      if (position > line.size()) break;
      std::size_t next = line.find(field_separator, position);
      if (next == std::string_view::npos) next = line.size();
      value = line.substr(position, next - position);
      position = next + 1;
    }
    fields.code = values[0];
    fields.control_id = values[1];
    return fields;
  }
  return {};
}

// Closes the socket when an exchange has waited longer than the timeout: the pending read or
// write then fails and the exchange counts as an error.
asio::awaitable<void> watch_connection(std::shared_ptr<tcp::socket> socket,
                                       std::shared_ptr<Clock::time_point> waiting_since, std::shared_ptr<bool> done,
                                       Clock::duration timeout) {
  asio::steady_timer timer(socket->get_executor());
  while (!*done) {
    timer.expires_after(std::chrono::milliseconds(200));
    co_await timer.async_wait(use_tuple);
    if (*done) break;
    if (*waiting_since != Clock::time_point{} && Clock::now() - *waiting_since > timeout) {
      boost::system::error_code ignored;
      socket->close(ignored);
      *waiting_since = Clock::time_point{};
    }
  }
}

asio::awaitable<void> run_connection(Run& run, int connection_number) {
  auto executor = co_await asio::this_coro::executor;
  std::uint64_t sequence = 0;
  std::array<char, 16 * 1024> buffer;
  while (Clock::now() < run.deadline) {
    auto socket = std::make_shared<tcp::socket>(executor);
    auto waiting_since = std::make_shared<Clock::time_point>(Clock::now());
    auto done = std::make_shared<bool>(false);
    asio::co_spawn(executor, watch_connection(socket, waiting_since, done, run.timeout), asio::detached);

    auto [connect_error] = co_await socket->async_connect(run.server, use_tuple);
    if (connect_error) {
      *done = true;
      ++run.errors;
      note(run.first_errors,
           "connection " + std::to_string(connection_number) + ": connect: " + connect_error.message());
      asio::steady_timer pause(executor, std::chrono::milliseconds(100));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    socket->set_option(tcp::no_delay(true));
    qiao::tcp::FrameReader reader(run.framing);
    std::string broken;  // why this connection has to be opened again; empty while it is fine

    while (broken.empty() && Clock::now() < run.deadline) {
      const std::string control_id = "L" + std::to_string(connection_number) + "-" + std::to_string(++sequence);
      auto framed =
          qiao::tcp::frame(run.framing, run.message.before_control_id + control_id + run.message.after_control_id);
      if (!framed) usage("the message cannot be framed: " + framed.error().message);

      const auto sent_at = Clock::now();
      *waiting_since = sent_at;
      auto [write_error, written] = co_await asio::async_write(*socket, asio::buffer(*framed), use_tuple);
      if (write_error) {
        broken = "write: " + write_error.message();
        break;
      }
      std::optional<std::string> ack;
      while (!ack) {
        auto next = reader.next();
        if (!next) {
          broken = next.error().message;
          break;
        }
        if (*next) {
          ack = std::move(**next);
          break;
        }
        auto [read_error, received] = co_await socket->async_read_some(asio::buffer(buffer), use_tuple);
        if (read_error) {
          broken = read_error == asio::error::operation_aborted || read_error == asio::error::bad_descriptor
                       ? "no ACK within the timeout"
                       : "read: " + read_error.message();
          break;
        }
        reader.feed(std::string_view(buffer.data(), received));
      }
      *waiting_since = Clock::time_point{};
      if (!ack) break;

      const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent_at).count();
      const MsaFields msa = read_msa(*ack, run.message.field_separator);
      if (!msa.found) {
        broken = "the answer has no MSA segment";
      } else if (msa.control_id != control_id) {
        broken = "MSA-2 is '" + std::string(msa.control_id) + "', expected '" + control_id + "'";
      } else if (msa.code != "AA") {
        ++run.not_aa;
        std::string shown = *ack;
        std::replace(shown.begin(), shown.end(), '\r', ' ');
        note(run.first_not_aa, shown);
      } else {
        ++run.acked;
        run.latencies_us.push_back(static_cast<std::uint32_t>(latency));
      }
    }
    *done = true;
    boost::system::error_code ignored;
    socket->close(ignored);
    if (!broken.empty()) {
      ++run.errors;
      note(run.first_errors, "connection " + std::to_string(connection_number) + ": " + broken);
    }
  }
  if (--run.connections_running == 0) run.finished = Clock::now();
}

double percentile_ms(const std::vector<std::uint32_t>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  const auto index = static_cast<std::size_t>(fraction * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)] / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  Run run;
  run.message = split_at_control_id(options.file.empty() ? std::string(builtin_adt_a01) : first_message(options.file));
  run.timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.timeout_seconds));

  asio::io_context io(1);
  boost::system::error_code resolve_error;
  tcp::resolver resolver(io);
  const auto resolved = resolver.resolve(options.host, options.port, resolve_error);
  if (resolve_error || resolved.empty()) usage("cannot resolve " + options.host + ":" + options.port);
  run.server = *resolved.begin();

  const auto started = Clock::now();
  run.deadline = started + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.seconds));
  run.connections_running = options.connections;
  for (int connection = 1; connection <= options.connections; ++connection) {
    asio::co_spawn(io, run_connection(run, connection), asio::detached);
  }
  io.run();
  const double elapsed = std::chrono::duration<double>(run.finished - started).count();

  std::sort(run.latencies_us.begin(), run.latencies_us.end());
  std::printf(
      "mllp_load %s:%s  %d connection%s  %.1f s: %llu ACKed (AA)  %.0f msg/s  ACK latency p50 %.2f ms  "
      "p99 %.2f ms  max %.2f ms  not AA %llu  errors %llu\n",
      options.host.c_str(), options.port.c_str(), options.connections, options.connections == 1 ? "" : "s", elapsed,
      static_cast<unsigned long long>(run.acked), static_cast<double>(run.acked) / elapsed,
      percentile_ms(run.latencies_us, 0.50), percentile_ms(run.latencies_us, 0.99),
      percentile_ms(run.latencies_us, 1.0), static_cast<unsigned long long>(run.not_aa),
      static_cast<unsigned long long>(run.errors));
  if (run.not_aa == 0 && run.errors == 0) return 0;
  std::fprintf(stderr, "mllp_load: *** FAILED: %llu answer(s) not AA, %llu error(s) ***\n",
               static_cast<unsigned long long>(run.not_aa), static_cast<unsigned long long>(run.errors));
  for (const auto& text : run.first_not_aa) std::fprintf(stderr, "  not AA: %s\n", text.c_str());
  for (const auto& text : run.first_errors) std::fprintf(stderr, "  error: %s\n", text.c_str());
  return 1;
}

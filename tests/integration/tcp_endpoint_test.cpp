// The tcp endpoint as a flow uses it: HTTP requests into the gateway, calls out over raw TCP to
// peers played by the test (a bank host speaking 2-byte length frames, an MLLP LIS), in short,
// long and multiplexed mode; peer restarts, reply timeouts, out-of-order replies, a peer hanging
// up mid-frame, and HL7 ACKs with AE routed by the flow.

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "app/plugins.hpp"
#include "core/codec.hpp"
#include "core/codec_name.hpp"
#include "tests/integration/support/framed_peer.hpp"
#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<const qiao::Codec> codec(const std::string& name, const std::string& argument = "") {
  auto made =
      qiao::build_codec(qiao::all_plugins().codecs, argument.empty() ? name : name + ":" + argument, QIAO_SOURCE_DIR);
  if (!made) throw std::runtime_error(made.error().message);
  return *made;
}

std::string cup_spec() { return std::string(QIAO_SOURCE_DIR) + "/config/iso8583/cup.yaml"; }

// A JSON reply built from a JSON request: the request with `extra` members appended.
std::string with_members(const std::string& request, const std::string& extra) {
  if (request.size() < 2 || request.back() != '}') return "{\"unparsable\":true}";
  return request.substr(0, request.size() - 1) + (request.size() > 2 ? "," : "") + extra + "}";
}

// A flow on the shared test listener that sends its JSON body to `endpoint` and answers with
// the reply; with `routed`, a failed call is answered 503 with the error's code and message.
std::string call_flow(const std::string& id, const std::string& endpoint, bool routed = false) {
  std::string flow = "id: " + id + "\nsource:\n  http: { listen: \"127.0.0.1:0\", path: /" + id +
                     ", methods: [POST] }\n  decode: json\nsteps:\n";
  if (!routed)
    return flow + "  - call: { endpoint: " + endpoint + ", into: reply }\nreply:\n  lua: 'return vars.reply'\n";
  return flow + "  - call: { endpoint: " + endpoint +
         ", into: reply, on_error: continue }\n"
         "  - route:\n"
         "      - when: vars.reply.error\n"
         "        reply: { status: 503, lua: 'return { cause = vars.reply.error.code, text = vars.reply.error.message "
         "}' }\n"
         "reply:\n  lua: 'return vars.reply'\n";
}

std::string error_code_of(const HttpResult& r) {
  const std::string marker = "\"code\":\"";
  const auto at = r.body.find(marker);
  if (at == std::string::npos) return "";
  return r.body.substr(at + marker.size(), r.body.find('"', at + marker.size()) - at - marker.size());
}

}  // namespace

TEST_CASE("tcp endpoint, short mode: one connection per call, 2-byte length frames", "[integration][tcp][endpoint]") {
  std::mutex mutex;
  std::vector<std::string> received;
  FramedPeer host("{length: 2}", [&](FramedConnection& connection) {
    auto request = connection.read();
    if (!request) return;
    {
      std::lock_guard lock(mutex);
      received.push_back(*request);
    }
    connection.write(with_members(*request, "\"approved\":true"));
    // The gateway closes a short connection once it has the reply.
    (void)connection.read(2s);
  });
  TempDir dir;
  dir.write("qiao.yaml", server_config("tcp-short"));
  dir.write("endpoints.yaml",
            "bank: { tcp: { connect: \"" + host.address() +
                "\", framing: { length: 2, encoding: binary }, mode: short }, codec: json, timeout: 3s }\n");
  dir.write("flows/pay.yaml", call_flow("pay", "bank"));
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");

  HttpResult first = http_request(address, "POST", "/pay", R"({"id":"A1","amount":5})");
  INFO(first.body << first.error);
  CHECK(first.status == 200);
  CHECK(first.body == R"({"id":"A1","amount":5,"approved":true})");
  HttpResult second = http_request(address, "POST", "/pay", R"({"id":"A2","amount":7})");
  CHECK(second.status == 200);
  CHECK(second.body == R"({"id":"A2","amount":7,"approved":true})");
  CHECK(host.accepted() == 2);
  std::lock_guard lock(mutex);
  CHECK(received == std::vector<std::string>{R"({"id":"A1","amount":5})", R"({"id":"A2","amount":7})"});
}

TEST_CASE("tcp endpoint, long mode: connections are reused and come back after the peer restarts",
          "[integration][tcp][endpoint][reconnect]") {
  const int port = free_port();
  auto answer_as = [](std::string name) {
    return [name](FramedConnection& connection) {
      while (auto request = connection.read(10s)) connection.write(with_members(*request, "\"host\":\"" + name + "\""));
    };
  };
  auto host = std::make_unique<FramedPeer>("{length: 2}", answer_as("first"), port);
  TempDir dir;
  dir.write("qiao.yaml", server_config("tcp-long"));
  dir.write("endpoints.yaml", "bank:\n  tcp: { connect: \"127.0.0.1:" + std::to_string(port) +
                                  "\", framing: { length: 2 }, mode: long, reconnect: { initial: 50ms, max: 400ms } }\n"
                                  "  codec: json\n  timeout: 3s\n  connect_timeout: 1s\n  pool: 1\n");
  dir.write("flows/pay.yaml", call_flow("pay", "bank"));
  dir.write("flows/pay-routed.yaml", call_flow("pay-routed", "bank", true));
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");

  for (int i = 0; i < 6; ++i) {
    HttpResult r = http_request(address, "POST", "/pay", "{\"n\":" + std::to_string(i) + "}");
    INFO(r.body << r.error);
    CHECK(r.status == 200);
    CHECK(r.body == "{\"n\":" + std::to_string(i) + ",\"host\":\"first\"}");
  }
  // Two workers, one connection each at most: six calls did not open six connections.
  CHECK(host->accepted() >= 1);
  CHECK(host->accepted() <= 2);

  host.reset();  // the bank host goes down: every connection closes, nothing listens
  const auto started = std::chrono::steady_clock::now();
  HttpResult down = http_request(address, "POST", "/pay-routed", R"({"n":"down"})");
  INFO(down.body);
  CHECK(down.status == 503);
  CHECK(down.body.find(R"("cause":"unavailable")") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - started < 2500ms);  // told at once, not after the timeout

  host = std::make_unique<FramedPeer>("{length: 2}", answer_as("second"), port);
  // Both workers' connections come back (each worker's slot retries within reconnect.max).
  for (int i = 0; i < 6; ++i) {
    HttpResult r = http_request(address, "POST", "/pay", "{\"n\":" + std::to_string(i) + "}");
    INFO(r.body << r.error);
    CHECK(r.status == 200);
    CHECK(r.body == "{\"n\":" + std::to_string(i) + ",\"host\":\"second\"}");
  }
  CHECK(host->accepted() >= 1);
  CHECK(host->accepted() <= 2);
  CHECK(gateway.stop() == 0);
}

TEST_CASE("tcp endpoint: a reply timeout is a 504 or a route, and a late reply answers no later call",
          "[integration][tcp][endpoint][timeout]") {
  FramedPeer host("{length: 2}", [](FramedConnection& connection) {
    while (auto request = connection.read(10s)) {
      if (request->find("\"slow\":true") != std::string::npos) std::this_thread::sleep_for(700ms);
      if (!connection.write(with_members(*request, "\"done\":true"))) return;
    }
  });
  TempDir dir;
  dir.write("qiao.yaml", server_config("tcp-timeout"));
  dir.write("endpoints.yaml", "bank: { tcp: { connect: \"" + host.address() +
                                  "\", framing: { length: 2 } }, codec: json, timeout: 300ms, pool: 1 }\n");
  dir.write("flows/pay.yaml", call_flow("pay", "bank"));
  dir.write("flows/pay-routed.yaml", call_flow("pay-routed", "bank", true));
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");

  auto started = std::chrono::steady_clock::now();
  HttpResult slow = http_request(address, "POST", "/pay", R"({"id":"S1","slow":true})");
  auto waited = std::chrono::steady_clock::now() - started;
  INFO(slow.body);
  CHECK(slow.status == 504);
  CHECK(error_code_of(slow) == "timeout");
  CHECK(waited >= 280ms);
  CHECK(waited < 2s);

  HttpResult routed = http_request(address, "POST", "/pay-routed", R"({"id":"S2","slow":true})");
  INFO(routed.body);
  CHECK(routed.status == 503);
  CHECK(routed.body.find(R"("cause":"timeout")") != std::string::npos);

  // The late replies to S1 and S2 arrive while these run: each call still gets its own.
  for (const std::string id : {"F1", "F2", "F3", "F4"}) {
    HttpResult fast = http_request(address, "POST", "/pay", "{\"id\":\"" + id + "\"}");
    INFO(fast.body);
    CHECK(fast.status == 200);
    CHECK(fast.body == "{\"id\":\"" + id + "\",\"done\":true}");
  }
  CHECK(gateway.stop() == 0);
}

TEST_CASE("tcp endpoint, multiplexed: ISO 8583 replies out of order are matched by fields 11 and 41",
          "[integration][tcp][endpoint][multiplexed]") {
  auto iso = codec("iso8583", cup_spec());
  constexpr int calls = 4;
  std::mutex mutex;
  std::vector<std::string> stans_received;
  std::atomic<int> frames{0};
  FramedPeer host("{length: 2}", [&](FramedConnection& connection) {
    std::vector<qiao::Value> requests;
    while (requests.size() < calls) {
      auto payload = connection.read(10s);
      if (!payload) return;
      ++frames;
      auto request = iso->decode(qiao::make_buffer(*payload));
      if (!request) return;
      std::lock_guard lock(mutex);
      stans_received.emplace_back(request->find("11")->as_string());
      requests.push_back(std::move(*request));
    }
    // A reply no request waits for, then the real ones last first.
    auto stray = requests.front();
    stray.as_object().set("mti", "0210");
    stray.as_object().set("11", "999999");
    stray.as_object().set("39", "00");
    connection.write(*iso->encode(stray));
    for (auto it = requests.rbegin(); it != requests.rend(); ++it) {
      qiao::Value reply = *it;
      reply.as_object().set("mti", "0210");
      const std::string stan(it->find("11")->as_string());
      reply.as_object().set("37", "RRN" + stan + "000");
      reply.as_object().set("39", stan == "000003" ? "51" : "00");
      connection.write(*iso->encode(reply));
    }
    (void)connection.read(10s);
  });

  TempDir dir;
  std::string config = server_config("tcp-multiplexed");
  config.replace(config.find("threads: 2"), 10, "threads: 1");  // one worker: one shared connection
  dir.write("qiao.yaml", config);
  dir.write("endpoints.yaml", "bank:\n  tcp: { connect: \"" + host.address() +
                                  "\", framing: { length: 2, encoding: binary }, mode: long, correlate: [11, 41] }\n"
                                  "  codec: \"iso8583:" +
                                  cup_spec() + "\"\n  timeout: 10s\n  pool: 1\n");
  dir.write("flows/pay.yaml",
            "id: pay\nsource:\n  http: { listen: \"127.0.0.1:0\", path: /pay, methods: [POST] }\n  decode: json\n"
            "steps:\n"
            "  - call:\n"
            "      endpoint: bank\n"
            "      into: bank\n"
            "      lua: |\n"
            "        return { mti = \"0200\", [3] = \"000000\", [4] = body.amount, [11] = body.stan,\n"
            "                 [41] = \"T0000001\", [42] = \"898310048141234\", [49] = \"156\" }\n"
            "reply:\n"
            "  lua: 'return { stan = vars.bank[\"11\"], amount = vars.bank[\"4\"], code = vars.bank[\"39\"], rrn = "
            "vars.bank[\"37\"] }'\n");
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");

  std::vector<HttpResult> results(calls);
  std::vector<std::thread> clients;
  for (int i = 0; i < calls; ++i) {
    clients.emplace_back([&, i] {
      const int n = i + 1;
      results[i] = http_request(address, "POST", "/pay",
                                "{\"stan\":" + std::to_string(n) + ",\"amount\":" + std::to_string(n * 100) + "}");
    });
  }
  for (auto& client : clients) client.join();

  for (int i = 0; i < calls; ++i) {
    const int n = i + 1;
    const std::string stan = "00000" + std::to_string(n);
    INFO("call " << n << ": " << results[i].body << results[i].error);
    CHECK(results[i].status == 200);
    // Lua tables have no key order; the JSON codec writes their keys sorted.
    CHECK(results[i].body == "{\"amount\":\"000000000" + std::to_string(n) + "00\",\"code\":\"" +
                                 (n == 3 ? "51" : "00") + "\",\"rrn\":\"RRN" + stan + "000\",\"stan\":\"" + stan +
                                 "\"}");
  }
  CHECK(host.accepted() == 1);
  CHECK(frames.load() == calls);
  {
    std::lock_guard lock(mutex);
    auto sorted = stans_received;
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == std::vector<std::string>{"000001", "000002", "000003", "000004"});
  }
  const std::string log_path = dir.path() + "/var/log/system.log";
  CHECK(wait_until(
      [&] {
        return read_file(log_path).find("matches no waiting request (unknown 11=999999 41=T0000001)") !=
               std::string::npos;
      },
      3s));
  const HttpResult metrics = gateway.admin_request("GET", "/metrics");
  CHECK(metrics.body.find("qiao_endpoint_events_total{endpoint=\"bank\",event=\"unmatched_reply\"} 1\n") !=
        std::string::npos);
  CHECK(gateway.stop() == 0);
}

TEST_CASE("tcp endpoint: a peer hanging up in the middle of a reply frame is an upstream error",
          "[integration][tcp][endpoint][disconnect]") {
  FramedPeer host("{length: 2}", [](FramedConnection& connection) {
    auto request = connection.read();
    if (!request) return;
    connection.write_raw(std::string("\x00\x20", 2) + "{\"par");  // 32 bytes announced, 6 sent
    std::this_thread::sleep_for(50ms);
    connection.hang_up();
  });
  TempDir dir;
  dir.write("qiao.yaml", server_config("tcp-disconnect"));
  dir.write("endpoints.yaml", "bank: { tcp: { connect: \"" + host.address() +
                                  "\", framing: { length: 2 } }, codec: json, timeout: 3s }\n"
                                  "bank-short: { tcp: { connect: \"" +
                                  host.address() +
                                  "\", framing: { length: 2 }, mode: short }, codec: json, timeout: 3s }\n");
  dir.write("flows/pay.yaml", call_flow("pay", "bank"));
  dir.write("flows/pay-short.yaml", call_flow("pay-short", "bank-short"));
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");

  for (const std::string path : {"/pay", "/pay-short"}) {
    const auto started = std::chrono::steady_clock::now();
    HttpResult r = http_request(address, "POST", path, R"({"id":"X"})");
    INFO(path << ": " << r.body);
    CHECK(r.status == 502);
    CHECK(error_code_of(r) == "upstream");
    CHECK(r.body.find("middle of a") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - started < 2s);
  }
  CHECK(gateway.stop() == 0);
}

TEST_CASE("tcp endpoint over MLLP: AA is a reply, AE is an upstream error the flow routes on",
          "[integration][tcp][endpoint][mllp]") {
  FramedPeer lis("mllp", [](FramedConnection& connection) {
    while (auto message = connection.read(10s)) {
      // MSH-10 is the tenth field of MSH (MSH-1 is the separator itself).
      const std::string msh = message->substr(0, message->find('\r'));
      std::vector<std::string> fields;
      std::size_t start = 0;
      for (;;) {
        const auto bar = msh.find('|', start);
        fields.push_back(msh.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
        if (bar == std::string::npos) break;
        start = bar + 1;
      }
      const std::string control = fields.size() > 9 ? fields[9] : "";
      const bool unknown = message->find("PID|1||BAD") != std::string::npos;
      const std::string ack = "MSH|^~\\&|LIS|LAB|HIS|HOSP|20260101120000||ACK^A01^ACK|ACK" + control + "|P|2.3\r" +
                              (unknown ? "MSA|AE|" + control + "|unknown patient BAD\r" : "MSA|AA|" + control + "\r");
      if (!connection.write(ack)) return;
    }
  });
  TempDir dir;
  dir.write("qiao.yaml", server_config("tcp-mllp"));
  dir.write("endpoints.yaml",
            "lis: { tcp: { connect: \"" + lis.address() + "\", framing: mllp }, codec: hl7v2, timeout: 5s }\n");
  dir.write("flows/adt.yaml",
            "id: adt\nsource:\n  http: { listen: \"127.0.0.1:0\", path: /adt, methods: [POST] }\n  decode: hl7v2\n  "
            "encode: json\n"
            "steps:\n"
            "  - call: { endpoint: lis, into: lis, on_error: continue }\n"
            "  - route:\n"
            "      - when: vars.lis.error and vars.lis.error.message:find('HL7 AE', 1, true)\n"
            "        reply: { status: 422, lua: 'return { rejected = vars.lis.error.message }' }\n"
            "reply:\n"
            "  lua: 'return { ack = hl7.get(vars.lis, \"MSA-1\"), control = hl7.get(vars.lis, \"MSA-2\") }'\n");
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");

  const std::string good = "MSH|^~\\&|HIS|HOSP|LIS|LAB|20260101120000||ADT^A01|MSG001|P|2.3\rPID|1||P001||Zhang^San\r";
  HttpResult accepted = http_request(address, "POST", "/adt", good);
  INFO(accepted.body << accepted.error);
  CHECK(accepted.status == 200);
  CHECK(accepted.body == R"({"ack":"AA","control":"MSG001"})");

  const std::string bad = "MSH|^~\\&|HIS|HOSP|LIS|LAB|20260101120000||ADT^A01|MSG002|P|2.3\rPID|1||BAD||Li^Si\r";
  HttpResult rejected = http_request(address, "POST", "/adt", bad);
  INFO(rejected.body);
  CHECK(rejected.status == 422);
  CHECK(rejected.body.find("HL7 AE: unknown patient BAD") != std::string::npos);
  CHECK(lis.accepted() >= 1);
  CHECK(gateway.stop() == 0);
}

TEST_CASE("tcp endpoint, long mode: heartbeats on a quiet connection, their echoes never answer a call, idle close",
          "[integration][tcp][endpoint][heartbeat]") {
  std::atomic<int> heartbeats{0};
  FramedPeer host("{length: 2}", [&](FramedConnection& connection) {
    while (auto payload = connection.read(10s)) {
      if (payload->empty()) {
        ++heartbeats;
        connection.write("");  // echo
        continue;
      }
      // An echo-like empty frame first: a synchronous endpoint must not take it for the reply.
      connection.write("");
      connection.write(with_members(*payload, "\"ok\":true"));
    }
  });
  std::atomic<int> idle_closed{0};
  std::atomic<long> idle_after_ms{0};
  FramedPeer idle_host("{length: 2}", [&](FramedConnection& connection) {
    auto payload = connection.read(10s);
    if (!payload) return;
    connection.write(with_members(*payload, "\"ok\":true"));
    const auto answered = std::chrono::steady_clock::now();
    if (!connection.read(5s)) {  // nothing more: the gateway closed the connection
      idle_after_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - answered).count();
      ++idle_closed;
    }
  });
  TempDir dir;
  std::string config = server_config("tcp-heartbeat");
  config.replace(config.find("threads: 2"), 10, "threads: 1");
  dir.write("qiao.yaml", config);
  dir.write("endpoints.yaml", "bank: { tcp: { connect: \"" + host.address() +
                                  "\", framing: { length: 2 }, heartbeat: { interval: 150ms } },"
                                  " codec: json, timeout: 3s, pool: 1 }\n"
                                  "quiet: { tcp: { connect: \"" +
                                  idle_host.address() +
                                  "\", framing: { length: 2 }, idle_timeout: 300ms },"
                                  " codec: json, timeout: 3s, pool: 1 }\n");
  dir.write("flows/pay.yaml", call_flow("pay", "bank"));
  dir.write("flows/quiet.yaml", call_flow("quiet", "quiet"));
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");

  HttpResult first = http_request(address, "POST", "/pay", R"({"id":1})");
  INFO(first.body << first.error);
  CHECK(first.status == 200);
  CHECK(first.body == R"({"id":1,"ok":true})");
  CHECK(wait_until([&] { return heartbeats.load() >= 3; }, 3s));
  for (int id = 2; id <= 4; ++id) {
    HttpResult r = http_request(address, "POST", "/pay", "{\"id\":" + std::to_string(id) + "}");
    INFO(r.body << r.error);
    CHECK(r.status == 200);
    CHECK(r.body == "{\"id\":" + std::to_string(id) + ",\"ok\":true}");
  }
  CHECK(host.accepted() == 1);  // heartbeats kept the one connection; nothing reconnected

  HttpResult quiet = http_request(address, "POST", "/quiet", R"({"id":9})");
  CHECK(quiet.status == 200);
  CHECK(wait_until([&] { return idle_closed.load() == 1; }, 3s));
  CHECK(idle_after_ms.load() >= 250);
  CHECK(idle_after_ms.load() < 2000);
  CHECK(gateway.stop() == 0);
}

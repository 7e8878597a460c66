// The gateway on a PostgreSQL store (store.url: postgres://…): two nodes sharing one database
// answer a repeated payment once, whichever node the repeat reaches, and a node that restarts
// finds what it journaled and queued. The server is the CTest fixture "postgres"'s
// (tests/support/postgres-test-server.sh); each test makes a database of its own.

#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/support/counting_http_peer.hpp"
#include "tests/integration/support/gateway_process.hpp"
#include "tests/unit/core/store_backends.hpp"

using namespace qiao::testing;
using namespace std::chrono_literals;

namespace {

std::string node_config(const std::string& name, const std::string& store_url) {
  return "node: { name: " + name +
         ", threads: 2 }\n"
         "admin: { listen: \"127.0.0.1:0\", token: pg-test }\n"
         "store: { url: \"" +
         store_url +
         "\" }\n"
         "flows: [ \"flows/*.yaml\" ]\n"
         "log: { dir: var/log, level: info, console: false }\n"
         "reload: { watch: false }\n";
}

// A payment that must run once per order: the answer names the node and the message that ran it.
std::string pay_flow(int port, const std::string& node) {
  return "id: pay\n"
         "source:\n"
         "  http: { listen: \"127.0.0.1:" +
         std::to_string(port) +
         "\", path: /pay, methods: [POST] }\n"
         "  decode: json\n"
         "idempotency: { key: 'body.orderNo', ttl: 1h }\n"
         "reply:\n"
         "  lua: 'return { orderNo = body.orderNo, node = \"" +
         node + "\", ranAs = msg.id }'\n";
}

// A node whose notes flow queues each note for the EMR, in order per patient; its EMR endpoint
// says which node sent a request (X-Node), so the peer's log shows who delivered what.
void write_notes_node(const TempDir& dir, const std::string& name, const std::string& store_url, int port,
                      const CountingHttpPeer& emr) {
  // The admin token is generated (var/admin.token), which GatewayProcess reads for /metrics.
  dir.write("qiao.yaml", "node: { name: " + name +
                             ", threads: 2 }\n"
                             "admin: { listen: \"127.0.0.1:0\" }\n"
                             "store: { url: \"" +
                             store_url +
                             "\", lease: 2s }\n"
                             "flows: [ \"flows/*.yaml\" ]\n"
                             "endpoints: [ endpoints.yaml ]\n"
                             "log: { dir: var/log, level: info, console: false }\n"
                             "reload: { watch: false }\n");
  dir.write("endpoints.yaml", "emr: { http: { url: \"" + emr.url("/notes") + "\", headers: { X-Node: " + name +
                                  " } }, timeout: 5s, max_in_flight: 4 }\n");
  dir.write("flows/notes.yaml",
            "id: notes\n"
            "source:\n"
            "  http: { listen: \"127.0.0.1:" +
                std::to_string(port) +
                "\", path: /notes, methods: [POST] }\n"
                "  decode: json\n"
                "steps:\n"
                "  - send:\n"
                "      endpoint: emr\n"
                "      order_by: 'body.patient'\n"
                "      retry: { attempts: 1000, backoff: 100ms, max_backoff: 300ms, jitter: false }\n");
}

// The shared queue tables as text, for a failure's message.
std::string queue_tables(qiao_test::PostgresBackend& backend) {
  return "deliveries (id:key:state:node:attempts:error):\n" +
         backend.sql_text(
             "SELECT string_agg(id || ':' || encode(order_key, 'escape') || ':' || state || ':' || "
             "coalesce(node, '-') || ':' || attempts || ':' || last_error, E'\\n' ORDER BY id) FROM deliveries") +
         "\nqueue_keys: " +
         backend.sql_text("SELECT string_agg(encode(order_key, 'escape') || ':' || node, ', ') FROM queue_keys") +
         "\nqueue_nodes: " + backend.sql_text("SELECT string_agg(node || ':' || lease_until, ', ') FROM queue_nodes");
}

struct Arrival {
  std::string node;
  std::string patient;
  int seq = 0;
};

// The peer's log lines: `node {"patient":"P1","seq":7}`.
std::vector<Arrival> arrivals(const CountingHttpPeer& emr) {
  static const std::regex line(R"re(^(\S+) .*"patient":"([^"]+)".*"seq":(\d+))re");
  std::vector<Arrival> out;
  for (const std::string& l : emr.requests()) {
    std::smatch m;
    if (std::regex_search(l, m, line)) out.push_back({m[1], m[2], std::stoi(m[3])});
  }
  return out;
}

// Per patient, the seqs in the order they arrived.
std::map<std::string, std::vector<int>> by_patient(const std::vector<Arrival>& all) {
  std::map<std::string, std::vector<int>> out;
  for (const Arrival& a : all) out[a.patient].push_back(a.seq);
  return out;
}

}  // namespace

TEST_CASE("store on postgres: two gateway nodes sharing a database answer a repeated order once",
          "[integration][postgres]") {
  qiao_test::with_postgres([](qiao_test::PostgresBackend& backend) {
    TempDir dir_a, dir_b;
    const int port_a = free_port();
    const int port_b = free_port();
    dir_a.write("qiao.yaml", node_config("node-a", backend.url()));
    dir_a.write("flows/pay.yaml", pay_flow(port_a, "a"));
    dir_b.write("qiao.yaml", node_config("node-b", backend.url()));
    dir_b.write("flows/pay.yaml", pay_flow(port_b, "b"));
    GatewayProcess a(dir_a);
    GatewayProcess b(dir_b);
    const std::string at_a = "127.0.0.1:" + std::to_string(port_a);
    const std::string at_b = "127.0.0.1:" + std::to_string(port_b);

    const HttpResult first = http_request(at_a, "POST", "/pay", R"({"orderNo":"K0001"})");
    REQUIRE(first.status == 200);
    CHECK_THAT(first.body, Catch::Contains("\"node\":\"a\""));
    // The repeat reaches the other node: it answers what node a answered, byte for byte.
    const HttpResult repeat = http_request(at_b, "POST", "/pay", R"({"orderNo":"K0001"})");
    REQUIRE(repeat.status == 200);
    CHECK(repeat.body == first.body);
    CHECK(repeat.header("content-type") == first.header("content-type"));

    const HttpResult other = http_request(at_b, "POST", "/pay", R"({"orderNo":"K0002"})");
    REQUIRE(other.status == 200);
    CHECK_THAT(other.body, Catch::Contains("\"node\":\"b\""));
    CHECK(http_request(at_a, "POST", "/pay", R"({"orderNo":"K0002"})").body == other.body);

    // Both nodes journal into the one database: each finds the other's messages.
    const bool journaled =
        wait_until([&] { return backend.sql_text("SELECT count(*) FROM journal WHERE flow_id = 'pay'") == "4"; }, 10s);
    CHECK(journaled);
    CHECK(backend.sql_text("SELECT count(*) FROM idempotency_keys WHERE answered") == "2");
    CHECK(a.stop() == 0);
    CHECK(b.stop() == 0);
  });
}

TEST_CASE(
    "store on postgres: two nodes sharing queues deliver each message once, in order per patient, and a "
    "killed node's queue goes out from the other after its lease",
    "[integration][postgres]") {
  qiao_test::with_postgres([](qiao_test::PostgresBackend& backend) {
    TempDir peer_dir, dir_a, dir_b;
    // 20 ms per request, so that two deliveries of one patient at once would overlap at the peer.
    CountingHttpPeer emr(peer_dir.path(), 20, "X-Node", "patient");
    const int port_a = free_port();
    const int port_b = free_port();
    write_notes_node(dir_a, "node-a", backend.url(), port_a, emr);
    write_notes_node(dir_b, "node-b", backend.url(), port_b, emr);
    auto a = std::make_unique<GatewayProcess>(dir_a);
    GatewayProcess b(dir_b);
    const std::string at[2] = {"127.0.0.1:" + std::to_string(port_a), "127.0.0.1:" + std::to_string(port_b)};

    // A sender that spreads its notes over both nodes, each sent once the one before was stored:
    // one patient's notes reach both nodes, and must still reach the EMR in the order sent.
    constexpr int notes = 40;
    std::map<std::string, std::vector<int>> sent;
    for (int seq = 0; seq < notes; ++seq) {
      const std::string patient = "P" + std::to_string(seq % 4);
      const std::string body = R"({"patient":")" + patient + R"(","seq":)" + std::to_string(seq) + "}";
      const HttpResult r =
          http_request(at[(seq / 3) % 2], "POST", "/notes", body, {{"Content-Type", "application/json"}});
      INFO(r.body << r.error);
      REQUIRE(r.status == 200);
      sent[patient].push_back(seq);
    }
    REQUIRE(wait_until([&] { return arrivals(emr).size() >= notes; }, 60s));
    // A note is delivered when the EMR answered, but its row goes only when the node's writer
    // committed the outcome: a node killed in between sends it again (at least once). Phase one
    // ends when every outcome is stored, so that the kill below duplicates none of its notes.
    CHECK(wait_until([&] { return backend.sql_text("SELECT count(*) FROM deliveries") == "0"; }, 10s));
    auto first = arrivals(emr);
    CHECK(first.size() == notes);  // none twice: no node delivered what another held
    CHECK(by_patient(first) == sent);
    CHECK(emr.overlaps().empty());
    int from_a = 0;
    for (const Arrival& x : first) from_a += x.node == "node-a";
    std::printf("shared queues: %d of %d notes delivered by node-a, %d by node-b\n", from_a, notes, notes - from_a);

    // The EMR goes away; node a queues notes of its own patients, node b of another, and a is
    // killed with them queued. Node b takes a's queue over once a's lease (2s) expired.
    emr.down(true);
    constexpr int held_by_a = 12;
    std::map<std::string, std::vector<int>> later;
    for (int seq = 100; seq < 100 + held_by_a + 4; ++seq) {
      const bool to_a = seq < 100 + held_by_a;
      const std::string patient = to_a ? "Q" + std::to_string(seq % 3) : "R0";
      const std::string body = R"({"patient":")" + patient + R"(","seq":)" + std::to_string(seq) + "}";
      const HttpResult r =
          http_request(at[to_a ? 0 : 1], "POST", "/notes", body, {{"Content-Type", "application/json"}});
      REQUIRE(r.status == 200);
      later[patient].push_back(seq);
    }
    REQUIRE(wait_until([&] { return a->metric("qiao_queue_held") == double(held_by_a); }, 10s));
    a->signal(SIGKILL);
    a.reset();  // reaps it
    emr.down(false);
    const bool arrived = wait_until([&] { return arrivals(emr).size() >= notes + held_by_a + 4; }, 60s);
    // Rare under a loaded machine and not yet explained: what the queues held when it happened.
    if (!arrived) UNSCOPED_INFO(queue_tables(backend) << "\nnode b:\n" << b.output());
    REQUIRE(arrived);
    const auto all = arrivals(emr);
    CHECK(all.size() == notes + held_by_a + 4);
    std::vector<Arrival> after(all.begin() + notes, all.end());
    CHECK(by_patient(after) == later);
    for (const Arrival& x : after) CHECK(x.node == "node-b");
    CHECK(emr.overlaps().empty());
    CHECK(b.metric("qiao_queue_takeovers_total") == 1.0);
    CHECK(b.metric("qiao_queue_taken_over_total") == double(held_by_a));
    CHECK(wait_until([&] { return b.metric("qiao_queue_held") == 0.0; }, 10s));
    CHECK(b.stop() == 0);
    // A clean stop gives the keys and the lease up.
    CHECK(backend.sql_text("SELECT count(*) FROM queue_keys") == "0");
    CHECK(backend.sql_text("SELECT count(*) FROM deliveries") == "0");
  });
}

// The gateway on a PostgreSQL store (store.url: postgres://…): two nodes sharing one database
// answer a repeated payment once, whichever node the repeat reaches, and a node that restarts
// finds what it journaled and queued. The server is the CTest fixture "postgres"'s
// (tests/support/postgres-test-server.sh); each test makes a database of its own.

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "tests/integration/support/gateway_process.hpp"
#include "tests/unit/core/store_backends.hpp"

using namespace qiao::testing;
using namespace std::chrono_literals;

namespace {

std::string node_config(const std::string& name, const std::string& store_url) {
  return "node: { name: " + name + ", threads: 2 }\n"
         "admin: { listen: \"127.0.0.1:0\", token: pg-test }\n"
         "store: { url: \"" + store_url + "\" }\n"
         "flows: [ \"flows/*.yaml\" ]\n"
         "log: { dir: var/log, level: info, console: false }\n"
         "reload: { watch: false }\n";
}

// A payment that must run once per order: the answer names the node and the message that ran it.
std::string pay_flow(int port, const std::string& node) {
  return "id: pay\n"
         "source:\n"
         "  http: { listen: \"127.0.0.1:" + std::to_string(port) + "\", path: /pay, methods: [POST] }\n"
         "  decode: json\n"
         "idempotency: { key: 'body.orderNo', ttl: 1h }\n"
         "reply:\n"
         "  lua: 'return { orderNo = body.orderNo, node = \"" + node + "\", ranAs = msg.id }'\n";
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
    const bool journaled = wait_until(
        [&] { return backend.sql_text("SELECT count(*) FROM journal WHERE flow_id = 'pay'") == "4"; }, 10s);
    CHECK(journaled);
    CHECK(backend.sql_text("SELECT count(*) FROM idempotency_keys WHERE answered") == "2");
    CHECK(a.stop() == 0);
    CHECK(b.stop() == 0);
  });
}

#include <stdlib.h>

#include <catch2/catch.hpp>

#include "core/config/config_node.hpp"
#include "core/config/schema.hpp"

using namespace qiao;

TEST_CASE("environment variables expand with defaults", "[config]") {
  ::setenv("QIAO_TEST_PORT", "9090", 1);
  ::unsetenv("QIAO_TEST_UNSET");
  ::setenv("QIAO_TEST_EMPTY", "", 1);
  CHECK(expand_environment("0.0.0.0:${QIAO_TEST_PORT:-8080}") == "0.0.0.0:9090");
  CHECK(expand_environment("0.0.0.0:${QIAO_TEST_UNSET:-8080}") == "0.0.0.0:8080");
  CHECK(expand_environment("${QIAO_TEST_EMPTY:-fallback}") == "fallback");
  CHECK(expand_environment("${QIAO_TEST_UNSET}") == "");
  CHECK(expand_environment("cost $$5 and $x") == "cost $5 and $x");
  CHECK(expand_environment("unclosed ${QIAO_TEST_PORT") == "unclosed ${QIAO_TEST_PORT");
}

TEST_CASE("durations and sizes parse with units", "[config]") {
  CHECK(parse_duration("500ms") == std::chrono::milliseconds(500));
  CHECK(parse_duration("5s") == std::chrono::milliseconds(5000));
  CHECK(parse_duration("1.5s") == std::chrono::milliseconds(1500));
  CHECK(parse_duration("2m") == std::chrono::milliseconds(120000));
  CHECK(parse_duration("0") == std::chrono::milliseconds(0));
  CHECK_FALSE(parse_duration("5"));
  CHECK_FALSE(parse_duration("5 s"));
  CHECK_FALSE(parse_duration("-1s"));
  CHECK(parse_size("64KiB") == 65536u);
  CHECK(parse_size("1MiB") == 1048576u);
  CHECK(parse_size("100") == 100u);
  CHECK_FALSE(parse_size("1TB"));
}

namespace {
constexpr ConfigKey keys[] = {
    {"url", KeyType::string, "", "where", true},
    {"timeout", KeyType::duration, "5s", "how long"},
    {"pool", KeyType::integer, "16", "how many"},
};
}

TEST_CASE("a schema rejects unknown keys and bad types with file:line:col", "[config]") {
  auto node = ConfigNode::parse("url: http://x\ntimout: 5s\npool: many\n", "flows/a.yaml");
  REQUIRE(node);
  Diagnostics diag;
  ConfigReader reader(*node, keys, diag, "endpoint 'his'");
  REQUIRE(diag.errors().size() == 2);
  CHECK(diag.errors()[0] == "flows/a.yaml:2:1: endpoint 'his': unknown key 'timout' (known: url, timeout, pool)");
  CHECK(diag.errors()[1] == "flows/a.yaml:3:7: endpoint 'his': pool: expected an integer, found 'many'");
  CHECK(reader.string("url") == "http://x");
  CHECK(reader.duration("timeout") == std::chrono::milliseconds(5000));
  CHECK(reader.integer("pool") == 16);
}

TEST_CASE("a missing required key is reported at the mapping", "[config]") {
  auto node = ConfigNode::parse("x:\n  timeout: 1s\n", "e.yaml");
  REQUIRE(node);
  Diagnostics diag;
  ConfigReader reader(*node->get("x"), keys, diag, "endpoint");
  REQUIRE(diag.errors().size() == 1);
  CHECK(diag.errors()[0] == "e.yaml:2:3: endpoint: missing required key 'url'");
}

TEST_CASE("yaml syntax errors carry their position", "[config]") {
  auto node = ConfigNode::parse("a: [1, 2\nb: 3\n", "bad.yaml");
  REQUIRE_FALSE(node);
  CHECK(node.error().message.rfind("bad.yaml:", 0) == 0);
  CHECK(node.error().message.find(": yaml: ") != std::string::npos);
}

TEST_CASE("block scalars report the line their content starts on", "[config]") {
  auto node =
      ConfigNode::parse("steps:\n  - lua: |\n      local x = 1\n      return x\n  - lua: 'return 2'\n", "f.yaml");
  REQUIRE(node);
  auto items = node->get("steps")->items();
  CHECK(items[0].get("lua")->content_line() == 3);
  CHECK(items[1].get("lua")->content_line() == 5);
  CHECK(items[1].get("lua")->location().column == 10);
}

TEST_CASE("to_value keeps quoted scalars as strings", "[config]") {
  auto node = ConfigNode::parse("a: 1\nb: '1'\nc: true\nd: 1.5\ne: ~\nf: text\n", "v.yaml");
  REQUIRE(node);
  Value v = node->to_value();
  CHECK(v.find("a")->is_int());
  CHECK(v.find("b")->is_string());
  CHECK(v.find("c")->as_bool());
  CHECK(v.find("d")->as_real() == 1.5);
  CHECK(v.find("e")->is_null());
  CHECK(v.find("f")->as_string() == "text");
}

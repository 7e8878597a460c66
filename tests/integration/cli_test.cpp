// The command line an integration engineer uses beside the gateway: `qiao check` on good and
// broken flows, `qiao codec` by hand, `qiao --version`.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The one output line that starts with `prefix`, or "" when there is not exactly one.
std::string line_starting(const std::string& text, const std::string& prefix) {
  std::string found;
  int n = 0;
  for (const auto& line : lines_of(text)) {
    if (line.rfind(prefix, 0) == 0) {
      found = line;
      ++n;
    }
  }
  return n == 1 ? found : std::string();
}

}  // namespace

TEST_CASE("qiao check passes the shipped configuration", "[integration][e2e][check]") {
  CommandResult r = run_command({QIAO_BINARY, "check", "-c", "config/qiao.yaml"}, "", QIAO_SOURCE_DIR);
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.find("config/qiao.yaml: ok, 9 flow(s), 4 endpoint(s)\n") == 0);
  CHECK(r.output.find("  flow adt-in: mllp 0.0.0.0:2575 (mllp)\n") != std::string::npos);
  CHECK(r.output.find("  endpoint bank: tcp 127.0.0.1:5000 length 2 binary long multiplexed by fields 11, 41\n") !=
        std::string::npos);
  CHECK(r.output.find("  flow registration: http POST 0.0.0.0:8080/api/registration\n") != std::string::npos);
  CHECK(r.output.find("  flow his-simulator: http POST 127.0.0.1:8081/sim/his/register\n") != std::string::npos);
}

TEST_CASE("qiao check --describe lists every codec with its options", "[integration][check]") {
  CommandResult r = run_command({QIAO_BINARY, "check", "--describe"}, "", QIAO_SOURCE_DIR);
  INFO(r.output);
  CHECK(r.status == 0);
  for (const char* codec : {"delimited", "fixed", "hl7v2", "hl7v2-xml", "iso8583", "json", "xml"})
    CHECK_FALSE(line_starting(r.output, std::string("codec ") + codec + ": ").empty());
  CHECK_THAT(line_starting(r.output, "codec iso8583: "), Catch::EndsWith("(iso8583:VALUE sets spec)"));
  const std::string hl7 = r.output.substr(r.output.find("codec hl7v2: "));
  CHECK(hl7.find("\n  charset (string, default UTF-8): ") != std::string::npos);
  CHECK(hl7.find("\n  line_endings (string, default cr): ") != std::string::npos);
  CHECK(hl7.find("\n  max_size (size, default 4MiB): ") != std::string::npos);
  CHECK(r.output.find("\n  spec (string, required): ") != std::string::npos);
}

TEST_CASE("qiao check: a site's empty flows folder loads, a flow put there is loaded, a missing folder is an error",
          "[integration][e2e][check]") {
  TempDir dir;
  copy_shipped_config(dir);
  const auto check = [&] { return run_command({QIAO_BINARY, "check", "-c", "qiao.yaml"}, "", dir.path()); };
  CommandResult shipped = check();
  INFO(shipped.output);
  CHECK(shipped.status == 0);
  CHECK(shipped.output.find("qiao.yaml: ok, 9 flow(s), 4 endpoint(s)\n") == 0);

  dir.write("flows/ward-census.yaml",
            "id: ward-census\n"
            "source:\n"
            "  http: { listen: \"127.0.0.1:0\", path: /api/ward-census }\n");
  CommandResult with_site_flow = check();
  INFO(with_site_flow.output);
  CHECK(with_site_flow.status == 0);
  CHECK(with_site_flow.output.find("qiao.yaml: ok, 10 flow(s), 4 endpoint(s)\n") == 0);
  CHECK(with_site_flow.output.find("  flow ward-census: http ") != std::string::npos);

  std::filesystem::remove_all(dir.path() + "/flows");
  CommandResult missing = check();
  INFO(missing.output);
  CHECK(missing.status == 1);
  CHECK(missing.output.find("flows: pattern 'flows/*.yaml' matches no file") != std::string::npos);
}

TEST_CASE("qiao check reports every error at once as file:line:col", "[integration][e2e][check]") {
  TempDir dir;
  const std::string base = dir.path() + "/";
  dir.write("qiao.yaml",
            "admin: { listen: \"127.0.0.1:0\" }\n"
            "flows: [ \"flows/*.yaml\" ]\n"
            "endpoints: [ endpoints.yaml ]\n");
  dir.write("endpoints.yaml",
            "his: { http: { url: \"http://127.0.0.1:1/his\" }, timeout: 5s }\n"
            "lis: { http: { url: \"http://127.0.0.1:1/lis\" }, timeout: 5 parsecs }\n");
  dir.write("flows/a-typo.yaml",
            "id: typo\n"
            "source:\n"
            "  http: { listen: \"127.0.0.1:0\", path: /typo }\n"
            "stpes:\n"
            "  - lua: 'return 1'\n");
  dir.write("flows/b-kinds.yaml",
            "id: kinds\n"
            "source:\n"
            "  http: { listen: \"127.0.0.1:0\", path: /kinds }\n"
            "steps:\n"
            "  - frobnicate: { x: 1 }\n"
            "  - call: { endpoint: pacs }\n");
  dir.write("flows/c-lua.yaml",
            "id: lua\n"                                          // 1
            "source:\n"                                          // 2
            "  http: { listen: \"127.0.0.1:0\", path: /lua }\n"  // 3
            "steps:\n"                                           // 4
            "  - lua: |\n"                                       // 5
            "      local beds = 3\n"                             // 6
            "      if beds > 0 then\n"                           // 7
            "        return (beds +\n"                           // 8
            "      end\n");                                      // 9: unexpected 'end'
  dir.write("flows/d-first.yaml",
            "id: twin\n"
            "source:\n"
            "  http: { listen: \"127.0.0.1:0\", path: /first }\n");
  dir.write("flows/e-second.yaml",
            "description: the same id as d-first\n"
            "id: twin\n"
            "source:\n"
            "  http: { listen: \"127.0.0.1:0\", path: /second }\n");
  // A broken flow whose id is also taken: both problems are reported.
  dir.write("flows/f-broken-twin.yaml",
            "id: typo\n"
            "source:\n"
            "  http: { listen: \"127.0.0.1:0\", path: /typo2, methods: [FETCH] }\n");

  CommandResult r = run_command({QIAO_BINARY, "check", "-c", "qiao.yaml"}, "", dir.path());
  INFO(r.output);
  CHECK(r.status == 1);

  // Every error line has the file:line:col: shape.
  const std::regex shape(R"(^/[^:]+:\d+:\d+: .+$)");
  int error_lines = 0;
  for (const auto& line : lines_of(r.output)) {
    if (line.find(" error(s)") != std::string::npos && line.find(':') == std::string::npos) continue;
    INFO(line);
    CHECK(std::regex_match(line, shape));
    ++error_lines;
  }

  CHECK(line_starting(r.output, base + "endpoints.yaml:2:").find("5 parsecs") != std::string::npos);
  CHECK(line_starting(r.output, base + "flows/a-typo.yaml:4:1: ").find("unknown key 'stpes'") != std::string::npos);
  CHECK(line_starting(r.output, base + "flows/b-kinds.yaml:5:5: ").find("unknown step 'frobnicate'") !=
        std::string::npos);
  CHECK(line_starting(r.output, base + "flows/b-kinds.yaml:6:").find("unknown endpoint 'pacs' (declared: his, lis)") !=
        std::string::npos);
  CHECK(line_starting(r.output, base + "flows/c-lua.yaml:9:").find("near 'end'") != std::string::npos);
  CHECK(line_starting(r.output, base + "flows/e-second.yaml:2:5: ") ==
        base + "flows/e-second.yaml:2:5: flow id 'twin' is also used by " + base + "flows/d-first.yaml:1:1");
  CHECK(line_starting(r.output, base + "flows/f-broken-twin.yaml:1:5: ") ==
        base + "flows/f-broken-twin.yaml:1:5: flow id 'typo' is also used by " + base + "flows/a-typo.yaml:1:1");
  CHECK(line_starting(r.output, base + "flows/f-broken-twin.yaml:3:").find("unknown HTTP method 'FETCH'") !=
        std::string::npos);
  CHECK(error_lines == 8);
  CHECK(r.output.find("\n8 error(s)\n") != std::string::npos);
}

TEST_CASE("qiao codec decodes and encodes JSON on stdin, qiao --version", "[integration][e2e][codec]") {
  const std::string input = "{\"b\":[1,2.50,\"caf\\u00e9\"],\"a\":{\"c\":null,\"d\":true}}";
  CommandResult decoded = run_command({QIAO_BINARY, "codec", "decode", "--codec", "json"}, input);
  INFO(decoded.output);
  CHECK(decoded.status == 0);
  // Key order and the text of numbers survive; the escape becomes the UTF-8 it stands for.
  CHECK(decoded.output == "{\"b\":[1,2.50,\"caf\xc3\xa9\"],\"a\":{\"c\":null,\"d\":true}}\n");

  CommandResult encoded = run_command({QIAO_BINARY, "codec", "encode", "--codec", "json"}, decoded.output);
  INFO(encoded.output);
  CHECK(encoded.status == 0);
  CHECK(encoded.output == "{\"b\":[1,2.50,\"caf\xc3\xa9\"],\"a\":{\"c\":null,\"d\":true}}");

  CommandResult bad = run_command({QIAO_BINARY, "codec", "decode", "--codec", "json"}, "{\"a\":[1,2,]}");
  CHECK(bad.status == 1);
  CHECK(bad.output == "qiao codec: json: invalid value at byte 10\n");
  CommandResult bad_encode = run_command({QIAO_BINARY, "codec", "encode", "--codec", "json"}, "{\"a\":1 \"b\":2}");
  CHECK(bad_encode.status == 1);
  CHECK(bad_encode.output ==
        "qiao codec: input is not JSON: json: missing a comma or '}' after an object member at byte 7\n");

  CommandResult unknown = run_command({QIAO_BINARY, "codec", "decode", "--codec", "nope"}, "{}");
  CHECK(unknown.status != 0);
  CHECK(unknown.output.find("unknown codec 'nope'") != std::string::npos);

  // The version is the project's, from CMakeLists.txt.
  std::ifstream cmake(std::string(QIAO_SOURCE_DIR) + "/CMakeLists.txt");
  std::stringstream text;
  text << cmake.rdbuf();
  std::smatch m;
  const std::string cmake_text = text.str();
  REQUIRE(std::regex_search(cmake_text, m, std::regex(R"(project\(qiao VERSION ([0-9.]+))")));
  CommandResult version = run_command({QIAO_BINARY, "--version"});
  CHECK(version.status == 0);
  CHECK(version.output == "qiao " + m[1].str() + "\n");
}

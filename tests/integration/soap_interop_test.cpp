// The SOAP adapter against a SOAP stack no one here wrote: the npm `soap` package (installed by
// `scripts/install-deps.sh test` into tests/interop) as a third-party client of the gateway's SOAP
// services, built from the WSDL the gateway serves, and as the HIS WebService the gateway calls.

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "codecs/json/json_codec.hpp"
#include "tests/integration/support/gateway_process.hpp"

using namespace qiao;
using namespace qiao::testing;

namespace {

const std::string interop_dir = std::string(QIAO_SOURCE_DIR) + "/tests/interop";
const std::string his_wsdl = std::string(QIAO_SOURCE_DIR) + "/examples/soap-registration/HisService.wsdl";

struct NodeAnswer {
  int status = -1;  // 0 result, 2 SOAP fault, 1 anything else
  Value json;
  std::string output;
  std::string text(const std::string& path) const {
    const Value* v = json.find_path(path);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  }
  double number(const std::string& path) const {
    const Value* v = json.find_path(path);
    return v && v->is_number() ? v->to_double() : -1;
  }
};

// One call through soap_client.js; its one line of JSON parsed.
NodeAnswer node_call(const std::string& wsdl_url, const std::string& operation, const std::string& args_json,
                     std::vector<std::string> flags = {}) {
  std::vector<std::string> argv{"timeout", "30",      "node",   interop_dir + "/soap_client.js",
                                wsdl_url,  operation, args_json};
  argv.insert(argv.end(), flags.begin(), flags.end());
  const CommandResult r = run_command(argv);
  NodeAnswer answer;
  answer.status = r.status;
  answer.output = r.output;
  const auto brace = r.output.find("{\"");
  if (brace != std::string::npos) {
    auto parsed = json::decode(make_buffer(r.output.substr(brace)));
    if (parsed) answer.json = std::move(*parsed);
  }
  return answer;
}

// POSTs JSON; returns "STATUS BODY".
std::string post_json(const std::string& url, const std::string& json_body) {
  const CommandResult r = run_command({"curl", "-sS", "--max-time", "15", "-w", " %{http_code}", "-X", "POST", url,
                                       "-H", "Content-Type: application/json", "-d", json_body});
  if (r.status != 0) return "curl failed: " + r.output;
  const std::size_t space = r.output.rfind(' ');
  return r.output.substr(space + 1) + " " + r.output.substr(0, space);
}

// The HIS played by npm soap (tests/interop/his_server.js) on an ephemeral port.
struct NodeHis {
  std::unique_ptr<ChildProcess> process;
  std::string address;

  NodeHis() {
    process = std::make_unique<ChildProcess>(std::vector<std::string>{"node", interop_dir + "/his_server.js", his_wsdl},
                                             interop_dir);
    if (!process->wait_for_output("\n", std::chrono::seconds(20)) || process->output().find("listening ") != 0) {
      throw std::runtime_error("his_server.js did not start:\n" + process->output());
    }
    const std::string out = process->output();
    address = "127.0.0.1:" + out.substr(10, out.find('\n') - 10);
  }
};

}  // namespace

TEST_CASE("soap interop: npm soap clients call the shipped example's SOAP services from the WSDL they serve",
          "[integration][soap][interop]") {
  TempDir dir;
  copy_shipped_config(dir);
  const int http_port = free_port();
  const int soap_port = free_port();
  const int his_port = free_port();
  GatewayProcess gateway(dir, {},
                         {{"QIAO_HTTP_PORT", std::to_string(http_port)},
                          {"QIAO_ADMIN", "127.0.0.1:0"},
                          {"QIAO_MLLP_PORT", "0"},
                          {"QIAO_LIS_PORT", std::to_string(free_port())},
                          {"QIAO_BANK_PORT", std::to_string(free_port())},
                          {"QIAO_SOAP_PORT", std::to_string(soap_port)},
                          {"QIAO_HIS_SOAP_PORT", std::to_string(his_port)},
                          {"QIAO_HIS_PORT", std::to_string(free_port())}});
  const std::string gateway_service = "http://127.0.0.1:" + std::to_string(soap_port) + "/RegistrationService";
  const std::string his_service = "http://127.0.0.1:" + std::to_string(his_port) + "/HisService.asmx";

  SECTION("the gateway's generated WSDL, SOAP 1.1: the answer comes from the HIS simulator") {
    const NodeAnswer a = node_call(gateway_service + "?wsdl", "Register", R"({"patientId":"P001","deptCode":"0101"})");
    INFO(a.output);
    REQUIRE(a.status == 0);
    CHECK(a.text("result.resultCode") == "0");
    CHECK(a.text("result.deptName") == "内科");
    CHECK(a.text("result.regNo").rfind("R", 0) == 0);
    CHECK(a.text("request").find(R"(xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/")") != std::string::npos);
  }

  SECTION("the same service over SOAP 1.2") {
    const NodeAnswer a =
        node_call(gateway_service + "?wsdl", "Register", R"({"patientId":"P002","deptCode":"0203"})", {"--soap12"});
    INFO(a.output);
    REQUIRE(a.status == 0);
    CHECK(a.text("result.deptName") == "儿科");
    CHECK(a.text("request").find("http://www.w3.org/2003/05/soap-envelope") != std::string::npos);
  }

  SECTION("a request the gateway refuses is a Client fault (1.1, HTTP 500) or a Sender fault (1.2, HTTP 400)") {
    const NodeAnswer v11 = node_call(gateway_service + "?wsdl", "Register", R"({"deptCode":"0101"})");
    INFO(v11.output);
    REQUIRE(v11.status == 2);
    CHECK(v11.number("status") == 500);
    CHECK(v11.text("fault.faultcode") == "soap:Client");
    CHECK(v11.text("fault.faultstring").find("patientId") != std::string::npos);

    const NodeAnswer v12 = node_call(gateway_service + "?wsdl", "Register", R"({"deptCode":"0101"})", {"--soap12"});
    INFO(v12.output);
    REQUIRE(v12.status == 2);
    CHECK(v12.number("status") == 400);
    CHECK(v12.text("fault.Code.Value") == "soap:Sender");
  }

  SECTION("the HIS simulator serves the vendor's WSDL unchanged; string in, string out with nested XML") {
    const CommandResult wsdl = run_command({"curl", "-sS", "--max-time", "10", his_service + "?wsdl"});
    REQUIRE(wsdl.status == 0);
    CHECK(wsdl.output == read_file(his_wsdl));

    // The client follows the WSDL's address (port 8091) unless told the simulator's real one.
    const NodeAnswer a =
        node_call(his_service + "?wsdl", "Register",
                  R"({"inXml":"<Request><PatientID>P003</PatientID><DeptCode>0305</DeptCode></Request>"})",
                  {"--endpoint", his_service});
    INFO(a.output);
    REQUIRE(a.status == 0);
    const std::string result = a.text("result.RegisterResult");
    // The simulator's Lua table has no order: its elements come out sorted.
    CHECK(result.rfind("<Response><DeptName>眼科</DeptName><PatientID>P003</PatientID><QueueNo>", 0) == 0);
    CHECK(result.find("</QueueNo><RegNo>R") != std::string::npos);
    CHECK(result.find("</RegNo><ResultCode>0</ResultCode><ResultMsg>OK</ResultMsg></Response>") != std::string::npos);

    const NodeAnswer bad =
        node_call(his_service + "?wsdl", "Register", R"({"inXml":"<Request><DeptCode>0305</DeptCode></Request>"})",
                  {"--endpoint", his_service});
    INFO(bad.output);
    REQUIRE(bad.status == 2);
    CHECK(bad.text("fault.faultcode") == "soap:Client");
  }

  SECTION("the kiosk's JSON registration goes to the HIS WebService and back") {
    const std::string url = "http://127.0.0.1:" + std::to_string(http_port) + "/api/soap/registration";
    const std::string ok = post_json(url, R"({"patientId":"P001","deptCode":"0101"})");
    CHECK(ok.rfind("200 {", 0) == 0);
    CHECK(ok.find("\"regNo\":\"R") != std::string::npos);
    CHECK(ok.find("\"dept\":\"内科\"") != std::string::npos);
    const std::string no_clinic = post_json(url, R"({"patientId":"P001","deptCode":"0999"})");
    CHECK(no_clinic.rfind("409 ", 0) == 0);
    CHECK(no_clinic.find("今日无号") != std::string::npos);
  }
}

TEST_CASE(
    "soap interop: the gateway's SOAP endpoint calls an npm soap HIS, faults, 1.1 and 1.2, timeouts, "
    "a SOAP client of the gateway gets the HIS's failure as a Server fault",
    "[integration][soap][interop]") {
  NodeHis his;
  TempDir dir;
  dir.write("qiao.yaml", server_config("soap-interop"));
  const int http_port = free_port();
  const int soap_port = free_port();
  const std::string url = "http://" + his.address + "/HisService.asmx";
  dir.write("endpoints.yaml", "his11: { soap: { url: \"" + url +
                                  "\", version: \"1.1\", nested: [inXml, RegisterResult] }, timeout: 1500ms }\n"
                                  "his12: { soap: { url: \"" +
                                  url + "\", version: \"1.2\", nested: [inXml, RegisterResult] }, timeout: 1500ms }\n");
  const std::string call_his =
      "  - call:\n"
      "      endpoint: ENDPOINT\n"
      "      operation: Register\n"
      "      into: his\n"
      "      on_error: continue\n"
      "      lua: 'return { inXml = { Request = { PatientID = body.patientId, DeptCode = body.deptCode } } }'\n"
      "  - route:\n"
      "      - when: vars.his.error ~= nil\n"
      "        reply: { status: 502, lua: 'return vars.his.error' }\n"
      "reply:\n"
      "  lua: 'return vars.his.RegisterResult.Response'\n";
  for (const std::string version : {"11", "12"}) {
    std::string steps = call_his;
    steps.replace(steps.find("ENDPOINT"), 8, "his" + version);
    dir.write("flows/register" + version + ".yaml",
              "id: register" + version + "\nsource:\n  http: { listen: \"127.0.0.1:" + std::to_string(http_port) +
                  "\", path: /register/" + version + " }\n  decode: json\nsteps:\n" + steps);
  }
  dir.write(
      "flows/service.yaml",
      "id: service\n"
      "source:\n"
      "  soap:\n"
      "    listen: \"127.0.0.1:" +
          std::to_string(soap_port) +
          "\"\n"
          "    path: /RegistrationService\n"
          "    operations:\n"
          "      Register: { params: [patientId, deptCode], result: [deptName, regNo] }\n"
          "steps:\n"
          "  - call:\n"
          "      endpoint: his11\n"
          "      operation: Register\n"
          "      into: his\n"
          "      lua: 'return { inXml = { Request = { PatientID = body.patientId, DeptCode = body.deptCode } } }'\n"
          "reply:\n"
          "  lua: 'return { deptName = vars.his.RegisterResult.Response.DeptName, regNo = "
          "vars.his.RegisterResult.Response.RegNo }'\n");
  GatewayProcess gateway(dir);
  const std::string base = "http://127.0.0.1:" + std::to_string(http_port) + "/register/";

  SECTION("string in, string out: the nested XML goes out escaped once and comes back as a tree") {
    for (const std::string version : {"11", "12"}) {
      const std::string answer = post_json(base + version, R"({"patientId":"P<1>","deptCode":"0101"})");
      INFO(version << ": " << answer);
      CHECK(answer.rfind("200 {\"ResultCode\":\"0\",\"ResultMsg\":\"OK\",\"RegNo\":\"R", 0) == 0);
      CHECK(answer.find("\"DeptName\":\"内科\",\"PatientID\":\"P<1>\"}") != std::string::npos);
    }
    // What the HIS received: the request document as one escaped string, its own '<' escaped twice.
    CHECK(his.process->output().find("<inXml>&lt;Request&gt;&lt;") != std::string::npos);
    CHECK(his.process->output().find("&lt;PatientID&gt;P&amp;lt;1&amp;gt;&lt;/PatientID&gt;") != std::string::npos);
    CHECK(his.process->output().find("http://www.w3.org/2003/05/soap-envelope") != std::string::npos);
  }

  SECTION("a Fault from the HIS is an error the flow routes on, with faultcode and faultstring") {
    const std::string v11 = post_json(base + "11", R"({"patientId":"P001","deptCode":"9999"})");
    INFO(v11);
    CHECK(v11.rfind("502 ", 0) == 0);
    CHECK(v11.find("\"code\":\"upstream\"") != std::string::npos);
    CHECK(v11.find("\"faultcode\":\"Client\"") != std::string::npos);
    CHECK(v11.find("\"faultstring\":\"no department 9999\"") != std::string::npos);

    const std::string v12 = post_json(base + "12", R"({"patientId":"P001","deptCode":"9999"})");
    INFO(v12);
    CHECK(v12.rfind("502 ", 0) == 0);
    CHECK(v12.find("\"faultcode\":\"Sender\"") != std::string::npos);
    CHECK(v12.find("\"faultsubcode\":\"his:NoSuchDept\"") != std::string::npos);
    CHECK(v12.find("\"faultstring\":\"no department 9999\"") != std::string::npos);
  }

  SECTION("a HIS that answers too late is a timeout") {
    const std::string late = post_json(base + "11", R"({"patientId":"P001","deptCode":"5555"})");
    INFO(late);
    CHECK(late.rfind("502 ", 0) == 0);
    CHECK(late.find("\"code\":\"timeout\"") != std::string::npos);
  }

  SECTION("an npm soap client of the gateway: the HIS's answer, and its fault as a Server fault with the message id") {
    const std::string wsdl = "http://127.0.0.1:" + std::to_string(soap_port) + "/RegistrationService?wsdl";
    const NodeAnswer ok = node_call(wsdl, "Register", R"({"patientId":"P001","deptCode":"0203"})");
    INFO(ok.output);
    REQUIRE(ok.status == 0);
    CHECK(ok.text("result.deptName") == "儿科");

    const NodeAnswer fault = node_call(wsdl, "Register", R"({"patientId":"P001","deptCode":"9999"})");
    INFO(fault.output);
    REQUIRE(fault.status == 2);
    CHECK(fault.number("status") == 500);
    CHECK(fault.text("fault.faultcode") == "soap:Server");
    CHECK(fault.text("fault.faultstring").find("no department 9999") != std::string::npos);
    CHECK(fault.output.find("messageId") != std::string::npos);
  }
}

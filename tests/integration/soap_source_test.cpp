// The SOAP source as a WebService client sees it: SOAP 1.1 and 1.2 on one path, operations
// chosen by SOAPAction, the 1.2 action parameter or the body's element, nested XML strings
// decoded and written back escaped once, GBK replies, faults in each version's words (found
// again in the journal), the generated and the user's WSDL, two flows on one path, and the
// configuration mistakes `qiao check` reports.

#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <string>

#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;

namespace {

const std::string soap11_ns = "http://schemas.xmlsoap.org/soap/envelope/";
const std::string soap12_ns = "http://www.w3.org/2003/05/soap-envelope";

std::string envelope(const std::string& ns, const std::string& body, const std::string& header = "") {
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"" + ns + "\">" +
         (header.empty() ? "" : "<soap:Header>" + header + "</soap:Header>") + "<soap:Body>" + body +
         "</soap:Body></soap:Envelope>";
}

std::string response11(const std::string& element) {
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"" + soap11_ns + "\"><soap:Body>" +
         element + "</soap:Body></soap:Envelope>";
}

std::string response12(const std::string& element) {
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"" + soap12_ns + "\"><soap:Body>" +
         element + "</soap:Body></soap:Envelope>";
}

// Register decodes inXml and answers with a document in RegisterResult; Echo says what the flow
// saw of the request; Boom fails in Lua.
const std::string service_flow =
    "id: his-service\n"
    "source:\n"
    "  soap:\n"
    "    listen: \"127.0.0.1:0\"\n"
    "    path: /HisService.asmx\n"
    "    operations:\n"
    "      Register: { params: [funcCode, inXml], result: [RegisterResult], nested: [inXml, RegisterResult] }\n"
    "      Echo: { action: \"urn:echo\", params: [text] }\n"
    "      Boom: {}\n"
    "      Quiet: {}\n"
    "steps:\n"
    "  - route:\n"
    "      - when: msg.source.operation == \"Echo\"\n"
    "        reply:\n"
    "          lua: |\n"
    "            local user = msg.source.header and msg.source.header.Auth.User or \"-\"\n"
    "            return body.text .. \"|\" .. msg.source.version .. \"|\" .. msg.source.action .. \"|\" .. user ..\n"
    "                   \"|\" .. msg.source.kind .. \" \" .. msg.source.method .. \" \" .. msg.source.path\n"
    "      - when: msg.source.operation == \"Quiet\"\n"
    "        reply: { lua: 'return nil' }\n"
    "      - when: msg.source.operation == \"Boom\"\n"
    "        steps:\n"
    "          - lua: 'local ward = nil; return ward.beds'\n"
    "  - check: { required: [inXml] }\n"
    "reply:\n"
    "  lua: |\n"
    "    local request = body.inXml.Request\n"
    "    return { RegisterResult = { Response = { ResultCode = \"0\", Patient = request.PatientID,\n"
    "             Note = \"a<b&c\", Func = body.funcCode } } }\n";

std::string register_body(const std::string& prefix, const std::string& inxml) {
  return "<" + prefix + "Register xmlns" + (prefix.empty() ? "" : ":" + prefix.substr(0, prefix.size() - 1)) +
         "=\"http://tempuri.org/\"><" + prefix + "funcCode>1001</" + prefix + "funcCode><" + prefix + "inXml>" + inxml +
         "</" + prefix + "inXml></" + prefix + "Register>";
}

std::string echo_body(const std::string& text) {
  return "<Echo xmlns=\"http://tempuri.org/\"><text>" + text + "</text></Echo>";
}

std::string register_result(const std::string& patient) {
  // Keys of a table built in Lua come in sorted order.
  return "<RegisterResponse xmlns=\"http://tempuri.org/\"><RegisterResult>&lt;Response&gt;&lt;Func&gt;1001&lt;/Func&gt;"
         "&lt;Note&gt;a&amp;lt;b&amp;amp;c&lt;/Note&gt;&lt;Patient&gt;" +
         patient +
         "&lt;/Patient&gt;"
         "&lt;ResultCode&gt;0&lt;/ResultCode&gt;&lt;/Response&gt;</RegisterResult></RegisterResponse>";
}

std::string echo_result(const std::string& text) {
  return "<EchoResponse xmlns=\"http://tempuri.org/\"><EchoResult>" + text + "</EchoResult></EchoResponse>";
}

// The text between <tag> and </tag>, or "" when absent.
std::string element_text(const std::string& xml, const std::string& tag) {
  const auto open = xml.find("<" + tag + ">");
  if (open == std::string::npos) return "";
  const auto start = open + tag.size() + 2;
  const auto close = xml.find("</" + tag + ">", start);
  return close == std::string::npos ? "" : xml.substr(start, close - start);
}

}  // namespace

TEST_CASE("soap source: 1.1 and 1.2, operation by SOAPAction, action parameter or element, nested XML in and out",
          "[integration][soap][source]") {
  TempDir dir;
  dir.write("qiao.yaml", server_config("soap-source-test"));
  dir.write("endpoints.yaml", "# none\n");
  dir.write("flows/his-service.yaml", service_flow);
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");
  REQUIRE(!address.empty());
  HttpClient client(address);

  // 1.1, escaped nested XML, SOAPAction quoted as .NET sends it.
  HttpResult r = client.request(
      "POST", "/HisService.asmx",
      envelope(soap11_ns, register_body("", "&lt;Request&gt;&lt;PatientID&gt;P001&lt;/PatientID&gt;&lt;/Request&gt;")),
      {{"Content-Type", "text/xml; charset=utf-8"}, {"SOAPAction", "\"http://tempuri.org/Register\""}});
  INFO(r.body);
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "text/xml; charset=utf-8");
  CHECK(!r.header("x-message-id").empty());
  CHECK(r.body == response11(register_result("P001")));

  // 1.2, prefixed elements, CDATA nested XML, the action in the Content-Type.
  r = client.request(
      "POST", "/HisService.asmx",
      envelope(soap12_ns, register_body("tns:", "<![CDATA[<Request><PatientID>P002</PatientID></Request>]]>")),
      {{"Content-Type", "application/soap+xml; charset=utf-8; action=\"http://tempuri.org/Register\""}});
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "application/soap+xml; charset=utf-8");
  CHECK(r.body == response12(register_result("P002")));

  // SOAPAction matched exactly, then by its last segment; no action: the body's element.
  const std::map<std::string, std::string> text_xml{{"Content-Type", "text/xml; charset=utf-8"}};
  auto with_action = [&](const std::string& action) {
    auto headers = text_xml;
    headers["SOAPAction"] = action;
    return headers;
  };
  r = client.request("POST", "/HisService.asmx", envelope(soap11_ns, echo_body("hi")), with_action("urn:echo"));
  CHECK(r.status == 200);
  CHECK(r.body == response11(echo_result("hi|1.1|urn:echo|-|soap POST /HisService.asmx")));
  r = client.request("POST", "/HisService.asmx", envelope(soap11_ns, echo_body("hi")),
                     with_action("\"http://x.example/svc#Echo\""));
  CHECK(r.body == response11(echo_result("hi|1.1|http://x.example/svc#Echo|-|soap POST /HisService.asmx")));
  r = client.request("POST", "/HisService.asmx", envelope(soap11_ns, echo_body("hi")), text_xml);
  CHECK(r.body == response11(echo_result("hi|1.1||-|soap POST /HisService.asmx")));
  // An action naming no operation falls back to the element too.
  r = client.request("POST", "/HisService.asmx", envelope(soap11_ns, echo_body("hi")), with_action("urn:nothing"));
  CHECK(r.body == response11(echo_result("hi|1.1|urn:nothing|-|soap POST /HisService.asmx")));
  // 1.2 by the action parameter; the SOAP Header reaches msg.source.header.
  r = client.request("POST", "/HisService.asmx",
                     envelope(soap12_ns, echo_body("yo"), "<Auth xmlns=\"urn:auth\"><User>u1</User></Auth>"),
                     {{"Content-Type", "application/soap+xml;action=urn:echo"}});
  CHECK(r.status == 200);
  CHECK(r.body == response12(echo_result("yo|1.2|urn:echo|u1|soap POST /HisService.asmx")));

  // The journal keeps the request bytes as they came.
  const std::string id = r.header("x-message-id");
  HttpResult found;
  CHECK(wait_until([&] {
    found = gateway.admin_request("GET", "/api/messages?id=" + id);
    return found.body.find("\"id\":\"" + id + "\"") != std::string::npos;
  }));
  CHECK(found.body.find("\"outcome\":\"ok\"") != std::string::npos);
  CHECK(found.body.find("<User>u1</User>") != std::string::npos);

  // A flow that replies nothing still answers with the operation's (empty) response element.
  r = client.request("POST", "/HisService.asmx", envelope(soap11_ns, "<Quiet xmlns=\"http://tempuri.org/\"/>"),
                     text_xml);
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "text/xml; charset=utf-8");
  CHECK(r.body == response11("<QuietResponse xmlns=\"http://tempuri.org/\"/>"));

  CHECK(gateway.stop() == 0);
}

TEST_CASE("soap source: faults in each version's words, with the message id, kept in the journal",
          "[integration][soap][faults]") {
  TempDir dir;
  // The peer behind the `silent` endpoint accepts and never answers.
  TcpPeer silent(never_answer);
  dir.write("qiao.yaml", server_config("soap-fault-test"));
  dir.write("endpoints.yaml", "silent: { http: { url: \"http://" + silent.address() + "/never\" }, timeout: 300ms }\n");
  dir.write("flows/his-service.yaml", service_flow);
  dir.write("flows/slow.yaml",
            "id: slow\nsource:\n  soap:\n    listen: \"127.0.0.1:0\"\n    path: /HisService.asmx\n"
            "    operations:\n      Slow: {}\nsteps:\n  - call: { endpoint: silent }\n");
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");
  REQUIRE(!address.empty());

  struct Seen {
    std::string what, id, code;
    int status;
  };
  std::vector<Seen> seen;
  // Checks the fault's shape and that its detail names the error code and this message's id.
  auto check_fault = [&](const std::string& what, const HttpResult& r, int status, bool v12,
                         const std::string& faultcode, const std::string& code) {
    INFO(what << ": " << r.status << " " << r.body);
    CHECK(r.status == status);
    CHECK(r.header("content-type") == (v12 ? "application/soap+xml; charset=utf-8" : "text/xml; charset=utf-8"));
    const std::string id = r.header("x-message-id");
    CHECK(!id.empty());
    CHECK(r.body.find(v12 ? soap12_ns : soap11_ns) != std::string::npos);
    if (v12) {
      CHECK(r.body.find("<soap:Code><soap:Value>soap:" + faultcode + "</soap:Value></soap:Code>") != std::string::npos);
      CHECK(element_text(r.body, "soap:Detail") == "<code>" + code + "</code><messageId>" + id + "</messageId>");
    } else {
      CHECK(element_text(r.body, "faultcode") == "soap:" + faultcode);
      CHECK(element_text(r.body, "detail") == "<code>" + code + "</code><messageId>" + id + "</messageId>");
    }
    seen.push_back(Seen{what, id, code, status});
    if (!v12) return element_text(r.body, "faultstring");
    const auto text = r.body.find("xml:lang=\"en\">");
    const auto end = r.body.find("</soap:Text>");
    return text == std::string::npos || end == std::string::npos ? std::string()
                                                                 : r.body.substr(text + 14, end - text - 14);
  };
  const std::map<std::string, std::string> v11{{"Content-Type", "text/xml; charset=utf-8"}};
  const std::map<std::string, std::string> v12{{"Content-Type", "application/soap+xml; charset=utf-8"}};

  const std::string no_inxml = "<Register xmlns=\"http://tempuri.org/\"><funcCode>1001</funcCode></Register>";

  HttpResult r = http_request(address, "POST", "/HisService.asmx", "<soap:Envelope><oops", v11);
  check_fault("malformed 1.1", r, 500, false, "Client", "bad_input");
  r = http_request(address, "POST", "/HisService.asmx", "<soap:Envelope><oops", v12);
  check_fault("malformed 1.2", r, 400, true, "Sender", "bad_input");

  r = http_request(address, "POST", "/HisService.asmx", envelope(soap11_ns, "<Boom xmlns=\"http://tempuri.org/\"/>"),
                   v11);
  std::string reason = check_fault("flow error 1.1", r, 500, false, "Server", "flow");
  CHECK(reason.find("his-service.yaml") != std::string::npos);
  r = http_request(address, "POST", "/HisService.asmx", envelope(soap12_ns, "<Boom xmlns=\"http://tempuri.org/\"/>"),
                   v12);
  reason = check_fault("flow error 1.2", r, 500, true, "Receiver", "flow");
  CHECK(reason.find("his-service.yaml") != std::string::npos);

  r = http_request(address, "POST", "/HisService.asmx", envelope(soap12_ns, "<Slow xmlns=\"http://tempuri.org/\"/>"),
                   v12);
  reason = check_fault("endpoint timeout", r, 500, true, "Receiver", "timeout");
  CHECK(silent.accepted() >= 1);

  r = http_request(address, "POST", "/HisService.asmx", envelope(soap11_ns, no_inxml), v11);
  reason = check_fault("check failed", r, 500, false, "Client", "check_failed");
  CHECK(reason == "missing required field 'inXml'");
  r = http_request(address, "POST", "/HisService.asmx", envelope(soap12_ns, no_inxml), v12);
  check_fault("check failed 1.2", r, 400, true, "Sender", "check_failed");

  r = http_request(address, "POST", "/HisService.asmx", envelope(soap11_ns, "<Nope xmlns=\"http://tempuri.org/\"/>"),
                   {{"Content-Type", "text/xml"}, {"SOAPAction", "\"http://tempuri.org/Nope\""}});
  reason = check_fault("unknown operation", r, 500, false, "Client", "not_found");
  CHECK(reason.rfind("no operation Nope on /HisService.asmx (SOAPAction 'http://tempuri.org/Nope'); it serves ", 0) ==
        0);
  CHECK(reason.find("Register") != std::string::npos);

  r = http_request(address, "POST", "/HisService.asmx", envelope("http://example.com/not-soap", echo_body("x")), v11);
  check_fault("version mismatch", r, 500, false, "VersionMismatch", "bad_input");

  r = http_request(address, "POST", "/Other.asmx", envelope(soap11_ns, echo_body("x")), v11);
  check_fault("unknown path", r, 404, false, "Client", "not_found");

  r = http_request(address, "GET", "/HisService.asmx");
  check_fault("GET without ?wsdl", r, 405, false, "Client", "method_not_allowed");
  CHECK(r.header("allow") == "POST");
  r = http_request(address, "PUT", "/HisService.asmx", "x", v11);
  check_fault("PUT", r, 405, false, "Client", "method_not_allowed");
  CHECK(r.header("allow") == "GET, POST");

  // Every one of them is in the journal with the status the client got.
  for (const auto& e : seen) {
    INFO(e.what << " " << e.id);
    HttpResult found;
    CHECK(wait_until([&] {
      found = gateway.admin_request("GET", "/api/messages?id=" + e.id);
      return found.body.find("\"id\":\"" + e.id + "\"") != std::string::npos;
    }));
    CHECK(found.body.find("\"outcome\":\"" + e.code + "\"") != std::string::npos);
    CHECK(found.body.find("\"status\":" + std::to_string(e.status) + ",") != std::string::npos);
  }
  CHECK(gateway.stop() == 0);
}

TEST_CASE("soap source: generated WSDL, the user's WSDL as-is, two flows on one path, GBK replies",
          "[integration][soap][wsdl]") {
  TempDir dir;
  dir.write("qiao.yaml", server_config("soap-wsdl-test"));
  dir.write("endpoints.yaml", "# none\n");
  dir.write("flows/his-service.yaml", service_flow);
  const std::string vendor_wsdl =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- the vendor's own, byte for byte -->\n"
      "<wsdl:definitions xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\" targetNamespace=\"http://his.vendor/\"/>\n";
  dir.write("vendor/Legacy.wsdl", vendor_wsdl);
  dir.write("flows/legacy-call.yaml",
            "id: legacy-call\n"
            "source:\n"
            "  soap:\n"
            "    listen: \"127.0.0.1:0\"\n"
            "    path: /Legacy.asmx\n"
            "    namespace: \"http://his.vendor/\"\n"
            "    wsdl: vendor/Legacy.wsdl\n"
            "    operations:\n"
            "      Call: { params: [FuncCode, Input] }\n"
            "reply:\n"
            "  lua: 'return \"call \" .. body.FuncCode'\n");
  dir.write("flows/legacy-dept.yaml",
            "id: legacy-dept\n"
            "source:\n"
            "  soap:\n"
            "    listen: \"127.0.0.1:0\"\n"
            "    path: /Legacy.asmx\n"
            "    charset: GBK\n"
            "    operations:\n"
            "      QueryDept: {}\n"
            "reply:\n"
            "  lua: 'return { QueryDeptResult = \"内科\" }'\n");
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");
  REQUIRE(!address.empty());

  for (const std::string query : {"?wsdl", "?WSDL", "?singleWsdl"}) {
    const HttpResult r = http_request(address, "GET", "/HisService.asmx" + query);
    INFO(query << " " << r.body);
    CHECK(r.status == 200);
    CHECK(r.header("content-type") == "text/xml; charset=utf-8");
    CHECK(r.body.find("targetNamespace=\"http://tempuri.org/\"") != std::string::npos);
    CHECK(r.body.find("<s:schema elementFormDefault=\"qualified\" targetNamespace=\"http://tempuri.org/\">") !=
          std::string::npos);
    CHECK(r.body.find("<s:element name=\"Register\"><s:complexType><s:sequence>"
                      "<s:element minOccurs=\"0\" maxOccurs=\"1\" name=\"funcCode\" type=\"s:string\"/>"
                      "<s:element minOccurs=\"0\" maxOccurs=\"1\" name=\"inXml\" type=\"s:string\"/>") !=
          std::string::npos);
    CHECK(r.body.find("<s:element name=\"BoomResponse\"><s:complexType><s:sequence>"
                      "<s:element minOccurs=\"0\" maxOccurs=\"1\" name=\"BoomResult\" type=\"s:string\"/>") !=
          std::string::npos);
    CHECK(r.body.find("<soap:operation soapAction=\"http://tempuri.org/Register\" style=\"document\"/>") !=
          std::string::npos);
    CHECK(r.body.find("<soap12:operation soapAction=\"urn:echo\" style=\"document\"/>") != std::string::npos);
    CHECK(r.body.find("<wsdl:service name=\"HisService\">") != std::string::npos);
    CHECK(r.body.find("<soap:address location=\"http://" + address + "/HisService.asmx\"/>") != std::string::npos);
    CHECK(r.body.find("<soap12:address location=\"http://" + address + "/HisService.asmx\"/>") != std::string::npos);
  }
  // The address follows the Host the client used.
  HttpResult r = http_request(address, "GET", "/HisService.asmx?wsdl", "", {{"Host", "his.example:8090"}});
  CHECK(r.body.find("<soap:address location=\"http://his.example:8090/HisService.asmx\"/>") != std::string::npos);

  r = http_request(address, "GET", "/Legacy.asmx?wsdl");
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "text/xml; charset=utf-8");
  CHECK(r.body == vendor_wsdl);

  // Two flows on one path, each with its operations; QueryDept answers in GBK.
  r = http_request(address, "POST", "/Legacy.asmx",
                   envelope(soap11_ns, "<Call xmlns=\"http://his.vendor/\"><FuncCode>2001</FuncCode><Input/></Call>"),
                   {{"Content-Type", "text/xml"}, {"SOAPAction", "http://his.vendor/Call"}});
  CHECK(r.status == 200);
  CHECK(r.body ==
        response11("<CallResponse xmlns=\"http://his.vendor/\"><CallResult>call 2001</CallResult></CallResponse>"));
  // GBK requests: named by the Content-Type when the document declares nothing, else by the declaration.
  const std::string gbk_call = "<Call xmlns=\"http://his.vendor/\"><FuncCode>\xC4\xDA\xBF\xC6</FuncCode></Call>";
  std::string undeclared = envelope(soap11_ns, gbk_call);
  undeclared.erase(0, undeclared.find("<soap:Envelope"));
  r = http_request(address, "POST", "/Legacy.asmx", undeclared, {{"Content-Type", "text/xml; charset=GBK"}});
  CHECK(r.status == 200);
  CHECK(r.body ==
        response11("<CallResponse xmlns=\"http://his.vendor/\"><CallResult>call 内科</CallResult></CallResponse>"));
  std::string declared = envelope(soap11_ns, gbk_call);
  declared.replace(declared.find("utf-8"), 5, "GBK");
  r = http_request(address, "POST", "/Legacy.asmx", declared, {{"Content-Type", "text/xml"}});
  CHECK(r.status == 200);
  CHECK(r.body ==
        response11("<CallResponse xmlns=\"http://his.vendor/\"><CallResult>call 内科</CallResult></CallResponse>"));
  // The same bytes taken for UTF-8 are the client's mistake.
  r = http_request(address, "POST", "/Legacy.asmx", undeclared, {{"Content-Type", "text/xml"}});
  CHECK(r.status == 500);
  CHECK(r.body.find("<faultcode>soap:Client</faultcode>") != std::string::npos);

  r = http_request(address, "POST", "/Legacy.asmx",
                   envelope(soap11_ns, "<QueryDept xmlns=\"http://his.vendor/\"><input/></QueryDept>"),
                   {{"Content-Type", "text/xml"}, {"SOAPAction", "http://his.vendor/QueryDept"}});
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "text/xml; charset=GBK");
  CHECK(r.body == "<?xml version=\"1.0\" encoding=\"GBK\"?><soap:Envelope xmlns:soap=\"" + soap11_ns +
                      "\"><soap:Body><QueryDeptResponse xmlns=\"http://his.vendor/\"><QueryDeptResult>\xC4\xDA\xBF\xC6"
                      "</QueryDeptResult></QueryDeptResponse></soap:Body></soap:Envelope>");

  // A reload reads the user's WSDL again.
  const std::string revised = vendor_wsdl + "<!-- revised -->\n";
  dir.write("vendor/Legacy.wsdl", revised);
  HttpResult reload = gateway.admin_request("POST", "/api/reload");
  INFO(reload.body);
  REQUIRE(reload.status == 200);
  CHECK(http_request(address, "GET", "/Legacy.asmx?wsdl").body == revised);
  CHECK(gateway.stop() == 0);
}

TEST_CASE(
    "soap over HTTPS: the generated WSDL's addresses are https, a soap endpoint verifies the server and calls it "
    "in SOAP 1.2 and GBK",
    "[integration][soap][tls]") {
  TempDir dir;
  CommandResult made = run_command({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                                    dir.path() + "/key.pem", "-out", dir.path() + "/cert.pem"});
  INFO(made.output);
  REQUIRE(made.status == 0);
  const std::string soap_address = "127.0.0.1:" + std::to_string(free_port());
  const std::string http_address = "127.0.0.1:" + std::to_string(free_port());
  dir.write("qiao.yaml", server_config("soap-tls-test"));
  dir.write("endpoints.yaml", "secure: { soap: { url: \"https://" + soap_address +
                                  "/Secure.asmx\", version: \"1.2\", charset: GBK,\n"
                                  "                  tls: { ca: cert.pem } }, timeout: 5s }\n"
                                  "unverified: { soap: { url: \"https://" +
                                  soap_address + "/Secure.asmx\" }, timeout: 5s }\n");
  dir.write("flows/secure.yaml",
            "id: secure\n"
            "source:\n"
            "  soap:\n"
            "    listen: \"" +
                soap_address +
                "\"\n"
                "    path: /Secure.asmx\n"
                "    charset: GBK\n"
                "    tls: { cert: cert.pem, key: key.pem }\n"
                "    operations:\n"
                "      Ping: {}\n"
                "reply:\n"
                "  lua: 'return \"pong \" .. body.input .. \" \" .. msg.source.version'\n");
  dir.write("flows/caller.yaml",
            "id: caller\n"
            "source:\n"
            "  http: { listen: \"" +
                http_address +
                "\", path: /call/* }\n"
                "  decode: json\n"
                "steps:\n"
                "  - call: { endpoint: secure, operation: Ping, into: secure, lua: 'return { input = body.name }' }\n"
                "  - route:\n"
                "      - when: msg.source.path == '/call/unverified'\n"
                "        steps:\n"
                "          - call: { endpoint: unverified, operation: Ping, into: unverified, lua: 'return { input = "
                "\"x\" }' }\n"
                "reply:\n"
                "  lua: 'return { answer = vars.secure.PingResult }'\n");
  GatewayProcess gateway(dir);
  CommandResult wsdl = run_command({"curl", "-sS", "--max-time", "10", "--cacert", dir.path() + "/cert.pem",
                                    "https://" + soap_address + "/Secure.asmx?wsdl"});
  INFO(wsdl.output);
  CHECK(wsdl.status == 0);
  CHECK(wsdl.output.find("<soap:address location=\"https://" + soap_address + "/Secure.asmx\"/>") != std::string::npos);
  CHECK(wsdl.output.find("<s:element minOccurs=\"0\" maxOccurs=\"1\" name=\"input\" type=\"s:string\"/>") !=
        std::string::npos);
  CommandResult ping = run_command({"curl", "-sS", "--max-time", "10", "--cacert", dir.path() + "/cert.pem", "-H",
                                    "Content-Type: text/xml", "-H", "SOAPAction: \"http://tempuri.org/Ping\"", "-d",
                                    envelope(soap11_ns, "<Ping xmlns=\"http://tempuri.org/\"><input>1</input></Ping>"),
                                    "https://" + soap_address + "/Secure.asmx"});
  CHECK(ping.output.find(
            "<PingResponse xmlns=\"http://tempuri.org/\"><PingResult>pong 1 1.1</PingResult></PingResponse>") !=
        std::string::npos);

  // The endpoint verifies the certificate against its CA, speaks 1.2, and the GBK answer comes back as UTF-8.
  const HttpResult called = http_request(http_address, "POST", "/call/verified", R"({"name":"张三"})",
                                         {{"Content-Type", "application/json"}});
  INFO(called.body);
  CHECK(called.status == 200);
  CHECK(called.body == R"({"answer":"pong 张三 1.2"})");

  // Without the CA the server is not trusted: the call fails before anything is sent.
  const HttpResult refused =
      http_request(http_address, "POST", "/call/unverified", R"({"name":"a"})", {{"Content-Type", "application/json"}});
  INFO(refused.body);
  CHECK(refused.status == 502);
  CHECK(refused.body.find("TLS handshake with https://" + soap_address + "/Secure.asmx failed") != std::string::npos);
  CHECK(gateway.stop() == 0);
}

TEST_CASE("soap source: qiao check reports conflicts on one path and a missing WSDL at file:line",
          "[integration][soap][check]") {
  TempDir dir;
  dir.write("qiao.yaml", server_config("soap-check-test"));
  dir.write("endpoints.yaml", "# none\n");
  dir.write("flows/a.yaml",
            "id: a\n"
            "source:\n"
            "  soap:\n"
            "    listen: \"127.0.0.1:0\"\n"
            "    path: /Svc\n"
            "    namespace: \"urn:a\"\n"
            "    operations:\n"
            "      Op1: {}\n");
  dir.write("flows/b.yaml",
            "id: b\n"                                // 1
            "source:\n"                              // 2
            "  soap:\n"                              // 3
            "    listen: \"127.0.0.1:0\"\n"          // 4
            "    path: /Svc\n"                       // 5
            "    namespace: \"urn:b\"\n"             // 6
            "    service: Other\n"                   // 7
            "    operations:\n"                      // 8
            "      Op1: {}\n"                        // 9
            "      Op2: { params: [\"1bad\"] }\n");  // 10
  dir.write("flows/c.yaml",
            "id: c\n"
            "source:\n"
            "  soap:\n"
            "    listen: \"127.0.0.1:0\"\n"
            "    path: /Other\n"
            "    wsdl: missing/Other.wsdl\n"
            "    operations:\n"
            "      Op3: {}\n");
  CommandResult r = run_command({QIAO_BINARY, "check", "-c", "qiao.yaml"}, "", dir.path());
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK(r.output.find("flows/b.yaml:10:") != std::string::npos);
  CHECK(r.output.find("'1bad' is not an XML element name") != std::string::npos);
  CHECK(r.output.find("flows/c.yaml:6:") != std::string::npos);
  CHECK(r.output.find("wsdl: cannot read 'missing/Other.wsdl'") != std::string::npos);

  // Without the bad param, the plan's conflicts show.
  dir.write("flows/b.yaml",
            "id: b\nsource:\n  soap:\n    listen: \"127.0.0.1:0\"\n    path: /Svc\n    namespace: \"urn:b\"\n"
            "    operations:\n      Op1: {}\n");
  dir.remove("flows/c.yaml");
  r = run_command({QIAO_BINARY, "check", "-c", "qiao.yaml"}, "", dir.path());
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK(r.output.find("flows/b.yaml:6:") != std::string::npos);
  CHECK(r.output.find("namespace 'urn:b' of /Svc differs from 'urn:a'") != std::string::npos);
  CHECK(r.output.find("flows/b.yaml:8:") != std::string::npos);
  CHECK(r.output.find("operation Op1 on /Svc is already served by flow 'a'") != std::string::npos);
}

TEST_CASE(
    "soap and http on one port: REST and SOAP side by side, a reload mounts a service on a running listener, "
    "conflicts reported",
    "[integration][soap][http][listeners]") {
  TempDir dir;
  const std::string address = "127.0.0.1:" + std::to_string(free_port());
  dir.write("qiao.yaml", server_config("soap-shared-port-test"));
  dir.write("endpoints.yaml", "# none\n");
  // A catch-all REST flow: the mounted SOAP path is an exact path and wins over its prefix.
  dir.write("flows/rest.yaml",
            "id: rest\n"
            "source:\n"
            "  http: { listen: \"" +
                address +
                "\", path: \"/*\", methods: [POST] }\n"
                "  decode: json\n"
                "reply:\n"
                "  lua: 'return { seen = msg.source.path, kind = msg.source.kind }'\n");
  GatewayProcess gateway(dir);
  REQUIRE(gateway.listener("http " + address) == address);

  HttpClient client(address);
  HttpResult r = client.request("POST", "/Echo.asmx", "{}", {{"Content-Type", "application/json"}});
  CHECK(r.status == 200);
  CHECK(r.body == R"({"kind":"http","seen":"/Echo.asmx"})");

  // The SOAP service joins the running listener on reload; the open connection stays usable.
  dir.write("flows/echo.yaml",
            "id: echo\n"
            "source:\n"
            "  soap:\n"
            "    listen: \"" +
                address +
                "\"\n"
                "    path: /Echo.asmx\n"
                "    operations:\n"
                "      Echo: { params: [text] }\n"
                "reply:\n"
                "  lua: 'return body.text .. \" via \" .. msg.source.kind'\n");
  HttpResult reload = gateway.admin_request("POST", "/api/reload");
  INFO(reload.body);
  REQUIRE(reload.status == 200);
  CHECK(gateway.listener("http " + address) == address);

  r = client.request("POST", "/Echo.asmx", envelope(soap11_ns, echo_body("ping")),
                     {{"Content-Type", "text/xml; charset=utf-8"}, {"SOAPAction", "\"http://tempuri.org/Echo\""}});
  INFO(r.body);
  CHECK(r.status == 200);
  CHECK(r.body == response11(echo_result("ping via soap")));
  CHECK(client.connections_opened() == 1);
  r = client.request("GET", "/Echo.asmx?wsdl");
  CHECK(r.status == 200);
  CHECK(r.body.find("<soap:address location=\"http://" + address + "/Echo.asmx\"/>") != std::string::npos);
  // Every other path is still the REST flow's, and an error there is an HTTP (JSON) one.
  r = client.request("POST", "/api/visit", "{}", {{"Content-Type", "application/json"}});
  CHECK(r.body == R"({"kind":"http","seen":"/api/visit"})");
  r = client.request("GET", "/api/visit");
  CHECK(r.status == 405);
  CHECK(r.header("content-type") == "application/json");

  // An exact http path on the mounted one is a conflict at the http flow's file:line; the
  // running flows stay as they were.
  dir.write("flows/clash.yaml",
            "id: clash\n"
            "source:\n"
            "  http: { listen: \"" +
                address +
                "\", path: /Echo.asmx }\n"
                "reply: { lua: 'return \"clash\"' }\n");
  reload = gateway.admin_request("POST", "/api/reload");
  INFO(reload.body);
  CHECK(reload.status != 200);
  CHECK(reload.body.find("flows/clash.yaml:3:") != std::string::npos);
  CHECK(reload.body.find("flow 'clash' serves " + address + "/Echo.asmx, where a soap service is") !=
        std::string::npos);
  r = client.request("POST", "/Echo.asmx", envelope(soap11_ns, echo_body("still")),
                     {{"Content-Type", "text/xml; charset=utf-8"}, {"SOAPAction", "\"http://tempuri.org/Echo\""}});
  CHECK(r.body == response11(echo_result("still via soap")));
}

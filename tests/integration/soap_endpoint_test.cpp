// The soap endpoint as a flow uses it: HTTP JSON into the gateway, SOAP out to a WebService the
// test plays on a raw loopback socket (so every byte the gateway sends can be checked): 1.1 and
// 1.2 envelopes and actions, nested XML strings both ways, WS-Security digests, GBK requests and
// replies, Faults of both versions routed by faultcode, a peer that never answers, replies that
// are not envelopes, and keep-alive reuse.

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sys/socket.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/integration/support/gateway_process.hpp"

using namespace qiao::testing;
using namespace std::chrono_literals;

namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// One HTTP request as the WebService received it.
struct Received {
  std::string head;  // request line and headers
  std::string body;
  int connection = 0;  // which accepted connection it came on, from 1

  // The value of a header (name case-insensitive), or "(absent)".
  std::string header(const std::string& name) const {
    const std::string wanted = "\r\n" + lower(name) + ":";
    const std::string lowered = lower(head);
    const auto at = lowered.find(wanted);
    if (at == std::string::npos) return "(absent)";
    auto start = at + wanted.size();
    while (start < head.size() && head[start] == ' ') ++start;
    return head.substr(start, head.find("\r\n", start) - start);
  }
};

std::string http_reply(int status, const std::string& content_type, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " Whatever\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// The WebService: answers each request with what `respond` returns (a whole HTTP response), on
// keep-alive connections; an empty answer means "never answer" (it waits until the gateway
// gives up on the connection or the test ends).
class WebService {
 public:
  explicit WebService(std::function<std::string(const Received&)> respond)
      : respond_(std::move(respond)), peer_([this](int fd) { serve(fd); }) {}

  std::string url(const std::string& path = "/HisService.asmx") const { return "http://" + peer_.address() + path; }
  int connections() const { return peer_.accepted(); }
  std::vector<Received> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  void serve(int fd) {
    int connection = 0;
    {
      std::lock_guard lock(mutex_);
      connection = ++connections_seen_;
    }
    for (;;) {
      const std::string request = read_http_request(fd);
      if (request.empty()) return;
      Received one;
      const auto split = request.find("\r\n\r\n");
      one.head = request.substr(0, split);
      one.body = request.substr(split + 4);
      one.connection = connection;
      {
        std::lock_guard lock(mutex_);
        received_.push_back(one);
      }
      const std::string answer = respond_(one);
      if (answer.empty()) {
        char byte;
        while (::recv(fd, &byte, 1, 0) > 0) {
        }
        return;
      }
      if (!write_all(fd, answer)) return;
    }
  }

  std::function<std::string(const Received&)> respond_;
  mutable std::mutex mutex_;
  std::vector<Received> received_;
  int connections_seen_ = 0;
  TcpPeer peer_;  // last: its threads stop before the members they use go away
};

std::string envelope11(const std::string& body_content,
                       const std::string& declaration = R"(<?xml version="1.0" encoding="utf-8"?>)") {
  return declaration +
         R"(<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" )"
         R"(xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soap:Body>)" +
         body_content + "</soap:Body></soap:Envelope>";
}

std::string envelope12(const std::string& body_content) {
  return R"(<?xml version="1.0" encoding="utf-8"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope">)"
         R"(<env:Body>)" +
         body_content + "</env:Body></env:Envelope>";
}

// A flow on the shared test listener: its JSON body goes to `endpoint` (as `operation`, when
// given) and the reply is the call's result. With `routed`, Faults are routed by faultcode:
// Client/Sender → 422 and Server/Receiver → 503, with the error's members; other errors → 502.
std::string call_flow(const std::string& id, const std::string& endpoint, const std::string& operation,
                      bool routed = false) {
  std::string call = "  - call: { endpoint: " + endpoint + (operation.empty() ? "" : ", operation: " + operation) +
                     ", into: his" + (routed ? ", on_error: continue" : "") + " }\n";
  std::string flow = "id: " + id + "\nsource:\n  http: { listen: \"127.0.0.1:0\", path: /" + id +
                     ", methods: [POST] }\n  decode: json\nsteps:\n" + call;
  if (routed) {
    const std::string members =
        "'return { code = vars.his.error.code, faultcode = vars.his.error.faultcode, "
        "faultsubcode = vars.his.error.faultsubcode, faultstring = vars.his.error.faultstring, "
        "faultdetail = vars.his.error.faultdetail, message = vars.his.error.message }'";
    flow +=
        "  - route:\n"
        "      - when: vars.his.error and (vars.his.error.faultcode == \"Client\" or vars.his.error.faultcode == "
        "\"Sender\")\n"
        "        reply: { status: 422, lua: " +
        members +
        " }\n"
        "      - when: vars.his.error and (vars.his.error.faultcode == \"Server\" or vars.his.error.faultcode == "
        "\"Receiver\")\n"
        "        reply: { status: 503, lua: " +
        members +
        " }\n"
        "      - when: vars.his.error\n"
        "        reply: { status: 502, lua: " +
        members + " }\n";
  }
  return flow + "reply:\n  lua: 'return vars.his'\n";
}

std::string base64_decode(const std::string& text) {
  std::string out(text.size(), '\0');
  const int length =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(text.data()),
                      static_cast<int>(text.size()));
  if (length < 0) return {};
  std::size_t padding = 0;
  for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) ++padding;
  out.resize(static_cast<std::size_t>(length) - padding);
  return out;
}

std::string base64_encode(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(length));
  return out;
}

// The text between `open` (which must occur) and the next `close`.
std::string between(const std::string& text, const std::string& open, const std::string& close) {
  const auto start = text.find(open);
  if (start == std::string::npos) return "(no " + open + ")";
  const auto from = start + open.size();
  return text.substr(from, text.find(close, from) - from);
}

const std::string register_response = envelope11(
    R"(<RegisterResponse xmlns="http://tempuri.org/"><RegisterResult>&lt;Response&gt;&lt;ResultCode&gt;0&lt;/ResultCode&gt;)"
    R"(&lt;RegNo&gt;R0001&lt;/RegNo&gt;&lt;/Response&gt;</RegisterResult></RegisterResponse>)");

}  // namespace

TEST_CASE("soap endpoint 1.1: the envelope, SOAPAction and nested XML both ways, keep-alive reuses one connection",
          "[integration][soap][endpoint]") {
  WebService his([](const Received&) { return http_reply(200, "text/xml; charset=utf-8", register_response); });
  TempDir dir;
  dir.write("qiao.yaml", server_config("soap-11"));
  dir.write("endpoints.yaml", "his: { soap: { url: \"" + his.url() +
                                  "\", version: \"1.1\", namespace: \"http://tempuri.org/\", "
                                  "nested: [inXml, RegisterResult] }, timeout: 5s, pool: 4 }\n");
  dir.write("flows/register.yaml", call_flow("register", "his", "Register"));
  GatewayProcess gateway(dir);
  HttpClient client(gateway.listener("http 127.0.0.1:0"));

  for (const std::string patient : {"P001", "P002"}) {
    HttpResult r =
        client.request("POST", "/register",
                       R"({"inXml":{"Request":{"PatientID":")" + patient + R"(","Name":"张三"}},"channel":"kiosk"})",
                       {{"Content-Type", "application/json"}});
    INFO(r.body << r.error);
    CHECK(r.status == 200);
    CHECK(r.body == R"({"RegisterResult":{"Response":{"ResultCode":"0","RegNo":"R0001"}}})");
  }
  CHECK(client.connections_opened() == 1);

  const auto received = his.received();
  REQUIRE(received.size() == 2);
  const Received& first = received[0];
  CHECK(first.head.starts_with("POST /HisService.asmx HTTP/1.1\r\n"));
  CHECK(first.header("Content-Type") == "text/xml; charset=utf-8");
  CHECK(first.header("SOAPAction") == "\"http://tempuri.org/Register\"");
  CHECK(first.header("Content-Length") == std::to_string(first.body.size()));
  CHECK(
      first.body ==
      R"(<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">)"
      R"(<soap:Body><Register xmlns="http://tempuri.org/"><inXml>&lt;Request&gt;&lt;PatientID&gt;P001&lt;/PatientID&gt;)"
      R"(&lt;Name&gt;张三&lt;/Name&gt;&lt;/Request&gt;</inXml><channel>kiosk</channel></Register></soap:Body></soap:Envelope>)");
  CHECK(received[1].body.find("&lt;PatientID&gt;P002&lt;/PatientID&gt;") != std::string::npos);
  // Both calls came through one gateway connection, so one worker, whose pool kept the
  // connection to the WebService open for the second.
  CHECK(received[1].connection == first.connection);
  CHECK(his.connections() == 1);
}

TEST_CASE("soap endpoint 1.2: unqualified elements, action template, default operation, arrays per operation",
          "[integration][soap][endpoint]") {
  WebService his([](const Received&) {
    return http_reply(200, "application/soap+xml; charset=utf-8",
                      envelope12(R"(<m:QueryResponse xmlns:m="http://his.example/ws"><Item><Dept>0101</Dept></Item>)"
                                 R"(</m:QueryResponse>)"));
  });
  TempDir dir;
  dir.write("qiao.yaml", server_config("soap-12"));
  dir.write("endpoints.yaml", "his:\n  soap:\n    url: \"" + his.url("/ws/his") +
                                  "\"\n    version: \"1.2\"\n    namespace: \"http://his.example/ws\"\n"
                                  "    qualified: false\n    operation: Query\n    action: \"urn:his:{operation}\"\n"
                                  "    operations: { Query: { arrays: [Item] } }\n  timeout: 5s\n");
  dir.write("flows/query.yaml", call_flow("query", "his", ""));
  GatewayProcess gateway(dir);

  HttpResult r = http_request(gateway.listener("http 127.0.0.1:0"), "POST", "/query", R"({"Query":{"id":7}})",
                              {{"Content-Type", "application/json"}});
  INFO(r.body << r.error);
  CHECK(r.status == 200);
  CHECK(r.body == R"({"Item":[{"Dept":"0101"}]})");

  const auto received = his.received();
  REQUIRE(received.size() == 1);
  CHECK(received[0].head.starts_with("POST /ws/his HTTP/1.1\r\n"));
  CHECK(received[0].header("Content-Type") == "application/soap+xml; charset=utf-8; action=\"urn:his:Query\"");
  CHECK(received[0].header("SOAPAction") == "(absent)");
  // { Query = { id = 7 } } names the operation itself: not wrapped twice.
  CHECK(received[0].body ==
        R"(<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">)"
        R"(<soap:Body><ns:Query xmlns:ns="http://his.example/ws"><id>7</id></ns:Query></soap:Body></soap:Envelope>)");
}

TEST_CASE("soap endpoint: WS-Security UsernameToken, digest recomputed and fresh per request, and text with a header",
          "[integration][soap][endpoint][wssecurity]") {
  WebService his([](const Received&) {
    return http_reply(
        200, "text/xml",
        envelope11(R"(<PingResponse xmlns="http://tempuri.org/"><PingResult>pong</PingResult></PingResponse>)"));
  });
  TempDir dir;
  dir.write("qiao.yaml", server_config("soap-wss"));
  dir.write(
      "endpoints.yaml",
      "digest: { soap: { url: \"" + his.url() +
          "\", operation: Ping, "
          "security: { username: kiosk, password: \"s3cret\", password_type: digest } } }\n"
          "text: { soap: { url: \"" +
          his.url() +
          "\", operation: Ping, "
          "security: { username: kiosk, password: \"s3cret&<\" }, header: { AuthHeader: { Hospital: H01 } } } }\n");
  dir.write("flows/digest.yaml", call_flow("digest", "digest", ""));
  dir.write("flows/text.yaml", call_flow("text", "text", ""));
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");

  for (int i = 0; i < 2; ++i) {
    HttpResult r = http_request(address, "POST", "/digest", "null", {{"Content-Type", "application/json"}});
    INFO(r.body << r.error);
    CHECK(r.status == 200);
    CHECK(r.body == R"({"PingResult":"pong"})");
  }
  HttpResult text = http_request(address, "POST", "/text", "null", {{"Content-Type", "application/json"}});
  CHECK(text.status == 200);

  const auto received = his.received();
  REQUIRE(received.size() == 3);
  std::vector<std::string> nonces;
  for (int i = 0; i < 2; ++i) {
    const std::string& body = received[i].body;
    const std::string nonce = between(body, "#Base64Binary\">", "</wsse:Nonce>");
    const std::string created = between(body, "<wsu:Created>", "</wsu:Created>");
    const std::string digest = between(body, "#PasswordDigest\">", "</wsse:Password>");
    INFO(body);
    const std::string raw_nonce = base64_decode(nonce);
    CHECK(raw_nonce.size() == 16);
    // YYYY-MM-DDTHH:MM:SS.mmmZ, in UTC
    CHECK(created.size() == 24);
    CHECK(created.back() == 'Z');
    const std::string input = raw_nonce + created + "s3cret";
    unsigned char sha1[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), sha1);
    CHECK(digest == base64_encode(std::string(reinterpret_cast<const char*>(sha1), sizeof sha1)));
    CHECK(
        body ==
        R"(<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">)"
        R"(<soap:Header><wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" )"
        R"(xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">)"
        R"(<wsse:UsernameToken><wsse:Username>kiosk</wsse:Username>)"
        R"(<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">)" +
            digest +
            R"(</wsse:Password><wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">)" +
            nonce + "</wsse:Nonce><wsu:Created>" + created +
            R"(</wsu:Created></wsse:UsernameToken></wsse:Security></soap:Header>)"
            R"(<soap:Body><Ping xmlns="http://tempuri.org/"/></soap:Body></soap:Envelope>)");
    nonces.push_back(nonce);
  }
  CHECK(nonces[0] != nonces[1]);
  CHECK(
      received[2].body.find(
          R"(<wsse:UsernameToken><wsse:Username>kiosk</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/)"
          R"(oasis-200401-wss-username-token-profile-1.0#PasswordText">s3cret&amp;&lt;</wsse:Password></wsse:UsernameToken>)"
          R"(</wsse:Security><AuthHeader xmlns="http://tempuri.org/"><Hospital>H01</Hospital></AuthHeader></soap:Header>)") !=
      std::string::npos);
}

TEST_CASE("soap endpoint: GBK requests and replies, with and without the reply's own declaration",
          "[integration][soap][endpoint][charset]") {
  // 张三 in GBK
  const std::string zhang_san_gbk = "\xD5\xC5\xC8\xFD";
  int replies = 0;
  WebService his([&](const Received&) {
    const std::string content =
        "<QueryResponse xmlns=\"http://tempuri.org/\"><Name>" + zhang_san_gbk + "</Name></QueryResponse>";
    // The first reply declares nothing (read in the endpoint's charset), the second declares GB2312.
    if (++replies == 1) return http_reply(200, "text/xml", envelope11(content, ""));
    return http_reply(200, "text/xml", envelope11(content, R"(<?xml version="1.0" encoding="gb2312"?>)"));
  });
  TempDir dir;
  dir.write("qiao.yaml", server_config("soap-gbk"));
  dir.write("endpoints.yaml", "his: { soap: { url: \"" + his.url() + "\", charset: GBK, operation: Query } }\n");
  dir.write("flows/query.yaml", call_flow("query", "his", ""));
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");

  for (int i = 0; i < 2; ++i) {
    HttpResult r =
        http_request(address, "POST", "/query", R"({"Name":"张三"})", {{"Content-Type", "application/json"}});
    INFO(r.body << r.error);
    CHECK(r.status == 200);
    CHECK(r.body == R"({"Name":"张三"})");
  }
  const auto received = his.received();
  REQUIRE(received.size() == 2);
  CHECK(received[0].header("Content-Type") == "text/xml; charset=GBK");
  CHECK(received[0].body ==
        R"(<?xml version="1.0" encoding="GBK"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">)"
        R"(<soap:Body><Query xmlns="http://tempuri.org/"><Name>)" +
            zhang_san_gbk + "</Name></Query></soap:Body></soap:Envelope>");
}

TEST_CASE("soap endpoint: Faults of 1.1 (500) and 1.2 (400 Sender, Subcode, Detail) routed by faultcode",
          "[integration][soap][endpoint][fault]") {
  WebService his11([](const Received& request) {
    if (request.body.find("<PatientID>") == std::string::npos) {
      return http_reply(500, "text/xml; charset=utf-8",
                        envelope11("<soap:Fault><faultcode>soap:Client</faultcode><faultstring>PatientID is required"
                                   "</faultstring><detail><Code>E001</Code></detail></soap:Fault>"));
    }
    return http_reply(500, "text/xml; charset=utf-8",
                      envelope11("<soap:Fault><faultcode>soap:Server</faultcode><faultstring>database down"
                                 "</faultstring><faultactor>http://his/db</faultactor></soap:Fault>"));
  });
  WebService his12([](const Received&) {
    return http_reply(
        400, "application/soap+xml; charset=utf-8",
        envelope12(R"(<env:Fault xmlns:app="http://his.example/faults"><env:Code><env:Value>env:Sender</env:Value>)"
                   R"(<env:Subcode><env:Value>app:NoSchedule</env:Value></env:Subcode></env:Code>)"
                   R"(<env:Reason><env:Text xml:lang="en">no clinic today</env:Text></env:Reason>)"
                   R"(<env:Detail><app:Info><app:Dept>9999</app:Dept></app:Info></env:Detail></env:Fault>)"));
  });
  TempDir dir;
  dir.write("qiao.yaml", server_config("soap-fault"));
  dir.write("endpoints.yaml", "his11: { soap: { url: \"" + his11.url() +
                                  "\" } }\n"
                                  "his12: { soap: { url: \"" +
                                  his12.url() + "\", version: \"1.2\" } }\n");
  dir.write("flows/routed11.yaml", call_flow("routed11", "his11", "Register", true));
  dir.write("flows/routed12.yaml", call_flow("routed12", "his12", "Register", true));
  dir.write("flows/plain11.yaml", call_flow("plain11", "his11", "Register"));
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");
  const std::map<std::string, std::string> json{{"Content-Type", "application/json"}};

  HttpResult client = http_request(address, "POST", "/routed11", R"({"Name":"A"})", json);
  INFO(client.body << client.error);
  CHECK(client.status == 422);
  CHECK(client.body.find(R"("faultcode":"Client")") != std::string::npos);
  CHECK(client.body.find(R"("faultstring":"PatientID is required")") != std::string::npos);
  CHECK(client.body.find(R"("faultdetail":{"Code":"E001"})") != std::string::npos);
  CHECK(client.body.find(R"("code":"upstream")") != std::string::npos);
  CHECK(client.body.find(R"("message":"endpoint 'his11': SOAP fault Client: PatientID is required")") !=
        std::string::npos);
  CHECK(client.body.find("faultsubcode") == std::string::npos);

  HttpResult server = http_request(address, "POST", "/routed11", R"({"PatientID":"P1"})", json);
  INFO(server.body);
  CHECK(server.status == 503);
  CHECK(server.body.find(R"("faultcode":"Server")") != std::string::npos);
  CHECK(server.body.find(R"("faultstring":"database down")") != std::string::npos);

  HttpResult sender = http_request(address, "POST", "/routed12", R"({"Dept":"9999"})", json);
  INFO(sender.body);
  CHECK(sender.status == 422);
  CHECK(sender.body.find(R"("faultcode":"Sender")") != std::string::npos);
  CHECK(sender.body.find(R"("faultsubcode":"app:NoSchedule")") != std::string::npos);
  CHECK(sender.body.find(R"("faultstring":"no clinic today")") != std::string::npos);
  CHECK(sender.body.find(R"("faultdetail":{"Info":{"Dept":"9999"}})") != std::string::npos);
  CHECK(sender.body.find(R"("message":"endpoint 'his12': SOAP fault Sender: no clinic today")") != std::string::npos);

  // Without on_error the fault fails the message: an upstream error, 502 to the HTTP client.
  HttpResult failed = http_request(address, "POST", "/plain11", R"({"Name":"A"})", json);
  INFO(failed.body);
  CHECK(failed.status == 502);
  CHECK(failed.body.find("SOAP fault Client: PatientID is required") != std::string::npos);
}

TEST_CASE("soap endpoint: a WebService that never answers times out, replies that are no envelope are upstream errors",
          "[integration][soap][endpoint][timeout]") {
  WebService silent([](const Received&) { return std::string(); });
  WebService broken([](const Received& request) {
    if (request.body.find("<html/>") != std::string::npos) {
      return http_reply(500, "text/html", "<html><body>Internal\r\nServer Error</body></html>");
    }
    return http_reply(200, "text/plain", "OK then");
  });
  TempDir dir;
  dir.write("qiao.yaml", server_config("soap-timeout"));
  dir.write("endpoints.yaml", "silent: { soap: { url: \"" + silent.url() +
                                  "\", operation: Ping }, timeout: 1s }\n"
                                  "broken: { soap: { url: \"" +
                                  broken.url() +
                                  "\", operation: Ping }, timeout: 5s }\n"
                                  "nodefault: { soap: { url: \"" +
                                  broken.url() + "\" } }\n");
  dir.write("flows/silent.yaml", call_flow("silent", "silent", ""));
  dir.write("flows/broken.yaml", call_flow("broken", "broken", ""));
  dir.write("flows/missing.yaml", call_flow("missing", "nodefault", ""));
  GatewayProcess gateway(dir);
  const std::string address = gateway.listener("http 127.0.0.1:0");
  const std::map<std::string, std::string> json{{"Content-Type", "application/json"}};

  const auto start = std::chrono::steady_clock::now();
  HttpResult timed_out = http_request(address, "POST", "/silent", "{}", json);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  INFO(timed_out.body << timed_out.error);
  CHECK(timed_out.status == 504);
  CHECK(timed_out.body.find("endpoint 'silent': no reply within 1000 ms from " + silent.url()) != std::string::npos);
  CHECK(elapsed >= 900ms);
  CHECK(elapsed < 5s);
  CHECK(silent.received().size() == 1);

  HttpResult html = http_request(address, "POST", "/broken", R"({"html":""})", json);
  INFO(html.body);
  CHECK(html.status == 502);
  CHECK(html.body.find("endpoint 'broken': HTTP 500 from " + broken.url() +
                       ": <html><body>Internal  Server Error</body></html>") != std::string::npos);

  HttpResult plain = http_request(address, "POST", "/broken", R"({"x":"1"})", json);
  INFO(plain.body);
  CHECK(plain.status == 502);
  CHECK(plain.body.find("endpoint 'broken': reply is not a SOAP envelope: xml: ") != std::string::npos);

  HttpResult missing = http_request(address, "POST", "/missing", "{}", json);
  INFO(missing.body);
  CHECK(missing.status == 400);
  CHECK(missing.body.find("endpoint 'nodefault': no operation") != std::string::npos);
  CHECK(broken.received().size() == 2);
}

#include "adapters/soap/source/soap_mount.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include "adapters/http/server/fixed_status_renderer.hpp"
#include "adapters/http/server/outcome_response.hpp"
#include "adapters/http/server/query_string.hpp"
#include "adapters/http/server/request_message.hpp"
#include "adapters/soap/envelope.hpp"
#include "adapters/soap/source/soap_fault_renderer.hpp"
#include "adapters/soap/source/soap_request_action.hpp"
#include "adapters/soap/source/wsdl.hpp"
#include "core/engine.hpp"
#include "core/generation.hpp"

namespace qiao::soap {

namespace bhttp = boost::beast::http;
using http::Request;
using http::Response;

namespace {

// `?wsdl`, `?WSDL`, `?singleWsdl` (what .NET tools ask for).
bool asks_for_wsdl(std::string_view query) {
  for (const auto& [name, value] : http::parse_query(query)) {
    if (boost::beast::iequals(name, "wsdl") || boost::beast::iequals(name, "singlewsdl")) return true;
  }
  return false;
}

// The path's options for an envelope in a charset the Content-Type names: the XML declaration,
// when there is one, still decides (a copy only for requests that are not UTF-8).
xml::Options with_charset(const xml::Options& options, const std::string& charset) {
  xml::Options copy = options;
  copy.encoding = charset;
  return copy;
}

Response wsdl_response(const Request& request, std::string body) {
  Response res;
  res.version(request.version());
  res.result(bhttp::status::ok);
  res.set(bhttp::field::server, "qiao");
  res.set(bhttp::field::content_type, "text/xml; charset=utf-8");
  res.body() = std::move(body);
  return res;
}

class SoapMount final : public http::MountedService {
 public:
  explicit SoapMount(SoapServices services) : services_(std::move(services)) {}

  const std::vector<std::string>& paths() const override { return services_.paths; }

  boost::asio::awaitable<Response> handle(Request request, const http::ConnectionInfo& connection,
                                          std::shared_ptr<const Generation> gen, bool tls, Host& host) const override {
    const std::string_view target = request.target();
    const auto question = target.find('?');
    const std::string_view path = target.substr(0, question);
    const std::string_view query =
        question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
    const RequestAction action = read_request_action(request);
    const SoapFaultRenderer hinted(action.version_hint);

    Message msg = http::make_request_message(request, connection, "soap", path);
    const SoapService* service = services_.find(path);
    if (!service) {  // on a listener with no http flows
      co_return refuse(host, request, msg, Error{ErrorKind::not_found, "no SOAP service at " + std::string(path)},
                       http::FixedStatusRenderer(hinted, 404));
    }
    if (request.method() == bhttp::verb::get) {
      if (asks_for_wsdl(query)) co_return wsdl_response(request, wsdl_text(request, *service, tls));
      Error error{ErrorKind::method_not_allowed,
                  "GET " + std::string(path) + " serves only ?wsdl; SOAP requests are POSTed"};
      co_return refuse(host, request, msg, std::move(error), http::FixedStatusRenderer(hinted, 405), "POST");
    }
    if (request.method() != bhttp::verb::post) {
      Error error{ErrorKind::method_not_allowed, std::string(request.method_string()) + " is not allowed on " +
                                                     std::string(path) + " (allowed: GET ?wsdl, POST)"};
      co_return refuse(host, request, msg, std::move(error), http::FixedStatusRenderer(hinted, 405), "GET, POST");
    }

    msg.raw = make_buffer(std::move(request.body()));
    auto read = action.charset.empty() ? read_envelope(msg.raw, service->read_options)
                                       : read_envelope(msg.raw, with_charset(service->read_options, action.charset));
    if (auto* failed = std::get_if<EnvelopeError>(&read)) {
      const SoapFaultRenderer renderer(action.version_hint, nullptr, failed->version_mismatch);
      co_return refuse(host, request, msg, std::move(failed->error), renderer);
    }
    Envelope& envelope = std::get<Envelope>(read);
    const SoapOperation* operation = service->find(action.action, envelope.element);
    if (!operation) {
      const SoapFaultRenderer renderer(envelope.version);
      std::string known;
      for (const auto& op : service->operations) known += (known.empty() ? "" : ", ") + op.name;
      co_return refuse(
          host, request, msg,
          Error{ErrorKind::not_found, "no operation " + envelope.element + " on " + std::string(path) +
                                          (action.action.empty() ? "" : " (SOAPAction '" + action.action + "')") +
                                          "; it serves " + known},
          renderer);
    }

    msg.source.push_back("operation", Value(operation->name));
    msg.source.push_back("version", Value(version_name(envelope.version)));
    msg.source.push_back("action", Value(action.action));
    if (!envelope.header.is_null()) msg.source.push_back("header", std::move(envelope.header));
    msg.body = std::move(envelope.content);
    msg.reply_codec = operation->shared_reply_codec(envelope.version);
    const SoapFaultRenderer renderer(envelope.version, &operation->reply_codec(envelope.version));
    Outcome outcome = co_await host.engine().process(gen, *operation->flow, std::move(msg), renderer);
    co_return http::make_outcome_response(request.version(), std::move(outcome));
  }

  Response reject(Error error, int status, const http::ConnectionInfo& connection, Host& host) const override {
    Request empty;
    Message msg = http::make_request_message(empty, connection, "soap", "");
    const SoapFaultRenderer faults(Version::v1_1);
    // A body over max_body is refused by HTTP before any envelope is read: 413 says so plainly.
    const int fixed = status ? status : error.kind == ErrorKind::too_large ? 413 : 0;
    const http::FixedStatusRenderer renderer(faults, fixed);
    return http::make_outcome_response(11, host.engine().reject(msg, std::move(error), renderer));
  }

 private:
  static Response refuse(Host& host, const Request& request, const Message& msg, Error error,
                         const ErrorRenderer& renderer, std::string_view allow = {}) {
    return http::make_outcome_response(request.version(), host.engine().reject(msg, std::move(error), renderer), allow);
  }

  // The user's WSDL as it is, else one generated for the address the client reached us at.
  static std::string wsdl_text(const Request& request, const SoapService& service, bool tls) {
    if (service.wsdl_file) return *service.wsdl_file;
    std::string host(request[bhttp::field::host]);
    if (host.empty()) host = "localhost";
    return generate_wsdl(service.description, (tls ? "https://" : "http://") + host + service.path);
  }

  SoapServices services_;
};

}  // namespace

std::shared_ptr<const http::MountedService> make_soap_mount(SoapServices services) {
  return std::make_shared<SoapMount>(std::move(services));
}

}  // namespace qiao::soap

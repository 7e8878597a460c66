#include "adapters/soap/source/soap_source_spec.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/text/charset.hpp"

namespace qiao::soap {

namespace {

constexpr auto source_keys = http::with_listener_settings(std::array<ConfigKey, 7>{{
    {"listen", KeyType::string, "", "address to listen on, host:port (port 0 picks a free one)", true},
    {"path", KeyType::string, "", "the service's path, e.g. /HisService.asmx", true},
    {"namespace", KeyType::string, "http://tempuri.org/", "target namespace of the operations' elements"},
    {"service", KeyType::string, "", "WSDL service name (default: the path's last segment without extension)"},
    {"wsdl", KeyType::string, "", "a WSDL file served as-is at path?wsdl instead of a generated one"},
    {"charset", KeyType::string, "UTF-8", "charset of the replies (GBK, GB18030 …)"},
    {"operations", KeyType::mapping, "",
     "the operations this flow serves: Name: { action, params, result, nested, arrays, cdata }", true},
}});

constexpr ConfigKey operation_keys[] = {
    {"action", KeyType::string, "",
     "SOAPAction (default: namespace + name, '/' between unless the namespace ends in '/')"},
    {"params", KeyType::strings, "", "the request element's children, in order (WSDL; default: one string 'input')"},
    {"result", KeyType::strings, "", "the response element's children, in order (default: <Name>Result)"},
    {"nested", KeyType::strings, "",
     "elements whose text is an XML document: decoded in requests, written escaped in replies"},
    {"arrays", KeyType::strings, "", "request elements always decoded as arrays"},
    {"cdata", KeyType::strings, "", "reply elements written as CDATA"},
};

bool name_start(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool name_char(unsigned char c) { return name_start(c) || std::isdigit(c) || c == '-' || c == '.'; }

// An XML name without a prefix: what an element of the WSDL and the envelope may be called.
bool is_ncname(std::string_view name) {
  if (name.empty() || !name_start(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return name_char(static_cast<unsigned char>(c)); });
}

void check_names(const std::vector<std::string>& names, const ConfigReader& reader, std::string_view key,
                 Diagnostics& diag) {
  for (const auto& name : names) {
    if (!is_ncname(name)) {
      diag.error(reader.node(key)->location(), std::string(key) + ": '" + name + "' is not an XML element name");
    }
  }
}

std::optional<OperationSpec> parse_operation(const ConfigNode& name_node, const ConfigNode& block, Diagnostics& diag) {
  OperationSpec op;
  op.name = name_node.scalar();
  op.location = name_node.location();
  if (!is_ncname(op.name)) {
    diag.error(op.location, "operation '" + op.name + "' is not an XML element name");
    return std::nullopt;
  }
  ConfigReader reader(block, operation_keys, diag, "operation " + op.name);
  if (reader.has("action")) op.action = reader.string("action");
  op.params = reader.strings("params");
  op.results = reader.has("result") ? reader.strings("result") : std::vector<std::string>{op.name + "Result"};
  op.nested = reader.strings("nested");
  op.arrays = reader.strings("arrays");
  op.cdata = reader.strings("cdata");
  if (reader.has("params")) check_names(op.params, reader, "params", diag);
  if (reader.has("result")) {
    check_names(op.results, reader, "result", diag);
    if (op.results.empty()) diag.error(reader.node("result")->location(), "result: name at least one element");
  }
  return op;
}

Expected<std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorKind::config, "cannot read '" + path + "': " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error(ErrorKind::config, "cannot read '" + path + "'");
  return text.str();
}

template <class T>
void state(Stated<T>& into, const ConfigReader& reader, std::string_view key) {
  if (!reader.has(key)) return;
  into.value = reader.string(key);
  into.location = reader.node(key)->location();
}

}  // namespace

Schema soap_source_schema() { return source_keys; }

std::string SoapSourceSpec::describe() const {
  std::string names;
  for (const auto& op : operations) names += (names.empty() ? "" : ",") + op.name;
  return std::string(settings.tls ? "soap+https " : "soap ") + listen.str() + path + " " + names;
}

std::string service_name_from_path(std::string_view path) {
  const auto slash = path.rfind('/');
  std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
  last = last.substr(0, last.find('.'));
  return is_ncname(last) ? std::string(last) : std::string("Service");
}

std::unique_ptr<SoapSourceSpec> parse_soap_source(const ConfigNode& config, Diagnostics& diag) {
  const std::size_t errors_before = diag.errors().size();
  ConfigReader reader(config, source_keys, diag, "soap source");
  auto spec = std::make_unique<SoapSourceSpec>();
  spec->location = config.location();
  if (reader.has("listen")) {
    auto address = parse_host_port(reader.string("listen"));
    if (!address)
      diag.error(reader.node("listen")->location(),
                 "listen: expected host:port, found '" + reader.string("listen") + "'");
    else spec->listen = *address;
  }
  spec->path = reader.string("path");
  if (reader.has("path") &&
      (spec->path.empty() || spec->path.front() != '/' || spec->path.find_first_of("?#") != std::string::npos)) {
    diag.error(reader.node("path")->location(), "path must start with '/' and hold no '?' or '#'");
  }
  state(spec->namespace_uri, reader, "namespace");
  if (spec->namespace_uri.value && spec->namespace_uri.value->empty()) {
    diag.error(spec->namespace_uri.location, "namespace must not be empty");
  }
  state(spec->service, reader, "service");
  if (spec->service.value && !is_ncname(*spec->service.value)) {
    diag.error(spec->service.location, "service: '" + *spec->service.value + "' is not an XML name");
  }
  state(spec->wsdl_file, reader, "wsdl");
  if (spec->wsdl_file.value) {
    auto text = read_whole_file(*spec->wsdl_file.value);
    if (!text) diag.error(spec->wsdl_file.location, "wsdl: " + text.error().message);
    else spec->wsdl_text = std::make_shared<const std::string>(std::move(*text));
  }
  if (reader.has("charset")) {
    const std::string charset = reader.string("charset");
    if (!charset_supported(charset))
      diag.error(reader.node("charset")->location(),
                 "charset: '" + charset + "' is not a charset this system can convert");
    else spec->charset = normalize_charset(charset);
  }
  if (auto operations = reader.node("operations"); operations && operations->is_map()) {
    for (const auto& [name, block] : operations->entries()) {
      if (auto op = parse_operation(name, block, diag)) spec->operations.push_back(std::move(*op));
    }
    if (operations->entries().empty()) diag.error(operations->location(), "operations: name at least one operation");
  }
  spec->settings = http::read_listener_settings(reader);
  if (diag.errors().size() != errors_before) return nullptr;
  return spec;
}

}  // namespace qiao::soap

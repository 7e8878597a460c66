#include "core/config/config_node.hpp"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace qiao {

struct ConfigNode::Impl {
  YAML::Node node;
  std::shared_ptr<const std::string> file;
  std::shared_ptr<const std::string> text;  // the whole file, to find where block scalars start
  std::optional<Location> made_at;          // set for nodes made in code, which have no mark
};

namespace {

std::string labelled(std::string_view what, const std::string& message) {
  return what.empty() ? message : std::string(what) + ": " + message;
}

}  // namespace

ConfigNode::ConfigNode() : impl_(std::make_shared<Impl>()) {}
ConfigNode::~ConfigNode() = default;
ConfigNode::ConfigNode(const ConfigNode&) = default;
ConfigNode& ConfigNode::operator=(const ConfigNode&) = default;
ConfigNode::ConfigNode(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Expected<ConfigNode> ConfigNode::parse(std::string_view text, const std::string& file_label) {
  auto impl = std::make_shared<Impl>();
  impl->file = std::make_shared<const std::string>(file_label);
  impl->text = std::make_shared<const std::string>(text);
  try {
    impl->node = YAML::Load(*impl->text);
  } catch (const YAML::Exception& e) {  // yaml-cpp reports syntax errors only by throwing
    Location where{impl->file, e.mark.line + 1, e.mark.column + 1};
    return make_error(ErrorKind::config, where.str() + ": yaml: " + e.msg);
  }
  return ConfigNode(std::move(impl));
}

ConfigNode ConfigNode::scalar_at(const std::string& text, const Location& at) {
  return ConfigNode(std::make_shared<Impl>(Impl{YAML::Node(text), at.file, nullptr, at}));
}

ConfigNode ConfigNode::sequence_at(const std::vector<ConfigNode>& items, const Location& at) {
  YAML::Node node(YAML::NodeType::Sequence);
  for (const ConfigNode& item : items) node.push_back(item.impl_->node);
  return ConfigNode(std::make_shared<Impl>(Impl{node, at.file, nullptr, at}));
}

ConfigNode ConfigNode::mapping_at(const std::vector<std::pair<std::string, ConfigNode>>& entries, const Location& at) {
  YAML::Node node(YAML::NodeType::Map);
  for (const auto& [key, value] : entries) node[key] = value.impl_->node;
  return ConfigNode(std::make_shared<Impl>(Impl{node, at.file, nullptr, at}));
}

Expected<ConfigNode> ConfigNode::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorKind::config, path + ": cannot open file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return parse(buffer.str(), path);
}

bool ConfigNode::is_map() const { return impl_->node.IsMap(); }
bool ConfigNode::is_sequence() const { return impl_->node.IsSequence(); }
bool ConfigNode::is_scalar() const { return impl_->node.IsScalar(); }
bool ConfigNode::is_null() const { return !impl_->node.IsDefined() || impl_->node.IsNull(); }

std::string_view ConfigNode::kind_name() const {
  if (is_map()) return "mapping";
  if (is_sequence()) return "sequence";
  if (is_scalar()) return "scalar";
  return "null";
}

Location ConfigNode::location() const {
  if (impl_->made_at) return *impl_->made_at;
  const YAML::Mark mark = impl_->node.Mark();
  if (mark.is_null()) return Location{impl_->file, 0, 0};
  return Location{impl_->file, mark.line + 1, mark.column + 1};
}

const std::string& ConfigNode::file() const {
  static const std::string none;
  return impl_->file ? *impl_->file : none;
}

std::string ConfigNode::raw_scalar() const { return is_scalar() ? impl_->node.Scalar() : std::string(); }

std::string ConfigNode::scalar() const { return expand_environment(raw_scalar()); }

int ConfigNode::content_line() const {
  const YAML::Mark mark = impl_->node.Mark();
  if (impl_->made_at) return impl_->made_at->line;
  if (mark.is_null() || !impl_->text) return 0;
  const std::string& text = *impl_->text;
  std::size_t pos = static_cast<std::size_t>(mark.pos);
  if (pos < text.size() && (text[pos] == '|' || text[pos] == '>')) {
    // A block scalar's content starts on the line after its indicator.
    return mark.line + 2;
  }
  return mark.line + 1;
}

std::optional<ConfigNode> ConfigNode::get(std::string_view key) const {
  if (!is_map()) return std::nullopt;
  for (auto it = impl_->node.begin(); it != impl_->node.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) {
      return ConfigNode(std::make_shared<Impl>(Impl{it->second, impl_->file, impl_->text, impl_->made_at}));
    }
  }
  return std::nullopt;
}

std::vector<std::pair<ConfigNode, ConfigNode>> ConfigNode::entries() const {
  std::vector<std::pair<ConfigNode, ConfigNode>> out;
  if (!is_map()) return out;
  for (auto it = impl_->node.begin(); it != impl_->node.end(); ++it) {
    out.emplace_back(ConfigNode(std::make_shared<Impl>(Impl{it->first, impl_->file, impl_->text, impl_->made_at})),
                     ConfigNode(std::make_shared<Impl>(Impl{it->second, impl_->file, impl_->text, impl_->made_at})));
  }
  return out;
}

std::vector<ConfigNode> ConfigNode::items() const {
  std::vector<ConfigNode> out;
  if (!is_sequence()) return out;
  for (const auto& item : impl_->node)
    out.push_back(ConfigNode(std::make_shared<Impl>(Impl{item, impl_->file, impl_->text, impl_->made_at})));
  return out;
}

std::optional<std::int64_t> ConfigNode::to_int(Diagnostics& diag, std::string_view what) const {
  const std::string s = scalar();
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (!is_scalar() || ec != std::errc() || end != s.data() + s.size()) {
    diag.error(location(), labelled(what, "expected an integer, found '" + s + "'"));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> ConfigNode::to_bool(Diagnostics& diag, std::string_view what) const {
  const std::string s = scalar();
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  diag.error(location(), labelled(what, "expected true or false, found '" + s + "'"));
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> ConfigNode::to_duration(Diagnostics& diag, std::string_view what) const {
  auto d = is_scalar() ? parse_duration(scalar()) : std::nullopt;
  if (!d)
    diag.error(location(),
               labelled(what, "expected a duration such as 500ms, 5s, 2m, 1h or 30d, found '" + scalar() + "'"));
  return d;
}

std::optional<std::uint64_t> ConfigNode::to_size(Diagnostics& diag, std::string_view what) const {
  auto n = is_scalar() ? parse_size(scalar()) : std::nullopt;
  if (!n)
    diag.error(location(), labelled(what, "expected a size such as 8192, 64KiB or 1MiB, found '" + scalar() + "'"));
  return n;
}

std::optional<std::vector<std::string>> ConfigNode::to_strings(Diagnostics& diag, std::string_view what) const {
  std::vector<std::string> out;
  if (is_scalar()) {
    out.push_back(scalar());
    return out;
  }
  if (!is_sequence()) {
    diag.error(location(), labelled(what, "expected a string or a list of strings"));
    return std::nullopt;
  }
  for (const auto& item : items()) {
    if (!item.is_scalar()) {
      diag.error(item.location(), labelled(what, "expected a string"));
      return std::nullopt;
    }
    out.push_back(item.scalar());
  }
  return out;
}

namespace {

Value scalar_to_value(const YAML::Node& node, const std::string& text) {
  // Quoted scalars stay strings; the tag is "!" for them in yaml-cpp.
  if (node.Tag() == "!") return Value(text);
  if (text.empty() || text == "~" || text == "null") return Value();
  if (text == "true") return Value(true);
  if (text == "false") return Value(false);
  std::int64_t i = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
  if (ec == std::errc() && end == text.data() + text.size()) return Value(i);
  double d = 0;
  auto [dend, dec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (dec == std::errc() && dend == text.data() + text.size()) return Value(d);
  return Value(text);
}

}  // namespace

Value ConfigNode::to_value() const {
  if (is_map()) {
    Object o;
    for (auto& [k, v] : entries()) o.set(k.scalar(), v.to_value());
    return o;
  }
  if (is_sequence()) {
    Array a;
    for (auto& item : items()) a.push_back(item.to_value());
    return a;
  }
  if (is_scalar()) return scalar_to_value(impl_->node, scalar());
  return Value();
}

std::string expand_environment(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out += text[i];
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (text[i + 1] != '{') {
      out += '$';
      continue;
    }
    const std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    std::string_view inner = text.substr(i + 2, close - i - 2);
    std::string_view fallback;
    bool has_fallback = false;
    if (auto sep = inner.find(":-"); sep != std::string_view::npos) {
      fallback = inner.substr(sep + 2);
      inner = inner.substr(0, sep);
      has_fallback = true;
    }
    const char* env = std::getenv(std::string(inner).c_str());
    if (env && (*env || !has_fallback)) {
      out += env;
    } else {
      out += fallback;
    }
    i = close;
  }
  return out;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  double amount = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), amount);
  if (ec != std::errc() || amount < 0) return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  double ms = 0;
  if (unit == "ms") ms = amount;
  else if (unit == "s") ms = amount * 1000;
  else if (unit == "m") ms = amount * 60'000;
  else if (unit == "h") ms = amount * 3'600'000;
  else if (unit == "d") ms = amount * 86'400'000;
  else if (unit.empty() && amount == 0) ms = 0;
  else return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t amount = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), amount);
  if (ec != std::errc()) return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  std::uint64_t scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "KiB" || unit == "K" || unit == "k" || unit == "KB") scale = 1024;
  else if (unit == "MiB" || unit == "M" || unit == "MB") scale = 1024 * 1024;
  else if (unit == "GiB" || unit == "G" || unit == "GB") scale = 1024ull * 1024 * 1024;
  else return std::nullopt;
  return amount * scale;
}

}  // namespace qiao

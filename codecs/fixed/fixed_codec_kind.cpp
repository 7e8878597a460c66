#include <filesystem>

#include "codecs/fixed/fixed_codec.hpp"

namespace qiao::fixed {

namespace {

constexpr ConfigKey option_keys[] = {
    {"layout", KeyType::string, "", "the layout file, relative to the config directory (fixed:config/layouts/x.yaml)",
     true},
};

}  // namespace

std::string_view FixedCodecKind::description() const {
  return "fixed-length records from a layout file (fixed:config/layouts/bank-statement-fixed.yaml): header, "
         "details and trailer, or one record; GBK byte lengths, implied-decimal amounts, dates, signs";
}

Schema FixedCodecKind::schema() const { return option_keys; }

std::shared_ptr<const Codec> FixedCodecKind::create(const ConfigReader& options, std::string_view base_dir) const {
  std::filesystem::path path{options.string("layout")};
  if (!path.is_absolute() && !base_dir.empty()) path = std::filesystem::path(std::string(base_dir)) / path;
  auto layout = load_layout(path.string());
  if (!layout) {
    // A layout's own mistakes carry the layout's file:line:col; the name's place says who used it.
    options.diagnostics().error(options.node("layout")->location(), "codec fixed: " + layout.error().message);
    return nullptr;
  }
  return std::make_shared<const FixedCodec>(std::move(*layout));
}

}  // namespace qiao::fixed

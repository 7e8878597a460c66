#include "codecs/fixed/fixed_codec.hpp"

#include <filesystem>

namespace qiao::fixed {

std::string_view FixedCodecKind::description() const {
  return "fixed-length records from a layout file (fixed:config/layouts/bank-statement-fixed.yaml): header, "
         "details and trailer, or one record; GBK byte lengths, implied-decimal amounts, dates, signs";
}

Expected<std::shared_ptr<const Codec>> FixedCodecKind::create(std::string_view argument, std::string_view base_dir) const {
  if (argument.empty())
    return make_error(ErrorKind::config, "fixed: needs a layout file, e.g. fixed:config/layouts/bank-statement-fixed.yaml");
  std::filesystem::path path{std::string(argument)};
  if (!path.is_absolute() && !base_dir.empty()) path = std::filesystem::path(std::string(base_dir)) / path;
  auto layout = load_layout(path.string());
  if (!layout) return std::move(layout).error();
  return std::shared_ptr<const Codec>(std::make_shared<const FixedCodec>(std::move(*layout)));
}

}  // namespace qiao::fixed

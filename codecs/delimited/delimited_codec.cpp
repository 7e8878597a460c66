#include "codecs/delimited/delimited_codec.hpp"

namespace qiao::delimited {

std::string_view DelimitedCodec::content_type() const {
  return options_.delimiter == ',' ? "text/csv" : "text/plain";
}

std::string_view DelimitedCodecKind::description() const {
  return "delimited text: pipe-delimited and CSV (RFC 4180); inline options (delimited:delimiter=|,header=true) "
         "or a layout file naming and typing the columns (delimited:config/layouts/bank-statement.yaml)";
}

Expected<std::shared_ptr<const Codec>> DelimitedCodecKind::create(std::string_view argument,
                                                                  std::string_view base_dir) const {
  auto options = parse_argument(argument, base_dir);
  if (!options) return std::move(options).error();
  return std::shared_ptr<const Codec>(std::make_shared<const DelimitedCodec>(std::move(*options)));
}

}  // namespace qiao::delimited

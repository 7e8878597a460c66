#include "codecs/delimited/delimited_codec.hpp"

namespace qiao::delimited {

std::string_view DelimitedCodec::content_type() const { return options_.delimiter == ',' ? "text/csv" : "text/plain"; }

std::string_view DelimitedCodecKind::description() const {
  return "delimited text: pipe-delimited and CSV (RFC 4180); inline options (delimited:delimiter=|,header=true) "
         "or a layout file naming and typing the columns (delimited:config/layouts/bank-statement.yaml)";
}

Schema DelimitedCodecKind::schema() const { return option_schema(); }

std::shared_ptr<const Codec> DelimitedCodecKind::create(const ConfigReader& options, std::string_view base_dir) const {
  auto read = read_options(options, base_dir);
  if (!read) return nullptr;
  return std::make_shared<const DelimitedCodec>(std::move(*read));
}

}  // namespace qiao::delimited

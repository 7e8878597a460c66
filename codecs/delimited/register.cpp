#include "codecs/delimited/register.hpp"

#include <memory>

#include "codecs/delimited/delimited_codec.hpp"

namespace qiao::delimited {

Status register_plugins(Plugins& plugins) { return plugins.codecs.add(std::make_unique<DelimitedCodecKind>()); }

}  // namespace qiao::delimited

#include "codecs/fixed/register.hpp"

#include <memory>

#include "codecs/fixed/fixed_codec.hpp"

namespace qiao::fixed {

Status register_plugins(Plugins& plugins) { return plugins.codecs.add(std::make_unique<FixedCodecKind>()); }

}  // namespace qiao::fixed

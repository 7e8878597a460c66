#pragma once
// Codecs built from their names as a flow writes them ("hl7v2:charset=GBK"), through the
// registered kinds and core/codec_name.hpp, as a load builds them.

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "app/plugins.hpp"
#include "core/codec_name.hpp"

namespace qiao::testing {

inline Expected<std::shared_ptr<const Codec>> make_codec(std::string_view name, std::string_view base_dir = "") {
  return build_codec(all_plugins().codecs, name, base_dir);
}

// The options a codec of type C was built with (C has options()).
template <class C>
auto codec_options(std::string_view name, std::string_view base_dir = "") {
  auto made = make_codec(name, base_dir);
  if (!made) FAIL("codec " << name << ": " << made.error().message);
  return dynamic_cast<const C&>(**made).options();
}

// The error text of a name that does not build.
inline std::string codec_error(std::string_view name, std::string_view base_dir = "") {
  auto made = make_codec(name, base_dir);
  if (made) FAIL("codec " << name << " was built");
  return made ? std::string() : made.error().message;
}

}  // namespace qiao::testing

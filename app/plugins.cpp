#include "app/plugins.hpp"

#include <cstdio>
#include <cstdlib>

#include "adapters/http/register.hpp"
#include "adapters/soap/register.hpp"
#include "adapters/tcp/register.hpp"
#include "codecs/delimited/register.hpp"
#include "codecs/fixed/register.hpp"
#include "codecs/hl7v2/register.hpp"
#include "codecs/hl7v2_xml/register.hpp"
#include "codecs/iso8583/register.hpp"
#include "codecs/json/register.hpp"
#include "codecs/xml/register.hpp"
#include "core/steps/core_steps.hpp"
#include "crypto/register.hpp"

namespace qiao {

namespace {

// One line per plugin family: adding an adapter or a codec means adding its line here.
Plugins make_plugins() {
  Plugins plugins;
  const auto registrations = {
      &register_core_steps,
      &json::register_plugins,
      &xml::register_plugins,
      &delimited::register_plugins,
      &hl7::register_plugins,
      &hl7xml::register_plugins,
      &iso8583::register_plugins,
      &crypto::register_plugins,
      &fixed::register_plugins,
      &http::register_plugins,
      &tcp::register_plugins,
      &soap::register_plugins,
  };
  for (auto registration : registrations) {
    if (auto added = registration(plugins); !added) {
      std::fprintf(stderr, "qiao: %s\n", added.error().message.c_str());
      std::abort();  // a duplicate name is a build mistake, not a runtime condition
    }
  }
  return plugins;
}

}  // namespace

const Plugins& all_plugins() {
  static const Plugins plugins = make_plugins();
  return plugins;
}

}  // namespace qiao

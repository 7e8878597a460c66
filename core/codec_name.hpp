#pragma once
// How configuration names a codec, and the one place a name becomes a Codec. Two forms:
//
//   "kind" or "kind:options"   options as k=v,k=v: "hl7v2:charset=GBK,line_endings=any".
//                              A bare first item sets the kind's argument key ("iso8583:cup" is
//                              spec=cup); a bare item after a list option continues that list
//                              ("xml:arrays=Item,OBX"); "key:name=v" is entry `name` of a mapping
//                              option ("xml:xmlns:soap=http://…"), and "key=v" its entry "".
//   { kind: { k: v, … } }      the same options as YAML: { hl7v2: { charset: GBK } }; a scalar
//                              sets the argument key, { iso8583: cup }.
//
// Both forms are checked against the kind's schema, so every mistake — an unknown option, a bad
// value, a missing file — is reported at the name's file:line:col.

#include <memory>
#include <string_view>

#include "core/codec.hpp"
#include "core/config/config_node.hpp"
#include "core/error.hpp"
#include "core/registry.hpp"

namespace qiao {

// Null when the name is wrong; the reasons are in `diag`.
std::shared_ptr<const Codec> build_codec(const Registry<CodecKind>& kinds, const ConfigNode& name,
                                         std::string_view base_dir, Diagnostics& diag);

// A name given as text (a Lua literal, the command line), its errors reported at `where`.
Expected<std::shared_ptr<const Codec>> build_codec(const Registry<CodecKind>& kinds, std::string_view name,
                                                   std::string_view base_dir, const Location& where = {});

// The options of "kind:options" as the mapping the kind's schema reads; exposed for tests.
ConfigNode split_codec_options(std::string_view options, const CodecKind& kind, const Location& where,
                               Diagnostics& diag);

}  // namespace qiao

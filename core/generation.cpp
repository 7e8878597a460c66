#include "core/generation.hpp"

#include <algorithm>
#include <cassert>
#include <filesystem>
#include <map>

#include "core/codec_name.hpp"
#include "core/config/schema.hpp"
#include "core/flow/flow_builder.hpp"
#include "core/lua/lua_codec_literals.hpp"
#include "core/metrics.hpp"
#include "core/net/descriptor_budget.hpp"
#include "core/worker.hpp"

namespace qiao {

namespace {

constexpr ConfigKey flow_keys[] = {
    {"id", KeyType::string, "", "unique name of the flow", true},
    {"description", KeyType::string, "", "what the flow is for"},
    {"source", KeyType::mapping, "", "where messages come from: one source kind, plus decode and encode", true},
    {"steps", KeyType::sequence, "", "what happens to each message, in order"},
    {"reply", KeyType::mapping, "", "the reply when no step replied: status, lua, body, headers, encode"},
    {"idempotency", KeyType::mapping, "",
     "key (Lua expression) and ttl: a repeated key gets the first answer again without running the flow"},
    {"journal", KeyType::any, "",
     "full, metadata or none (what the journal keeps of each message), or { level, keys }; default journal.level"},
    {"codecs", KeyType::strings, "",
     "codec names the flow's Lua computes rather than writes literally, e.g. [\"iso8583:cup\"]: built at load"},
};

constexpr ConfigKey endpoint_common_keys[] = {
    {"timeout", KeyType::duration, "30s", "longest a call may take, connecting included"},
    {"connect_timeout", KeyType::duration, "5s", "longest a connection attempt may take"},
    {"pool", KeyType::integer, "16", "connections per worker thread"},
    {"max_in_flight", KeyType::integer, "8", "queued deliveries (send) under way at once; one per order key"},
    {"codec", KeyType::any, "",
     "codec for requests and replies, \"kind:options\" or { kind: { options } } (the kind's default when absent)"},
};

bool valid_identifier(const std::string& id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

class GenerationBuilder final : public FlowBuilder {
 public:
  GenerationBuilder(const Plugins& plugins, Generation& generation, Diagnostics& diag)
      : plugins_(plugins), gen_(generation), diag_(diag) {
    lua_codec_callees_ = {"qiao.codec.decode", "qiao.codec.encode"};
    for (const auto& [name, library] : plugins.lua_libraries.all())
      for (std::string_view function : library->codec_functions())
        lua_codec_callees_.push_back(name + "." + std::string(function));
    // qiao.json.decode and encode use it, and an encode: left out falls back to it.
    if (plugins.codecs.find("json")) (void)named_codec("json", Location{});
  }

  Diagnostics& diagnostics() override { return diag_; }
  const std::string& flow_id() const override { return flow_id_; }

  LuaChunkId lua(const ConfigNode& code, LuaChunkKind kind) override {
    const LuaChunkId id = gen_.lua_program_.add(code, kind, diag_);
    const LuaChunk& chunk = gen_.lua_program_.chunks()[id.index];
    for (const LuaCodecLiteral& literal : find_codec_literals(chunk, lua_codec_callees_)) {
      auto where = std::make_shared<const std::string>(chunk.file);
      (void)named_codec(literal.name, Location{std::move(where), literal.line, literal.column});
    }
    return id;
  }

  const EndpointSpec* endpoint(const ConfigNode& name) override {
    const std::string n = name.scalar();
    auto it = gen_.endpoint_specs_.find(n);
    if (it == gen_.endpoint_specs_.end()) {
      std::string known;
      for (const auto& [k, v] : gen_.endpoint_specs_) known += (known.empty() ? "" : ", ") + k;
      diag_.error(name.location(), "unknown endpoint '" + n + "'" +
                                       (known.empty() ? " (no endpoints are declared)" : " (declared: " + known + ")"));
      return nullptr;
    }
    return it->second.get();
  }

  std::shared_ptr<const Codec> codec(const ConfigNode& name) override {
    if (!name.is_scalar()) return build_codec(plugins_.codecs, name, gen_.config_.base_dir, diag_);
    const std::string text = name.scalar();
    if (auto it = gen_.codecs_.find(text); it != gen_.codecs_.end()) return it->second;
    auto codec = build_codec(plugins_.codecs, name, gen_.config_.base_dir, diag_);
    if (codec) gen_.codecs_.emplace(text, codec);
    return codec;
  }

  // A name written outside YAML's own nodes: a Lua literal, a kind's default.
  std::shared_ptr<const Codec> named_codec(const std::string& text, const Location& where) {
    return codec(ConfigNode::scalar_at(text, where));
  }

  Steps steps(const ConfigNode& list) override {
    Steps out;
    if (!list.is_sequence()) {
      diag_.error(list.location(), "steps: expected a list");
      return out;
    }
    for (const auto& item : list.items()) {
      if (!item.is_map() || item.entries().size() != 1) {
        diag_.error(item.location(),
                    "a step is a mapping with one key, the step's kind (" + plugins_.steps.names_joined() + ")");
        continue;
      }
      auto [key, value] = item.entries().front();
      const std::string kind_name = key.scalar();
      const StepKind* kind = plugins_.steps.find(kind_name);
      if (!kind) {
        diag_.error(key.location(), "unknown step '" + kind_name + "' (known: " + plugins_.steps.names_joined() + ")");
        continue;
      }
      if (auto step = kind->parse(value, *this)) {
        step->label = kind_name;
        if (value.is_map())
          if (auto endpoint = value.get("endpoint"); endpoint && endpoint->is_scalar())
            step->label += " " + endpoint->scalar();
        step->line = key.location().line;
        out.push_back(std::move(step));
      }
    }
    return out;
  }

  void load_endpoints(const std::string& path) {
    auto root = ConfigNode::load_file(path);
    if (!root) {
      diag_.error(root.error().message);
      return;
    }
    if (root->is_null()) return;
    if (!root->is_map()) {
      diag_.error(root->location(), "an endpoints file is a mapping of endpoint names to their settings");
      return;
    }
    for (const auto& [name_node, body] : root->entries()) {
      const std::string name = name_node.scalar();
      if (!valid_identifier(name)) {
        diag_.error(name_node.location(),
                    "endpoint name '" + name + "' may use only letters, digits, '-', '_' and '.'");
        continue;
      }
      if (gen_.endpoint_specs_.count(name)) {
        diag_.error(name_node.location(), "endpoint '" + name + "' is declared twice");
        continue;
      }
      parse_endpoint(name, name_node, body);
    }
  }

  void load_flow(const std::string& path) {
    auto root = ConfigNode::load_file(path);
    if (!root) {
      diag_.error(root.error().message);
      return;
    }
    const std::size_t errors_before = diag_.errors().size();
    ConfigReader reader(*root, flow_keys, diag_, "flow");
    auto flow = std::make_unique<Flow>();
    flow->id = reader.string("id");
    flow->description = reader.string("description");
    flow->location = root->location();
    flow_id_ = flow->id;
    if (reader.has("id") && !valid_identifier(flow->id)) {
      diag_.error(reader.node("id")->location(),
                  "flow id '" + flow->id + "' may use only letters, digits, '-', '_' and '.'");
    }
    // Ids of flows that failed to load count too, so a duplicate is reported with the other errors.
    if (reader.has("id")) {
      auto [seen, fresh] = flow_ids_.emplace(flow->id, flow->location);
      if (!fresh) {
        diag_.error(reader.node("id")->location(), "flow id '" + flow->id + "' is also used by " + seen->second.str());
      }
    }
    if (auto source = reader.node("source")) parse_source(*flow, *source);
    if (auto codecs = reader.node("codecs")) {
      for (const ConfigNode& name : codecs->is_sequence() ? codecs->items() : std::vector<ConfigNode>{*codecs})
        (void)codec(name);
    }
    if (auto idempotency = reader.node("idempotency")) flow->idempotency = parse_idempotency(*idempotency, *this);
    flow->journal.level = gen_.config_.journal_level;
    if (auto journal = reader.node("journal"))
      flow->journal = parse_journal(*journal, gen_.config_.journal_level, *this);
    if (auto steps_node = reader.node("steps")) flow->steps = steps(*steps_node);
    if (auto reply = reader.node("reply")) {
      flow->reply = parse_reply_spec(*reply, *this);
    }
    if (diag_.errors().size() == errors_before && !flow->source) {
      diag_.error(root->location(), "flow '" + flow->id + "': its source is invalid");
    }
    if (diag_.errors().size() == errors_before) gen_.flows_.push_back(std::move(flow));
  }

  void plan_listeners() {
    struct Sharing {
      std::string kind;
      std::vector<const Flow*> flows;
    };
    std::map<std::string, Sharing> by_key;
    for (const auto& flow : gen_.flows_) {
      ListenerAddress address = flow->source->listener();
      auto& sharing = by_key[address.key()];
      sharing.kind = std::move(address.kind);
      sharing.flows.push_back(flow.get());
    }
    for (auto& [key, sharing] : by_key) {
      const ListenerKind* kind = plugins_.listeners.find(sharing.kind);
      if (!kind) {
        for (const Flow* f : sharing.flows)
          diag_.error(f->location, "flow '" + f->id + "': its " + std::string(f->source_kind->name()) +
                                       " source needs a " + sharing.kind + " listener, which this build lacks");
        continue;
      }
      auto plan = kind->plan(key, sharing.flows, diag_);
      if (plan) gen_.listeners_.emplace(key, ListenerBinding{key, kind, std::move(plan), sharing.flows});
    }
    std::vector<ListenerDescriptorClaim> claims;
    for (const auto& [key, binding] : gen_.listeners_) {
      auto [max_connections, set_at] = binding.plan->connections();
      claims.push_back({key, max_connections, std::move(set_at)});
    }
    check_listeners_fit_descriptor_limit(claims, descriptor_limit(), diag_);
  }

 private:
  void parse_endpoint(const std::string& name, const ConfigNode& name_node, const ConfigNode& body) {
    if (!body.is_map()) {
      diag_.error(body.location(),
                  "endpoint '" + name + "': expected a mapping such as { http: { url: … }, timeout: 5s }");
      return;
    }
    const EndpointKind* kind = nullptr;
    ConfigNode kind_config;
    std::vector<ConfigKey> common_schema(std::begin(endpoint_common_keys), std::end(endpoint_common_keys));
    for (const auto& [key, value] : body.entries()) {
      if (const EndpointKind* k = plugins_.endpoints.find(key.scalar())) {
        if (kind) diag_.error(key.location(), "endpoint '" + name + "' names two kinds");
        kind = k;
        kind_config = value;
        common_schema.push_back(ConfigKey{k->name(), KeyType::mapping, "", k->description()});
      }
    }
    if (!kind) {
      diag_.error(name_node.location(),
                  "endpoint '" + name + "' names no kind (one of: " + plugins_.endpoints.names_joined() + ")");
      return;
    }
    ConfigReader reader(body, common_schema, diag_, "endpoint '" + name + "'");
    EndpointCommon common;
    common.name = name;
    common.timeout = reader.duration("timeout");
    common.connect_timeout = reader.duration("connect_timeout");
    const auto pool = reader.integer("pool");
    if (pool < 1 || pool > 10'000) diag_.error(reader.node("pool")->location(), "pool: expected 1..10000");
    common.pool = static_cast<std::size_t>(std::clamp<std::int64_t>(pool, 1, 10'000));
    const auto max_in_flight = reader.integer("max_in_flight");
    if (max_in_flight < 1 || max_in_flight > 10'000)
      diag_.error(reader.node("max_in_flight")->location(), "max_in_flight: expected 1..10000");
    common.max_in_flight = static_cast<std::size_t>(std::clamp<std::int64_t>(max_in_flight, 1, 10'000));
    if (auto codec_node = reader.node("codec")) {
      common.codec = codec(*codec_node);
    } else {
      common.codec = named_codec(std::string(kind->default_codec()), name_node.location());
    }
    if (auto spec = kind->parse(kind_config, std::move(common), diag_))
      gen_.endpoint_specs_.emplace(name, std::move(spec));
  }

  void parse_source(Flow& flow, const ConfigNode& source) {
    std::vector<ConfigKey> schema{
        {"decode", KeyType::any, "",
         "codec for incoming messages, \"kind:options\" or { kind: { options } }; absent: the body is the raw text"},
        {"encode", KeyType::any, "", "codec for replies, as decode; default: the decode codec, else json"},
        {"accept", KeyType::any, "reply",
         "reply: answer after the flow ran; stored (or { mode: stored, order_by, retry, max_in_flight }): answer "
         "once the message is stored, run the flow from its queue"},
    };
    for (const auto& [key, value] : source.entries()) {
      if (const SourceKind* k = plugins_.sources.find(key.scalar())) {
        if (flow.source_kind) diag_.error(key.location(), "a flow has one source; this one names two kinds");
        flow.source_kind = k;
        flow.source = k->parse(value, diag_);
        schema.push_back(ConfigKey{k->name(), KeyType::mapping, "", k->description()});
      }
    }
    ConfigReader reader(source, schema, diag_, "source");
    if (!flow.source_kind) {
      diag_.error(source.location(), "source names no kind (one of: " + plugins_.sources.names_joined() + ")");
    }
    if (auto decode = reader.node("decode")) {
      // A mapping such as { hl7v2: { charset: GBK } } is shown by its kind.
      const auto entries = decode->entries();
      flow.decode_name = decode->is_scalar() ? decode->scalar() : entries.empty() ? "" : entries.front().first.scalar();
      flow.decode = codec(*decode);
    }
    if (auto accept = reader.node("accept")) flow.accept_stored = parse_accept(*accept, *this);
    if (auto encode = reader.node("encode")) {
      flow.encode = codec(*encode);
    } else if (flow.decode) {
      flow.encode = flow.decode;
    } else if (auto json = gen_.codecs_.find("json"); json != gen_.codecs_.end()) {
      flow.encode = json->second;
    }
  }

  const Plugins& plugins_;
  Generation& gen_;
  Diagnostics& diag_;
  std::string flow_id_;
  std::map<std::string, Location> flow_ids_;    // every flow id read so far, and where
  std::vector<std::string> lua_codec_callees_;  // functions whose first argument names a codec
};

std::shared_ptr<Generation> Generation::build(const Plugins& plugins, const ServerConfig& config, std::uint64_t number,
                                              Metrics* metrics, Diagnostics& diag) {
  std::shared_ptr<Generation> gen(new Generation());
  gen->number_ = number;
  gen->loaded_at_ = std::chrono::system_clock::now();
  gen->config_ = config;
  gen->plugins_ = &plugins;
  gen->lua_limits_ = config.lua;
  gen->slots_.resize(1);

  GenerationBuilder builder(plugins, *gen, diag);
  for (const auto& file : config.endpoint_files) builder.load_endpoints(config.resolve(file));
  for (const auto& file : expand_flow_patterns(config, diag)) builder.load_flow(file);
  builder.plan_listeners();
  if (!diag.ok()) return nullptr;
  if (metrics) {
    for (auto& flow : gen->flows_) flow->stats = &metrics->flow(flow->id);
  }
  return gen;
}

Generation::~Generation() = default;

const Flow* Generation::flow(std::string_view id) const {
  for (const auto& f : flows_)
    if (f->id == id) return f.get();
  return nullptr;
}

const ListenerPlan* Generation::listener_plan(std::string_view key) const {
  auto it = listeners_.find(key);
  return it == listeners_.end() ? nullptr : it->second.plan.get();
}

void Generation::set_worker_count(std::size_t workers) { slots_.resize(std::max<std::size_t>(workers, 1)); }

Generation::WorkerSlot& Generation::slot() const {
  const std::size_t index = current_worker().index;
  assert(index < slots_.size());
  return slots_[index];
}

Endpoint* Generation::endpoint(std::string_view name) const {
  WorkerSlot& s = slot();
  auto it = s.endpoints.find(name);
  if (it != s.endpoints.end()) return it->second.get();
  auto spec = endpoint_specs_.find(name);
  if (spec == endpoint_specs_.end()) return nullptr;
  auto created = spec->second->instantiate(current_worker());
  Endpoint* raw = created.get();
  s.endpoints.emplace(std::string(name), std::move(created));
  return raw;
}

LuaWorker& Generation::lua() const {
  WorkerSlot& s = slot();
  if (!s.lua) {
    std::vector<const LuaLibrary*> libraries;
    for (const auto& [name, library] : plugins_->lua_libraries.all()) libraries.push_back(library.get());
    s.lua = std::make_unique<LuaWorker>(
        lua_program_, lua_limits_, [this](std::string_view name) { return codec(name); }, libraries);
  }
  return *s.lua;
}

Expected<std::shared_ptr<const Codec>> Generation::codec(std::string_view name) const {
  if (auto it = codecs_.find(name); it != codecs_.end()) return it->second;
  return make_error(ErrorKind::config, "codec '" + std::string(name) +
                                           "' was not built when the flows loaded: write its name as a literal "
                                           "string in the call, or list it in the flow's codecs:");
}

}  // namespace qiao

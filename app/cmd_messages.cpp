// `qiao messages list|show|replay`: the journal of a running gateway, through its admin API. `show`
// is one message with each step it went through and each delivery with its attempts. A replay
// runs journaled messages through their flows again (the current ones), as new messages.

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <string>

#include "app/admin_client.hpp"
#include "app/commands.hpp"

namespace qiao {

namespace {

void print_messages(const Value& body) {
  const Value* messages = body.find("messages");
  if (!messages || !messages->is_array() || messages->as_array().empty()) {
    std::cout << "no messages\n";
    return;
  }
  std::cout << fmt::format("{:<18} {:<20} {:<20} {:<12} {:>6} {:>10}  {}\n", "ID", "RECEIVED", "FLOW", "OUTCOME",
                           "STATUS", "LATENCY us", "SOURCE / ERROR");
  for (const Value& m : messages->as_array()) {
    std::string detail = text_of(m.find("source"));
    if (std::string error = text_of(m.find("error")); !error.empty()) detail += ": " + error;
    std::cout << fmt::format("{:<18} {:<20} {:<20} {:<12} {:>6} {:>10}  {}\n", text_of(m.find("id")),
                             text_of(m.find("receivedAt")), text_of(m.find("flow")), text_of(m.find("outcome")),
                             text_of(m.find("status")), text_of(m.find("latencyUs")), detail);
  }
}

void print_message(const Value& body) {
  const Value* m = body.find("message");
  if (m && m->is_object()) {
    std::cout << fmt::format("{}  {}  flow {}  {} {}  {} us\n", text_of(m->find("id")), text_of(m->find("receivedAt")),
                             text_of(m->find("flow")), text_of(m->find("outcome")), text_of(m->find("status")),
                             text_of(m->find("latencyUs")));
    std::cout << "  source: " << text_of(m->find("source")) << "\n";
    if (std::string error = text_of(m->find("error")); !error.empty()) std::cout << "  error: " << error << "\n";
    const Value* steps = m->find("steps");
    if (steps && steps->is_array() && !steps->as_array().empty()) {
      std::cout << "  steps:\n";
      for (const Value& s : steps->as_array()) {
        const auto depth =
            static_cast<std::size_t>(std::max<std::int64_t>(0, std::stoll("0" + text_of(s.find("depth")))));
        std::string line = fmt::format("    {}{} (line {})  {}  +{} us, {} us", std::string(2 * depth, ' '),
                                       text_of(s.find("step")), text_of(s.find("line")), text_of(s.find("outcome")),
                                       text_of(s.find("startUs")), text_of(s.find("durationUs")));
        if (std::string detail = text_of(s.find("detail")); !detail.empty()) line += ": " + detail;
        std::cout << line << "\n";
      }
    }
  } else {
    std::cout << "(its journal row is gone: retention, or a flow with journal: none)\n";
  }
  const Value* deliveries = body.find("deliveries");
  if (!deliveries || !deliveries->is_array() || deliveries->as_array().empty()) return;
  std::cout << "  deliveries:\n";
  for (const Value& d : deliveries->as_array()) {
    std::cout << fmt::format(
        "    #{} to {}  {}  {} attempt(s){}\n", text_of(d.find("id")), text_of(d.find("endpoint")),
        text_of(d.find("state")), text_of(d.find("totalAttempts")),
        text_of(d.find("deliveredAt")).empty() ? "" : ", delivered " + text_of(d.find("deliveredAt")));
    const Value* history = d.find("history");
    if (!history || !history->is_array()) continue;
    for (const Value& a : history->as_array()) {
      std::string line = fmt::format(
          "      {}. {} {}", text_of(a.find("number")), text_of(a.find("startedAt")),
          text_of(a.find("outcome")).empty() ? "(no outcome: cut short by a restart)" : text_of(a.find("outcome")));
      if (std::string error = text_of(a.find("error")); !error.empty()) line += ": " + error;
      std::cout << line << "\n";
    }
  }
}

void print_replay(const Value& body, bool dry_run) {
  const Value* replayed = body.find("replayed");
  const Value* skipped = body.find("skipped");
  std::cout << (dry_run ? "would replay " : "replayed ") << text_of(body.find("count")) << " message(s)\n";
  if (replayed && replayed->is_array()) {
    for (const Value& r : replayed->as_array()) {
      if (dry_run) std::cout << "  " << text_of(r.find("of")) << "\n";
      else std::cout << "  " << text_of(r.find("of")) << " -> " << text_of(r.find("id")) << "\n";
    }
  }
  if (skipped && skipped->is_array()) {
    for (const Value& s : skipped->as_array())
      std::cout << "  skipped " << text_of(s.find("id")) << ": " << text_of(s.find("reason")) << "\n";
  }
}

}  // namespace

int command_messages(const std::string& config_path, const std::string& action, const MessageFilter& filter) {
  if (action == "show") {
    if (filter.id.empty()) {
      std::cerr << "qiao messages show: --id ID names the message\n";
      return 2;
    }
    std::string id;
    add_query(id, "id", filter.id);  // "?id=" and the id, percent-encoded
    auto answer = ask_admin("messages", config_path, filter.admin, "GET", "/api/messages/" + id.substr(4));
    if (answer.exit_code != 0) return answer.exit_code;
    print_message(answer.body);
    return 0;
  }
  std::string query;
  auto add = [&](const char* name, const std::string& value) { add_query(query, name, value); };
  add("id", filter.id);
  add("flow", filter.flow);
  add("outcome", filter.outcome);
  add("since", filter.since);
  add("until", filter.until);
  add("limit", filter.limit);
  for (const std::string& key : filter.keys) {
    const auto equals = key.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == key.size()) {
      std::cerr << "qiao messages: --key " << key << ": expected NAME=VALUE, e.g. --key patient=P001\n";
      return 2;
    }
    add(("key." + key.substr(0, equals)).c_str(), key.substr(equals + 1));
  }
  std::string method = "GET";
  std::string path = "/api/messages";
  if (action == "replay") {
    if (filter.dry_run) add("dry_run", "1");
    method = "POST";
    path += "/replay";
  }
  auto answer = ask_admin("messages", config_path, filter.admin, method, path + query);
  if (answer.exit_code != 0) return answer.exit_code;
  const Value* body = &answer.body;
  if (action == "replay") print_replay(*body, filter.dry_run);
  else print_messages(*body);
  return 0;
}

}  // namespace qiao

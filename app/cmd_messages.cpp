// `qiao messages list|replay`: the journal of a running gateway, through its admin API. A replay
// runs journaled messages through their flows again (the current ones), as new messages.

#include <fmt/format.h>

#include <iostream>

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
  std::cout << fmt::format("{:<18} {:<20} {:<20} {:<12} {:>6} {:>10}  {}\n", "ID", "RECEIVED", "FLOW", "OUTCOME", "STATUS",
                           "LATENCY us", "SOURCE / ERROR");
  for (const Value& m : messages->as_array()) {
    std::string detail = text_of(m.find("source"));
    if (std::string error = text_of(m.find("error")); !error.empty()) detail += ": " + error;
    std::cout << fmt::format("{:<18} {:<20} {:<20} {:<12} {:>6} {:>10}  {}\n", text_of(m.find("id")),
                             text_of(m.find("receivedAt")), text_of(m.find("flow")), text_of(m.find("outcome")),
                             text_of(m.find("status")), text_of(m.find("latencyUs")), detail);
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

// `qiao queue list|dead|replay|discard`: the persistent queues of a running gateway, through its
// admin API (so the gateway's own queues see every replay at once; the store is never edited
// behind its back).

#include <fmt/format.h>

#include <iostream>

#include "app/admin_client.hpp"
#include "app/commands.hpp"

namespace qiao {

namespace {

void print_queues(const Value& body) {
  const Value* queues = body.find("queues");
  if (!queues || !queues->is_array() || queues->as_array().empty()) {
    std::cout << "no queues\n";
    return;
  }
  std::cout << fmt::format("{:<24} {:>8} {:>9} {:>10} {:>10} {:>8} {:>5}\n", "ENDPOINT", "DEPTH", "IN FLIGHT",
                           "OLDEST (s)", "DELIVERED", "RETRIES", "DEAD");
  for (const Value& q : queues->as_array()) {
    std::cout << fmt::format("{:<24} {:>8} {:>9} {:>10} {:>10} {:>8} {:>5}\n", text_of(q.find("endpoint")),
                             text_of(q.find("depth")), text_of(q.find("inFlight")), text_of(q.find("oldestAgeSeconds")),
                             text_of(q.find("delivered")), text_of(q.find("retries")), text_of(q.find("deadLetters")));
  }
}

void print_dead(const Value& body) {
  const Value* dead = body.find("deadLetters");
  if (!dead || !dead->is_array() || dead->as_array().empty()) {
    std::cout << "no dead letters\n";
    return;
  }
  for (const Value& d : dead->as_array()) {
    std::cout << fmt::format("{}  {}  message {}  flow {}  key '{}'  created {}  {} attempt(s)\n",
                             text_of(d.find("id")), text_of(d.find("endpoint")), text_of(d.find("messageId")),
                             text_of(d.find("flow")), text_of(d.find("orderKey")), text_of(d.find("createdAt")),
                             text_of(d.find("totalAttempts")));
    if (const Value* history = d.find("history"); history && history->is_array()) {
      for (const Value& a : history->as_array()) {
        std::cout << fmt::format("    #{} {} {}: {}\n", text_of(a.find("number")), text_of(a.find("startedAt")),
                                 text_of(a.find("outcome")), text_of(a.find("error")));
      }
    }
  }
}

}  // namespace

int command_queue(const std::string& config_path, const std::string& action, const QueueFilter& filter) {
  std::string query;
  auto add = [&](const char* name, const std::string& value) { add_query(query, name, value); };
  std::string method = "GET";
  std::string path = "/api/queues";
  if (action != "list") {
    add("endpoint", filter.endpoint);
    add("id", filter.ids);
    add("error", filter.error);
    add("since", filter.since);
    add("until", filter.until);
    path += "/dead";
    if (action == "dead") {
      add("limit", filter.limit);
    } else {
      method = "POST";
      path += "/" + action;
      if (filter.all) add("all", "1");
      if (filter.dry_run) add("dry_run", "1");
    }
  }
  auto answer = ask_admin("queue", config_path, filter.admin, method, path + query);
  if (answer.exit_code != 0) return answer.exit_code;
  const Value* body = &answer.body;
  if (action == "list") print_queues(*body);
  else if (action == "dead") print_dead(*body);
  else {
    const Value* ids = body->find("ids");
    std::string listed;
    if (ids && ids->is_array())
      for (const Value& id : ids->as_array()) listed += (listed.empty() ? "" : ",") + text_of(&id);
    const bool dry = filter.dry_run;
    const std::string verb =
        action == "replay" ? (dry ? "would replay" : "replayed") : (dry ? "would discard" : "discarded");
    std::cout << verb << " " << text_of(body->find("count")) << " dead letter(s)"
              << (listed.empty() ? "" : ": " + listed) << "\n";
  }
  return 0;
}

}  // namespace qiao

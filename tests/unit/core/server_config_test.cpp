// qiao.yaml's journal section: its defaults, its keys, and that changing it needs a restart.

#include "core/server_config.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace fs = std::filesystem;
using qiao::Diagnostics;
using qiao::ServerConfig;

namespace {

// Loads `text` as a qiao.yaml from a file of its own, removed afterwards.
ServerConfig load(const std::string& text, Diagnostics& diag) {
  std::random_device rd;
  const fs::path file = fs::temp_directory_path() / ("qiao-server-config-" + std::to_string(rd()) + ".yaml");
  std::ofstream(file) << text;
  ServerConfig config = qiao::load_server_config(file.string(), diag);
  fs::remove(file);
  return config;
}

}  // namespace

TEST_CASE("server config: the journal's limits default to 1 MiB, 4 KiB for rejected requests, a 1 GiB floor",
          "[config][journal]") {
  Diagnostics diag;
  const ServerConfig config = load("flows: [ \"flows/*.yaml\" ]\n", diag);
  INFO(diag.text());
  REQUIRE(diag.ok());
  CHECK(config.journal.max_payload_bytes == 1024u * 1024);
  CHECK(config.journal.max_rejected_bytes == 4096u);
  CHECK(config.journal.min_free_bytes == 1024ull * 1024 * 1024);
  CHECK(config.journal.free_space_check == std::chrono::seconds(5));
  CHECK(config.journal.max_queued_bytes == 64u * 1024 * 1024);
}

TEST_CASE("server config: journal keys are read, unknown ones refused, and a change needs a restart",
          "[config][journal]") {
  Diagnostics diag;
  const ServerConfig config = load(
      "flows: [ \"flows/*.yaml\" ]\n"
      "journal:\n"
      "  max_payload_bytes: 64KiB\n"
      "  max_rejected_bytes: 512\n"
      "  min_free_bytes: 1152921504606846976\n"
      "  free_space_check: 250ms\n"
      "  max_queued_bytes: 8MiB\n",
      diag);
  INFO(diag.text());
  REQUIRE(diag.ok());
  CHECK(config.journal.max_payload_bytes == 65536u);
  CHECK(config.journal.max_rejected_bytes == 512u);
  CHECK(config.journal.min_free_bytes == 1152921504606846976ull);
  CHECK(config.journal.free_space_check == std::chrono::milliseconds(250));
  CHECK(config.journal.max_queued_bytes == 8u * 1024 * 1024);

  ServerConfig next = config;
  next.journal.max_rejected_bytes = 1024;
  next.journal.min_free_bytes = 0;
  CHECK(qiao::restart_only_changes(config, next) ==
        std::vector<std::string>{"journal.max_rejected_bytes", "journal.min_free_bytes"});

  Diagnostics typo;
  load("flows: [ \"flows/*.yaml\" ]\njournal: { max_reject_bytes: 1KiB }\n", typo);
  REQUIRE(typo.errors().size() == 1);
  CHECK_THAT(typo.errors()[0], Catch::Contains("unknown key 'max_reject_bytes'"));
}

TEST_CASE("server config: journal.level is full unless set, a reload may change it, a typo is refused",
          "[config][journal]") {
  Diagnostics diag;
  const ServerConfig plain = load("flows: [ \"flows/*.yaml\" ]\n", diag);
  CHECK(plain.journal_level == qiao::JournalLevel::full);
  const ServerConfig metadata = load("flows: [ \"flows/*.yaml\" ]\njournal: { level: metadata }\n", diag);
  INFO(diag.text());
  REQUIRE(diag.ok());
  CHECK(metadata.journal_level == qiao::JournalLevel::metadata);
  // Each generation applies its own config's level, so a reload takes a new one.
  CHECK(qiao::restart_only_changes(plain, metadata).empty());
  CHECK(load("flows: [ \"flows/*.yaml\" ]\njournal: { level: none }\n", diag).journal_level ==
        qiao::JournalLevel::none);

  Diagnostics typo;
  load("flows: [ \"flows/*.yaml\" ]\njournal:\n  level: metdata\n", typo);
  REQUIRE(typo.errors().size() == 1);
  CHECK_THAT(typo.errors()[0],
             Catch::Contains(":3:10: journal.level: expected full, metadata or none, found 'metdata'"));
}

TEST_CASE("server config: store.lease is 30s unless set, at least 1s, and a change needs a restart",
          "[config][store]") {
  Diagnostics diag;
  const ServerConfig defaults = load("flows: [ \"flows/*.yaml\" ]\n", diag);
  INFO(diag.text());
  REQUIRE(diag.ok());
  CHECK(defaults.store_lease == std::chrono::seconds(30));

  const ServerConfig set =
      load("flows: [ \"flows/*.yaml\" ]\nstore: { url: \"sqlite://var/q.db\", lease: 2m }\n", diag);
  REQUIRE(diag.ok());
  CHECK(set.store_lease == std::chrono::minutes(2));
  CHECK(qiao::restart_only_changes(defaults, set) == std::vector<std::string>{"store.url", "store.lease"});

  Diagnostics short_lease;
  load("flows: [ \"flows/*.yaml\" ]\nstore: { lease: 500ms }\n", short_lease);
  REQUIRE(short_lease.errors().size() == 1);
  CHECK_THAT(short_lease.errors()[0], Catch::Contains("store.lease: expected a duration of at least 1s"));
}

// qiao: the gateway binary. Subcommands live in cmd_*.cpp.

#include <CLI/CLI.hpp>
#include <iostream>

#include "adapters/tcp/client/framing_spec.hpp"
#include "app/commands.hpp"
#include "core/config/config_node.hpp"
#include "qiao/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Qiao (桥): an integration engine for hospital gateways"};
  app.set_version_flag("--version", std::string("qiao ") + qiao::version_string);
  app.require_subcommand(1);

  std::string config_path = "config/qiao.yaml";
  auto* run = app.add_subcommand("run", "run the gateway (SIGHUP, a flow file change or POST /api/reload reloads)");
  run->add_option("-c,--config", config_path, "server config file")->capture_default_str();

  auto* check = app.add_subcommand("check", "validate config, endpoints, flows and Lua; errors as file:line:col");
  check->add_option("-c,--config", config_path, "server config file")->capture_default_str();
  bool describe = false;
  check->add_flag("--describe", describe, "print every plugin's configuration keys");

  auto* codec = app.add_subcommand("codec", "decode or encode one message by hand (stdin to stdout)");
  std::string direction;
  std::string codec_name;
  bool hex = false;
  codec->add_option("direction", direction, "decode (bytes → JSON) or encode (JSON → bytes)")
      ->required()
      ->check(CLI::IsMember({"decode", "encode"}));
  codec->add_option("--codec", codec_name, "codec name, with its spec after a colon: iso8583:config/cup.yaml")
      ->required();
  codec->add_flag("--hex", hex, "the message side is hex text (binary formats)");

  auto* send = app.add_subcommand("send", "a client to poke a flow or a peer: send messages, print the replies");
  send->require_subcommand(1);
  std::string send_address;
  std::vector<std::string> send_files;
  std::string send_file;
  std::string send_framing;
  std::string send_codec;
  std::string send_timeout = "10s";
  bool send_hex = false;
  auto* send_mllp = send->add_subcommand("mllp",
                                         "send HL7 v2 files over one MLLP connection and print each ACK; "
                                         "exit 1 unless every ACK is AA or CA");
  send_mllp->add_option("address", send_address, "HOST:PORT of the MLLP listener")->required();
  send_mllp
      ->add_option("files", send_files,
                   "HL7 v2 (ER7) files; each MSH starts a message, an FHS/BHS batch goes whole; LF line ends become CR")
      ->required();
  send_mllp->add_option("--timeout", send_timeout, "longest wait for connecting, and for each ACK")
      ->capture_default_str();
  auto* send_tcp =
      send->add_subcommand("tcp", "send one message in any framing and print the reply (JSON, or hex with --hex)");
  send_tcp->add_option("address", send_address, "HOST:PORT of the peer")->required();
  send_tcp->add_option("file", send_file, "the message: JSON to encode with --codec, or hex with --hex; default stdin");
  send_tcp->add_option("--framing", send_framing, "how frames are delimited (see FRAMING below)")->required();
  send_tcp->add_option("--codec", send_codec,
                       "codec of the message and the reply, with its spec after a colon: iso8583:cup");
  send_tcp->add_flag("--hex", send_hex, "the message and the printed reply are hex bytes");
  send_tcp->add_option("--timeout", send_timeout, "longest wait for connecting, and for the reply")
      ->capture_default_str();
  send->footer(qiao::tcp::framing_spec_help);
  send_tcp->footer(qiao::tcp::framing_spec_help);

  auto* queue = app.add_subcommand(
      "queue",
      "the persistent queues of the running gateway (through its admin API): list, dead letters, replay, discard");
  std::string queue_action;
  qiao::QueueFilter queue_filter;
  queue->add_option("action", queue_action, "list | dead | replay | discard")
      ->required()
      ->check(CLI::IsMember({"list", "dead", "replay", "discard"}));
  queue->add_option("-c,--config", config_path, "server config file")->capture_default_str();
  queue->add_option("--endpoint", queue_filter.endpoint, "only dead letters for this endpoint");
  queue->add_option("--id", queue_filter.ids, "only these dead letters: 12,13");
  queue->add_option("--error", queue_filter.error, "only dead letters whose last error contains this text");
  queue->add_option("--since", queue_filter.since, "queued at or after, e.g. 2026-12-04T06:00:00Z");
  queue->add_option("--until", queue_filter.until, "queued before");
  queue->add_option("--limit", queue_filter.limit, "at most this many (dead; 1..1000, default 100)");
  queue->add_flag("--all", queue_filter.all, "replay or discard every dead letter (no filter)");
  queue->add_option("--admin", queue_filter.admin, "HOST:PORT of the admin API (default: admin.listen in the config)");
  queue->add_flag("--dry-run", queue_filter.dry_run, "list what replay or discard would take, change nothing");

  auto* messages = app.add_subcommand(
      "messages",
      "the journal of the running gateway (through its admin API): list, or replay through the current flows");
  std::string messages_action;
  qiao::MessageFilter message_filter;
  messages->add_option("action", messages_action, "list | show (one message: its steps and deliveries, --id) | replay")
      ->required()
      ->check(CLI::IsMember({"list", "show", "replay"}));
  messages->add_option("-c,--config", config_path, "server config file")->capture_default_str();
  messages->add_option("--id", message_filter.id, "only this message");
  messages->add_option("--flow", message_filter.flow, "only this flow's messages");
  messages->add_option("--outcome", message_filter.outcome, "only this outcome: ok, timeout, unavailable, upstream …");
  messages->add_option("--since", message_filter.since, "received at or after, e.g. 2026-12-04T06:00:00Z");
  messages->add_option("--until", message_filter.until, "received before");
  messages->add_option("--key", message_filter.keys, "only messages with this business key, NAME=VALUE (repeatable)");
  messages->add_option("--limit", message_filter.limit, "at most this many, newest first (1..1000, default 100)");
  messages->add_option("--admin", message_filter.admin,
                       "HOST:PORT of the admin API (default: admin.listen in the config)");
  messages->add_flag("--dry-run", message_filter.dry_run, "replay: list what would run again, change nothing");

  CLI11_PARSE(app, argc, argv);
  if (messages->parsed()) return qiao::command_messages(config_path, messages_action, message_filter);
  if (queue->parsed()) return qiao::command_queue(config_path, queue_action, queue_filter);

  if (run->parsed()) return qiao::command_run(config_path);
  if (check->parsed()) return describe ? qiao::command_describe() : qiao::command_check(config_path);
  if (codec->parsed()) return qiao::command_codec(direction, codec_name, hex);
  if (send->parsed()) {
    const auto timeout = qiao::parse_duration(send_timeout);
    if (!timeout || timeout->count() <= 0) {
      std::cerr << "qiao send: --timeout: expected a duration such as 500ms or 10s, found '" << send_timeout << "'\n";
      return 2;
    }
    if (send_mllp->parsed()) return qiao::command_send_mllp(send_address, send_files, *timeout);
    return qiao::command_send_tcp(send_address, send_framing, send_codec, send_hex, send_file, *timeout);
  }
  return 2;
}

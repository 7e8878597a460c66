// qiao: the gateway binary. Subcommands live in cmd_*.cpp.

#include <CLI/CLI.hpp>

#include <iostream>

#include "app/commands.hpp"
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
  codec->add_option("--codec", codec_name, "codec name, with its spec after a colon: iso8583:config/cup.yaml")->required();
  codec->add_flag("--hex", hex, "the message side is hex text (binary formats)");

  CLI11_PARSE(app, argc, argv);

  if (run->parsed()) return qiao::command_run(config_path);
  if (check->parsed()) return describe ? qiao::command_describe() : qiao::command_check(config_path);
  if (codec->parsed()) return qiao::command_codec(direction, codec_name, hex);
  return 2;
}

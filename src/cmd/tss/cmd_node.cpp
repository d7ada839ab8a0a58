// `tss node`: runs one validator until SIGINT or SIGTERM; `tss crash-points`: the points at
// which $TSS_CRASH_AT makes a node kill itself (fault tests, common/crash_point.h).
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "api/api.h"
#include "cmd/tss/command.h"
#include "common/crash_point.h"
#include "node/config.h"
#include "node/node.h"
#include "node/parts.h"

namespace {

using tss::cli::Fail;
using tss::cli::kExitFailure;
using tss::cli::kExitUsage;

struct NodeFlags {
  std::string address, private_key, private_key_file,
      listen = "/ip4/127.0.0.1/tcp/0", home, db, registry, password_file, poll = "1s",
      expiry = "3m", log_level = "info", log_format = "text", ack_timeout = "2s", api_listen,
      api_token_file;
  uint64_t retry_delay = 5, coordinator_range = 1000, takeover_blocks = 3;
  bool leaving = false;
};

tss::node::NodeConfig BuildConfig(const NodeFlags& f) {
  tss::node::NodeConfig c;
  c.validator_address = f.address;
  c.listen_multiaddr = f.listen;
  c.home = f.home;
  c.db_url = f.db;
  if (!f.registry.empty()) c.registry_path = f.registry;
  auto poll = tss::node::ParseDuration(f.poll);
  if (!poll.ok()) Fail(kExitUsage, "--poll-interval: " + poll.status().message());
  auto expiry = tss::node::ParseDuration(f.expiry);
  if (!expiry.ok()) Fail(kExitUsage, "--session-expiry: " + expiry.status().message());
  c.poll_interval = *poll;
  c.session_expiry = *expiry;
  c.retry_delay_blocks = f.retry_delay;
  c.coordinator_range = f.coordinator_range;
  if (c.coordinator_range == 0) Fail(kExitUsage, "--coordinator-range must be at least 1");
  auto ack_timeout = tss::node::ParseDuration(f.ack_timeout);
  if (!ack_timeout.ok()) Fail(kExitUsage, "--ack-timeout: " + ack_timeout.status().message());
  c.ack_timeout = *ack_timeout;
  c.takeover_blocks = f.takeover_blocks;
  c.leaving = f.leaving;

  // The identity key: a file or $TSS_PRIVATE_KEY in production; --private-key only for trials,
  // since anyone on the machine can read a process's arguments.
  tss::Result<tss::SecureBytes> seed = tss::InvalidArgument("");
  if (!f.private_key_file.empty()) {
    bool too_open = false;
    auto text = tss::node::ReadSecretFile(f.private_key_file, &too_open);
    if (!text.ok()) Fail(kExitUsage, "--private-key-file: " + text.status().message());
    if (too_open) spdlog::warn("{} is readable by other users; chmod 600 it", f.private_key_file);
    seed = tss::node::ParseSeedHex(
        std::string_view(reinterpret_cast<const char*>(text->data()), text->size()));
  } else if (const char* env = std::getenv("TSS_PRIVATE_KEY")) {
    seed = tss::node::ParseSeedHex(env);
  } else if (!f.private_key.empty()) {
    spdlog::warn(
        "--private-key puts the identity key on the command line; use --private-key-file or "
        "TSS_PRIVATE_KEY outside of trials");
    seed = tss::node::ParseSeedHex(f.private_key);
  } else {
    Fail(kExitUsage, "no identity key: pass --private-key-file PATH (or set TSS_PRIVATE_KEY)");
  }
  if (!seed.ok()) Fail(kExitUsage, seed.status().message());
  c.identity_seed = std::move(*seed);
  auto password = tss::node::LoadPassword(f.password_file);
  if (!password.ok()) Fail(kExitUsage, password.status().message());
  c.password = std::move(*password);
  return c;
}

// The message as a JSON string (quotes, control characters and invalid UTF-8 escaped or
// replaced), so that no message can break a line of `--log-format json`.
class JsonMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm& /*time*/,
              spdlog::memory_buf_t& dest) override {
    const std::string text = nlohmann::json(std::string(msg.payload.data(), msg.payload.size()))
                                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessage>();
  }
};

void SetLogFormat(const NodeFlags& flags) {
  if (flags.log_format == "text") {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [" + flags.address + "] %v");
    return;
  }
  if (flags.log_format != "json") Fail(kExitUsage, "--log-format: text or json");
  // One object per line, UTC: {"time", "level", "validator", "message"}.
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<JsonMessage>('*').set_pattern(
      R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","validator":)" +
      nlohmann::json(flags.address).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
      R"(,"message":%*})");
  spdlog::set_formatter(std::move(formatter));
}

int RunNode(const NodeFlags& flags) {
  auto level = spdlog::level::from_str(flags.log_level);
  spdlog::set_level(level);
  // Logs usually go to a file or a pipe (systemd, docker), where stdout is block-buffered:
  // flush every line so what the node did is on disk when it stops or crashes.
  spdlog::flush_on(spdlog::level::trace);
  SetLogFormat(flags);
  // Block the stop signals before any thread starts, so only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // Before any thread starts (crash_point.h). Never set outside fault tests.
  if (auto st = tss::crash::ArmFromEnvironment(); !st.ok()) Fail(kExitUsage, st.message());
  if (tss::crash::Armed())
    spdlog::warn("TSS_CRASH_AT: this node kills itself at crash point {} (fault tests only)",
                 tss::crash::ArmedPoint());
  tss::node::NodeConfig config = BuildConfig(flags);
  auto parts = tss::node::BuildNodeParts(config);
  if (!parts.ok()) Fail(kExitFailure, parts.status().message());
  std::unique_ptr<tss::api::HttpServer> api;
  if (!flags.api_listen.empty()) {
    tss::api::ApiConfig api_config;
    auto listen = tss::api::ParseListenAddress(flags.api_listen);
    if (!listen.ok()) Fail(kExitUsage, listen.status().message());
    api_config.listen = *listen;
    if (!flags.api_token_file.empty()) {
      auto token = tss::api::LoadToken(flags.api_token_file);
      if (!token.ok()) Fail(kExitUsage, "--api-token-file: " + token.status().message());
      api_config.token = std::move(*token);
    }
    auto server = tss::api::HttpServer::Listen(std::move(api_config));
    if (!server.ok()) Fail(kExitUsage, server.status().message());
    api = std::move(*server);
    config.api_url = api->url();  // the registry entry names it
  } else if (!flags.api_token_file.empty()) {
    Fail(kExitUsage, "--api-token-file needs --api-listen");
  }
  auto node = tss::node::Node::NewNode(std::move(config), std::move(*parts));
  if (!node.ok()) Fail(kExitFailure, node.status().message());
  if (auto st = (*node)->Start(); !st.ok())
    Fail(kExitFailure, "cannot start the node: " + st.message());
  if (api) api->Start(**node);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  if (api) api->Stop();
  (*node)->Stop();
  return 0;
}

const tss::cli::RegisterCommands kRegister([](CLI::App& app) {
  auto flags = std::make_shared<NodeFlags>();
  auto* cmd = app.add_subcommand("node", "Run a TSS validator node until SIGINT/SIGTERM");
  cmd->add_option("--validator-address", flags->address,
                  "This validator's address (its name in the registry)")
      ->required();
  cmd->add_option("--private-key-file", flags->private_key_file,
                  "File holding the 32-byte Ed25519 identity seed as hex (or set TSS_PRIVATE_KEY)");
  cmd->add_option("--private-key", flags->private_key,
                  "The identity seed as hex (trials only: visible to ps)");
  cmd->add_option("--p2p-listen", flags->listen, "libp2p listen multiaddr")->capture_default_str();
  cmd->add_option("--home", flags->home, "Folder for the database and the encrypted key shares")
      ->required();
  cmd->add_option("--db", flags->db,
                  "Event database: a SQLite path (default <home>/tss.db) or postgres://...");
  cmd->add_option("--registry", flags->registry,
                  "Validator registry file (default $TSS_REGISTRY or /tmp/tss-nodes.json)");
  cmd->add_option("--password-file", flags->password_file,
                  "File with the key-share password (or set TSS_PASSWORD)");
  cmd->add_option("--poll-interval", flags->poll, "How often the coordinator polls for events")
      ->capture_default_str();
  cmd->add_option("--session-expiry", flags->expiry, "Inactivity after which a session expires")
      ->capture_default_str();
  cmd->add_option("--retry-delay", flags->retry_delay,
                  "Blocks an expired event waits before its retry")
      ->capture_default_str();
  cmd->add_option("--coordinator-range", flags->coordinator_range, "Blocks per coordinator turn")
      ->capture_default_str();
  cmd->add_option("--ack-timeout", flags->ack_timeout,
                  "How long a coordinator waits for every ACK before retrying without the silent")
      ->capture_default_str();
  cmd->add_option("--takeover-blocks", flags->takeover_blocks,
                  "Blocks per rank before a backup coordinator takes over an unstarted event "
                  "from live validators ahead of it")
      ->capture_default_str();
  cmd->add_flag("--leaving", flags->leaving,
                "Register as leaving: the node deals its shares in the next quorum change "
                "(tss quorumchange) and deletes them once the new holders activated theirs; it "
                "is left out of thresholds, coordination, keygen and signing meanwhile");
  cmd->add_option("--api-listen", flags->api_listen,
                  "Serve the node's HTTP API at HOST:PORT (e.g. 127.0.0.1:8080; off by default)");
  cmd->add_option("--api-token-file", flags->api_token_file,
                  "File (mode 600) with the bearer token every API call but /health must carry; "
                  "required for a non-loopback --api-listen");
  cmd->add_option("--log-level", flags->log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  cmd->add_option("--log-format", flags->log_format,
                  "text, or json (one object per line: time, level, validator, message)")
      ->capture_default_str();
  cmd->callback([flags] {
    int code = RunNode(*flags);
    if (code != 0) throw CLI::RuntimeError(code);
  });

  auto as_json = std::make_shared<bool>(false);
  auto* points = app.add_subcommand(
      "crash-points", "List the crash points TSS_CRASH_AT=<point>[:<nth>] arms in `tss node`");
  points->add_flag("--json", *as_json, "Print JSON");
  points->callback([as_json] {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& p : tss::crash::Points()) {
      if (!*as_json) {
        std::cout << p.name << "  (" << p.role << ")  " << p.when << "\n";
        continue;
      }
      list.push_back(
          {{"name", p.name}, {"protocol", p.protocol}, {"role", p.role}, {"when", p.when}});
    }
    if (*as_json) std::cout << list.dump() << "\n";
  });
});

}  // namespace

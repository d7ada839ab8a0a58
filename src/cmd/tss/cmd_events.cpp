// `tss keygen | keyrefresh | sign | status`: create events in every registered node's database
// (seed: "Commands … discover nodes from registry and create events in databases"), follow them
// to their end with --wait, and show every node's view of them.
#include <sodium.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "cmd/tss/command.h"
#include "core/event.h"
#include "crypto/hash.h"
#include "eventstore/event_store.h"
#include "keyshare/keyshare_store.h"
#include "node/config.h"
#include "node/registry_file.h"

namespace {

using nlohmann::json;
using tss::cli::Fail;
using tss::cli::kExitFailure;
using tss::cli::kExitUsage;
namespace es = tss::eventstore;
namespace core = tss::core;

struct CommonFlags {
  std::string registry;
  bool json_out = false;
  bool wait = false;
  std::string timeout = "10m";
  std::string db;  // only this database instead of the registry's (for tests and single-node use)
};

std::string RegistryPath(const CommonFlags& f) {
  return f.registry.empty() ? tss::node::DefaultRegistryPath().string() : f.registry;
}

struct NodeDb {
  std::string validator;
  std::unique_ptr<core::EventStore> store;
};

std::vector<NodeDb> OpenAll(const CommonFlags& f) {
  std::vector<NodeDb> out;
  if (!f.db.empty()) {
    auto s = es::OpenEventStore(f.db);
    if (!s.ok()) Fail(kExitFailure, s.status().message());
    out.push_back({"(" + f.db + ")", std::move(*s)});
    return out;
  }
  tss::node::RegistryFile registry(RegistryPath(f));
  auto entries = registry.Read();
  if (!entries.ok()) Fail(kExitFailure, entries.status().message());
  if (entries->empty()) Fail(kExitFailure, "the registry " + RegistryPath(f) + " lists no nodes");
  for (const auto& e : *entries) {
    if (e.database.empty())
      Fail(kExitFailure, "registry entry " + e.validator_address + " has no database");
    auto s = es::OpenEventStore(e.database);
    if (!s.ok()) Fail(kExitFailure, "node " + e.validator_address + ": " + s.status().message());
    out.push_back({e.validator_address, std::move(*s)});
  }
  return out;
}

std::string NewEventId() {
  uint8_t b[16];
  randombytes_buf(b, sizeof b);
  return tss::ToHex(b);
}

json EventJson(const core::Event& e) {
  json j{{"event_id", e.event_id},
         {"status", core::EventStatusName(e.status)},
         {"protocol", core::ProtocolTypeName(e.protocol)},
         {"block_number", e.block_number},
         {"attempts", e.attempts}};
  if (!e.result.empty()) j["result"] = json::parse(e.result, nullptr, false);
  if (!e.error.empty()) j["error"] = e.error;
  if (!e.defect.empty()) j["defect"] = e.defect;
  return j;
}

bool Terminal(core::EventStatus s) {
  using S = core::EventStatus;
  return s == S::kSuccess || s == S::kFailed || s == S::kExpired;
}

// Creates the event everywhere; with --wait follows it until every node has an outcome.
void Submit(const CommonFlags& f, core::ProtocolType protocol, const std::string& key_id,
            const tss::Bytes& hash, uint64_t expiry_blocks) {
  auto nodes = OpenAll(f);
  core::Event ev;
  ev.event_id = NewEventId();
  ev.block_number = core::ClockBlockSource().CurrentBlock();
  ev.protocol = protocol;
  ev.expiry_height = expiry_blocks ? ev.block_number + expiry_blocks : 0;
  ev.key_id = key_id;
  ev.message_hash = hash;
  for (auto& n : nodes)
    if (auto st = n.store->Create(ev); !st.ok())
      Fail(kExitFailure,
           "cannot create the event in " + n.validator + "'s database: " + st.message());
  if (!f.wait) {
    if (f.json_out)
      std::cout << json{{"event_id", ev.event_id}}.dump() << "\n";
    else
      std::cout << "event " << ev.event_id << " created on " << nodes.size() << " node(s)\n";
    return;
  }
  auto timeout = tss::node::ParseDuration(f.timeout);
  if (!timeout.ok()) Fail(kExitUsage, "--timeout: " + timeout.status().message());
  auto deadline = std::chrono::steady_clock::now() + *timeout;
  std::optional<core::Event> success, failure;
  for (;;) {
    size_t done = 0;
    for (auto& n : nodes) {
      auto e = n.store->Get(ev.event_id);
      if (!e.ok() || !e->has_value()) continue;
      if (!Terminal((*e)->status)) continue;
      ++done;
      if ((*e)->status == core::EventStatus::kSuccess && !success) success = **e;
      if ((*e)->status != core::EventStatus::kSuccess && !failure) failure = **e;
    }
    if (done == nodes.size() || failure) break;
    if (std::chrono::steady_clock::now() > deadline) {
      std::cerr << "error: event " << ev.event_id << " did not finish within " << f.timeout
                << "; `tss status --event-id " << ev.event_id << "` shows where it is\n";
      throw CLI::RuntimeError(kExitFailure);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const core::Event& outcome = failure ? *failure : *success;
  json out{{"event_id", ev.event_id}, {"status", core::EventStatusName(outcome.status)}};
  json result = json::parse(outcome.result.empty() ? "{}" : outcome.result, nullptr, false);
  if (result.is_object())
    for (auto& [k, v] : result.items()) out[k] = v;
  if (!outcome.error.empty()) out["error"] = outcome.error;
  if (f.json_out) {
    std::cout << out.dump() << "\n";
  } else {
    for (auto& [k, v] : out.items())
      std::cout << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
  }
  if (failure) {
    std::cerr << "error: event " << ev.event_id << " ended "
              << core::EventStatusName(outcome.status)
              << (outcome.error.empty() ? "" : ": " + outcome.error) << "\n";
    throw CLI::RuntimeError(kExitFailure);
  }
}

// `tss status --keys`: each node's view of each key it holds.
void PrintKeyStates(std::vector<NodeDb>& nodes, bool as_json) {
  json out = json::object();
  for (auto& n : nodes) {
    auto states = n.store->ListKeyStates();
    if (!states.ok()) Fail(kExitFailure, n.validator + ": " + states.status().message());
    json list = json::array();
    for (const auto& k : *states)
      list.push_back({{"key_id", k.key_id},
                      {"public_key", k.public_key},
                      {"needs_refresh", k.needs_refresh},
                      {"culprits", k.culprits},
                      {"generation", k.generation},
                      {"fingerprint", k.fingerprint}});
    out[n.validator] = list;
  }
  if (as_json) {
    std::cout << out.dump() << "\n";
    return;
  }
  for (auto& [validator, list] : out.items()) {
    std::cout << validator << "\n";
    for (auto& k : list) {
      std::cout << "  " << k["key_id"].get<std::string>() << "  "
                << k["public_key"].get<std::string>() << "  generation "
                << k["generation"].get<uint32_t>() << " ("
                << k["fingerprint"].get<std::string>().substr(0, 16) << ")";
      if (k["needs_refresh"].get<bool>()) {
        std::string culprits;
        for (auto& c : k["culprits"]) culprits += " " + c.get<std::string>();
        std::cout << "  NEEDS REFRESH (blamed:" << culprits << ")";
      }
      std::cout << "\n";
    }
  }
}

void AddCommon(CLI::App* cmd, CommonFlags& f, bool can_wait) {
  cmd->add_option("--registry", f.registry,
                  "Validator registry (default $TSS_REGISTRY or /tmp/tss-nodes.json)");
  cmd->add_flag("--json", f.json_out, "Print JSON");
  if (can_wait) {
    cmd->add_flag("--wait", f.wait, "Follow the event until every node has an outcome");
    cmd->add_option("--timeout", f.timeout, "How long --wait waits")->capture_default_str();
  }
}

const tss::cli::RegisterCommands kRegister([](CLI::App& app) {
  struct Flags {
    CommonFlags common;
    std::string key_id, message_hash, message;
    uint64_t expiry_blocks = 3600;
  };
  auto make = [&app](const char* name, const char* help) {
    auto flags = std::make_shared<Flags>();
    auto* cmd = app.add_subcommand(name, help);
    AddCommon(cmd, flags->common, true);
    cmd->add_option("--expiry-blocks", flags->expiry_blocks,
                    "Blocks after which a still-pending event expires (0: never)")
        ->capture_default_str();
    return std::make_pair(cmd, flags);
  };

  auto keygen_cmd = make("keygen", "Create a keygen event on every registered node");
  auto* keygen = keygen_cmd.first;
  auto kg = keygen_cmd.second;
  keygen->add_option("--key-id", kg->key_id,
                     "Name for the new key (default: derived from the key)");
  keygen->callback([kg] {
    if (!kg->key_id.empty() && !tss::keyshare::ValidKeyId(kg->key_id))
      Fail(kExitUsage, "--key-id may use letters, digits, '.', '_' and '-' (at most 128)");
    Submit(kg->common, core::ProtocolType::kKeygen, kg->key_id, {}, kg->expiry_blocks);
  });

  auto refresh_cmd = make("keyrefresh", "Create a keyrefresh event: fresh shares, same public key");
  auto* refresh = refresh_cmd.first;
  auto rf = refresh_cmd.second;
  refresh->add_option("--key-id", rf->key_id, "The key to refresh")->required();
  refresh->callback([rf] {
    Submit(rf->common, core::ProtocolType::kKeyrefresh, rf->key_id, {}, rf->expiry_blocks);
  });

  auto sign_cmd = make("sign", "Create a sign event for a 32-byte message hash");
  auto* sign = sign_cmd.first;
  auto sg = sign_cmd.second;
  sign->add_option("--key-id", sg->key_id, "The key to sign with")->required();
  auto* h =
      sign->add_option("--message-hash", sg->message_hash, "The 32-byte hash to sign, as hex");
  auto* m = sign->add_option("--message", sg->message, "A text whose SHA-256 is signed");
  h->excludes(m);
  sign->callback([sg] {
    tss::Bytes hash;
    if (!sg->message_hash.empty()) {
      auto b = tss::FromHex(sg->message_hash);
      if (!b.ok() || b->size() != 32)
        Fail(kExitUsage, "--message-hash must be 64 hex digits (32 bytes)");
      hash = *b;
    } else if (!sg->message.empty()) {
      auto d = tss::crypto::Sha256(tss::AsBytes(sg->message));
      hash.assign(d.begin(), d.end());
    } else {
      Fail(kExitUsage, "give --message-hash HEX or --message TEXT");
    }
    Submit(sg->common, core::ProtocolType::kSign, sg->key_id, hash, sg->expiry_blocks);
  });

  auto st = std::make_shared<CommonFlags>();
  auto event_id = std::make_shared<std::string>();
  auto keys = std::make_shared<bool>(false);
  auto* status = app.add_subcommand("status", "Show every node's view of events (or of keys)");
  AddCommon(status, *st, false);
  auto* event_opt = status->add_option("--event-id", *event_id, "Only this event");
  status
      ->add_flag("--keys", *keys,
                 "Show every node's keys instead: culprits it blamed, whether a refresh is due")
      ->excludes(event_opt);
  status->callback([st, event_id, keys] {
    auto nodes = OpenAll(*st);
    if (*keys) return PrintKeyStates(nodes, st->json_out);
    json out = json::object();
    for (auto& n : nodes) {
      json list = json::array();
      if (!event_id->empty()) {
        auto e = n.store->Get(*event_id);
        if (!e.ok()) Fail(kExitFailure, n.validator + ": " + e.status().message());
        if (e->has_value()) list.push_back(EventJson(**e));
      } else {
        auto events = n.store->List(50);
        if (!events.ok()) Fail(kExitFailure, n.validator + ": " + events.status().message());
        for (const auto& e : *events) list.push_back(EventJson(e));
      }
      out[n.validator] = list;
    }
    if (!event_id->empty()) {
      bool known = false;
      for (auto& [validator, list] : out.items()) known = known || !list.empty();
      if (!known) Fail(kExitFailure, "no registered node knows event " + *event_id);
    }
    if (st->json_out) {
      std::cout << out.dump() << "\n";
      return;
    }
    for (auto& [validator, list] : out.items()) {
      std::cout << validator << "\n";
      for (auto& e : list)
        std::cout << "  " << e["event_id"].get<std::string>() << "  "
                  << e["protocol"].get<std::string>() << "  " << e["status"].get<std::string>()
                  << (e.contains("error") ? "  " + e["error"].get<std::string>() : "") << "\n";
    }
  });
});

}  // namespace

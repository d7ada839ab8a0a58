// `tss keygen | keyrefresh | sign | quorumchange | status`: create events in every registered
// node's database (seed: "Commands … discover nodes from registry and create events in databases"),
// follow them with --wait until their outcome is known at every node that is alive (a signature
// checked by the command itself), and show every node's health, keys and view of events.
#include <sodium.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "api/json_codec.h"
#include "cmd/tss/command.h"
#include "cmd/tss/node_views.h"
#include "core/event.h"
#include "core/selection.h"
#include "crypto/bip32.h"
#include "crypto/ecdsa.h"
#include "crypto/hash.h"
#include "keyshare/keyshare_store.h"
#include "node/config.h"
#include "node/registry_file.h"

namespace {

using nlohmann::json;
using tss::cli::Fail;
using tss::cli::kExitFailure;
using tss::cli::kExitUsage;
using tss::cli::NodeDb;
using tss::cli::NodeHealth;
namespace core = tss::core;

struct CommonFlags {
  std::string registry;
  bool json_out = false;
  bool wait = false;
  std::string timeout = "10m";
  std::string grace = "2s";
  std::string db;  // only this database instead of the registry's (for tests and single-node use)
  std::string token_file;  // the nodes' API bearer token, for entries that name an API
};

std::vector<NodeDb> Nodes(const CommonFlags& f) {
  return tss::cli::RegisteredNodes(
      f.registry.empty() ? tss::node::DefaultRegistryPath().string() : f.registry, f.db,
      f.token_file);
}

// For the views that show every node's rows: a database that cannot be read ends the command.
core::EventStore& OpenOrFail(NodeDb& n) {
  if (!n.EnsureOpen()) Fail(kExitFailure, "node " + n.validator + ": " + n.error);
  return *n.store;
}

std::chrono::milliseconds DurationFlag(const char* name, const std::string& text) {
  auto d = tss::node::ParseDuration(text);
  if (!d.ok()) Fail(kExitUsage, std::string(name) + ": " + d.status().message());
  return *d;
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

// The key's public key as the nodes mirror it (tss_keys): what a result must carry. More than
// one value means the nodes disagree, and a result matching any of them is still reported.
std::set<std::string> MirroredPublicKeys(std::vector<NodeDb>& nodes, const std::string& key_id) {
  std::set<std::string> keys;
  for (auto& n : nodes) {
    if (!n.EnsureOpen()) continue;
    auto states = n.store->ListKeyStates();
    if (!states.ok()) continue;
    for (const auto& k : *states)
      if (k.key_id == key_id) keys.insert(k.public_key);
  }
  return keys;
}

// Why a node's SUCCESS result is not the outcome asked for (empty when it is). A signature is
// checked whole with libsecp256k1 — (r, s) under the key it names, v recovering it — as the
// nodes do; for a chain path that key is the child, and the root key beside it must be the
// key's (the child itself is derived and checked by every node from its share's chain code,
// which no database mirrors). A key's xpub must encode its public key and chain code.
std::string CheckResult(const core::Event& asked, const json& result,
                        const std::set<std::string>& keys) {
  if (!result.is_object() || !result.contains("public_key") || !result["public_key"].is_string())
    return "the result names no public key";
  auto text = [&](const char* name) {
    auto it = result.find(name);
    return it != result.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string public_key = result["public_key"].get<std::string>();
  const bool derived = !asked.chain_path.empty();
  if (derived && text("chain_path") != asked.chain_path)
    return "the result is for chain path '" + text("chain_path") + "', not '" + asked.chain_path +
           "'";
  const std::string root_key = derived ? text("root_public_key") : public_key;
  if (!keys.empty() && !keys.contains(root_key))
    return "the result's " + std::string(derived ? "root " : "") + "public key " + root_key +
           " is not the key's";
  if (asked.protocol == core::ProtocolType::kQuorumChange) {
    auto p = result.find("participants");
    auto t = result.find("threshold");
    if (p == result.end() || !p->is_array() || t == result.end() || !t->is_number_unsigned() ||
        t->get<int>() != core::Threshold(static_cast<int>(p->size())))
      return "the result names no holders with the threshold floor(2n/3)+1";
  }
  if (asked.protocol != core::ProtocolType::kSign) {
    if (!result.contains("xpub")) return "";
    auto xpub = tss::crypto::bip32::DecodeXpub(text("xpub"));
    if (!xpub.ok()) return "the result's xpub is malformed: " + xpub.status().message();
    if (tss::ToHex(xpub->key.ToBytes()) != public_key ||
        tss::ToHex(xpub->chain_code) != text("chain_code"))
      return "the result's xpub is not its public key and chain code";
    return "";
  }
  if (text("message_hash") != tss::ToHex(asked.message_hash))
    return "the result signs another message hash";
  auto pk = tss::FromHex(public_key);
  auto sig = core::SignatureOfResultJson(result.dump());  // the nodes' own reading of it
  if (!pk.ok() || !sig.ok()) return "the result's signature is malformed";
  tss::Status verified =
      tss::crypto::VerifyRecoverableEcdsa(*pk, asked.message_hash, sig->r, sig->s, sig->v);
  return verified.ok() ? "" : "the signature does not verify: " + verified.message();
}

// One node while --wait follows the event there.
struct Watched {
  NodeDb* db = nullptr;
  std::string not_created;  // why the event could not be created in its database
  std::optional<core::Event> event;
  NodeHealth health;

  bool answered() const { return event && Terminal(event->status); }
  // Why this node has no outcome (when !answered()).
  std::string Silence() const {
    if (!not_created.empty()) return "the event could not be created there: " + not_created;
    if (!health.alive()) {
      std::string why = health.Describe();
      if (event) why += std::string("; the event is ") + core::EventStatusName(event->status);
      return why;
    }
    return std::string("still ") +
           (event ? core::EventStatusName(event->status) : "without the event") + " (node alive)";
  }
};

// Reads every node's health and its row of the event.
void Observe(std::vector<Watched>& watched, const std::string& event_id) {
  int64_t now = core::UnixMillis();
  for (auto& w : watched) {
    if (!w.not_created.empty()) continue;
    w.health = tss::cli::HealthOf(*w.db, now);
    if (!w.db->store) continue;
    auto e = w.db->store->Get(event_id);
    if (!e.ok()) {
      w.db->Lost(e.status().message());
      w.health = tss::cli::HealthOf(*w.db, now);
      continue;
    }
    if (e->has_value()) w.event = **e;
  }
}

// Prints the outcome (a SUCCESS that checks out if there is one), every node's answer and why
// the silent ones are silent; exits non-zero unless every SUCCESS checks out and no node
// disagrees.
void Report(const CommonFlags& f, const core::Event& ev, const std::vector<Watched>& watched,
            const std::set<std::string>& keys) {
  json nodes = json::object(), not_answered = json::array();
  std::vector<std::string> bad, failed, succeeded;
  std::set<std::string> result_keys;  // every public key a SUCCESS names: one, or nodes disagree
  const core::Event* shown = nullptr;
  bool shown_checks = false;
  for (const auto& w : watched) {
    const std::string& who = w.db->validator;
    if (!w.answered()) {
      nodes[who] = {{"status", w.event ? json(core::EventStatusName(w.event->status)) : json()},
                    {"answered", false},
                    {"reason", w.Silence()}};
      not_answered.push_back({{"validator", who}, {"reason", w.Silence()}});
      continue;
    }
    nodes[who] = {{"status", core::EventStatusName(w.event->status)}, {"answered", true}};
    if (w.event->status != core::EventStatus::kSuccess) {
      failed.push_back(who);
      if (!shown) shown = &*w.event;
      continue;
    }
    succeeded.push_back(who);
    json result = json::parse(w.event->result, nullptr, false);
    if (result.is_object() && result.contains("public_key"))
      result_keys.insert(result["public_key"].dump());
    std::string wrong = CheckResult(ev, result, keys);
    if (!wrong.empty()) {
      nodes[who]["rejected"] = wrong;
      bad.push_back(who);
      bad.back().append(": ").append(wrong);
    } else if (!shown_checks) {
      shown = &*w.event;
      shown_checks = true;
    }
  }
  if (!shown)  // only SUCCESS rows, none of which checks out
    for (const auto& w : watched)
      if (w.answered()) shown = &*w.event;

  json out{{"event_id", ev.event_id}, {"status", core::EventStatusName(shown->status)}};
  json result = json::parse(shown->result.empty() ? "{}" : shown->result, nullptr, false);
  if (result.is_object())
    for (auto& [k, v] : result.items()) out[k] = v;
  if (!shown->error.empty()) out["error"] = shown->error;
  if (ev.protocol == core::ProtocolType::kSign && !succeeded.empty())
    out["verified"] = shown_checks;
  out["nodes"] = nodes;
  out["not_answered"] = not_answered;

  if (f.json_out) {
    std::cout << out.dump() << "\n";
  } else {
    for (auto& [k, v] : out.items()) {
      if (k == "nodes" || k == "not_answered") continue;
      std::cout << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
    }
    if (keys.empty() && ev.protocol == core::ProtocolType::kSign)
      std::cout << "note: no database mirrors key " << ev.key_id
                << "; checked against the public key the result names\n";
    for (auto& [who, n] : nodes.items())
      std::cout << who << ": "
                << (n["answered"].get<bool>()
                        ? n["status"].get<std::string>() +
                              (n.contains("rejected")
                                   ? " (rejected: " + n["rejected"].get<std::string>() + ")"
                                   : "")
                        : "did not answer: " + n["reason"].get<std::string>())
                << "\n";
  }
  for (const auto& n : not_answered)
    std::cerr << "note: " << n["validator"].get<std::string>()
              << " did not answer: " << n["reason"].get<std::string>() << "\n";

  std::string error;
  if (!bad.empty()) {
    error = "a result does not check out:";
    for (const auto& b : bad) error += "\n  " + b;
  } else if (result_keys.size() > 1) {
    error = "nodes report " + std::to_string(result_keys.size()) + " different public keys";
  } else if (!failed.empty() && !succeeded.empty()) {
    error = "nodes disagree on the outcome (SUCCESS at " + std::to_string(succeeded.size()) +
            ", not at " + std::to_string(failed.size()) + ")";
  } else if (!failed.empty()) {
    error = std::string("ended ") + core::EventStatusName(shown->status) +
            (shown->error.empty() ? "" : ": " + shown->error);
  }
  if (!error.empty()) {
    std::cerr << "error: event " << ev.event_id << " " << error << "\n";
    throw CLI::RuntimeError(kExitFailure);
  }
}

// Follows the event until its outcome is known at every node that is alive, and `grace` longer
// for those that are not (five times as long for an alive node that still has no outcome); then
// prints the outcome and who did not answer. Exits non-zero unless the outcome is a SUCCESS
// whose result checks out at every node that has one.
void Follow(const CommonFlags& f, const core::Event& ev, std::vector<Watched>& watched,
            const std::set<std::string>& keys) {
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + DurationFlag("--timeout", f.timeout);
  auto grace = DurationFlag("--grace", f.grace);
  std::optional<Clock::time_point> outcome_at;
  bool warned_none_alive = false;
  for (;;) {
    Observe(watched, ev.event_id);
    auto now = Clock::now();
    bool all = true, all_alive = true, any = false, any_alive = false;
    for (const auto& w : watched) {
      any = any || w.answered();
      all = all && w.answered();
      any_alive = any_alive || w.health.alive();
      if (w.health.alive()) all_alive = all_alive && w.answered();
    }
    if (any && !outcome_at) outcome_at = now;
    if (outcome_at &&
        (all || (all_alive && now >= *outcome_at + grace) || now >= *outcome_at + 5 * grace))
      break;
    if (!any_alive && !warned_none_alive) {
      std::cerr << "warning: no registered node is alive; waiting up to " << f.timeout << "\n";
      warned_none_alive = true;
    }
    if (now > deadline && outcome_at) break;  // --timeout shorter than the grace
    if (now > deadline) {
      std::cerr << "error: event " << ev.event_id << " did not finish within " << f.timeout << ":";
      for (const auto& w : watched) std::cerr << "\n  " << w.db->validator << ": " << w.Silence();
      std::cerr << "\n`tss status --event-id " << ev.event_id << "` shows where it is\n";
      throw CLI::RuntimeError(kExitFailure);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Report(f, ev, watched, keys);
}

// Creates the event in every node's database that can be reached (naming those that cannot);
// with --wait follows it to its outcome.
void Submit(const CommonFlags& f, core::ProtocolType protocol, const std::string& key_id,
            const tss::Bytes& hash, uint64_t expiry_blocks, const std::string& chain_path = "") {
  if (f.wait) {  // refuse bad flags before anything is created
    DurationFlag("--timeout", f.timeout);
    DurationFlag("--grace", f.grace);
  }
  auto nodes = Nodes(f);
  core::Event ev;
  ev.event_id = NewEventId();
  ev.block_number = core::ClockBlockSource().CurrentBlock();
  ev.protocol = protocol;
  ev.expiry_height = expiry_blocks ? ev.block_number + expiry_blocks : 0;
  ev.key_id = key_id;
  ev.message_hash = hash;
  ev.chain_path = chain_path;
  std::set<std::string> keys;
  if (f.wait && protocol != core::ProtocolType::kKeygen) keys = MirroredPublicKeys(nodes, key_id);
  std::vector<Watched> watched;
  size_t created = 0;
  for (auto& n : nodes) {
    Watched w;
    w.db = &n;
    if (!n.EnsureOpen()) {
      w.not_created = "database unreachable: " + n.error;
    } else if (auto st = n.store->Create(ev); !st.ok()) {
      w.not_created = st.message();
    } else {
      ++created;
    }
    if (!w.not_created.empty())
      std::cerr << "warning: event not created in " << n.validator
                << "'s database: " << w.not_created << "\n";
    watched.push_back(std::move(w));
  }
  if (created == 0) Fail(kExitFailure, "the event could not be created in any node's database");
  if (!f.wait) {
    if (f.json_out)
      std::cout << json{{"event_id", ev.event_id}}.dump() << "\n";
    else
      std::cout << "event " << ev.event_id << " created on " << created << " node(s)\n";
    return;
  }
  Follow(f, ev, watched, keys);
}

// `tss status`: each node's health, its view of its peers, its keys and their generations.
void PrintNodes(std::vector<NodeDb>& nodes, bool as_json) {
  json out = json::object();
  int64_t now = core::UnixMillis();
  const auto registered = tss::cli::RegisteredValidators(nodes);
  for (auto& n : nodes) {
    json view = tss::cli::HealthOf(n, now).Json();
    view["database"] = n.url;
    view["leaving"] = n.leaving;
    if (n.store) {
      auto states = n.store->ListKeyStates();
      if (states.ok()) {
        view["keys"] = json::array();
        for (const auto& k : *states) view["keys"].push_back(tss::cli::KeyStateJson(k, registered));
      } else {
        view["keys_error"] = states.status().message();
      }
    }
    out[n.validator] = view;
  }
  if (as_json) {
    std::cout << out.dump() << "\n";
    return;
  }
  for (auto& [validator, view] : out.items()) {
    std::cout << validator << (view["leaving"].get<bool>() ? "  (leaving)" : "") << "  "
              << view["detail"].get<std::string>() << "\n";
    if (view.contains("peers")) {
      std::cout << (view["alive"].get<bool>() ? "  peers:" : "  peers, at its last heartbeat:");
      if (view["peers"].empty()) std::cout << " none known";
      const char* separator = " ";
      for (auto& [peer, liveness] : view["peers"].items()) {
        std::cout << separator << peer << " " << liveness.get<std::string>();
        separator = ", ";
      }
      std::cout << "\n";
    }
    if (view.contains("keys_error"))
      std::cout << "  keys unreadable: " << view["keys_error"].get<std::string>() << "\n";
    if (view.contains("keys"))
      for (const auto& k : view["keys"]) std::cout << tss::cli::KeyStateText(k);
  }
}

// `tss status --keys`: each node's keys only.
void PrintKeyStates(std::vector<NodeDb>& nodes, bool as_json) {
  json out = json::object();
  const auto registered = tss::cli::RegisteredValidators(nodes);
  for (auto& n : nodes) {
    auto states = OpenOrFail(n).ListKeyStates();
    if (!states.ok()) Fail(kExitFailure, n.validator + ": " + states.status().message());
    json list = json::array();
    for (const auto& k : *states) list.push_back(tss::cli::KeyStateJson(k, registered));
    out[n.validator] = list;
  }
  if (as_json) {
    std::cout << out.dump() << "\n";
    return;
  }
  for (auto& [validator, list] : out.items()) {
    std::cout << validator << "\n";
    for (const auto& k : list) std::cout << tss::cli::KeyStateText(k);
  }
}

// `tss status --event-id ID` and `tss status --events`: each node's view of events.
void PrintEvents(std::vector<NodeDb>& nodes, const std::string& event_id, bool as_json) {
  json out = json::object();
  for (auto& n : nodes) {
    core::EventStore& store = OpenOrFail(n);
    json list = json::array();
    if (!event_id.empty()) {
      auto e = store.Get(event_id);
      if (!e.ok()) Fail(kExitFailure, n.validator + ": " + e.status().message());
      if (e->has_value()) list.push_back(EventJson(**e));
    } else {
      auto events = store.List(50);
      if (!events.ok()) Fail(kExitFailure, n.validator + ": " + events.status().message());
      for (const auto& e : *events) list.push_back(EventJson(e));
    }
    out[n.validator] = list;
  }
  if (!event_id.empty()) {
    bool known = false;
    for (auto& [validator, list] : out.items()) known = known || !list.empty();
    if (!known) Fail(kExitFailure, "no registered node knows event " + event_id);
  }
  if (as_json) {
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
}

void AddCommon(CLI::App* cmd, CommonFlags& f, bool can_wait) {
  cmd->add_option("--registry", f.registry,
                  "Validator registry (default $TSS_REGISTRY or /tmp/tss-nodes.json)");
  cmd->add_option("--db", f.db,
                  "Only this database (a SQLite file or postgres:// URL) instead of the registry's "
                  "nodes: one node's view, or a database of one's own");
  cmd->add_option("--token-file", f.token_file,
                  "File (mode 600) with the bearer token of the nodes' HTTP APIs: nodes whose "
                  "registry entry names an API are reached through it, the others through their "
                  "database");
  cmd->add_flag("--json", f.json_out, "Print JSON");
  if (can_wait) {
    cmd->add_flag("--wait", f.wait,
                  "Follow the event to its outcome at every live node, print it (a signature "
                  "verified here) and name the nodes that did not answer; exit 0 only on SUCCESS");
    cmd->add_option("--timeout", f.timeout, "How long --wait waits for an outcome")
        ->capture_default_str();
    cmd->add_option("--grace", f.grace,
                    "After the outcome, how long --wait still waits for nodes that are not alive")
        ->capture_default_str();
  }
}

const tss::cli::RegisterCommands kRegister([](CLI::App& app) {
  struct Flags {
    CommonFlags common;
    std::string key_id, message_hash, message, chain_path;
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

  auto quorum_cmd = make("quorumchange",
                         "Create a quorum change event: move a key to the validators registered "
                         "now (threshold floor(2n/3)+1), same public key");
  auto* quorum = quorum_cmd.first;
  auto qc = quorum_cmd.second;
  quorum->add_option("--key-id", qc->key_id, "The key to move")->required();
  quorum->callback([qc] {
    Submit(qc->common, core::ProtocolType::kQuorumChange, qc->key_id, {}, qc->expiry_blocks);
  });

  auto sign_cmd = make("sign", "Create a sign event for a 32-byte message hash");
  auto* sign = sign_cmd.first;
  auto sg = sign_cmd.second;
  sign->add_option("--key-id", sg->key_id, "The key to sign with")->required();
  auto* h =
      sign->add_option("--message-hash", sg->message_hash, "The 32-byte hash to sign, as hex");
  auto* m = sign->add_option("--message", sg->message, "A text whose SHA-256 is signed");
  h->excludes(m);
  sign->add_option("--chain-path", sg->chain_path,
                   "Sign for the key's BIP32 child at this non-hardened path, e.g. m/0/7 "
                   "(event_data's chain_path); hardened steps cannot be derived from a threshold "
                   "key and are refused");
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
    if (!sg->chain_path.empty())
      if (auto path = tss::crypto::bip32::ParsePath(sg->chain_path); !path.ok())
        Fail(kExitUsage, "--chain-path " + sg->chain_path + ": " + path.status().message());
    Submit(sg->common, core::ProtocolType::kSign, sg->key_id, hash, sg->expiry_blocks,
           sg->chain_path);
  });

  auto st = std::make_shared<CommonFlags>();
  auto event_id = std::make_shared<std::string>();
  auto keys = std::make_shared<bool>(false);
  auto events = std::make_shared<bool>(false);
  auto* status = app.add_subcommand(
      "status", "Show every node: alive or not, its view of its peers, its keys' generations");
  AddCommon(status, *st, false);
  auto* event_opt = status->add_option("--event-id", *event_id, "Every node's view of this event");
  auto* keys_opt = status->add_flag(
      "--keys", *keys, "Only every node's keys: generations, blamed validators, refresh due");
  auto* events_opt = status->add_flag("--events", *events, "Every node's 50 newest events");
  keys_opt->excludes(event_opt);
  events_opt->excludes(event_opt)->excludes(keys_opt);
  status->callback([st, event_id, keys, events] {
    auto nodes = Nodes(*st);
    if (*keys) return PrintKeyStates(nodes, st->json_out);
    if (*events || !event_id->empty()) return PrintEvents(nodes, *event_id, st->json_out);
    PrintNodes(nodes, st->json_out);
  });
});

}  // namespace

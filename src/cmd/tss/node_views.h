// cmd/tss/node_views.h — what the `tss` commands can know of each registered node without
// talking to it: whether its database answers, whether the node is alive (its heartbeat row,
// core::Heartbeat) and why not, and its keys as it mirrors them. `--wait` (cmd_events.cpp) and
// `tss status` both judge nodes by these rules, so they never disagree about who is alive.
//
// Owns: opening the registry's databases (one that cannot be opened is a node to report, not an
// error of the command), the staleness rule for heartbeats, and the JSON and text forms of a
// node's health and keys. Must not touch: the events themselves (cmd_events.cpp creates and
// follows them).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/secure.h"
#include "core/event.h"
#include "core/ports.h"

namespace tss::cli {

// One registered node's database — through the node's HTTP API when its registry entry names
// one (api/client.h), else opened directly; opened on demand, and again after it failed.
struct NodeDb {
  NodeDb(std::string validator_address, std::string database_url, bool lone_db = false)
      : validator(std::move(validator_address)), url(std::move(database_url)), lone(lone_db) {}

  std::string validator;  // its registry address, or "(URL)" for a lone --db
  std::string url;
  std::string api;                           // the node's API URL; empty: none
  std::shared_ptr<const SecureBytes> token;  // the API's bearer token (shared by all nodes)
  bool lone = false;                         // --db: whatever node writes here is this one
  bool leaving = false;                      // registered as leaving (tss node --leaving)
  std::unique_ptr<core::EventStore> store;   // null while the database cannot be opened
  std::string error;                         // why it could not be opened (or read) last time

  // True when `store` is usable; otherwise tries to open it (at most once a second, since a
  // server that is down answers slowly) and sets `error` when that fails.
  bool EnsureOpen();
  // A read failed: the database is unreachable until it opens again.
  void Lost(const std::string& why);

 private:
  int64_t last_try_ms_ = 0;
};

// The registry's nodes (or the one --db when `lone_db` is given), not opened yet; `token_file`
// (may be empty) holds the APIs' bearer token. Exits with a clear message when the registry or
// the token cannot be read or the registry lists nobody.
std::vector<NodeDb> RegisteredNodes(const std::string& registry_path, const std::string& lone_db,
                                    const std::string& token_file = "");

enum class Presence {
  kAlive,                // a heartbeat within three of its intervals
  kStale,                // its last heartbeat is older than that (killed, hung or cut off)
  kStopped,              // it shut down cleanly
  kNoHeartbeat,          // its database has no heartbeat of it (never started, or too old a build)
  kDatabaseUnreachable,  // its database cannot be opened or read
};

struct NodeHealth {
  Presence presence = Presence::kNoHeartbeat;
  std::optional<core::Heartbeat> beat;
  int64_t age_ms = 0;  // of `beat`, by our clock (clocks of nodes on other hosts may differ)
  std::string error;   // kDatabaseUnreachable: why

  bool alive() const { return presence == Presence::kAlive; }
  // One line: "alive (heartbeat 0.4 s ago)", "not alive: last heartbeat 12.0 s ago", …
  std::string Describe() const;
  nlohmann::json Json() const;
};

// Reads the node's heartbeat from its database (opening it if needed) and judges it.
NodeHealth HealthOf(NodeDb& node, int64_t now_ms);

// The validators registered now (the registry's entries that are not leaving), sorted; empty for
// a lone --db.
std::vector<std::string> RegisteredValidators(const std::vector<NodeDb>& nodes);

// A key as `tss status` shows it: api::KeyJson (generations, blame, holders, threshold) and — given
// the registered validators — `holders_differ` ({joining, leaving}) when they are not its holders
// (a quorum change would move it), null otherwise.
nlohmann::json KeyStateJson(const core::KeyState& key,
                            const std::vector<std::string>& registered = {});
// Indented lines for one key of KeyStateJson's form.
std::string KeyStateText(const nlohmann::json& key);

}  // namespace tss::cli

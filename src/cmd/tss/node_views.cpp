#include "cmd/tss/node_views.h"

#include <algorithm>
#include <cstdio>

#include "api/api.h"
#include "api/client.h"
#include "api/json_codec.h"
#include "cmd/tss/command.h"
#include "core/selection.h"
#include "eventstore/event_store.h"
#include "node/registry_file.h"

namespace tss::cli {

namespace {

using nlohmann::json;

// A node beats every interval; three missed beats (and a second for clocks and a busy
// database) make it not alive.
constexpr int64_t kMissedBeats = 3;
constexpr int64_t kSlackMs = 1'000;
constexpr int64_t kReopenEveryMs = 1'000;

std::string Seconds(int64_t ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ms) / 1000.0);
  return text;
}

const char* PresenceName(Presence p) {
  switch (p) {
    case Presence::kAlive:
      return "alive";
    case Presence::kStale:
      return "stale";
    case Presence::kStopped:
      return "stopped";
    case Presence::kNoHeartbeat:
      return "no heartbeat";
    case Presence::kDatabaseUnreachable:
      break;
  }
  return "database unreachable";
}

// Enough of a fingerprint to compare generations across nodes by eye.
std::string ShortFingerprint(const json& g) {
  return g["fingerprint"].get<std::string>().substr(0, 16);
}

}  // namespace

bool NodeDb::EnsureOpen() {
  if (store) return true;
  int64_t now = core::UnixMillis();
  if (last_try_ms_ != 0 && now - last_try_ms_ < kReopenEveryMs) return false;
  last_try_ms_ = now;
  auto opened = api.empty() ? eventstore::OpenEventStore(url)
                            : api::OpenApiEventStore(api, token ? token->Clone() : SecureBytes());
  if (!opened.ok()) {
    error = opened.status().message();
    return false;
  }
  store = std::move(*opened);
  error.clear();
  return true;
}

void NodeDb::Lost(const std::string& why) {
  store.reset();
  error = why;
  last_try_ms_ = core::UnixMillis();
}

std::vector<NodeDb> RegisteredNodes(const std::string& registry_path, const std::string& lone_db,
                                    const std::string& token_file) {
  auto token = std::make_shared<SecureBytes>();
  if (!token_file.empty()) {
    auto loaded = api::LoadToken(token_file);
    if (!loaded.ok()) Fail(kExitUsage, "--token-file: " + loaded.status().message());
    *token = std::move(*loaded);
  }
  std::vector<NodeDb> out;
  if (!lone_db.empty()) {
    out.emplace_back("(" + lone_db + ")", lone_db, true);
    return out;
  }
  node::RegistryFile registry(registry_path);
  auto entries = registry.Read();
  if (!entries.ok()) Fail(kExitFailure, entries.status().message());
  if (entries->empty()) Fail(kExitFailure, "the registry " + registry_path + " lists no nodes");
  for (const auto& e : *entries) {
    if (e.database.empty())
      Fail(kExitFailure, "registry entry " + e.validator_address + " has no database");
    out.emplace_back(e.validator_address, e.database);
    out.back().leaving = e.leaving;
    out.back().api = e.api;
    out.back().token = token;
  }
  return out;
}

std::vector<std::string> RegisteredValidators(const std::vector<NodeDb>& nodes) {
  std::vector<std::string> out;
  for (const auto& n : nodes)
    if (!n.lone && !n.leaving) out.push_back(n.validator);
  std::sort(out.begin(), out.end());
  return out;
}

NodeHealth HealthOf(NodeDb& node, int64_t now_ms) {
  NodeHealth h;
  if (!node.EnsureOpen()) {
    h.presence = Presence::kDatabaseUnreachable;
    h.error = node.error;
    return h;
  }
  auto beats = node.store->ListHeartbeats();
  if (!beats.ok()) {
    node.Lost(beats.status().message());
    h.presence = Presence::kDatabaseUnreachable;
    h.error = node.error;
    return h;
  }
  for (auto& b : *beats)
    if (node.lone ? (!h.beat || b.beat_at > h.beat->beat_at) : b.validator == node.validator)
      h.beat = std::move(b);
  if (!h.beat) return h;
  h.age_ms = std::max<int64_t>(0, now_ms - h.beat->beat_at);
  if (h.beat->stopped)
    h.presence = Presence::kStopped;
  else if (h.age_ms > kMissedBeats * h.beat->interval_ms + kSlackMs)
    h.presence = Presence::kStale;
  else
    h.presence = Presence::kAlive;
  return h;
}

std::string NodeHealth::Describe() const {
  switch (presence) {
    case Presence::kAlive:
      return "alive (heartbeat " + Seconds(age_ms) + " ago)";
    case Presence::kStale:
      return "node not alive: last heartbeat " + Seconds(age_ms) + " ago";
    case Presence::kStopped:
      return "node not alive: stopped cleanly " + Seconds(age_ms) + " ago";
    case Presence::kNoHeartbeat:
      return "node not alive: no heartbeat in its database (never started, or an older tss)";
    case Presence::kDatabaseUnreachable:
      break;
  }
  return "database unreachable: " + error;
}

json NodeHealth::Json() const {
  json j{{"alive", alive()}, {"presence", PresenceName(presence)}, {"detail", Describe()}};
  if (beat) {
    j["heartbeat"] = {{"beat_at", beat->beat_at},
                      {"age_ms", age_ms},
                      {"started_at", beat->started_at},
                      {"interval_ms", beat->interval_ms},
                      {"stopped", beat->stopped}};
    j["peers"] = beat->peers;
  }
  return j;
}

json KeyStateJson(const core::KeyState& k, const std::vector<std::string>& registered) {
  json j = api::KeyJson(k);
  j["holders_differ"] = nullptr;
  // Rows an older version wrote name no holders: nothing to compare.
  if (!registered.empty() && !k.holders.empty())
    if (auto change = core::CompareHolders(k.holders, registered); !change.empty())
      j["holders_differ"] = {{"joining", change.joining}, {"leaving", change.leaving}};
  return j;
}

std::string KeyStateText(const json& k) {
  std::string text = "  key " + k["key_id"].get<std::string>() + "  " +
                     k["public_key"].get<std::string>() + "\n    generation " +
                     std::to_string(k["active"]["generation"].get<uint32_t>()) + " active (" +
                     ShortFingerprint(k["active"]) + ")";
  if (!k["pending"].is_null())
    text += ", " + std::to_string(k["pending"]["generation"].get<uint32_t>()) +
            " pending confirmation (" + ShortFingerprint(k["pending"]) + ")";
  if (!k["previous"].is_null())
    text += ", " + std::to_string(k["previous"]["generation"].get<uint32_t>()) + " retained (" +
            ShortFingerprint(k["previous"]) + ")";
  text += "\n";
  if (k.contains("holders") && !k["holders"].empty()) {
    std::string holders;
    for (const auto& h : k["holders"])
      holders += (holders.empty() ? "" : ", ") + h.get<std::string>();
    text += "    " + std::to_string(k["threshold"].get<int>()) + "-of-" +
            std::to_string(k["holders"].size()) + ", held by " + holders + "\n";
  }
  if (k.contains("holders_differ") && !k["holders_differ"].is_null()) {
    auto list = [](const json& v) {
      std::string out;
      for (const auto& a : v) out += (out.empty() ? "" : ", ") + a.get<std::string>();
      return out.empty() ? std::string("none") : out;
    };
    text += "    HOLDERS DIFFER FROM THE REGISTERED VALIDATORS (registered without a share: " +
            list(k["holders_differ"]["joining"]) +
            "; holding, not registered: " + list(k["holders_differ"]["leaving"]) +
            "): tss quorumchange --key-id " + k["key_id"].get<std::string>() + "\n";
  }
  if (k["needs_refresh"].get<bool>()) {
    std::string culprits;
    for (const auto& c : k["culprits"]) culprits += " " + c.get<std::string>();
    text += "    NEEDS REFRESH (blamed:" + culprits + ")\n";
  }
  return text;
}

}  // namespace tss::cli

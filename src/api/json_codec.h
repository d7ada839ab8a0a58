// api/json_codec.h — the JSON forms of events, key states and heartbeats that the API serves and
// its client (api/client.h, the `tss` commands) reads back: one codec, so the two never drift.
// Included by api/ and cmd/tss/ sources only (it brings nlohmann/json.hpp).
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "core/event.h"

namespace tss::api {

// {"event_id", "protocol", "status", "block_number", "expiry_height", "attempts", "created_at",
// "updated_at", "key_id"?, "message_hash"? (hex), "chain_path"?, "result"? (the result column's
// JSON), "error"?, "culprit"? (FAILED: the validator the error names), "defect"?}
nlohmann::json EventJson(const core::Event& event);
Result<core::Event> EventOfJson(const nlohmann::json& json);

// {"key_id", "public_key", "active": {"generation", "fingerprint"}, "pending", "previous" (each
// such an object or null), "needs_refresh", "culprits"}
nlohmann::json KeyJson(const core::KeyState& key);
Result<core::KeyState> KeyOfJson(const nlohmann::json& json);

// {"validator", "beat_at", "started_at", "interval_ms", "stopped", "peers": {address: liveness}}
nlohmann::json HeartbeatJson(const core::Heartbeat& beat);
Result<core::Heartbeat> HeartbeatOfJson(const nlohmann::json& json);

}  // namespace tss::api

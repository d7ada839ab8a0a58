// eventstore/event_store.h — the database of TSS events (seed: "eventstore/").
//
// Owns: the `tss_events` table (one schema in SQLite and PostgreSQL), creating and reading
// events, and every status change as a compare-and-set (`UPDATE … WHERE status = expected`), so
// two actors can never both move one event; `tss_runs`, the protocol run ids this node has
// started (each at most once, ever); `tss_keys`, the public state of each key this node holds
// (what `tss status` shows: culprits blamed on it, whether it needs a refresh). Must not touch:
// what events mean (the coordinator and session manager decide) — this is storage only.
// Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace tss::eventstore {

enum class Status { kPending, kInProgress, kSuccess, kFailed, kExpired };
const char* StatusName(Status s);  // "PENDING", "IN_PROGRESS", ...
Result<Status> ParseStatus(std::string_view name);

struct Event {
  std::string event_id;
  uint64_t block_number = 0;
  std::string protocol_type;  // KEYGEN | KEYREFRESH | SIGN
  Status status = Status::kPending;
  uint64_t expiry_height = 0;  // 0: never expires
  std::string event_data;      // JSON: key_id, message_hash, chain_path
  std::string result;          // JSON, on SUCCESS
  std::string error;           // on FAILED
  int64_t attempts = 0;        // times the event went IN_PROGRESS
  int64_t created_at = 0;      // Unix milliseconds
  int64_t updated_at = 0;
};

// The public state of one key at this node, mirrored from its key-share file for operators.
struct KeyState {
  std::string key_id;
  std::string public_key;  // hex, compressed
  bool needs_refresh = false;
  std::vector<std::string> culprits;  // validators blamed for a failed check since the last refresh
};

class EventStore {
 public:
  virtual ~EventStore() = default;
  // Inserts a PENDING event; kAlreadyExists if the id is taken.
  virtual ::tss::Status CreateEvent(const Event& event) = 0;
  virtual Result<std::optional<Event>> GetEvent(const std::string& event_id) = 0;
  // PENDING events with block_number <= current_block, oldest block first.
  virtual Result<std::vector<Event>> GetPendingEvents(uint64_t current_block, size_t limit) = 0;
  virtual Result<std::vector<Event>> GetEventsByStatus(Status status, size_t limit) = 0;
  virtual Result<std::vector<Event>> ListEvents(size_t limit) = 0;  // newest first
  // Compare-and-set: true when the event was in `from` and is now in `to`. Moving to
  // IN_PROGRESS counts an attempt; `result`/`error` are written when given.
  virtual Result<bool> UpdateStatus(const std::string& event_id, Status from, Status to,
                                    const std::string& result = "",
                                    const std::string& error = "") = 0;
  // The same, also setting block_number (a retry at a later block).
  virtual Result<bool> UpdateStatusAndBlockHeight(const std::string& event_id, Status from,
                                                  Status to, uint64_t block_number) = 0;
  // Crash recovery: every IN_PROGRESS event back to PENDING; returns how many.
  virtual Result<size_t> ResetInProgressEventsToPending() = 0;
  // PENDING events with 0 < expiry_height < current_block become EXPIRED; returns how many.
  virtual Result<size_t> ExpirePendingEvents(uint64_t current_block) = 0;

  // Records that this node starts protocol run `run_id` (hex); false when it was recorded
  // before. Durable once it returns: a run id is refused forever after, across restarts.
  virtual Result<bool> RecordRun(const std::string& run_id, const std::string& event_id) = 0;
  // Inserts or replaces the state of `key.key_id`.
  virtual ::tss::Status SaveKeyState(const KeyState& key) = 0;
  virtual Result<std::vector<KeyState>> ListKeyStates() = 0;
};

// "postgres://…" / "postgresql://…" opens PostgreSQL; anything else is a SQLite file path
// (created if missing, WAL mode). The schema is created if absent.
Result<std::unique_ptr<EventStore>> OpenEventStore(const std::string& url_or_path);

}  // namespace tss::eventstore

// core/event.h — what an event is, in the one vocabulary every layer uses: the event store
// keeps these, the coordinator and the session manager act on them, the CLI prints them.
//
// Owns: ProtocolType and EventStatus (and their names in the database and on screen), Event
// (one row of `tss_events`, its event_data already read into typed fields), KeyState (what an
// operator sees of a key and its generations), Heartbeat (a node's periodic sign of life and its
// view of its peers), and CheckEvent, the rule for which events this node can process.
// Must not touch: storage (eventstore/ reads and writes rows), decisions about an event.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace tss::core {

enum class ProtocolType : uint8_t { kKeygen = 1, kKeyrefresh = 2, kSign = 3 };
const char* ProtocolTypeName(ProtocolType p);  // "KEYGEN", "KEYREFRESH", "SIGN"
Result<ProtocolType> ParseProtocolType(std::string_view name);

enum class EventStatus : uint8_t { kPending, kInProgress, kSuccess, kFailed, kExpired };
const char* EventStatusName(EventStatus s);  // "PENDING", "IN_PROGRESS", ...
Result<EventStatus> ParseEventStatus(std::string_view name);

struct Event {
  std::string event_id;
  uint64_t block_number = 0;
  ProtocolType protocol = ProtocolType::kKeygen;
  EventStatus status = EventStatus::kPending;
  uint64_t expiry_height = 0;  // 0: never expires
  // What the event asks for (the row's event_data).
  std::string key_id;  // keygen: the requested id, may be empty
  Bytes message_hash;  // sign: 32 bytes
  std::string chain_path;
  // Why the row could not be read whole (event_data that is not the JSON object we expect, a
  // protocol this version does not know); empty for a well-formed row. Rows come from outside
  // (the CLI, a chain watcher, an operator's INSERT), so a bad one is data, not an exception.
  std::string defect;
  std::string result;      // JSON, on SUCCESS
  std::string error;       // on FAILED
  int64_t attempts = 0;    // times the event went IN_PROGRESS
  int64_t created_at = 0;  // Unix milliseconds
  int64_t updated_at = 0;
};

// OK when this node can process `event`; otherwise why not, naming the event. A row with a
// defect, a sign without a 32-byte hash, a refresh or sign without a key id, and a chain path
// on anything but a sign or that bip32::ParsePath refuses (a hardened step — a threshold key
// has no private key to derive it — or a malformed path) are refused: signing with the root
// key, or another child, where a derived key was asked for would debit the wrong account.
Status CheckEvent(const Event& event);

// One generation of a key's sharing as operators see it (KeyRecord keeps the secret side).
struct KeyGeneration {
  uint32_t number = 0;
  std::string fingerprint;  // hex of the sharing's public fingerprint (all zero before v3 records)
  bool operator==(const KeyGeneration&) const = default;
};

// The public state of one key at this node, mirrored from its key-share file for operators.
struct KeyState {
  std::string key_id;
  std::string public_key;  // hex, compressed
  bool needs_refresh = false;
  std::vector<std::string> culprits;  // validators blamed for a failed check since the last refresh
  KeyGeneration active;               // the generation that signs
  std::optional<KeyGeneration> pending;   // made by a refresh, awaiting every holder's confirmation
  std::optional<KeyGeneration> previous;  // the one `active` replaced, retained until all confirm
  uint16_t threshold = 0;                 // signers a signature needs (0: mirrored by an old build)
  std::vector<std::string> holders = {};  // validator addresses of the key's holders, by party
};

// A node's sign of life, which it writes into its own database every `interval_ms` (and once
// more, with `stopped`, on a clean shutdown): the `tss` commands read it to tell a running node
// from a stopped one without talking to the node.
struct Heartbeat {
  std::string validator;    // the node's validator address
  int64_t beat_at = 0;      // Unix milliseconds, by the node's clock
  int64_t started_at = 0;   // when this node process started (Unix milliseconds)
  int64_t interval_ms = 0;  // how often it beats: a reader judges staleness against it
  bool stopped = false;     // the node shut down cleanly; no further beat follows
  // The node's liveness view of each other validator (networking's PeerLivenessName:
  // "connected", "unreachable" or "unknown").
  std::map<std::string, std::string> peers;
  bool operator==(const Heartbeat&) const = default;
};

}  // namespace tss::core

// core/event.h — what an event is, in the one vocabulary every layer uses: the event store
// keeps these, the coordinator and the session manager act on them, the CLI prints them.
//
// Owns: ProtocolType and EventStatus (and their names in the database and on screen), Event
// (one row of `tss_events`, its event_data already read into typed fields), KeyState (what an
// operator sees of a key), and CheckEvent, the rule for which events this node can process.
// Must not touch: storage (eventstore/ reads and writes rows), decisions about an event.
#pragma once

#include <cstdint>
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
// defect, a sign without a 32-byte hash, a refresh or sign without a key id, and (until key
// derivation exists) any chain path are refused: signing with the root key where a derived key
// was asked for would debit the wrong account.
Status CheckEvent(const Event& event);

// The public state of one key at this node, mirrored from its key-share file for operators.
struct KeyState {
  std::string key_id;
  std::string public_key;  // hex, compressed
  bool needs_refresh = false;
  std::vector<std::string> culprits;  // validators blamed for a failed check since the last refresh
  // The active generation (0 after keygen, +1 per refresh) and its fingerprint (hex of
  // dkls::KeyShare::Fingerprint): equal at every holder once a keygen or refresh is committed.
  uint32_t generation = 0;
  std::string fingerprint;
};

}  // namespace tss::core

// coordinator/ports.h — what the coordinator and the session manager need from the rest of
// the node, as small interfaces.
//
// Owns: the seams (events, outgoing messages, key shares, blocks, clock, protocol sessions).
// The node adapts the real event store, key-share files, libp2p network and DKLs23 sessions
// to these; tests can run a whole cluster in one process through them. Must not touch:
// any implementation.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/secure.h"
#include "common/status.h"
#include "coordinator/messages.h"

namespace tss::coordinator {

enum class EventStatus { kPending, kInProgress, kSuccess, kFailed, kExpired };
const char* EventStatusName(EventStatus s);  // "PENDING", ...

// The fields of an event row the node logic reads.
struct EventView {
  std::string event_id;
  uint64_t block_number = 0;
  ProtocolType protocol = ProtocolType::kKeygen;
  EventStatus status = EventStatus::kPending;
  uint64_t expiry_height = 0;  // 0: never expires
  std::string key_id;
  Bytes message_hash;  // sign only
  std::string chain_path;
};

// What a status move writes besides the status.
struct Transition {
  std::optional<uint64_t> block_number;  // retry: move the event to a later block
  std::string result;                    // SUCCESS: JSON text
  std::string error;                     // FAILED: why, naming the culprit
};

class EventAccess {
 public:
  virtual ~EventAccess() = default;
  // PENDING events with block_number <= current_block, oldest first.
  virtual Result<std::vector<EventView>> Pending(uint64_t current_block, size_t limit) = 0;
  virtual Result<std::optional<EventView>> Get(const std::string& event_id) = 0;
  // Compare-and-set: moves the event only if it is in `from`; false when it was not.
  virtual Result<bool> Move(const std::string& event_id, EventStatus from, EventStatus to,
                            const Transition& extra) = 0;
  // PENDING events whose expiry height is below current_block become EXPIRED; returns how many.
  virtual Result<size_t> ExpirePending(uint64_t current_block) = 0;
  // Start-up crash recovery: every IN_PROGRESS event back to PENDING; returns how many.
  virtual Result<size_t> ResetInProgressToPending() = 0;
  // Durably records that we start protocol run `run_id`; false if we ever recorded it before.
  virtual Result<bool> RecordRun(const SessionId& run_id, const std::string& event_id) = 0;
};

// Delivers a node message to a validator (possibly ourselves). Never blocks; delivery failures
// are the network's to log — the protocol's timeouts recover from lost messages.
class Outbox {
 public:
  virtual ~Outbox() = default;
  virtual void Send(const std::string& to_address, const NodeMessage& message) = 0;
};

class BlockSource {
 public:
  virtual ~BlockSource() = default;
  virtual uint64_t CurrentBlock() = 0;
};

// Block = Unix seconds, as the reference tool does (DESIGN.md §6).
class ClockBlockSource final : public BlockSource {
 public:
  uint64_t CurrentBlock() override;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point Now() = 0;
};

class SteadyClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return std::chrono::steady_clock::now(); }
};

// A key share as the node keeps it: the protocol's share plus who holds the other shares.
struct KeyRecord {
  std::string key_id;
  std::vector<std::string> participants;  // validator addresses; party index = position + 1
  uint16_t threshold = 0;
  Bytes public_key;   // 33-byte compressed
  SecureBytes share;  // the protocol's serialized key share (secret)
  // Validators this node blamed for a failed protocol check on this key since its last refresh
  // (sorted). They sign with us no more, and the key needs a refresh (fresh OT material) — a
  // refresh starts the list afresh.
  std::vector<std::string> culprits;

  bool NeedsRefresh() const { return !culprits.empty(); }
};

class KeyAccess {
 public:
  virtual ~KeyAccess() = default;
  virtual Result<KeyRecord> Load(const std::string& key_id) = 0;
  virtual bool Exists(const std::string& key_id) = 0;
  // replace=false refuses to overwrite an existing key id; replace=true swaps atomically.
  virtual Status Save(const KeyRecord& record, bool replace) = 0;
  // Files a sign event's verified result (seed: key shares "and signatures" are saved).
  virtual Status SaveSignature(const std::string& event_id, const std::string& result_json) = 0;
  // Mirrors the key's public state (culprits, needs refresh) where operators look (tss status).
  virtual Status PublishState(const KeyRecord& record) = 0;
};

// One run of a threshold protocol at this party, driven by opaque messages.
class ProtocolSession {
 public:
  struct Outgoing {
    std::optional<int> to_party;  // nullopt: every other participant
    Bytes payload;
  };
  // What a finished session produced.
  struct Outcome {
    std::optional<KeyRecord> key;            // keygen, keyrefresh
    std::optional<SignatureBody> signature;  // sign: what observers are sent
    std::string result_json;                 // what goes into the event's result column
  };
  virtual ~ProtocolSession() = default;
  virtual Result<std::vector<Outgoing>> Start() = 0;
  // Errors name the culprit party (Status::culprit()) when one can be blamed.
  // kNotFound: the message belongs to another run of this attempt (dropped, nobody blamed).
  virtual Result<std::vector<Outgoing>> Handle(int from_party, ByteSpan payload) = 0;
  virtual bool Done() const = 0;
  virtual Result<Outcome> Finish() = 0;
  // After a failure: the party whose pairwise OT material with us failed a check and must never
  // be used again (it may have leaked a bit of our secret to that party). Set before the error
  // is returned.
  virtual std::optional<int> BurnedPeer() const = 0;
};

class ProtocolFactory {
 public:
  virtual ~ProtocolFactory() = default;
  // `key` is the loaded key for keyrefresh and sign, null for keygen. `my_party` is 1-based.
  // `run_id` is the run's single-use id (RunId of the attempt), which the protocol binds.
  virtual Result<std::unique_ptr<ProtocolSession>> Create(const std::string& event_id,
                                                          const SetupBody& setup,
                                                          const SessionId& run_id, int my_party,
                                                          const KeyRecord* key) = 0;
  // Whether Create could run this setup with our share (e.g. no burned pair among the
  // signers), checked before we ACK.
  virtual Status CanRun(const SetupBody& setup, int my_party, const KeyRecord* key) = 0;
  // Marks the pair between us and `party` burned in `key.share` (its OT material wiped).
  virtual Status Burn(KeyRecord& key, int party) = 0;
  // Checks a signature reported by a signer (an observer's only evidence) whole — r and s
  // against the key's public key and the setup's hash, and the recovery id against the key —
  // and returns the result JSON to record.
  virtual Result<std::string> AcceptSignature(const SetupBody& setup, const KeyRecord& key,
                                              const SignatureBody& signature) = 0;
};

}  // namespace tss::coordinator

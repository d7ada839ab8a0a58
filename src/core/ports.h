// core/ports.h — what the coordinator and the session manager need from the rest of the node,
// as small interfaces (the seams).
//
// Owns: the port interfaces — the event store, key records, outgoing messages, blocks, clock,
// protocol sessions — and the typed outcome of a session. eventstore/ and keyshare/ implement
// the stores, node/ the outbox and the DKLs23 sessions; tests run a whole cluster in one process
// through them. Must not touch: any implementation.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "core/event.h"
#include "core/key_record.h"
#include "core/messages.h"

namespace tss::core {

class Roster;

// What a status move writes besides the status; every field given is written, in the same
// compare-and-set statement.
struct EventChange {
  std::optional<uint64_t> block_number;  // a retry: the event moves to this later block
  std::string result;                    // SUCCESS: JSON text
  std::string error;                     // FAILED: why, naming the culprit

  static EventChange RetryAt(uint64_t block) {
    EventChange c;
    c.block_number = block;
    return c;
  }
  static EventChange WithResult(std::string json) {
    EventChange c;
    c.result = std::move(json);
    return c;
  }
  static EventChange WithError(std::string why) {
    EventChange c;
    c.error = std::move(why);
    return c;
  }
};

// How many events one (protocol, status) pair has in a store, and how long its events took from
// creation to their last status change (for metrics: rows are never deleted, so every figure
// here only grows while the status lasts).
struct EventTally {
  // The bounds (milliseconds) of the duration histogram's buckets, ascending.
  static constexpr std::array<int64_t, 12> kBucketsMs = {
      100, 250, 500, 1'000, 2'500, 5'000, 10'000, 30'000, 60'000, 180'000, 600'000, 3'600'000};
  ProtocolType protocol = ProtocolType::kKeygen;
  EventStatus status = EventStatus::kPending;
  uint64_t count = 0;
  int64_t duration_ms_sum = 0;                        // of updated_at - created_at
  std::array<uint64_t, kBucketsMs.size()> at_most{};  // events that took at most kBucketsMs[i]
};

// The database of events (eventstore/ implements it on SQLite and PostgreSQL). Every status
// change is a compare-and-set, so two actors never both move one event. Thread-safe.
class EventStore {
 public:
  virtual ~EventStore() = default;
  // Inserts a PENDING event (status, result, error, attempts and times are the store's);
  // kAlreadyExists if the id is taken.
  virtual Status Create(const Event& event) = 0;
  virtual Result<std::optional<Event>> Get(const std::string& event_id) = 0;
  // PENDING events with block_number <= current_block, oldest block first; rows with a defect
  // included (see CheckEvent), so that the caller can fail them.
  virtual Result<std::vector<Event>> Pending(uint64_t current_block, size_t limit) = 0;
  virtual Result<std::vector<Event>> WithStatus(EventStatus status, size_t limit) = 0;
  virtual Result<std::vector<Event>> List(size_t limit) = 0;  // newest first
  // Every (protocol, status) pair that has events, with its counts (rows of a protocol this
  // version does not know are left out).
  virtual Result<std::vector<EventTally>> Tally() = 0;
  // Compare-and-set: moves the event to `to` only if it is in `from`, writing `change` with it;
  // false when it was not in `from`. Moving to IN_PROGRESS counts an attempt.
  virtual Result<bool> Move(const std::string& event_id, EventStatus from, EventStatus to,
                            const EventChange& change = {}) = 0;
  // Start-up crash recovery: every IN_PROGRESS event back to PENDING; returns how many.
  virtual Result<size_t> ResetInProgressToPending() = 0;
  // PENDING events with 0 < expiry_height < current_block become EXPIRED; returns how many.
  virtual Result<size_t> ExpirePending(uint64_t current_block) = 0;
  // Durably records that this node starts protocol run `run_id`; false when it was recorded
  // before. A run id is refused forever after, across restarts.
  virtual Result<bool> RecordRun(const SessionId& run_id, const std::string& event_id) = 0;
  // Inserts or replaces the public state of `key.key_id` (tss_keys).
  virtual Status SaveKeyState(const KeyState& key) = 0;
  virtual Result<std::vector<KeyState>> ListKeyStates() = 0;
  // Deletes the public state of a key this node no longer holds (a quorum change's leaver).
  virtual Status RemoveKeyState(const std::string& key_id) = 0;
  // Inserts or replaces the heartbeat row of `beat.validator` (tss_heartbeats).
  virtual Status SaveHeartbeat(const Heartbeat& beat) = 0;
  // Every heartbeat row, by validator address (one per node writing into this database).
  virtual Result<std::vector<Heartbeat>> ListHeartbeats() = 0;
};

// The node's key records (keyshare/ seals them into encrypted files).
class KeyStore {
 public:
  virtual ~KeyStore() = default;
  // The record, whatever its lifecycle state (active, or only pending: see KeyRecord::Active).
  virtual Result<KeyRecord> Load(const std::string& key_id) = 0;
  // Whether the key has an active generation (a record that is only pending does not count).
  virtual bool Exists(const std::string& key_id) = 0;
  // Every key id with a record, active or pending.
  virtual Result<std::vector<std::string>> List() = 0;
  // Deletes a key's record durably (a keygen whose pending share was discarded, a leaver's share
  // once the quorum change that moved the key is active), and its public state.
  virtual Status Remove(const std::string& key_id) = 0;
  // replace=false refuses to overwrite an existing key id; replace=true swaps atomically. The
  // key's public state is mirrored where operators look (tss status) once the file is written.
  virtual Status Save(const KeyRecord& record, bool replace) = 0;
  // Writes the record's public state where operators look (Save does it too); the node does it
  // for every key at start-up, so that a database an older version wrote shows generations.
  virtual Status Mirror(const KeyRecord& record) = 0;
  // Files a sign event's verified result (seed: key shares "and signatures" are saved).
  virtual Status SaveSignature(const std::string& event_id, const std::string& result_json) = 0;
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

// Unix time in milliseconds (the wall clock): what rows and heartbeats are stamped with, and
// what readers compare their age against. Durations use Clock.
int64_t UnixMillis();

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point Now() = 0;
};

class SteadyClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return std::chrono::steady_clock::now(); }
};

// What a keygen, keyrefresh or quorum change produced: the new record (to be saved) and its
// generation. A quorum change's leaving dealer gets the new holders and threshold with no share.
struct NewKey {
  KeyRecord record;
  uint32_t generation = 0;       // 0 after keygen, +1 per refresh
  KeyFingerprint fingerprint{};  // of the new sharing: what the confirmation round compares
  Bytes chain_code;              // the key's BIP32 chain code (32 bytes; empty if it has none)
};
// What a finished session produced: a key, or a signature.
using Outcome = std::variant<NewKey, SignatureBody>;

// One run of a threshold protocol at this party, driven by steps.
class ProtocolSession {
 public:
  virtual ~ProtocolSession() = default;
  virtual Result<std::vector<Step>> Start() = 0;
  // `from_party` is the authenticated sender's party index. Errors name the culprit party
  // (Status::culprit()) when one can be blamed.
  virtual Result<std::vector<Step>> Handle(int from_party, const Step& step) = 0;
  // Whether `step` belongs to this run as we run it; checked before Handle. A sign's first-round
  // step names the sharing its sender signs with (its fingerprint), and every honest signer
  // signs with the generation BEGIN named: a step of another sharing means the coordinator named
  // the signers different generations, or the sender deviates. The caller drops it as it drops a
  // step of another run id, blaming nobody (the fault may be the coordinator's). Keygen and
  // keyrefresh steps: always true.
  virtual bool OfThisRun(int from_party, const Step& step) const = 0;
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
  // `key` is the loaded key for keyrefresh and sign, null for keygen; we are `roster.me()`. Its
  // active share is the one used: for a sign, the session manager hands the record at the
  // generation BEGIN named (KeyRecord::AtGeneration). `run_id` is the run's single-use id (RunId
  // of the attempt), which the protocol binds.
  virtual Result<std::unique_ptr<ProtocolSession>> Create(const SetupBody& setup,
                                                          const Roster& roster,
                                                          const SessionId& run_id,
                                                          const KeyRecord* key) = 0;
  // Whether Create could run this setup with our share (e.g. no burned pair among the
  // signers), checked before we ACK: for a sign, once for each generation we would offer.
  virtual Status CanRun(const SetupBody& setup, const Roster& roster, const KeyRecord* key) = 0;
  // Marks the pair between us and `party` burned in `key.share` (its OT material wiped).
  virtual Status Burn(KeyRecord& key, int party) = 0;
  // The public key a sign event at `chain_path` (its event_data's) signs for, 33 bytes
  // compressed: the key's own for an empty path, else its BIP32 non-hardened child, derived
  // from the group key and the chain code in our share of it. kInvalidArgument saying why for a
  // path that does not parse (a hardened step, malformed) or a share with no chain code.
  virtual Result<Bytes> SigningKey(const KeyRecord& key, const std::string& chain_path) = 0;
  // The protocol's id of `key` (dkls::KeyShare::key_id, from our active share), which a quorum
  // change's setup names for the validators that join.
  virtual Result<std::array<uint8_t, 32>> ProtocolKeyId(const KeyRecord& key) = 0;
  // The BIP32 chain code in our active share of `key` (32 bytes; empty when the share has none,
  // or the key no active share).
  virtual Result<Bytes> ChainCode(const KeyRecord& key) = 0;
  // Checks a signature (our own, or one a signer reported: an observer's only evidence) whole:
  // r and s against `public_key` (SigningKey's) and `message_hash`, and the recovery id
  // against that key.
  virtual Status VerifySignature(ByteSpan public_key, ByteSpan message_hash,
                                 const SignatureBody& signature) = 0;
};

// The result column of finished events: the same JSON whether we signed or observed.
// `public_key` is the key the signature is for (ProtocolFactory::SigningKey); with a chain path
// the JSON also carries `root_public_key` (the key's own) and `chain_path`.
std::string SignatureResultJson(const KeyRecord& key, ByteSpan public_key,
                                const std::string& chain_path, ByteSpan message_hash,
                                const SignatureBody& signature);
// A keygen's, keyrefresh's or quorum change's result: key id, public key and generation, the
// holders (`participants`, party index = position + 1) and `threshold` when the record names
// them, and for a key with a chain code that code (hex) and the key's BIP32 `xpub` at depth 0.
std::string KeyResultJson(const NewKey& key);
// The signature in a SignatureResultJson (r, s, v); an error for anything else. Verifying it is
// the reader's part.
Result<SignatureBody> SignatureOfResultJson(const std::string& json);

}  // namespace tss::core

// core/messages.h — the messages nodes exchange over `/tss/2.0.0` to drive an event.
//
// Owns: NodeMessage (setup, ack, nack, begin, step, result, commit) and its strict, versioned
// wire encoding. The coordinator sends setup and begin; participants answer ack/nack; steps
// carry one protocol round's message from one party; commit messages are the confirmation round
// that ends a keygen, keyrefresh or quorum change (sessionmanager/session_manager.h has its rules).
// Must not touch: sessions, storage, network.
//
// One envelope: a step names its run by `session_id` (the run id below, which is also the id
// the DKLs23 session runs under) and carries round, recipient and payload. It has no sender
// field: the receiver takes the sender from the authenticated peer, once.
//
// Wire (all integers big-endian, strings and byte fields uvarint-length-prefixed):
//   u8 version (=4) | u8 type | str event_id | 32 bytes session_id | type-specific body
//   setup: u8 protocol | u64 block_number | u64 nonce | u16 threshold | uvarint count,
//          str participant... | str key_id | bytes message_hash (0 or 32) | str chain_path |
//          uvarint count, str excluded... | quorum change only: uvarint count, str old holder...
//          | u16 new_n | 32 bytes key digest (QuorumChangeLayout)
//   ack:   32 bytes contribution | uvarint count (<= 2), (u32 generation | 32 bytes
//          fingerprint)... (a sign's ACK: the generations of the key the participant can sign
//          with, its active one and its retained previous one, newest first, numbers strictly
//          decreasing; empty for keygen and keyrefresh)
//   nack:  str reason | uvarint count, str refused...
//   begin: uvarint count, 32 bytes contribution... (one per participant, in setup order)
//          | u8 has_generation (0 or 1) [ u32 generation | 32 bytes fingerprint ] (1 exactly for
//          a sign: the generation every signer signs with, one each of them offered in its ACK)
//   step:  u8 round (>= 1) | u16 to (party index, 0 = every other participant) | bytes payload
//   result: 32 bytes r | 32 bytes s | u8 v (a signature, sent by each signer to the key's
//          other holders, signers included; every receiver verifies all three)
//   commit: u8 stage (1 confirm, 2 active, 3 abort, 4 failed) | u8 ask (0 or 1) | str key_id
//          | u32 generation | 32 bytes fingerprint (a keygen / keyrefresh run's confirmation
//          round; session_id is the run id; key_id is empty only in an abort or failure)
//
// Single-use runs. The session id of setup, ack, nack, begin and result names an attempt (the
// coordinator's setup); the protocol runs
// under RunId(session id, contributions), where every participant's contribution is 32 fresh
// random bytes it sent in its ACK and finds again in BEGIN. No coordinator, however malicious,
// can make an honest party run a protocol under an id it has run before.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "core/event.h"
#include "core/key_record.h"

namespace tss::core {

enum class MessageType : uint8_t {
  kSetup = 1,
  kAck = 2,
  kNack = 3,
  kBegin = 4,
  kStep = 5,
  kResult = 6,
  kCommit = 7
};
const char* MessageTypeName(MessageType t);

using SessionId = std::array<uint8_t, 32>;
using Contribution = std::array<uint8_t, 32>;

// What a quorum change's setup fixes beyond the participants (every participant re-checks it
// against its own key record and validator view; sessionmanager/session_manager.h).
struct QuorumChangeLayout {
  // The key's holders now, in the key's order: a holder's old index is its position plus one.
  std::vector<std::string> old_holders;
  // The first new_n participants are the new holders (the validators registered now, sorted: new
  // index = position + 1); the rest are old holders that leave and take part only to deal.
  uint16_t new_n = 0;
  // The protocol's id of the key (dkls::KeyShare::key_id), which every dealer must show: a
  // joining validator, which holds nothing of the key, knows it only from here.
  std::array<uint8_t, 32> key_digest{};

  bool operator==(const QuorumChangeLayout&) const = default;
};

struct SetupBody {
  ProtocolType protocol = ProtocolType::kKeygen;
  uint64_t block_number = 0;  // the block at which the coordinator chose itself
  uint64_t nonce = 0;         // the coordinator's attempt nonce: every attempt gets a fresh session
  uint16_t threshold = 0;
  // Validator addresses, distinct. Keygen: every registered validator, sorted, and a party's
  // index is its position plus one; refresh: the key's holders in the key's order; sign: the
  // drawn signers, sorted (their party indices are their positions among the key's holders,
  // see Roster); quorum change: the new holders, then the leaving dealers (QuorumChangeLayout),
  // a party's id is its position plus one.
  std::vector<std::string> participants;
  std::string key_id;      // keygen: the requested key id, may be empty
  Bytes message_hash;      // 32 bytes for sign, empty otherwise
  std::string chain_path;  // optional, sign only
  // Sign only: key holders the coordinator leaves out of the draw (a validator blamed for a
  // failed check, or one a holder refuses to sign with). Sorted, distinct.
  std::vector<std::string> excluded;
  // Quorum change only (and always there for one).
  std::optional<QuorumChangeLayout> quorum;

  bool operator==(const SetupBody&) const = default;
};

// A signature as nodes pass it to observers: r and s (32 bytes each, big-endian) and the
// recovery id.
struct SignatureBody {
  std::array<uint8_t, 32> r{};
  std::array<uint8_t, 32> s{};
  uint8_t v = 0;  // 0..3

  bool operator==(const SignatureBody&) const = default;
};

// One protocol round's message from one party: what a step carries, and what a protocol
// session consumes and produces.
struct Step {
  uint8_t round = 0;  // 1-based
  uint16_t to = 0;    // party index; 0: every other participant
  // May hold secrets meant for the recipient alone (keygen round 2 carries a share f_i(j)).
  Bytes payload;

  bool operator==(const Step&) const = default;
};

// The confirmation round of a keygen / keyrefresh run (the run id is the message's session id).
enum class CommitStage : uint8_t {
  kConfirm = 1,  // the sender holds this generation durably, pending
  kActive = 2,   // the sender activated it (so every holder had confirmed it)
  kAbort = 3,    // the sender holds no share of this run and never will (its run expired, died
                 // with a restart, or another holder gave it up): the event is retried
  kFailed = 4,   // the same, because the run failed a protocol check or the holders disagreed:
                 // the event fails
};
const char* CommitStageName(CommitStage s);

struct CommitBody {
  CommitStage stage = CommitStage::kConfirm;
  bool ask = false;    // the receiver should answer with its own stage for this run
  std::string key_id;  // empty only in an abort or failure (a keygen that never finished has none)
  uint32_t generation = 0;
  std::array<uint8_t, 32> fingerprint{};  // dkls::KeyShare::Fingerprint of the generation

  bool operator==(const CommitBody&) const = default;
};

struct NodeMessage {
  static constexpr uint8_t kVersion = 4;
  // Limits that keep a hostile peer from making us allocate: far above any real use.
  static constexpr size_t kMaxEventIdLength = 128;
  static constexpr size_t kMaxParticipants = 256;
  static constexpr size_t kMaxAddressLength = 256;
  static constexpr size_t kMaxPayload = 16 << 20;
  // A holder signs with at most two generations of a key: its active one and the retained one.
  static constexpr size_t kMaxGenerations = 2;

  MessageType type = MessageType::kAck;
  std::string event_id;
  SessionId session_id{};
  SetupBody setup;              // kSetup only
  Contribution contribution{};  // kAck only
  // kAck of a sign only: the generations we can sign with, newest first (KeyRecord::
  // SigningGenerations).
  std::vector<GenerationId> generations;
  std::vector<Contribution> contributions;  // kBegin only, in setup.participants order
  std::optional<GenerationId> generation;   // kBegin of a sign only: the one to sign with
  std::string reason;                       // kNack only
  std::vector<std::string> refused;         // kNack only: validators we will not sign with
  Step step;                                // kStep only
  SignatureBody signature;                  // kResult only
  CommitBody commit;                        // kCommit only

  Bytes Encode() const;
  // Refuses anything not produced by Encode(): unknown version/type, over-long fields,
  // trailing bytes, a wrong-size hash, duplicate participants, more than kMaxGenerations
  // generations or ones not newest first.
  static Result<NodeMessage> Decode(ByteSpan bytes);

  bool operator==(const NodeMessage&) const = default;
};

// The id a protocol run uses (and its steps carry): the attempt's session id bound to every
// participant's contribution, in setup order.
SessionId RunId(const SessionId& session_id, const std::vector<Contribution>& contributions);

}  // namespace tss::core

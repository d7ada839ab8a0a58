// coordinator/messages.h — the messages nodes exchange over `/tss/2.0.0` to drive an event.
//
// Owns: NodeMessage (setup, ack, nack, begin, step) and its strict, versioned wire encoding.
// The coordinator sends setup and begin; participants answer ack/nack; protocol steps carry
// the DKLs23 session's own messages as opaque bytes. Must not touch: sessions, storage, network.
//
// Wire (all integers big-endian, strings and byte fields uvarint-length-prefixed):
//   u8 version (=2) | u8 type | str event_id | 32 bytes session_id | type-specific body
//   setup: u8 protocol | u64 block_number | u64 nonce | u16 threshold | uvarint count,
//          str participant... | str key_id | bytes message_hash (0 or 32) | str chain_path |
//          uvarint count, str excluded...
//   ack:   32 bytes contribution
//   nack:  str reason | uvarint count, str refused...
//   begin: uvarint count, 32 bytes contribution... (one per participant, in setup order)
//   step:  bytes payload
//   result: 32 bytes r | 32 bytes s | u8 v (a signature, sent by signers to the key's holders
//          that only observed; every receiver verifies all three)
//
// Single-use runs. The session id names an attempt (the coordinator's setup); the protocol runs
// under RunId(session id, contributions), where every participant's contribution is 32 fresh
// random bytes it sent in its ACK and finds again in BEGIN. No coordinator, however malicious,
// can make an honest party run a protocol under an id it has run before.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace tss::coordinator {

enum class ProtocolType : uint8_t { kKeygen = 1, kKeyrefresh = 2, kSign = 3 };
const char* ProtocolTypeName(ProtocolType p);  // "KEYGEN", "KEYREFRESH", "SIGN"
Result<ProtocolType> ParseProtocolType(std::string_view name);

enum class MessageType : uint8_t {
  kSetup = 1,
  kAck = 2,
  kNack = 3,
  kBegin = 4,
  kStep = 5,
  kResult = 6
};
const char* MessageTypeName(MessageType t);

using SessionId = std::array<uint8_t, 32>;
using Contribution = std::array<uint8_t, 32>;

struct SetupBody {
  ProtocolType protocol = ProtocolType::kKeygen;
  uint64_t block_number = 0;  // the block at which the coordinator chose itself
  uint64_t nonce = 0;         // the coordinator's attempt nonce: every attempt gets a fresh session
  uint16_t threshold = 0;
  std::vector<std::string> participants;  // validator addresses; order = party index - 1
  std::string key_id;                     // keygen: the requested key id, may be empty
  Bytes message_hash;                     // 32 bytes for sign, empty otherwise
  std::string chain_path;                 // optional, sign only
  // Sign only: key holders the coordinator leaves out of the draw (a validator blamed for a
  // failed check, or one a holder refuses to sign with). Sorted, distinct.
  std::vector<std::string> excluded;

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

struct NodeMessage {
  static constexpr uint8_t kVersion = 2;
  // Limits that keep a hostile peer from making us allocate: far above any real use.
  static constexpr size_t kMaxEventIdLength = 128;
  static constexpr size_t kMaxParticipants = 256;
  static constexpr size_t kMaxAddressLength = 256;
  static constexpr size_t kMaxPayload = 16 << 20;

  MessageType type = MessageType::kAck;
  std::string event_id;
  SessionId session_id{};
  SetupBody setup;                          // kSetup only
  Contribution contribution{};              // kAck only
  std::vector<Contribution> contributions;  // kBegin only, in setup.participants order
  std::string reason;                       // kNack only
  std::vector<std::string> refused;         // kNack only: validators we will not sign with
  Bytes payload;                            // kStep only
  SignatureBody signature;                  // kResult only

  Bytes Encode() const;
  // Refuses anything not produced by Encode(): unknown version/type, over-long fields,
  // trailing bytes, a wrong-size hash, duplicate participants.
  static Result<NodeMessage> Decode(ByteSpan bytes);

  bool operator==(const NodeMessage&) const = default;
};

// The id a protocol run uses: the attempt's session id bound to every participant's
// contribution, in setup order.
SessionId RunId(const SessionId& session_id, const std::vector<Contribution>& contributions);

}  // namespace tss::coordinator

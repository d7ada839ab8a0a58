// dkls/message.h — the one message type every DKLs23 session consumes and produces.
//
// Owns: Message (which protocol and run it belongs to, sender, recipient, round, payload) and its
// strict, versioned wire encoding. Must not touch: transport (the caller moves the bytes and
// checks that `from` is the authenticated sender), payload contents (each session decodes its
// own rounds, see wire.h).
//
// Party indices are 1..n and are also the Shamir evaluation points of the key (party i holds
// p(i)); 0 is never a party, which is why it can stand for "broadcast". (A quorum change's
// leaving members have ids above the new n: quorum_change.h.)
#pragma once

#include <cstdint>

#include "common/bytes.h"
#include "common/secure.h"
#include "common/status.h"
#include "crypto/hash.h"

namespace tss::dkls {

// The largest party count the library accepts (indices and counts travel as u16, and key
// shares grow as n²; the node never needs more).
inline constexpr uint16_t kMaxParties = 255;
// `to` of a message that every other participant receives.
inline constexpr uint16_t kBroadcast = 0;
// The largest payload a decoder accepts (the biggest real one, an RVOLE reply, is ~40 KB).
inline constexpr size_t kMaxPayload = 1 << 20;

enum class ProtocolKind : uint8_t { kKeygen = 1, kKeyrefresh = 2, kSign = 3, kQuorumChange = 4 };
const char* ProtocolKindName(ProtocolKind kind);

// H(protocol, session id): names one run. Every message carries it, so a message replayed from
// another run (or another protocol of the same run) is refused before its payload is read.
crypto::Digest SessionTag(ProtocolKind kind, ByteSpan session_id);

struct Message {
  ProtocolKind protocol = ProtocolKind::kKeygen;
  crypto::Digest session{};
  uint16_t from = 0;
  uint16_t to = kBroadcast;
  uint8_t round = 0;  // 1-based
  // May hold secrets meant for the recipient alone (keygen round 2 carries its share f_i(j)):
  // every Message wipes its payload when it dies, whichever copy it is.
  Bytes payload;

  Message() = default;
  Message(const Message&) = default;
  Message(Message&&) noexcept = default;
  Message& operator=(const Message& other);
  Message& operator=(Message&& other) noexcept;
  ~Message();

  // Wire format, version 1:
  //   u8 version=1 | u8 protocol | 32 session tag | u16 from | u16 to | u8 round |
  //   uvarint length | payload
  // Decode refuses, with an InvalidArgument saying which: any other version (checked before
  // anything else is read), a truncated header, an unknown protocol, from = 0, from or to above
  // kMaxParties, from = to, round = 0, a length that is not a minimal uvarint of at most 9
  // bytes, a length over kMaxPayload (before reading the payload), fewer payload bytes than the
  // length says, and trailing bytes.
  Bytes Encode() const;
  static Result<Message> Decode(ByteSpan bytes);
  // Size of Encode() without building it (benchmarks count bytes on the wire with it).
  size_t EncodedSize() const;
};

}  // namespace tss::dkls

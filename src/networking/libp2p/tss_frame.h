// networking/libp2p/tss_frame.h — the frames of /tss/2.0.0, as bytes.
//
// Owns: encoding and decoding every frame of the /tss protocol. Pure (no I/O): tss_protocol.h
// moves these frames over a stream, libp2p_network.h decides what they mean for delivery.
// Every decoder takes a peer's bytes, never reads past them, and tells "need more bytes" from
// "invalid". Must not touch: streams, sessions, what the messages carry.
//
// A /tss stream is opened by the side that has messages to send (the sender); the other side
// (the receiver) only answers on it. All integers are minimal uvarints of at most 9 bytes
// (63 bits), except the epoch.
//
//   sender → receiver, once:    hello    = epoch: 8 bytes, big-endian, not zero
//   sender → receiver, repeated: message = seq: uvarint ≥ 1 | length: uvarint | length bytes
//   receiver → sender, repeated: ack     = 0x00 | seq: uvarint ≥ 1
//                                refused = 0x01 | seq: uvarint ≥ 1 | limit: uvarint
//
// The epoch names one run of the sender's process (random at start); `seq` numbers that
// sender's messages to this receiver, 1, 2, 3 … in the order Send() was called, and is kept
// when a message is written again on a later stream. `ack n`: every message of this epoch up to
// n has reached the receiver's node, or was given up by the sender — acks are cumulative and
// never go back. `refused n`: message n is larger than `limit` and was not delivered; the
// receiver resets the stream right after.
#pragma once

#include <cstdint>

#include "common/bytes.h"

namespace tss::libp2p {

enum class TssDecode { kOk, kNeedMore, kInvalid };

inline constexpr size_t kTssHelloSize = 8;
// The longest message header or reply: a type byte and two 9-byte uvarints.
inline constexpr size_t kTssMaxFrameHeader = 19;

Bytes EncodeTssHello(uint64_t epoch);
// Needs kTssHelloSize bytes; a zero epoch is invalid.
TssDecode DecodeTssHello(ByteSpan in, uint64_t& epoch);

struct TssMessageHeader {
  uint64_t seq = 0;
  uint64_t length = 0;  // the body's size; the caller checks it against its limit
  bool operator==(const TssMessageHeader&) const = default;
};

// The whole message frame: header, then the body.
Bytes EncodeTssMessage(uint64_t seq, ByteSpan body);
// The header at the front of `in`; on kOk, `used` is its size (the body follows).
TssDecode DecodeTssMessageHeader(ByteSpan in, TssMessageHeader& header, size_t& used);

enum class TssReplyType : uint8_t { kAck = 0, kRefused = 1 };

struct TssReply {
  TssReplyType type = TssReplyType::kAck;
  uint64_t seq = 0;
  uint64_t limit = 0;  // kRefused only: the receiver's largest message
  bool operator==(const TssReply&) const = default;
};

Bytes EncodeTssReply(const TssReply& reply);
// The reply at the front of `in`; on kOk, `used` is its size. Unknown types are invalid.
TssDecode DecodeTssReply(ByteSpan in, TssReply& reply, size_t& used);

}  // namespace tss::libp2p

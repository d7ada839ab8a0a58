// networking/libp2p/tss_protocol.h — /tss/2.0.0 frames over a stream.
//
// Owns: reading and writing the frames of tss_frame.h on a ByteStream: the sender's hello and
// messages, the receiver's replies. A stream carries one hello and then any number of messages
// one way and replies the other. Must not touch: what the frames mean for delivery
// (libp2p_network.h), what the messages carry.
#pragma once

#include <optional>
#include <string_view>

#include "networking/libp2p/io.h"
#include "networking/libp2p/tss_frame.h"

namespace tss::libp2p {

// Version 2 added sequence numbers, acknowledgements and refusals (tss_frame.h); version 1
// streams carried bare length-prefixed messages and are not understood.
inline constexpr std::string_view kTssProtocol = "/tss/2.0.0";
inline constexpr size_t kDefaultMaxTssMessage = 16 << 20;

Task<Result<uint64_t>> ReadTssHello(ByteStream& stream);
// The next message's header (its body follows: ReadBody); std::nullopt when the sender closed
// the stream between messages.
Task<Result<std::optional<TssMessageHeader>>> ReadTssMessageHeader(ByteStream& stream);
// The next reply; std::nullopt when the receiver closed the stream between replies.
Task<Result<std::optional<TssReply>>> ReadTssReply(ByteStream& stream);

}  // namespace tss::libp2p

// networking/libp2p/tss_protocol.h — /tss/1.0.0 framing: uvarint length, then the message.
//
// Owns: reading one message (or the clean end of the stream) under a size limit, and writing
// one. A stream may carry any number of messages. Must not touch: what the messages mean.
#pragma once

#include <optional>
#include <string_view>

#include "networking/libp2p/io.h"

namespace tss::libp2p {

inline constexpr std::string_view kTssProtocol = "/tss/1.0.0";
inline constexpr size_t kDefaultMaxTssMessage = 16 << 20;

// The next message; std::nullopt when the peer closed the stream between messages. A message
// over `max_size` is an error whose code is kInvalidArgument (nothing of it is buffered).
Task<Result<std::optional<Bytes>>> ReadTssMessage(ByteStream& stream, size_t max_size);
Task<Status> WriteTssMessage(ByteStream& stream, ByteSpan message);

}  // namespace tss::libp2p

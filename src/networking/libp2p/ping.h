// networking/libp2p/ping.h — /ipfs/ping/1.0.0: 32 random bytes, echoed back.
//
// Owns: the responder (echo every 32-byte block until the dialer closes) and one round trip
// of the dialer. Spec: libp2p/specs ping/ping.md. Must not touch: connection management.
#pragma once

#include <string_view>

#include "networking/libp2p/io.h"

namespace tss::libp2p {

inline constexpr std::string_view kPingProtocol = "/ipfs/ping/1.0.0";
inline constexpr size_t kPingSize = 32;

Task<void> ServePing(std::shared_ptr<ByteStream> stream);
// One ping over an open ping stream (streams may be reused for many pings); the round-trip time.
Task<Result<Duration>> PingOnce(ByteStream& stream);

}  // namespace tss::libp2p

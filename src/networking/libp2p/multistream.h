// networking/libp2p/multistream.h — multistream-select 1.0 negotiation over a ByteStream.
//
// Owns: the dialer side (propose one protocol, pipelined with the header) and the listener side
// (answer proposals until one is accepted, at most kMaxMultistreamProposals). Used for the
// security protocol over TCP, the muxer over Noise, and each application protocol over a yamux
// stream. Messages are bounded by kMaxMultistreamMessage. Must not touch: what runs after.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "networking/libp2p/io.h"

namespace tss::libp2p {

inline constexpr int kMaxMultistreamProposals = 16;

// OK when the listener accepted `protocol`; NotFound when it answered "na".
Task<Status> MultistreamSelect(ByteStream& stream, std::string_view protocol);

// Returns the protocol accepted. `accept` decides each proposal (false → "na"); a dialer that
// keeps proposing beyond the limit, or sends a bad message, gets an error.
Task<Result<std::string>> MultistreamListen(ByteStream& stream,
                                            const std::function<bool(const std::string&)>& accept);

}  // namespace tss::libp2p

// networking/libp2p/multistream_codec.h — multistream-select 1.0 messages.
//
// Owns: the message framing (uvarint length, then the text and a '\n' counted in the length)
// and the well-known lines. Negotiation over a stream lives in multistream.h. Spec:
// libp2p/specs connections/README.md and multiformats/multistream-select. Must not touch: I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"

namespace tss::libp2p {

inline constexpr std::string_view kMultistreamHeader = "/multistream/1.0.0";
inline constexpr std::string_view kMultistreamNa = "na";
inline constexpr std::string_view kMultistreamLs = "ls";
// Longest message accepted (length including the '\n'); protocol ids are short.
inline constexpr size_t kMaxMultistreamMessage = 1024;

Bytes EncodeMultistreamMessage(std::string_view line);

// Decodes one message from the front of `in`. Returns the line without its '\n' and sets
// `consumed`; std::nullopt when more bytes are needed; an error for an over-long message, a
// missing '\n', or a bad length.
Result<std::optional<std::string>> DecodeMultistreamMessage(ByteSpan in, size_t& consumed);
// The line of a message body (what follows the length): it must end in '\n' and fit the limit.
Result<std::string> ParseMultistreamBody(ByteSpan body);

}  // namespace tss::libp2p

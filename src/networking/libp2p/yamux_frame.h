// networking/libp2p/yamux_frame.h — the yamux frame header.
//
// Owns: the 12-byte header (version 0, type, flags, stream id, length; big-endian) and its
// constants. The session (streams, windows, pings, go-away) is yamux_session.h. Spec:
// hashicorp/yamux spec.md, as libp2p/specs yamux/README.md adopts it. Must not touch: I/O.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "common/bytes.h"

namespace tss::libp2p {

inline constexpr std::string_view kYamuxProtocolId = "/yamux/1.0.0";
inline constexpr size_t kYamuxHeaderSize = 12;
inline constexpr uint32_t kYamuxInitialWindow = 256 * 1024;

enum class YamuxType : uint8_t { kData = 0, kWindowUpdate = 1, kPing = 2, kGoAway = 3 };

namespace yamux_flag {
inline constexpr uint16_t kSyn = 1;
inline constexpr uint16_t kAck = 2;
inline constexpr uint16_t kFin = 4;
inline constexpr uint16_t kRst = 8;
}  // namespace yamux_flag

// Go-away codes (the length field of a kGoAway frame).
enum class YamuxGoAway : uint32_t { kNormal = 0, kProtocolError = 1, kInternalError = 2 };

struct YamuxHeader {
  YamuxType type = YamuxType::kData;
  uint16_t flags = 0;
  uint32_t stream_id = 0;
  // Data: payload bytes that follow. WindowUpdate: window delta. Ping: opaque value.
  // GoAway: the code.
  uint32_t length = 0;

  bool has(uint16_t flag) const { return (flags & flag) != 0; }
  bool operator==(const YamuxHeader&) const = default;
};

std::array<uint8_t, kYamuxHeaderSize> EncodeYamuxHeader(const YamuxHeader& header);
// Refuses a version other than 0 and unknown types; unknown flag bits are ignored, as the
// reference implementation does.
Result<YamuxHeader> DecodeYamuxHeader(ByteSpan bytes);

}  // namespace tss::libp2p

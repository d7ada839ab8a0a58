#include "networking/libp2p/yamux_frame.h"

namespace tss::libp2p {

std::array<uint8_t, kYamuxHeaderSize> EncodeYamuxHeader(const YamuxHeader& h) {
  return {0,
          static_cast<uint8_t>(h.type),
          static_cast<uint8_t>(h.flags >> 8),
          static_cast<uint8_t>(h.flags),
          static_cast<uint8_t>(h.stream_id >> 24),
          static_cast<uint8_t>(h.stream_id >> 16),
          static_cast<uint8_t>(h.stream_id >> 8),
          static_cast<uint8_t>(h.stream_id),
          static_cast<uint8_t>(h.length >> 24),
          static_cast<uint8_t>(h.length >> 16),
          static_cast<uint8_t>(h.length >> 8),
          static_cast<uint8_t>(h.length)};
}

Result<YamuxHeader> DecodeYamuxHeader(ByteSpan bytes) {
  ByteReader r(bytes);
  uint8_t version, type;
  YamuxHeader h;
  if (!r.U8(version) || !r.U8(type) || !r.U16(h.flags) || !r.U32(h.stream_id) || !r.U32(h.length) ||
      !r.done()) {
    return InvalidArgument("yamux: a header is exactly 12 bytes");
  }
  if (version != 0) return InvalidArgument("yamux: unsupported version " + std::to_string(version));
  if (type > static_cast<uint8_t>(YamuxType::kGoAway)) {
    return InvalidArgument("yamux: unknown frame type " + std::to_string(type));
  }
  h.type = static_cast<YamuxType>(type);
  return h;
}

}  // namespace tss::libp2p

#include "networking/libp2p/tss_protocol.h"

#include <array>

namespace tss::libp2p {
namespace {

// Reads one frame header a byte at a time (every ByteStream buffers) until `decode` accepts
// it. Nothing past the header is consumed.
template <typename Frame>
Task<Result<std::optional<Frame>>> ReadFrame(ByteStream& stream,
                                             TssDecode (*decode)(ByteSpan, Frame&, size_t&)) {
  std::array<uint8_t, kTssMaxFrameHeader> buffer;
  for (size_t have = 0; have < buffer.size(); ++have) {
    auto n = co_await stream.ReadSome(std::span<uint8_t>(buffer).subspan(have, 1));
    if (!n.ok()) co_return n.status();
    if (*n == 0) {
      if (have == 0) co_return std::optional<Frame>();
      co_return Status(ErrorCode::kIo, "tss: stream ended inside a frame");
    }
    Frame frame;
    size_t used = 0;
    switch (decode(ByteSpan(buffer.data(), have + 1), frame, used)) {
      case TssDecode::kOk:
        co_return std::optional<Frame>(frame);
      case TssDecode::kInvalid:
        co_return InvalidArgument("tss: malformed frame");
      case TssDecode::kNeedMore:
        break;
    }
  }
  co_return InvalidArgument("tss: malformed frame");
}

}  // namespace

Task<Result<uint64_t>> ReadTssHello(ByteStream& stream) {
  std::array<uint8_t, kTssHelloSize> bytes;
  Status s = co_await ReadExact(stream, bytes);
  if (!s.ok()) co_return s;
  uint64_t epoch = 0;
  if (DecodeTssHello(bytes, epoch) != TssDecode::kOk) co_return InvalidArgument("tss: bad hello");
  co_return epoch;
}

Task<Result<std::optional<TssMessageHeader>>> ReadTssMessageHeader(ByteStream& stream) {
  return ReadFrame<TssMessageHeader>(stream, DecodeTssMessageHeader);
}

Task<Result<std::optional<TssReply>>> ReadTssReply(ByteStream& stream) {
  return ReadFrame<TssReply>(stream, DecodeTssReply);
}

}  // namespace tss::libp2p

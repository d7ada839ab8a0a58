#include "networking/libp2p/tss_protocol.h"

namespace tss::libp2p {

Task<Result<std::optional<Bytes>>> ReadTssMessage(ByteStream& stream, size_t max_size) {
  uint8_t first;
  auto n = co_await stream.ReadSome(std::span<uint8_t>(&first, 1));
  if (!n.ok()) co_return n.status();
  if (*n == 0) co_return std::optional<Bytes>();
  // Reassemble the varint: the first byte read, then the rest through the shared reader.
  uint64_t length = first & 0x7f;
  if (first & 0x80) {
    auto rest = co_await ReadUvarint(stream);
    if (!rest.ok()) co_return rest.status();
    if (*rest == 0 || *rest > (UINT64_MAX >> 7))
      co_return InvalidArgument("tss: bad message length");
    length |= *rest << 7;
  }
  if (length > max_size) {
    co_return InvalidArgument("tss: message of " + std::to_string(length) +
                              " bytes is over the limit of " + std::to_string(max_size));
  }
  auto body = co_await ReadBody(stream, static_cast<size_t>(length));
  if (!body.ok()) co_return body.status();
  co_return std::optional<Bytes>(std::move(*body));
}

Task<Status> WriteTssMessage(ByteStream& stream, ByteSpan message) {
  co_return co_await WriteLengthPrefixed(stream, message);
}

}  // namespace tss::libp2p

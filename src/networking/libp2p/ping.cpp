#include "networking/libp2p/ping.h"

#include <sodium.h>

#include <array>

namespace tss::libp2p {

Task<void> ServePing(std::shared_ptr<ByteStream> stream) {
  std::array<uint8_t, kPingSize> block;
  for (;;) {
    size_t have = 0;
    while (have < block.size()) {
      auto n = co_await stream->ReadSome(std::span<uint8_t>(block).subspan(have));
      if (!n.ok()) co_return;
      if (*n == 0) {  // the dialer is done: a clean close, unless it stopped mid-block
        if (have == 0) {
          (void)co_await stream->CloseWrite();
        } else {
          stream->Reset();
        }
        co_return;
      }
      have += *n;
    }
    if (!(co_await stream->Write(block)).ok()) co_return;
  }
}

Task<Result<Duration>> PingOnce(ByteStream& stream) {
  std::array<uint8_t, kPingSize> sent, echoed;
  randombytes_buf(sent.data(), sent.size());
  auto start = std::chrono::steady_clock::now();
  Status s = co_await stream.Write(sent);
  if (!s.ok()) co_return s;
  s = co_await ReadExact(stream, echoed);
  if (!s.ok()) co_return s;
  if (sent != echoed) co_return InvalidArgument("ping: the peer echoed different bytes");
  co_return std::chrono::steady_clock::now() - start;
}

}  // namespace tss::libp2p

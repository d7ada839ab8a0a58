// Fuzzes the stateful libp2p readers with a peer's bytes: the first input byte picks the layer,
// the rest is what the peer "sends" (in chunks whose sizes the input also picks):
//   0: a yamux session (listener side) whose accepted streams are read to the end
//   1: multistream-select, listener side, accepting /tss/1.0.0
//   2: the Noise XX handshake, responder side
//   3: /tss/1.0.0 message framing under a 4 KiB limit
// Whatever the bytes, the session must end (no hang), free what it holds and never crash.
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
//
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>

#include "common/bytes.h"
#include "networking/libp2p/identity.h"
#include "networking/libp2p/multistream.h"
#include "networking/libp2p/noise_session.h"
#include "networking/libp2p/tss_protocol.h"
#include "networking/libp2p/yamux_session.h"

using namespace tss;
using namespace tss::libp2p;

namespace {

// Replays fixed bytes as the peer's side of a connection; swallows what we write.
class ScriptedPeer : public ByteStream {
 public:
  ScriptedPeer(ByteSpan script, size_t chunk) : script_(script), chunk_(chunk == 0 ? 1 : chunk) {}

  Task<Result<size_t>> ReadSome(std::span<uint8_t> out) override {
    if (reset_) co_return Status(ErrorCode::kUnavailable, "reset");
    size_t n = std::min({out.size(), chunk_, script_.size() - pos_});
    std::copy_n(script_.begin() + pos_, n, out.begin());
    pos_ += n;
    co_return n;  // 0 at the end: the peer finished
  }
  Task<Status> Write(ByteSpan data) override {
    written_ += data.size();
    co_return reset_ ? Status(ErrorCode::kUnavailable, "reset") : Status::Ok();
  }
  Task<Status> CloseWrite() override { co_return Status::Ok(); }
  void Reset() override { reset_ = true; }

 private:
  ByteSpan script_;
  size_t chunk_;
  size_t pos_ = 0;
  size_t written_ = 0;
  bool reset_ = false;
};

Task<void> Drain(std::shared_ptr<YamuxStream> stream) {
  uint8_t buffer[4096];
  for (;;) {
    auto n = co_await stream->ReadSome(buffer);
    if (!n.ok() || *n == 0) break;
  }
  (void)co_await stream->CloseWrite();
}

const Identity& OurIdentity() {
  static const Identity id = Identity::FromSeed(Bytes(32, 7)).value();
  return id;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t layer = data[0] % 4;
  const size_t chunk = 1 + data[1] * 37;
  auto peer = std::make_shared<ScriptedPeer>(ByteSpan(data + 2, size - 2), chunk);
  boost::asio::io_context io;
  switch (layer) {
    case 0: {
      YamuxConfig config;
      config.max_streams = 16;
      auto session = std::make_shared<YamuxSession>(peer, false, config, io.get_executor());
      session->Start(
          [&io](std::shared_ptr<YamuxStream> s) {
            boost::asio::co_spawn(io, Drain(std::move(s)), boost::asio::detached);
          },
          [](const Status&) {});
      io.run();
      session->Close(Status(ErrorCode::kUnavailable, "fuzz: done"));
      io.restart();
      io.run();
      break;
    }
    case 1:
      boost::asio::co_spawn(
          io,
          [peer]() -> Task<void> {
            (void)co_await MultistreamListen(
                *peer, [](const std::string& p) { return p == kTssProtocol; });
          },
          boost::asio::detached);
      io.run();
      break;
    case 2:
      boost::asio::co_spawn(
          io,
          [peer]() -> Task<void> {
            (void)co_await NoiseSecure(peer, OurIdentity(), false, std::nullopt);
          },
          boost::asio::detached);
      io.run();
      break;
    case 3:
      boost::asio::co_spawn(
          io,
          [peer]() -> Task<void> {
            for (;;) {
              auto m = co_await ReadTssMessage(*peer, 4096);
              if (!m.ok() || !m->has_value()) break;
              if ((*m)->size() > 4096) std::abort();
            }
          },
          boost::asio::detached);
      io.run();
      break;
  }
  return 0;
}

// Fuzzes the stateful libp2p readers with a peer's bytes: the first input byte picks the layer,
// the rest is what the peer "sends" (in chunks whose sizes the input also picks):
//   0: a yamux session (listener side) whose accepted streams are read to the end
//   1: multistream-select, listener side, accepting /tss/2.0.0
//   2: the Noise XX handshake, responder side
//   3: /tss/2.0.0, receiving side: the hello, then message headers and bodies (4 KiB limit)
//   4: /tss/2.0.0, sending side: the receiver's replies
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

Task<void> ListenMultistream(std::shared_ptr<ScriptedPeer> peer) {
  (void)co_await MultistreamListen(*peer, [](const std::string& p) { return p == kTssProtocol; });
}

Task<void> SecureNoise(std::shared_ptr<ScriptedPeer> peer) {
  (void)co_await NoiseSecure(peer, OurIdentity(), false, std::nullopt);
}

// The receiving side of /tss: a hello, then messages, refusing those over 4 KiB as the network
// does.
Task<void> ReceiveTss(std::shared_ptr<ScriptedPeer> peer) {
  if (!(co_await ReadTssHello(*peer)).ok()) co_return;
  for (;;) {
    auto h = co_await ReadTssMessageHeader(*peer);
    if (!h.ok() || !h->has_value()) break;
    if ((*h)->seq == 0) std::abort();
    if ((*h)->length > 4096) break;
    auto body = co_await ReadBody(*peer, static_cast<size_t>((*h)->length));
    if (!body.ok()) break;
    if (body->size() != (*h)->length) std::abort();
  }
}

// The sending side of /tss: the receiver's replies.
Task<void> ReadTssReplies(std::shared_ptr<ScriptedPeer> peer) {
  for (;;) {
    auto r = co_await ReadTssReply(*peer);
    if (!r.ok() || !r->has_value()) break;
    if ((*r)->seq == 0) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t layer = data[0] % 5;
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
    default: {
      Task<void> (*const readers[])(std::shared_ptr<ScriptedPeer>) = {
          ListenMultistream, SecureNoise, ReceiveTss, ReadTssReplies};
      boost::asio::co_spawn(io, readers[layer - 1](peer), boost::asio::detached);
      io.run();
      break;
    }
  }
  return 0;
}

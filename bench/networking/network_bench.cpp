// Throughput of the libp2p network between two nodes over loopback TCP (Noise + yamux +
// /tss/2.0.0 framing and acknowledgements), for 1 KiB and 1 MiB messages. Each iteration sends
// a batch and waits until every send has completed, i.e. the receiver acknowledged every
// message; items/s is messages per second, bytes/s is payload.
#include <benchmark/benchmark.h>

#include <condition_variable>
#include <mutex>

#include "networking/libp2p/libp2p_network.h"

namespace {

using tss::Bytes;

struct Counter {
  std::mutex mu;
  std::condition_variable cv;
  size_t completed = 0;
  size_t failed = 0;
};

void BM_Libp2pSend(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const size_t batch = size >= (1 << 20) ? 16 : 1000;
  Counter counter;
  auto a = tss::libp2p::NewLibp2pNetwork(Bytes(32, 1));
  auto b = tss::libp2p::NewLibp2pNetwork(Bytes(32, 2));
  if (!a.ok() || !b.ok()) return state.SkipWithError("cannot create networks");
  auto& sender = **a;
  auto& receiver = **b;
  auto done = [&counter](tss::Status s) {
    std::lock_guard lock(counter.mu);
    ++counter.completed;
    if (!s.ok()) ++counter.failed;
    counter.cv.notify_all();
  };
  if (!sender.Start().ok() || !receiver.Start().ok())
    return state.SkipWithError("cannot start networks");
  sender.AddPeer(receiver.LocalPeerId(), receiver.ListenAddrs());
  receiver.SetAllowedPeers({sender.LocalPeerId()});
  const Bytes message(size, 0x5a);
  const std::string to = receiver.LocalPeerId();
  size_t expected = 0;
  // One message first so that dialing and the handshake are not measured.
  sender.Send(to, message, done);
  ++expected;
  {
    std::unique_lock lock(counter.mu);
    counter.cv.wait(lock, [&] { return counter.completed >= expected; });
  }
  for (auto _ : state) {
    for (size_t i = 0; i < batch; ++i) sender.Send(to, message, done);
    expected += batch;
    std::unique_lock lock(counter.mu);
    counter.cv.wait(lock, [&] { return counter.completed >= expected; });
  }
  if (counter.failed > 0) state.SkipWithError("some sends failed");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch * size));
  sender.Stop();
  receiver.Stop();
}
BENCHMARK(BM_Libp2pSend)->Arg(1 << 10)->Arg(1 << 20)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
BENCHMARK_MAIN();

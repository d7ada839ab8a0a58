// Time per run of the whole DKLs23 protocols — keygen, keyrefresh, quorum change (to n + 1
// holders, one joiner, threshold floor(2(n + 1)/3) + 1, every holder dealing) and sign — for
// t-of-n = 2/3, 3/5, 5/7, with every party in one thread and messages delivered in memory
// (dkls/local.h), and the bytes of all messages per run as counters. `tss bench dkls` prints the
// same numbers as a table shaped like the peer's (../shared/bench-peers/bench.mjs).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <vector>

#include "crypto/hash.h"
#include "crypto/rng.h"
#include "dkls/dkls.h"

namespace tss::dkls {
namespace {

Bytes SessionId() {
  Bytes id(32);
  crypto::SystemRandom().Fill(id);
  return id;
}

std::vector<KeyShare> Keygen(uint16_t n, uint16_t t) {
  auto shares = LocalKeygen(n, t, SessionId(), crypto::SystemRandom());
  if (!shares.ok()) std::abort();  // a benchmark of a failing protocol means nothing
  return std::move(*shares);
}

// Times `run(traffic)` (one whole protocol run, returning its Result) and reports the bytes and
// messages of the last run as counters.
template <typename Run>
void TimeRuns(benchmark::State& state, Run run) {
  Traffic traffic;
  for (auto _ : state) {
    traffic = {};
    auto result = run(&traffic);
    if (!result.ok()) {
      state.SkipWithError(result.status().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(result);
  }
  state.counters["bytes"] = static_cast<double>(traffic.bytes);
  state.counters["messages"] = static_cast<double>(traffic.messages);
}

uint16_t Threshold(const benchmark::State& state) {
  return static_cast<uint16_t>(state.range(0));
}
uint16_t Parties(const benchmark::State& state) {
  return static_cast<uint16_t>(state.range(1));
}

void BM_Keygen(benchmark::State& state) {
  TimeRuns(state, [&](Traffic* traffic) {
    return LocalKeygen(Parties(state), Threshold(state), SessionId(), crypto::SystemRandom(),
                       traffic);
  });
}

void BM_Keyrefresh(benchmark::State& state) {
  const std::vector<KeyShare> shares = Keygen(Parties(state), Threshold(state));
  TimeRuns(state, [&](Traffic* traffic) {
    return LocalKeyrefresh(shares, SessionId(), crypto::SystemRandom(), traffic);
  });
}

void BM_QuorumChange(benchmark::State& state) {
  const std::vector<KeyShare> shares = Keygen(Parties(state), Threshold(state));
  std::vector<QuorumChangeDealer> dealers;
  for (const KeyShare& k : shares) dealers.push_back({&k, k.index});
  const auto new_n = static_cast<uint16_t>(Parties(state) + 1);
  const auto new_t = static_cast<uint16_t>(2 * new_n / 3 + 1);
  TimeRuns(state, [&](Traffic* traffic) {
    return LocalQuorumChange(dealers, new_n, new_t, SessionId(), crypto::SystemRandom(), traffic);
  });
}

void BM_Sign(benchmark::State& state) {
  const std::vector<KeyShare> shares = Keygen(Parties(state), Threshold(state));
  std::vector<const KeyShare*> signers;  // the first t, as the peer signs
  for (uint16_t i = 0; i < Threshold(state); ++i) signers.push_back(&shares[i]);
  const crypto::Digest hash = crypto::Sha256(AsBytes("hello"));
  TimeRuns(state, [&](Traffic* traffic) {
    return LocalSign(signers, hash, SessionId(), crypto::SystemRandom(), traffic);
  });
}

void Sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"t", "n"})->Args({2, 3})->Args({3, 5})->Args({5, 7});
  b->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_Keygen)->Apply(Sizes);
BENCHMARK(BM_Keyrefresh)->Apply(Sizes);
BENCHMARK(BM_QuorumChange)->Apply(Sizes);
BENCHMARK(BM_Sign)->Apply(Sizes);

}  // namespace
}  // namespace tss::dkls

BENCHMARK_MAIN();

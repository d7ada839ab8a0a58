// ns/op of the primitives the protocols are built from, and of the OT stack: base OTs (per OT),
// OT extension (1000 OTs, both sides), one two-party multiplication (RVOLE, L = 2, both sides).
#include <benchmark/benchmark.h>

#include <vector>

#include "crypto/hash.h"
#include "crypto/ot/ot.h"
#include "crypto/ot/ote.h"
#include "crypto/ot/primitives.h"
#include "crypto/point.h"
#include "crypto/rng.h"
#include "crypto/scalar.h"

namespace tss::crypto {
namespace {

void BM_PointMulFixedBase(benchmark::State& state) {
  Scalar k = Scalar::Random(SystemRandom());
  for (auto _ : state) {
    Point p = Point::BaseMul(k);
    benchmark::DoNotOptimize(p);
    k += Scalar::One();
  }
}
BENCHMARK(BM_PointMulFixedBase);

// k·P by operator*: libsecp256k1's tweak_mul (wNAF, variable time: public scalars only).
void BM_PointMulVariableBase(benchmark::State& state) {
  Point P = Point::BaseMul(Scalar::Random(SystemRandom()));
  Scalar k = Scalar::Random(SystemRandom());
  for (auto _ : state) {
    Point p = P * k;
    benchmark::DoNotOptimize(p);
    k += Scalar::One();
  }
}
BENCHMARK(BM_PointMulVariableBase);

// The same product for a secret k: libsecp256k1's ECDH (ecmult_const), result as a Point.
void BM_PointMulSecretScalar(benchmark::State& state) {
  Point P = Point::BaseMul(Scalar::Random(SystemRandom()));
  Scalar k = Scalar::Random(SystemRandom());
  for (auto _ : state) {
    Point p = P.SecretMul(k);
    benchmark::DoNotOptimize(p);
    k += Scalar::One();
  }
}
BENCHMARK(BM_PointMulSecretScalar);

void BM_ScalarMul(benchmark::State& state) {
  Scalar a = Scalar::Random(SystemRandom()), b = Scalar::Random(SystemRandom());
  for (auto _ : state) {
    a = a * b;
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_ScalarMul);

void BM_ScalarAdd(benchmark::State& state) {
  Scalar a = Scalar::Random(SystemRandom()), b = Scalar::Random(SystemRandom());
  for (auto _ : state) {
    a = a + b;
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_ScalarAdd);

void BM_ScalarInverse(benchmark::State& state) {
  Scalar a = Scalar::RandomNonZero(SystemRandom());
  for (auto _ : state) {
    a = a.Inverse();
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_ScalarInverse);

// The variable-time inverse that signing uses for public values (Lagrange denominators, Σu).
void BM_ScalarInverseVartime(benchmark::State& state) {
  Scalar a = Scalar::RandomNonZero(SystemRandom());
  for (auto _ : state) {
    a = a.InverseVartime();
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_ScalarInverseVartime);

void BM_Sha256(benchmark::State& state) {
  std::vector<uint8_t> data(static_cast<size_t>(state.range(0)), 0x61);
  for (auto _ : state) {
    Digest d = Sha256(data);
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sha256)->Arg(64)->Arg(1024);

// ---- OT stack

namespace ot_bench {

using namespace tss::crypto::ot;

struct Pair {
  OteSenderSetup alice;
  OteReceiverSetup bob;
};

Pair Setup(ByteSpan sid, Rng& rng) {
  SetupReceiver bob(sid, rng);
  SetupSender alice(sid, rng);
  Bytes m1 = bob.Start();
  auto m2 = alice.Respond(m1);
  auto m3 = bob.Respond(*m2);
  auto a = alice.Finish(*m3);
  auto b = bob.Finish();
  if (!a.ok() || !b.ok()) std::abort();
  return Pair{std::move(a).value(), std::move(b).value()};
}

const Pair& SharedPair() {
  static Pair* p = new Pair(Setup(AsBytes("bench"), SystemRandom()));
  return *p;
}

// The whole setup (both sides, three flows) of 128 base OTs; the counter gives time per OT.
void BM_BaseOtSetup(benchmark::State& state) {
  for (auto _ : state) {
    Pair p = Setup(AsBytes("bench setup"), SystemRandom());
    benchmark::DoNotOptimize(p);
  }
  state.counters["per_OT"] = benchmark::Counter(
      kKappa, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_BaseOtSetup)->Unit(benchmark::kMillisecond);

// 1000 random OTs, both sides: extension, consistency check, transpose, and the hashed outputs
// (Alice's two 128-bit messages per OT, Bob's chosen one).
void BM_OtExtension1000(benchmark::State& state) {
  const Pair& p = SharedPair();
  const size_t ell = 1000;
  std::vector<uint8_t> choices(ell / 8);
  SystemRandom().Fill(choices);
  std::vector<Block> v0(ell), v1(ell), w(ell);
  uint8_t nonce[32] = {0};
  for (auto _ : state) {
    ++nonce[0];
    ExtensionKeys keys = DeriveExtensionKeys(p.bob.setup_id(), AsBytes("bench ote"), nonce);
    Bytes msg;
    WipedVector<Block> t, q;
    OteReceiverExtend(p.bob, keys, ell, choices, SystemRandom(), msg, t);
    if (!OteSenderExtend(p.alice, keys, ell, msg, q).ok()) std::abort();
    const auto hash_key = RandomOtHashKey(keys, nonce);  // the sender's nonce; any will do here
    CorrelationRobustHash h(hash_key.data());
    h.Hash(q.span().first(ell), Block{}, 1, v0.data());
    h.Hash(q.span().first(ell), DeltaBlock(p.alice), 1, v1.data());
    h.Hash(t.span().first(ell), Block{}, 1, w.data());
    benchmark::DoNotOptimize(w);
  }
  state.SetItemsProcessed(state.iterations() * ell);
}
BENCHMARK(BM_OtExtension1000)->Unit(benchmark::kMicrosecond);

// One two-party multiplication with L = 2, both sides: Bob's Start, Alice's RvoleSend, Bob's
// Finish.
void BM_RvoleL2(benchmark::State& state) {
  const Pair& p = SharedPair();
  std::vector<Scalar> a = {Scalar::Random(SystemRandom()), Scalar::Random(SystemRandom())};
  size_t bytes = 0;
  for (auto _ : state) {
    RvoleReceiver rx(p.bob, AsBytes("bench mul"), SystemRandom());
    Bytes m1 = rx.Start();
    auto out = RvoleSend(p.alice, AsBytes("bench mul"), a, m1, SystemRandom());
    auto d = rx.Finish(out->message);
    if (!d.ok()) std::abort();
    bytes = m1.size() + out->message.size();
    benchmark::DoNotOptimize(d);
  }
  state.counters["wire_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RvoleL2)->Unit(benchmark::kMicrosecond);

// The three steps separately, to see where the time goes.
void BM_RvoleL2_BobStart(benchmark::State& state) {
  const Pair& p = SharedPair();
  for (auto _ : state) {
    RvoleReceiver rx(p.bob, AsBytes("bench mul"), SystemRandom());
    Bytes m1 = rx.Start();
    benchmark::DoNotOptimize(m1);
  }
}
BENCHMARK(BM_RvoleL2_BobStart)->Unit(benchmark::kMicrosecond);

void BM_RvoleL2_Alice(benchmark::State& state) {
  const Pair& p = SharedPair();
  std::vector<Scalar> a = {Scalar::Random(SystemRandom()), Scalar::Random(SystemRandom())};
  RvoleReceiver rx(p.bob, AsBytes("bench mul"), SystemRandom());
  Bytes m1 = rx.Start();
  for (auto _ : state) {
    auto out = RvoleSend(p.alice, AsBytes("bench mul"), a, m1, SystemRandom());
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_RvoleL2_Alice)->Unit(benchmark::kMicrosecond);

void BM_RvoleL2_BobFinish(benchmark::State& state) {
  const Pair& p = SharedPair();
  std::vector<Scalar> a = {Scalar::Random(SystemRandom()), Scalar::Random(SystemRandom())};
  for (auto _ : state) {
    state.PauseTiming();
    RvoleReceiver rx(p.bob, AsBytes("bench mul"), SystemRandom());
    Bytes m1 = rx.Start();
    auto out = RvoleSend(p.alice, AsBytes("bench mul"), a, m1, SystemRandom());
    state.ResumeTiming();
    auto d = rx.Finish(out->message);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_RvoleL2_BobFinish)->Unit(benchmark::kMicrosecond);

}  // namespace ot_bench
}  // namespace
}  // namespace tss::crypto

BENCHMARK_MAIN();

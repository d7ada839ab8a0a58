// The OT stack: primitives against naive definitions, base OTs over many random choices, OT
// extension correlations, the multiplication's shares, and every cheat we can build — each must
// end in an error Status, never a crash and never wrong shares.
#include "crypto/ot/ot.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <functional>
#include <string>

#include "crypto/ot/ote.h"
#include "crypto/ot/primitives.h"
#include "crypto/ot/rvole_testing.h"
#include "crypto/ot/wide_sum.h"
#include "crypto/rng.h"
#include "crypto/scalar.h"

namespace tss::crypto::ot {
namespace {

Bytes Sid(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

struct Pair {
  OteSenderSetup alice;
  OteReceiverSetup bob;
};

Pair RunSetup(ByteSpan sid, Rng& rng) {
  SetupReceiver bob(sid, rng);
  SetupSender alice(sid, rng);
  Bytes m1 = bob.Start();
  auto m2 = alice.Respond(m1);
  EXPECT_TRUE(m2.ok()) << m2.status().ToString();
  auto m3 = bob.Respond(*m2);
  EXPECT_TRUE(m3.ok()) << m3.status().ToString();
  auto a = alice.Finish(*m3);
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  auto b = bob.Finish();
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return Pair{std::move(a).value(), std::move(b).value()};
}

// One setup shared by the tests that only need some setup (the base OTs are the slow part).
const Pair& SharedPair() {
  static Pair* p = [] {
    DeterministicRng rng(7);
    return new Pair(RunSetup(Sid("shared setup"), rng));
  }();
  return *p;
}

bool DeltaBit(const OteSenderSetup& s, size_t i) {
  return (OteAccess::Delta(s)[i / 8] >> (i % 8)) & 1;
}

Block RandomBlock(Rng& rng) {
  uint8_t b[16];
  rng.Fill(b);
  return Block::Load(b);
}

bool Equal(const Block& a, const Block& b) {
  return a.w[0] == b.w[0] && a.w[1] == b.w[1];
}

// ---- primitives

// The AES-NI CTR path must give OpenSSL's AES-128-CTR bytes exactly (the PRG output is what
// both sides of an extension expand their seeds into): whole and partial blocks, a stream split
// over calls, re-keying, and counters whose increment carries across the 64-bit halves.
TEST(OtPrimitives, Aes128CtrMatchesOpenSsl) {
  DeterministicRng rng(4);
  Aes128 aes(Aes128::Mode::kCtr);
  for (int run = 0; run < 40; ++run) {
    uint8_t key[16], iv[16];
    rng.Fill(key);
    rng.Fill(iv);
    if (run % 4 == 1) std::fill(iv + 8, iv + 16, 0xff);  // carry into the high half
    if (run % 4 == 2) std::fill(iv, iv + 16, 0xff);      // wraps to zero
    const size_t len = std::vector<size_t>{0, 1, 15, 16, 17, 80, 100, 5120}[run % 8];
    const size_t split = run % 3 == 0 ? len / 3 : 0;
    Bytes want(len, 0), got(len, 0);
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    ASSERT_EQ(EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), nullptr, key, iv), 1);
    int outl = 0;
    ASSERT_EQ(EVP_EncryptUpdate(ctx, want.data(), &outl, want.data(), static_cast<int>(len)), 1);
    EVP_CIPHER_CTX_free(ctx);
    aes.SetKey(key, iv);
    aes.KeyStream(got.data(), split);
    aes.KeyStream(got.data() + split, len - split);
    ASSERT_EQ(got, want) << "run " << run;
  }
}

TEST(OtPrimitives, TransposeMatchesDefinition) {
  DeterministicRng rng(1);
  const size_t rows = 384, stride = rows / 8 + 16;  // columns longer than the rows used
  std::vector<uint8_t> cols(128 * stride);
  rng.Fill(cols);
  std::vector<Block> out(rows);
  TransposeColumns(cols.data(), stride, rows, out.data());
  for (size_t j = 0; j < rows; ++j)
    for (size_t i = 0; i < 128; ++i)
      ASSERT_EQ(out[j].Bit(i), ((cols[i * stride + j / 8] >> (j % 8)) & 1) != 0) << j << "," << i;
}

TEST(OtPrimitives, Gf128FieldLaws) {
  DeterministicRng rng(2);
  const Block one{{1, 0}};
  for (int n = 0; n < 200; ++n) {
    Block a = RandomBlock(rng), b = RandomBlock(rng), c = RandomBlock(rng);
    EXPECT_TRUE(Equal(Gf128Mul(a, b), Gf128Mul(b, a)));
    EXPECT_TRUE(Equal(Gf128Mul(a, b ^ c), Gf128Mul(a, b) ^ Gf128Mul(a, c)));
    EXPECT_TRUE(Equal(Gf128Mul(Gf128Mul(a, b), c), Gf128Mul(a, Gf128Mul(b, c))));
    EXPECT_TRUE(Equal(Gf128Mul(a, one), a));
    EXPECT_TRUE(Equal(Gf128Mul(a, b), Gf128MulPortable(a, b)));
  }
  // x^127 · x = x^128 = x^7 + x^2 + x + 1.
  EXPECT_TRUE(Equal(Gf128Mul(Block{{0, 1ULL << 63}}, Block{{2, 0}}), Block{{0x87, 0}}));
  EXPECT_TRUE(Equal(Gf128MulPortable(Block{{0, 1ULL << 63}}, Block{{2, 0}}), Block{{0x87, 0}}));
}

TEST(OtPrimitives, HashColumnsIsTheDocumentedLinearHash) {
  DeterministicRng rng(3);
  const size_t chunks = 5, stride = chunks * 16 + 8;
  std::vector<uint8_t> cols(3 * stride);
  rng.Fill(cols);
  std::vector<Block> chi(chunks - 1);
  for (auto& c : chi) c = RandomBlock(rng);
  Block out[3];
  HashColumns(chi.data(), chunks, cols.data(), stride, 3, out);
  for (size_t c = 0; c < 3; ++c) {
    Block want = Block::Load(cols.data() + c * stride + 16 * (chunks - 1));
    for (size_t k = 0; k + 1 < chunks; ++k)
      want ^= Gf128Mul(chi[k], Block::Load(cols.data() + c * stride + 16 * k));
    EXPECT_TRUE(Equal(out[c], want));
  }
}

TEST(OtPrimitives, ScalarFastReduceAndSelect) {
  DeterministicRng rng(4);
  uint8_t buf[33] = {0};
  for (int n = 0; n < 200; ++n) {
    rng.Fill(std::span<uint8_t>(buf + 1, 32));
    if (n < 4) std::fill(buf + 1, buf + 33, 0xff);  // the largest 32-byte values
    EXPECT_EQ(Scalar::FromBytesReduce(std::span<const uint8_t>(buf + 1, 32)),
              Scalar::FromBytesReduce(std::span<const uint8_t>(buf, 33)));
  }
  Scalar a = Scalar::Random(rng), b = Scalar::Random(rng);
  EXPECT_EQ(Scalar::Select(a, b, 0), a);
  EXPECT_EQ(Scalar::Select(a, b, 1), b);
  EXPECT_EQ(Scalar::Select(a, b, 3), b);  // only the low bit counts
}

TEST(OtPrimitives, WideSumMatchesScalarArithmetic) {
  DeterministicRng rng(5);
  const Scalar max = -Scalar::One();  // n − 1: the largest limbs a scalar can have
  for (int run = 0; run < 20; ++run) {
    WideSum acc;
    Scalar want;
    for (unsigned j = 0; j < 256; ++j) {
      Scalar z = run == 0 ? max : Scalar::Random(rng);
      acc.AddShifted(z, j);
      Scalar two_j = Scalar::One();
      for (unsigned k = 0; k < j; ++k) two_j = two_j + two_j;
      want += two_j * z;
    }
    for (int e = 0; e < 300; ++e) {
      Scalar x = run == 0 ? max : Scalar::Random(rng), y = run == 0 ? max : Scalar::Random(rng);
      acc.AddProduct(x, y);
      want += x * y;
    }
    acc.Add(max);
    want += max;
    EXPECT_EQ(acc.Reduce(), want) << run;
  }
  WideSum empty;
  EXPECT_TRUE(empty.Reduce().IsZero());
}

// ---- base OT setup

TEST(OtSetup, BaseOtsDeliverTheChosenKeyOnly) {
  DeterministicRng rng(10);
  size_t ones = 0;
  for (int run = 0; run < 3; ++run) {  // 384 base OTs with random choices
    Bytes sid = Sid("setup run " + std::to_string(run));
    Pair p = RunSetup(sid, rng);
    EXPECT_EQ(p.alice.setup_id(), p.bob.setup_id());
    const auto& sa = OteAccess::Seeds(p.alice);
    const auto& sb = OteAccess::Seeds(p.bob);
    for (size_t i = 0; i < kKappa; ++i) {
      bool d = DeltaBit(p.alice, i);
      ones += d;
      EXPECT_EQ(sa[i], sb[i][d]) << "OT " << i;
      EXPECT_NE(sa[i], sb[i][!d]) << "OT " << i;
      EXPECT_NE(sb[i][0], sb[i][1]);
    }
  }
  EXPECT_GT(ones, 120u);  // the choices really are random
  EXPECT_LT(ones, 264u);
}

TEST(OtSetup, EncodeDecodeRoundTripAndStrictness) {
  const Pair& p = SharedPair();
  Bytes ea = p.alice.Encode(), eb = p.bob.Encode();
  ASSERT_EQ(ea.size(), OteSenderSetup::kEncodedSize);
  ASSERT_EQ(eb.size(), OteReceiverSetup::kEncodedSize);
  auto a = OteSenderSetup::Decode(ea);
  auto b = OteReceiverSetup::Decode(eb);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->Encode(), ea);
  EXPECT_EQ(b->Encode(), eb);
  EXPECT_EQ(a->Clone().Encode(), ea);
  EXPECT_EQ(b->Clone().Encode(), eb);
  for (Bytes bad : {Bytes{}, Bytes(ea.begin(), ea.end() - 1),
                    [&] {
                      Bytes x = ea;
                      x.push_back(0);
                      return x;
                    }(),
                    [&] {
                      Bytes x = ea;
                      x[0] = 2;  // unknown version
                      return x;
                    }(),
                    eb})
    EXPECT_FALSE(OteSenderSetup::Decode(bad).ok());
  for (Bytes bad : {Bytes{}, Bytes(eb.begin(), eb.end() - 1),
                    [&] {
                      Bytes x = eb;
                      x[0] = 0;
                      return x;
                    }(),
                    ea})
    EXPECT_FALSE(OteReceiverSetup::Decode(bad).ok());
}

TEST(OtSetup, MessageSizesAreAsDocumented) {
  DeterministicRng rng(11);
  SetupReceiver bob(Sid("sizes"), rng);
  SetupSender alice(Sid("sizes"), rng);
  Bytes m1 = bob.Start();
  EXPECT_EQ(m1.size(), SetupMessage1Size());
  auto m2 = alice.Respond(m1);
  ASSERT_TRUE(m2.ok());
  EXPECT_EQ(m2->size(), SetupMessage2Size());
  auto m3 = bob.Respond(*m2);
  ASSERT_TRUE(m3.ok());
  EXPECT_EQ(m3->size(), SetupMessage3Size());
}

// Runs a setup with `tamper` applied to message `which` (1, 2 or 3); returns the first error.
Status SetupWithTamper(int which, const std::function<void(Bytes&)>& tamper, uint64_t seed = 20,
                       std::string_view bob_sid = "tamper", std::string_view alice_sid = "tamper") {
  DeterministicRng rng(seed);
  SetupReceiver bob(Sid(bob_sid), rng);
  SetupSender alice(Sid(alice_sid), rng);
  Bytes m1 = bob.Start();
  if (which == 1) tamper(m1);
  auto m2 = alice.Respond(m1);
  if (!m2.ok()) return m2.status();
  if (which == 2) tamper(*m2);
  auto m3 = bob.Respond(*m2);
  if (!m3.ok()) return m3.status();
  if (which == 3) tamper(*m3);
  auto a = alice.Finish(*m3);
  if (!a.ok()) return a.status();
  auto b = bob.Finish();
  if (!b.ok()) return b.status();
  return Status::Ok();
}

TEST(OtSetup, HonestRunWithTamperHarnessSucceeds) {
  EXPECT_TRUE(SetupWithTamper(1, [](Bytes&) {}).ok());
}

TEST(OtSetup, RefusesTamperedShortLongAndGarbageMessages) {
  struct Case {
    const char* name;
    int which;
    std::function<void(Bytes&)> tamper;
  };
  const size_t tag = 16;
  std::vector<Case> cases = {
      {"m1 empty", 1, [](Bytes& m) { m.clear(); }},
      {"m1 short", 1, [](Bytes& m) { m.pop_back(); }},
      {"m1 long", 1, [](Bytes& m) { m.push_back(0); }},
      {"m1 garbage", 1, [](Bytes& m) { std::fill(m.begin(), m.end(), 0xab); }},
      {"m1 tag", 1, [](Bytes& m) { m[0] ^= 1; }},
      {"m1 key prefix", 1, [&](Bytes& m) { m[tag] = 0x05; }},
      {"m1 key not on curve", 1,
       [&](Bytes& m) { std::fill(m.begin() + tag + 1, m.begin() + tag + 33, 0xff); }},
      {"m1 key replaced", 1, [&](Bytes& m) { m[tag + 10] ^= 1; }},
      {"m1 proof commitment", 1, [&](Bytes& m) { m[tag + 33 + 5] ^= 1; }},
      {"m1 proof response", 1, [&](Bytes& m) { m.back() ^= 1; }},
      {"m1 proof response >= n", 1, [&](Bytes& m) { std::fill(m.end() - 32, m.end(), 0xff); }},
      {"m2 empty", 2, [](Bytes& m) { m.clear(); }},
      {"m2 short", 2, [](Bytes& m) { m.pop_back(); }},
      {"m2 long", 2, [](Bytes& m) { m.push_back(0); }},
      {"m2 tag", 2, [](Bytes& m) { m[3] ^= 0x40; }},
      {"m2 point prefix", 2, [&](Bytes& m) { m[tag + 33 * 7] = 0x04; }},
      {"m2 point not on curve", 2,
       [&](Bytes& m) { std::fill(m.begin() + tag + 33 * 9 + 1, m.begin() + tag + 33 * 10, 0xff); }},
      // A valid but different point: Bob cannot tell, Alice's key confirmation must.
      {"m2 point swapped", 2,
       [&](Bytes& m) {
         std::swap_ranges(m.begin() + tag, m.begin() + tag + 33, m.begin() + tag + 33);
       }},
      {"m2 point negated", 2, [&](Bytes& m) { m[tag + 33 * 100] ^= 1; }},
      {"m3 empty", 3, [](Bytes& m) { m.clear(); }},
      {"m3 short", 3, [](Bytes& m) { m.pop_back(); }},
      {"m3 long", 3, [](Bytes& m) { m.push_back(0); }},
      {"m3 tag", 3, [](Bytes& m) { m[15] ^= 0x80; }},
      {"m3 both tags of OT 5", 3,
       [&](Bytes& m) {
         m[tag + 32 * 5] ^= 1;
         m[tag + 32 * 5 + 16] ^= 1;
       }},
      {"m3 garbage", 3, [&](Bytes& m) { std::fill(m.begin() + tag, m.end(), 0); }},
  };
  for (const auto& c : cases) {
    Status s = SetupWithTamper(c.which, c.tamper);
    EXPECT_FALSE(s.ok()) << c.name;
    EXPECT_NE(s.code(), ErrorCode::kInternal) << c.name << ": " << s.ToString();
  }
}

TEST(OtSetup, RefusesPointEqualToBobsKey) {
  Bytes bob_key;
  Status s = SetupWithTamper(1, [&](Bytes& m) { bob_key.assign(m.begin() + 16, m.begin() + 49); });
  ASSERT_TRUE(s.ok());
  s = SetupWithTamper(2,
                      [&](Bytes& m) { std::copy(bob_key.begin(), bob_key.end(), m.begin() + 16); });
  EXPECT_EQ(s.code(), ErrorCode::kProtocolAbort) << s.ToString();
}

TEST(OtSetup, WrongSessionIdFails) {
  Status s = SetupWithTamper(
      1, [](Bytes&) {}, 21, "session A", "session B");
  EXPECT_FALSE(s.ok());
}

TEST(OtSetup, ReplayedMessagesFromAnotherRunFail) {
  // Record a full run, then feed its messages into a fresh run with the same session id.
  Bytes old_m2, old_m3;
  ASSERT_TRUE(SetupWithTamper(
                  2, [&](Bytes& m) { old_m2 = m; }, 30)
                  .ok());
  ASSERT_TRUE(SetupWithTamper(
                  3, [&](Bytes& m) { old_m3 = m; }, 30)
                  .ok());
  // m2 replayed to a Bob with a fresh key: Alice's confirmation check catches the mismatch.
  EXPECT_FALSE(SetupWithTamper(
                   2, [&](Bytes& m) { m = old_m2; }, 31)
                   .ok());
  // m3 replayed to an Alice of a fresh run.
  EXPECT_FALSE(SetupWithTamper(
                   3, [&](Bytes& m) { m = old_m3; }, 31)
                   .ok());
}

TEST(OtSetup, OutOfOrderCallsAreErrors) {
  DeterministicRng rng(40);
  SetupReceiver bob(Sid("order"), rng);
  SetupSender alice(Sid("order"), rng);
  EXPECT_FALSE(bob.Respond(Bytes(SetupMessage2Size())).ok());
  EXPECT_FALSE(bob.Finish().ok());
  EXPECT_FALSE(alice.Finish(Bytes(SetupMessage3Size())).ok());
  Bytes m1 = bob.Start();
  EXPECT_TRUE(bob.Start().empty());  // a second Start is refused
  EXPECT_FALSE(bob.Respond(Bytes(SetupMessage2Size())).ok());
  auto m2 = alice.Respond(m1);
  ASSERT_TRUE(m2.ok());
  EXPECT_FALSE(alice.Respond(m1).ok());
}

// ---- OT extension

struct Extension {
  std::vector<uint8_t> choices;
  WipedVector<Block> t, q;
  Bytes message;
  Status status;
};

Extension RunExtension(const Pair& p, size_t ell, Rng& rng, ByteSpan sid,
                       const std::function<void(Bytes&)>& tamper = {}) {
  Extension e;
  e.choices.resize((ell + 7) / 8);
  rng.Fill(e.choices);
  uint8_t nonce[32];
  rng.Fill(nonce);
  ExtensionKeys keys = DeriveExtensionKeys(p.bob.setup_id(), sid, nonce);
  OteReceiverExtend(p.bob, keys, ell, e.choices, rng, e.message, e.t);
  if (tamper) tamper(e.message);
  e.status = OteSenderExtend(p.alice, keys, ell, e.message, e.q);
  return e;
}

TEST(OtExtension, RowsCarryTheCorrelation) {
  const Pair& p = SharedPair();
  DeterministicRng rng(50);
  const Block delta = DeltaBlock(p.alice);
  for (size_t ell : {size_t{1}, size_t{127}, size_t{416}, size_t{1000}}) {
    Extension e = RunExtension(p, ell, rng, Sid("ext"));
    ASSERT_TRUE(e.status.ok()) << e.status.ToString();
    ASSERT_EQ(e.message.size(), OteMessageSize(ell));
    ASSERT_EQ(e.t.size(), OteRowCount(ell));
    size_t ones = 0;
    for (size_t j = 0; j < ell; ++j) {
      bool x = (e.choices[j / 8] >> (j % 8)) & 1;
      ones += x;
      Block want = e.t[j] ^ (delta & MaskOf(x));
      ASSERT_TRUE(Equal(e.q[j], want)) << "ell " << ell << " row " << j;
    }
    if (ell == 1000) {
      EXPECT_NEAR(static_cast<double>(ones), 500.0, 80.0);
    }
  }
}

TEST(OtExtension, RandomOtOutputsMatchTheChoice) {
  const Pair& p = SharedPair();
  DeterministicRng rng(51);
  const size_t ell = 1000;
  Extension e = RunExtension(p, ell, rng, Sid("rot"));
  ASSERT_TRUE(e.status.ok());
  uint8_t key[16] = {9};
  CorrelationRobustHash h(key);
  std::vector<Block> v0(ell), v1(ell), w(ell);
  h.Hash(e.q.span().first(ell), Block{}, 1, v0.data());
  h.Hash(e.q.span().first(ell), DeltaBlock(p.alice), 1, v1.data());
  h.Hash(e.t.span().first(ell), Block{}, 1, w.data());
  for (size_t j = 0; j < ell; ++j) {
    bool x = (e.choices[j / 8] >> (j % 8)) & 1;
    EXPECT_TRUE(Equal(w[j], x ? v1[j] : v0[j]));
    EXPECT_FALSE(Equal(w[j], x ? v0[j] : v1[j]));
  }
}

TEST(OtExtension, DifferentNoncesGiveUnrelatedStreams) {
  // The same seeds and session id with a fresh nonce must not repeat Bob's pads.
  const Pair& p = SharedPair();
  DeterministicRng rng(52);
  Extension a = RunExtension(p, 416, rng, Sid("same sid"));
  Extension b = RunExtension(p, 416, rng, Sid("same sid"));
  ASSERT_TRUE(a.status.ok() && b.status.ok());
  size_t same = 0;
  for (size_t j = 0; j < 416; ++j) same += Equal(a.t[j], b.t[j]);
  EXPECT_EQ(same, 0u);
}

TEST(OtExtension, CheatingReceiverIsCaught) {
  const Pair& p = SharedPair();
  const size_t ell = 416, cb = OtePaddedCount(ell) / 8, check = kKappa * cb;
  // Column i with Δ_i = 1, so a change to u^i matters to Alice.
  size_t col1 = 0;
  while (!DeltaBit(p.alice, col1)) ++col1;
  struct Case {
    const char* name;
    std::function<void(Bytes&)> tamper;
  };
  std::vector<Case> cases = {
      {"one column uses other choices", [&](Bytes& m) { m[col1 * cb + 3] ^= 0x10; }},
      {"same row flipped in every column",
       [&](Bytes& m) {
         for (size_t i = 0; i < kKappa; ++i) m[i * cb + 7] ^= 0x01;
       }},
      {"x~ altered", [&](Bytes& m) { m[check] ^= 1; }},
      {"t~ altered", [&](Bytes& m) { m[check + 16 + 16 * 77] ^= 0x80; }},
      {"padding choices differ in one column", [&](Bytes& m) { m[col1 * cb + cb - 1] ^= 1; }},
      {"short", [&](Bytes& m) { m.pop_back(); }},
      {"long", [&](Bytes& m) { m.push_back(1); }},
      {"empty", [&](Bytes& m) { m.clear(); }},
      {"zeros", [&](Bytes& m) { std::fill(m.begin(), m.end(), 0); }},
  };
  DeterministicRng rng(53);
  for (const auto& c : cases) {
    Extension e = RunExtension(p, ell, rng, Sid("cheat"), c.tamper);
    EXPECT_FALSE(e.status.ok()) << c.name;
    EXPECT_NE(e.status.code(), ErrorCode::kInternal) << c.name;
  }
}

// Issue 10, finding 1 (documents the mechanism; the fix is in dkls, see KeyShare::Burn): the KOS
// check passes or fails depending on one bit of Alice's long-term Δ. A receiver who deviates in
// column i — here he expands a wrong seed in place of k_{i,1−g}, so u^i carries a different
// choice string in that column, while his check values t̃_i are those of column i as he expects
// Alice to see it if Δ_i = g — passes exactly when Δ_i = g. Abort or no abort tells him Δ_i every
// time, and a passing probe even leaves the OTs correct, so nobody notices it. Δ is reused by
// every extension of the pair: hence a pair whose check ever failed is burned, for good.
TEST(OtExtension, SelectiveAbortTellsACheatingReceiverOneBitOfDelta) {
  const Pair& p = SharedPair();
  DeterministicRng rng(54);
  const Bytes honest = p.bob.Encode();  // version | setup id | k_{i,b} at [i][b], 16 bytes each
  size_t aborts = 0, passes = 0;
  for (int trial = 0; trial < 16; ++trial) {
    uint8_t pick[2];
    rng.Fill(pick);
    const size_t column = pick[0] % kKappa;
    const bool guess = pick[1] & 1;
    Bytes doctored = honest;
    doctored[1 + 32 + (column * 2 + (guess ? 0 : 1)) * 16] ^= 0x01;
    auto bob = OteReceiverSetup::Decode(doctored);
    ASSERT_TRUE(bob.ok());
    const Pair probe{p.alice.Clone(), std::move(bob).value()};
    Extension e = RunExtension(probe, kMulBatch, rng, Sid("probe " + std::to_string(trial)));
    if (!e.status.ok()) {
      EXPECT_EQ(e.status.code(), ErrorCode::kProtocolAbort);
    }
    (e.status.ok() ? passes : aborts)++;
    const bool learned = e.status.ok() ? guess : !guess;
    EXPECT_EQ(learned, DeltaBit(p.alice, column)) << "trial " << trial << ", column " << column;
  }
  EXPECT_GT(aborts, 0u);  // both outcomes happen, and both tell him the bit
  EXPECT_GT(passes, 0u);
}

// ---- multiplication

struct Mul {
  Status status = Status::Ok();
  std::vector<Scalar> a, c, d;
  Scalar b;
};

Mul RunMul(const OteSenderSetup& alice, const OteReceiverSetup& bob, size_t L, Rng& rng,
           std::string_view bob_sid = "mul", std::string_view alice_sid = "mul",
           const std::function<void(Bytes&)>& tamper1 = {},
           const std::function<void(Bytes&)>& tamper2 = {}) {
  Mul m;
  RvoleReceiver rx(bob, Sid(bob_sid), rng, L);
  Bytes m1 = rx.Start();
  m.b = rx.Input();
  if (tamper1) tamper1(m1);
  for (size_t i = 0; i < L; ++i) m.a.push_back(Scalar::Random(rng));
  auto out = RvoleSend(alice, Sid(alice_sid), m.a, m1, rng);
  if (!out.ok()) {
    m.status = out.status();
    return m;
  }
  m.c = out->c;
  if (tamper2) tamper2(out->message);
  auto d = rx.Finish(out->message);
  if (!d.ok()) {
    m.status = d.status();
    return m;
  }
  m.d = *d;
  return m;
}

bool SharesAreCorrect(const Mul& m) {
  if (!m.status.ok() || m.c.size() != m.a.size() || m.d.size() != m.a.size()) return false;
  for (size_t i = 0; i < m.a.size(); ++i)
    if (m.c[i] + m.d[i] != m.a[i] * m.b) return false;
  return true;
}

TEST(Rvole, SharesSumToTheProducts) {
  const Pair& p = SharedPair();
  DeterministicRng rng(60);
  for (size_t L : {size_t{1}, size_t{2}, size_t{2}, size_t{3}, kMaxInputs}) {
    Mul m = RunMul(p.alice, p.bob, L, rng);
    ASSERT_TRUE(m.status.ok()) << m.status.ToString();
    EXPECT_TRUE(SharesAreCorrect(m)) << "L = " << L;
    EXPECT_FALSE(m.b.IsZero());
  }
}

TEST(Rvole, WorksWithSetupsRestoredFromTheirEncoding) {
  // What a key share does: store the setups, load them for each signature.
  const Pair& p = SharedPair();
  auto alice = OteSenderSetup::Decode(p.alice.Encode());
  auto bob = OteReceiverSetup::Decode(p.bob.Encode());
  ASSERT_TRUE(alice.ok() && bob.ok());
  DeterministicRng rng(59);
  for (int run = 0; run < 3; ++run) EXPECT_TRUE(SharesAreCorrect(RunMul(*alice, *bob, 2, rng)));
}

TEST(Rvole, MessageSizes) {
  const Pair& p = SharedPair();
  DeterministicRng rng(61);
  RvoleReceiver rx(p.bob, Sid("sizes"), rng);
  Bytes m1 = rx.Start();
  EXPECT_EQ(m1.size(), RvoleMessage1Size());
  std::vector<Scalar> a = {Scalar::One(), Scalar::FromU64(2)};
  auto out = RvoleSend(p.alice, Sid("sizes"), a, m1, rng);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->message.size(), RvoleMessage2Size(2));
  // The sizes the header documents (and the sign traffic budget counts on).
  EXPECT_EQ(RvoleMessage1Size(), 12352u);
  EXPECT_EQ(RvoleMessage2Size(2), 40048u);
  EXPECT_EQ(SetupMessage1Size() + SetupMessage2Size() + SetupMessage3Size(), 114u + 4240u + 4112u);
  // Recorded for the report: bytes on the wire per multiplication with L = 2.
  RecordProperty("rvole_m1_bytes", std::to_string(m1.size()));
  RecordProperty("rvole_m2_bytes", std::to_string(out->message.size()));
}

TEST(Rvole, BobsInputIsFreshAndSecretBitsVary) {
  const Pair& p = SharedPair();
  DeterministicRng rng(62);
  Mul m1 = RunMul(p.alice, p.bob, 2, rng), m2 = RunMul(p.alice, p.bob, 2, rng);
  ASSERT_TRUE(SharesAreCorrect(m1) && SharesAreCorrect(m2));
  EXPECT_NE(m1.b, m2.b);
}

TEST(Rvole, EdgeInputsZeroAndMinusOne) {
  const Pair& p = SharedPair();
  DeterministicRng rng(63);
  RvoleReceiver rx(p.bob, Sid("edge"), rng, 3);
  Bytes m1 = rx.Start();
  std::vector<Scalar> a = {Scalar::Zero(), -Scalar::One(), Scalar::One()};
  auto out = RvoleSend(p.alice, Sid("edge"), a, m1, rng);
  ASSERT_TRUE(out.ok());
  auto d = rx.Finish(out->message);
  ASSERT_TRUE(d.ok());
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(out->c[i] + (*d)[i], a[i] * rx.Input());
}

TEST(Rvole, WrongSessionIdOrSetupFails) {
  const Pair& p = SharedPair();
  DeterministicRng rng(64);
  EXPECT_FALSE(RunMul(p.alice, p.bob, 2, rng, "sid one", "sid two").status.ok());
  DeterministicRng rng2(65);
  Pair other = RunSetup(Sid("another setup"), rng2);
  Mul m = RunMul(other.alice, p.bob, 2, rng);
  EXPECT_FALSE(m.status.ok());
  m = RunMul(p.alice, other.bob, 2, rng);
  EXPECT_FALSE(m.status.ok());
}

TEST(Rvole, WrongInputCountFails) {
  const Pair& p = SharedPair();
  DeterministicRng rng(66);
  RvoleReceiver rx(p.bob, Sid("count"), rng, 2);
  Bytes m1 = rx.Start();
  std::vector<Scalar> three(3, Scalar::One()), none, many(kMaxInputs + 1, Scalar::One());
  EXPECT_FALSE(RvoleSend(p.alice, Sid("count"), none, m1, rng).ok());
  EXPECT_FALSE(RvoleSend(p.alice, Sid("count"), many, m1, rng).ok());
  auto out = RvoleSend(p.alice, Sid("count"), three, m1, rng);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(rx.Finish(out->message).status().code(), ErrorCode::kInvalidArgument);
  RvoleReceiver bad(p.bob, Sid("count"), rng, 0);
  EXPECT_TRUE(bad.Start().empty());
  EXPECT_FALSE(bad.Finish(out->message).ok());
}

TEST(Rvole, ReplayedMessagesFail) {
  const Pair& p = SharedPair();
  DeterministicRng rng(67);
  Bytes old_m1, old_m2;
  Mul first = RunMul(
      p.alice, p.bob, 2, rng, "replay 1", "replay 1", [&](Bytes& m) { old_m1 = m; },
      [&](Bytes& m) { old_m2 = m; });
  ASSERT_TRUE(SharesAreCorrect(first));
  // An old m2 answering a new m1 (same session id, and another one).
  for (const char* sid : {"replay 1", "replay 2"}) {
    Mul m = RunMul(p.alice, p.bob, 2, rng, sid, sid, {}, [&](Bytes& m2) { m2 = old_m2; });
    EXPECT_FALSE(m.status.ok()) << sid;
  }
  // An old m1 under a new session id.
  Mul m = RunMul(p.alice, p.bob, 2, rng, "replay 3", "replay 3", [&](Bytes& m1) { m1 = old_m1; });
  EXPECT_FALSE(m.status.ok());
}

// Issue 10, finding 2: Bob's m1 alone fixes Alice's extended rows. When her pads depended on
// nothing else, two answers to one m1 under one session id (a malicious Bob replaying his m1 in
// a second run of that id) had τ_j − τ'_j = α − α' in every OT: Bob read off a − a', which in
// signing is the difference of Alice's two instance keys — and two signatures whose nonces
// differ by a known amount give away the key. Alice's own nonce now keys her pads, so the two
// answers are independent: τ − τ' is noise, and each answer on its own is still correct.
TEST(Rvole, ReplayedM1UnderOneSessionIdRevealsNothingAboutTheInputDifference) {
  const Pair& p = SharedPair();
  DeterministicRng rng(75);
  const size_t L = 2, width = L + 1;
  RvoleReceiver rx(p.bob, Sid("one session id"), rng, L);
  const Bytes m1 = rx.Start();
  // As in signing: a new instance key r' in the second run, the same key share sk.
  const std::vector<Scalar> a = {Scalar::Random(rng), Scalar::Random(rng)};
  const std::vector<Scalar> a2 = {Scalar::Random(rng), a[1]};
  auto first = RvoleSend(p.alice, Sid("one session id"), a, m1, rng);
  auto second = RvoleSend(p.alice, Sid("one session id"), a2, m1, rng);
  ASSERT_TRUE(first.ok() && second.ok());

  // The attack: τ is the ξ·(L+1) scalars just before H(r) and u, the last 64 bytes of m2.
  auto tau = [&](const Bytes& m2, size_t j, size_t c) {
    const size_t at = m2.size() - 64 - kMulBatch * width * 32 + 32 * (j * width + c);
    auto x = Scalar::FromBytes(ByteSpan(m2).subspan(at, 32));
    EXPECT_TRUE(x.ok());
    return x.ok() ? *x : Scalar();
  };
  const Scalar nonce_difference = a[0] - a2[0];
  size_t revealed = 0, same_key_share = 0;
  for (size_t j = 0; j < kMulBatch; ++j) {
    revealed += tau(first->message, j, 0) - tau(second->message, j, 0) == nonce_difference;
    same_key_share += tau(first->message, j, 1) == tau(second->message, j, 1);
  }
  EXPECT_EQ(revealed, 0u) << "τ − τ' gave away a − a' in " << revealed << " of " << kMulBatch
                          << " OTs";
  EXPECT_EQ(same_key_share, 0u) << "equal inputs gave equal τ in " << same_key_share << " OTs";

  // Either answer alone is a correct multiplication for Bob (here the second).
  auto d = rx.Finish(second->message);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  for (size_t i = 0; i < L; ++i) EXPECT_EQ(second->c[i] + (*d)[i], a2[i] * rx.Input());
}

TEST(Rvole, CheatingBobIsCaught) {
  const Pair& p = SharedPair();
  const size_t cb = OtePaddedCount(kMulBatch) / 8;
  const size_t ext = 16 + 32, check = ext + kKappa * cb;
  size_t col1 = 0;
  while (!DeltaBit(p.alice, col1)) ++col1;
  struct Case {
    const char* name;
    std::function<void(Bytes&)> tamper;
  };
  std::vector<Case> cases = {
      {"tag", [](Bytes& m) { m[0] ^= 1; }},
      {"nonce", [](Bytes& m) { m[16 + 5] ^= 1; }},
      {"u column with Δ_i = 1", [&](Bytes& m) { m[ext + col1 * cb + 20] ^= 4; }},
      {"x~", [&](Bytes& m) { m[check + 2] ^= 1; }},
      {"t~", [&](Bytes& m) { m[check + 16 + 5] ^= 1; }},
      {"short", [](Bytes& m) { m.erase(m.end() - 16, m.end()); }},
      {"long", [](Bytes& m) { m.resize(m.size() + 1); }},
      {"empty", [](Bytes& m) { m.clear(); }},
      {"garbage", [](Bytes& m) { std::fill(m.begin(), m.end(), 0x5a); }},
  };
  DeterministicRng rng(68);
  for (const auto& c : cases) {
    Mul m = RunMul(p.alice, p.bob, 2, rng, "mul", "mul", c.tamper);
    EXPECT_FALSE(m.status.ok()) << c.name;
    EXPECT_NE(m.status.code(), ErrorCode::kInternal) << c.name;
  }
}

TEST(Rvole, AnySingleBitFlipInM1FailsOrLeavesSharesCorrect) {
  // A flip in a column whose Δ_i = 0 is ignored by Alice (she never uses that u^i): harmless.
  const Pair& p = SharedPair();
  DeterministicRng rng(69);
  size_t failed = 0;
  for (size_t pos = 0; pos < RvoleMessage1Size(); pos += 97) {
    Mul m = RunMul(p.alice, p.bob, 2, rng, "flip", "flip", [&](Bytes& m1) { m1[pos] ^= 1; });
    if (m.status.ok()) {
      EXPECT_TRUE(SharesAreCorrect(m)) << "flip at " << pos;
    } else {
      ++failed;
    }
  }
  EXPECT_GT(failed, 0u);
}

TEST(Rvole, TamperedSenderMessageIsCaught) {
  const Pair& p = SharedPair();
  const size_t L = 2, width = L + 1, tau = 16 + 32;  // after the tag and Alice's nonce
  const size_t tail = tau + kMulBatch * width * 32;
  // Adds 1 to the scalar at byte offset `at` (the last byte, so the change stays below n
  // except with negligible probability; a test that then hits n fails loudly on decode).
  auto bump = [](Bytes& m, size_t at) { m[at + 31] ^= 1; };
  struct Case {
    const char* name;
    std::function<void(Bytes&)> tamper;
  };
  std::vector<Case> cases = {
      {"tag", [](Bytes& m) { m[2] ^= 1; }},
      // Alice's nonce keys Bob's pads: another nonce, other pads, and the check fails.
      {"Alice's nonce", [](Bytes& m) { m[16 + 7] ^= 0x20; }},
      // Alice used a different a_0 in every OT (consistent τ shift of the a-part: u no longer
      // fits).
      {"a shifted in all OTs",
       [&](Bytes& m) {
         for (size_t j = 0; j < kMulBatch; ++j) bump(m, tau + 32 * (j * width + 0));
       }},
      // Inconsistent across OTs: a different â in half of them.
      {"â differs between OTs",
       [&](Bytes& m) {
         for (size_t j = 0; j < kMulBatch; j += 2) bump(m, tau + 32 * (j * width + L));
       }},
      {"a and â shifted in the first 64 OTs",
       [&](Bytes& m) {
         for (size_t j = 0; j < 64; ++j) {
           bump(m, tau + 32 * (j * width));
           bump(m, tau + 32 * (j * width + L));
         }
       }},
      {"r digest", [&](Bytes& m) { m[tail + 3] ^= 1; }},
      {"u", [&](Bytes& m) { bump(m, tail + 32); }},
      {"u not below n",
       [&](Bytes& m) { std::fill(m.begin() + tail + 32, m.begin() + tail + 64, 0xff); }},
      {"τ not below n", [&](Bytes& m) { std::fill(m.begin() + tau, m.begin() + tau + 32, 0xff); }},
      {"short", [](Bytes& m) { m.pop_back(); }},
      {"long", [](Bytes& m) { m.push_back(0); }},
      {"empty", [](Bytes& m) { m.clear(); }},
      {"zeros after the tag", [&](Bytes& m) { std::fill(m.begin() + tau, m.end(), 0); }},
  };
  DeterministicRng rng(70);
  for (const auto& c : cases) {
    Mul m = RunMul(p.alice, p.bob, L, rng, "mul", "mul", {}, c.tamper);
    EXPECT_FALSE(m.status.ok()) << c.name;
    EXPECT_NE(m.status.code(), ErrorCode::kInternal) << c.name;
  }
}

// A sender who is inconsistent across OTs, computing everything else honestly (so the
// transcript hash cannot give her away; only the check can).
Mul RunCheatingAlice(const Pair& p, Rng& rng, const testing::CorrelationTweak& tweak) {
  Mul m;
  RvoleReceiver rx(p.bob, Sid("cheat"), rng, 2);
  Bytes m1 = rx.Start();
  m.b = rx.Input();
  m.a = {Scalar::Random(rng), Scalar::Random(rng)};
  auto out = testing::RvoleSendWithTweak(p.alice, Sid("cheat"), m.a, m1, rng, tweak);
  if (!out.ok()) {
    m.status = out.status();
    return m;
  }
  m.c = out->c;
  auto d = rx.Finish(out->message);
  if (!d.ok()) {
    m.status = d.status();
    return m;
  }
  m.d = *d;
  return m;
}

TEST(Rvole, HonestTweakHookChangesNothing) {
  DeterministicRng rng(73);
  Mul m = RunCheatingAlice(SharedPair(), rng, [](size_t, std::span<Scalar>) {});
  EXPECT_TRUE(SharesAreCorrect(m));
}

TEST(Rvole, SenderInconsistentAcrossOtsIsCaught) {
  const Pair& p = SharedPair();
  const Scalar one = Scalar::One();
  struct Case {
    const char* name;
    testing::CorrelationTweak tweak;
  };
  std::vector<Case> cases = {
      {"a_0 shifted in every OT", [&](size_t, std::span<Scalar> al) { al[0] += one; }},
      {"â differs in every second OT",
       [&](size_t j, std::span<Scalar> al) {
         if (j % 2 == 0) al[2] += one;
       }},
      {"(a, â) shifted in the first 64 OTs",
       [&](size_t j, std::span<Scalar> al) {
         if (j < 64) {
           al[0] += one;
           al[2] -= one;
         }
       }},
      {"a different input in the random-gadget OTs",
       [&](size_t j, std::span<Scalar> al) {
         if (j >= 256) al[1] = al[1] * Scalar::FromU64(3);
       }},
      {"all correlations zero",
       [&](size_t, std::span<Scalar> al) {
         for (auto& x : al) x = Scalar();
       }},
  };
  DeterministicRng rng(74);
  for (const auto& c : cases) {
    Mul m = RunCheatingAlice(p, rng, c.tweak);
    EXPECT_EQ(m.status.code(), ErrorCode::kProtocolAbort) << c.name << ": " << m.status.ToString();
  }
}

TEST(Rvole, SelectiveFailureOnOneOtIsEitherCaughtOrHarmless) {
  // A change to OT j's correlation matters only when β_j = 1, and then the check catches it; when
  // β_j = 0 Bob never uses τ_j and the shares stay correct. (What an abort reveals, β_j, is
  // hidden in b by the 2s random gadget entries.) Over many runs both outcomes occur.
  const Pair& p = SharedPair();
  DeterministicRng rng(71);
  size_t caught = 0, harmless = 0;
  for (int run = 0; run < 24; ++run) {
    Mul m = RunCheatingAlice(p, rng, [](size_t j, std::span<Scalar> al) {
      if (j == 300) al[0] += Scalar::One();
    });
    if (m.status.ok()) {
      EXPECT_TRUE(SharesAreCorrect(m));
      ++harmless;
    } else {
      EXPECT_EQ(m.status.code(), ErrorCode::kProtocolAbort);
      ++caught;
    }
  }
  EXPECT_GT(caught, 0u);
  EXPECT_GT(harmless, 0u);
}

TEST(Rvole, OutOfOrderCallsAreErrors) {
  const Pair& p = SharedPair();
  DeterministicRng rng(72);
  RvoleReceiver rx(p.bob, Sid("order"), rng);
  EXPECT_EQ(rx.Finish(Bytes(RvoleMessage2Size(2))).status().code(), ErrorCode::kInternal);
  Bytes m1 = rx.Start();
  EXPECT_TRUE(rx.Start().empty());
  std::vector<Scalar> a = {Scalar::One(), Scalar::One()};
  auto out = RvoleSend(p.alice, Sid("order"), a, m1, rng);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(rx.Finish(out->message).ok());
  EXPECT_FALSE(rx.Finish(out->message).ok());  // a second Finish is refused
}

}  // namespace
}  // namespace tss::crypto::ot

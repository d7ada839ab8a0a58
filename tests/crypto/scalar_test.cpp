// Scalars are checked against OpenSSL's BIGNUM arithmetic (code we did not write), at the edges
// (0, 1, n-1, n, n+1, 2^256-1) and over many random values.
#include "crypto/scalar.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>

#include <algorithm>
#include <memory>

#include "common/bytes.h"
#include "crypto/rng.h"

namespace tss::crypto {
namespace {

constexpr const char* kOrderHex =
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141";

struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnDeleter>;

Bn ToBn(const Scalar& s) {
  auto b = s.ToBytes();
  return Bn(BN_bin2bn(b.data(), 32, nullptr));
}
Bn Order() {
  BIGNUM* b = nullptr;
  BN_hex2bn(&b, kOrderHex);
  return Bn(b);
}
Bytes BnTo32(const BIGNUM* b) {
  Bytes out(32);
  BN_bn2binpad(b, out.data(), 32);
  return out;
}

Bytes AsVec(const Scalar& s) {
  auto b = s.ToBytes();
  return Bytes(b.begin(), b.end());
}

class ScalarVsOpenSsl : public ::testing::Test {
 protected:
  BN_CTX* ctx = BN_CTX_new();
  Bn n = Order();
  ~ScalarVsOpenSsl() override { BN_CTX_free(ctx); }
  Bytes Expect(int op, const Scalar& a, const Scalar& b) {
    Bn x = ToBn(a), y = ToBn(b), r(BN_new());
    switch (op) {
      case 0:
        BN_mod_add(r.get(), x.get(), y.get(), n.get(), ctx);
        break;
      case 1:
        BN_mod_sub(r.get(), x.get(), y.get(), n.get(), ctx);
        break;
      case 2:
        BN_mod_mul(r.get(), x.get(), y.get(), n.get(), ctx);
        break;
    }
    return BnTo32(r.get());
  }
  std::vector<Scalar> Edges() {
    std::vector<Scalar> v = {Scalar::Zero(), Scalar::One(),       Scalar::FromU64(2),
                             -Scalar::One(), -Scalar::FromU64(2), Scalar::FromU64(~0ULL)};
    Bytes half = *FromHex("7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0");
    v.push_back(*Scalar::FromBytes(half));
    v.push_back(*Scalar::FromBytes(half) + Scalar::One());
    return v;
  }
};

TEST_F(ScalarVsOpenSsl, ArithmeticAtTheEdges) {
  auto edges = Edges();
  for (const auto& a : edges)
    for (const auto& b : edges) {
      auto ab = a.ToBytes(), bb = b.ToBytes();
      SCOPED_TRACE(ToHex(ab) + " , " + ToHex(bb));
      EXPECT_EQ(AsVec(a + b), Expect(0, a, b));
      EXPECT_EQ(AsVec(a - b), Expect(1, a, b));
      EXPECT_EQ(AsVec(a * b), Expect(2, a, b));
    }
}

TEST_F(ScalarVsOpenSsl, ArithmeticOnRandomValues) {
  DeterministicRng rng(1);
  for (int i = 0; i < 2000; ++i) {
    Scalar a = Scalar::Random(rng), b = Scalar::Random(rng);
    auto sum = (a + b).ToBytes(), diff = (a - b).ToBytes(), prod = (a * b).ToBytes();
    ASSERT_EQ(Bytes(sum.begin(), sum.end()), Expect(0, a, b));
    ASSERT_EQ(Bytes(diff.begin(), diff.end()), Expect(1, a, b));
    ASSERT_EQ(Bytes(prod.begin(), prod.end()), Expect(2, a, b));
  }
}

TEST_F(ScalarVsOpenSsl, InverseMatchesModInverse) {
  DeterministicRng rng(2);
  auto values = Edges();
  for (int i = 0; i < 50; ++i) values.push_back(Scalar::Random(rng));
  for (const auto& a : values) {
    if (a.IsZero()) {
      EXPECT_TRUE(a.Inverse().IsZero());
      EXPECT_TRUE(a.InverseVartime().IsZero());
      continue;
    }
    Bn x = ToBn(a), r(BN_new());
    ASSERT_NE(BN_mod_inverse(r.get(), x.get(), n.get(), ctx), nullptr);
    auto inv = a.Inverse().ToBytes();
    EXPECT_EQ(Bytes(inv.begin(), inv.end()), BnTo32(r.get()));
    EXPECT_EQ(a * a.Inverse(), Scalar::One());
    EXPECT_EQ(a.InverseVartime(), a.Inverse());
  }
  for (uint64_t small = 1; small < 200; ++small)  // party-index-sized values, as Lagrange uses
    EXPECT_EQ(Scalar::FromU64(small).InverseVartime(), Scalar::FromU64(small).Inverse());
}

TEST_F(ScalarVsOpenSsl, NineLimbReductionMatches) {
  DeterministicRng rng(4);
  for (int i = 0; i < 200; ++i) {
    uint64_t limbs[9];
    rng.Fill(std::span<uint8_t>(reinterpret_cast<uint8_t*>(limbs), sizeof limbs));
    if (i == 0) std::fill(limbs, limbs + 9, ~uint64_t{0});  // 2^576 − 1
    if (i == 1) std::fill(limbs, limbs + 9, 0);
    uint8_t be[72];  // the same value big-endian, for OpenSSL
    for (int k = 0; k < 9; ++k)
      for (int b = 0; b < 8; ++b) be[71 - 8 * k - b] = static_cast<uint8_t>(limbs[k] >> (8 * b));
    Bn x(BN_bin2bn(be, sizeof be, nullptr)), r(BN_new());
    BN_nnmod(r.get(), x.get(), n.get(), ctx);
    auto got = Scalar::FromLimbsReduce(std::span<const uint64_t, 9>(limbs, 9)).ToBytes();
    ASSERT_EQ(Bytes(got.begin(), got.end()), BnTo32(r.get())) << i;
  }
}

TEST_F(ScalarVsOpenSsl, WideReductionMatches) {
  DeterministicRng rng(3);
  for (int len : {0, 1, 31, 32, 33, 48, 63, 64}) {
    for (int i = 0; i < 50; ++i) {
      Bytes in(len);
      rng.Fill(in);
      if (i == 0) std::fill(in.begin(), in.end(), 0xff);  // the largest value of that length
      Bn x(BN_bin2bn(in.data(), len, nullptr)), r(BN_new());
      BN_nnmod(r.get(), x.get(), n.get(), ctx);
      auto got = Scalar::FromBytesReduce(in).ToBytes();
      ASSERT_EQ(Bytes(got.begin(), got.end()), BnTo32(r.get())) << "len " << len;
    }
  }
}

TEST(Scalar, StrictDecodingRefusesNonCanonical) {
  Bytes n = *FromHex(kOrderHex);
  Bytes n_minus_1 = n, n_plus_1 = n;
  n_minus_1[31] -= 1;
  n_plus_1[31] += 1;
  EXPECT_TRUE(Scalar::FromBytes(Bytes(32, 0)).ok());  // zero is a valid scalar encoding
  EXPECT_TRUE(Scalar::FromBytes(n_minus_1).ok());
  EXPECT_EQ(*Scalar::FromBytes(n_minus_1), -Scalar::One());
  for (const Bytes& bad : {n, n_plus_1, Bytes(32, 0xff)}) {
    auto r = Scalar::FromBytes(bad);
    EXPECT_FALSE(r.ok()) << ToHex(bad);
    EXPECT_NE(r.status().message().find("group order"), std::string::npos);
  }
  EXPECT_FALSE(Scalar::FromBytes(Bytes(31, 0)).ok());
  EXPECT_FALSE(Scalar::FromBytes(Bytes(33, 0)).ok());
}

TEST(Scalar, EncodingRoundTripAndLowS) {
  DeterministicRng rng(4);
  for (int i = 0; i < 100; ++i) {
    Scalar a = Scalar::Random(rng);
    EXPECT_EQ(*Scalar::FromBytes(a.ToBytes()), a);
    if (!a.IsZero()) {
      EXPECT_NE(a.IsHigh(), (-a).IsHigh());
    }
  }
  Bytes half = *FromHex("7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0");
  EXPECT_FALSE(Scalar::FromBytes(half)->IsHigh());
  EXPECT_TRUE((*Scalar::FromBytes(half) + Scalar::One()).IsHigh());
}

TEST(Rng, DeterministicStreamsRepeatAndDiffer) {
  DeterministicRng a(7), b(7), c(8);
  Bytes x(100), y(100), z(100), x2(100);
  a.Fill(x);
  b.Fill(y);
  c.Fill(z);
  a.Fill(x2);
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
  EXPECT_NE(x, x2);  // successive calls never repeat the stream
  SystemRng s;
  Bytes r1(32), r2(32);
  s.Fill(r1);
  s.Fill(r2);
  EXPECT_NE(r1, r2);
}

}  // namespace
}  // namespace tss::crypto

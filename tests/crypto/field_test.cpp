// The base field and the constant-time point steps of the base OT, held against libsecp256k1:
// FieldElement arithmetic at the edges (0, 1, p − 1, values ≥ p that must wrap), AddToEach
// against libsecp256k1's own point addition, and the ECDH-based secret multiplication against
// the ordinary one.
#include "crypto/field.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

#include "crypto/point.h"
#include "crypto/rng.h"
#include "crypto/scalar.h"

namespace tss::crypto {
namespace {

using Bytes32 = std::array<uint8_t, 32>;

// p = 2^256 − 2^32 − 977, big-endian.
Bytes32 PMinus(uint32_t k) {
  Bytes32 b;
  b.fill(0xff);
  // p's low 64 bits are 0xFFFFFFFEFFFFFC2F; subtract k from them (k small).
  uint64_t low = 0xFFFFFFFEFFFFFC2FULL - k;
  for (int i = 0; i < 8; ++i) b[31 - i] = uint8_t(low >> (8 * i));
  return b;
}

Bytes32 Of(const FieldElement& f) {
  Bytes32 b;
  f.ToBytes(b.data());
  return b;
}

FieldElement From(const Bytes32& b) {
  return FieldElement::FromBytes(b.data());
}

FieldElement Small(uint8_t v) {
  Bytes32 b{};
  b[31] = v;
  return From(b);
}

TEST(Field, EdgesWrapAndCancel) {
  const FieldElement zero, one = Small(1), minus_one = From(PMinus(1));
  EXPECT_EQ(zero.IsZero(), 1u);
  EXPECT_EQ(one.IsZero(), 0u);
  EXPECT_EQ(From(PMinus(0)).IsZero(), 1u);  // p itself wraps to 0
  EXPECT_EQ(Of(From(Bytes32{} /*0*/) - one), PMinus(1));
  EXPECT_EQ((minus_one + one).IsZero(), 1u);
  EXPECT_EQ(Of(minus_one + minus_one), PMinus(2));
  EXPECT_EQ(Of(minus_one * minus_one), Of(one));
  Bytes32 all_ones;
  all_ones.fill(0xff);  // 2^256 − 1 = p + 2^32 + 976
  Bytes32 want{};
  want[27] = 0x01, want[30] = 0x03, want[31] = 0xd0;  // 2^32 + 976
  EXPECT_EQ(Of(From(all_ones)), want);
  EXPECT_EQ(From(PMinus(0)).Inverse().IsZero(), 1u);  // the inverse of zero is zero
  EXPECT_EQ(Of(FieldElement::Select(one, minus_one, 0)), Of(one));
  EXPECT_EQ(Of(FieldElement::Select(one, minus_one, 3)), Of(minus_one));
  EXPECT_EQ(minus_one.IsOdd(), 0u);  // p − 1 is even
}

TEST(Field, RingLawsAndInverse) {
  DeterministicRng rng(1);
  for (int n = 0; n < 200; ++n) {
    Bytes32 ab, bb, cb;
    rng.Fill(ab);
    rng.Fill(bb);
    rng.Fill(cb);
    const FieldElement a = From(ab), b = From(bb), c = From(cb);
    EXPECT_EQ(Of(a * b), Of(b * a));
    EXPECT_EQ(Of(a * (b + c)), Of(a * b + a * c));
    EXPECT_EQ(Of((a * b) * c), Of(a * (b * c)));
    EXPECT_EQ(Of(a + b - b), Of(a));
    EXPECT_EQ(Of(a - b + b), Of(a));
    EXPECT_EQ(Of(a * a.Inverse()), Of(Small(1))) << n;
  }
}

// AddToEach gives libsecp256k1's P_k + Q for every k (batches of 1, 2 and 7, and Q = −P_k's
// neighbours), Negated and ToCompressed agree with it, and the ECDH path gives k·P exactly as
// the variable-time multiplication does.
TEST(Field, AddToEachAndSecretMultiplicationMatchLibsecp256k1) {
  DeterministicRng rng(2);
  for (size_t count : {size_t{1}, size_t{2}, size_t{7}}) {
    const Point q = Point::BaseMul(Scalar::RandomNonZero(rng));
    const auto qe = q.ToUncompressedBytes();
    const AffinePoint qa = AffinePoint::FromCoordinates(qe.data() + 1);
    std::vector<Point> ps;
    std::vector<AffinePoint> in, out(count);
    for (size_t k = 0; k < count; ++k) {
      // Also the negation of a neighbour's point: x differs from q's, y signs vary.
      ps.push_back(k % 3 == 2 ? -ps[k - 1] : Point::BaseMul(Scalar::RandomNonZero(rng)));
      in.push_back(AffinePoint::FromCoordinates(ps.back().ToUncompressedBytes().data() + 1));
    }
    AddToEach(in, qa, out);
    for (size_t k = 0; k < count; ++k) {
      const auto sum = (ps[k] + q).ToUncompressedBytes();
      EXPECT_EQ(0, std::memcmp(Of(out[k].x).data(), sum.data() + 1, 32)) << count << "/" << k;
      EXPECT_EQ(0, std::memcmp(Of(out[k].y).data(), sum.data() + 33, 32)) << count << "/" << k;
      std::array<uint8_t, 33> compressed;
      out[k].ToCompressed(compressed.data());
      EXPECT_EQ(compressed, (ps[k] + q).ToBytes());
      in[k].Negated().ToCompressed(compressed.data());
      EXPECT_EQ(compressed, (-ps[k]).ToBytes());
    }
  }
  for (int n = 0; n < 50; ++n) {
    const Point p = Point::BaseMul(Scalar::RandomNonZero(rng));
    const Scalar k = Scalar::RandomNonZero(rng);
    const auto xy = p.SecretMulCoordinates(k);
    const auto want = (p * k).ToUncompressedBytes();
    EXPECT_EQ(0, std::memcmp(xy.data(), want.data() + 1, 64)) << n;
    EXPECT_EQ(p.SecretMulToBytes(k), (p * k).ToBytes()) << n;
    EXPECT_EQ(p.SecretMul(k), p * k) << n;
  }
  EXPECT_TRUE(Point::Generator().SecretMul(Scalar()).IsInfinity());
  EXPECT_TRUE(Point::Infinity().SecretMul(Scalar::One()).IsInfinity());
}

}  // namespace
}  // namespace tss::crypto

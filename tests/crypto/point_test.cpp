#include "crypto/point.h"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "common/bytes.h"
#include "crypto/rng.h"

namespace tss::crypto {
namespace {

constexpr const char* kGCompressed =
    "0279BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798";

TEST(Point, GeneratorEncoding) {
  EXPECT_EQ(ToHex(Point::Generator().ToBytes()), ToHex(*FromHex(kGCompressed)));
}

TEST(Point, GroupLaw) {
  DeterministicRng rng(10);
  const Point& G = Point::Generator();
  for (int i = 0; i < 30; ++i) {
    Scalar a = Scalar::Random(rng), b = Scalar::Random(rng);
    Point A = Point::BaseMul(a), B = Point::BaseMul(b);
    EXPECT_EQ(A + B, Point::BaseMul(a + b));
    EXPECT_EQ(A + B, B + A);
    EXPECT_EQ(A * b, B * a);
    EXPECT_EQ(G * a, A);
    EXPECT_EQ(A - B, Point::BaseMul(a - b));
    EXPECT_EQ((A + B) + G, A + (B + G));
    EXPECT_TRUE((A - A).IsInfinity());
    EXPECT_EQ(A + Point::Infinity(), A);
    EXPECT_EQ(Point::Infinity() + A, A);
  }
}

TEST(Point, InfinityIsExplicit) {
  EXPECT_TRUE(Point::BaseMul(Scalar::Zero()).IsInfinity());
  EXPECT_TRUE((Point::Generator() * Scalar::Zero()).IsInfinity());
  EXPECT_TRUE((Point::Infinity() * Scalar::One()).IsInfinity());
  // n·G = infinity: (n-1)·G + G.
  EXPECT_TRUE((Point::BaseMul(-Scalar::One()) + Point::Generator()).IsInfinity());
  EXPECT_EQ(-Point::Infinity(), Point::Infinity());
  EXPECT_NE(Point::Infinity(), Point::Generator());
  std::vector<Point> cancel = {Point::Generator(), Point::Infinity(), -Point::Generator()};
  EXPECT_TRUE(Point::Sum(cancel).IsInfinity());
  std::vector<Point> three = {Point::Generator(), Point::Generator(), Point::Generator()};
  EXPECT_EQ(Point::Sum(three), Point::BaseMul(Scalar::FromU64(3)));
  EXPECT_TRUE(Point::Sum({}).IsInfinity());
}

TEST(Point, EncodingsRoundTrip) {
  DeterministicRng rng(11);
  for (int i = 0; i < 20; ++i) {
    Point P = Point::BaseMul(Scalar::RandomNonZero(rng));
    auto c = P.ToBytes();
    auto u = P.ToUncompressedBytes();
    EXPECT_EQ(*Point::FromBytes(c), P);
    EXPECT_EQ(*Point::FromBytes(u), P);
    EXPECT_EQ(P.YIsOdd(), c[0] == 0x03);
  }
}

TEST(Point, BadEncodingsAreRefusedWithAReason) {
  Bytes g = *FromHex(kGCompressed);
  Bytes wrong_prefix = g;
  wrong_prefix[0] = 0x05;
  auto g_uncompressed = Point::Generator().ToUncompressedBytes();
  Bytes hybrid(g_uncompressed.begin(), g_uncompressed.end());
  hybrid[0] = 0x06;  // SEC1 "hybrid" form: we never accept it
  // x = 5: 5^3 + 7 is not a square mod p, so no point has this x.
  Bytes off_curve = *FromHex("020000000000000000000000000000000000000000000000000000000000000005");
  Bytes x_too_big =
      *FromHex("02FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC30");  // x = p + 1
  Bytes uncompressed_off = hybrid;
  uncompressed_off[0] = 0x04;
  uncompressed_off[64] ^= 0x01;  // y wrong
  struct Case {
    Bytes enc;
    const char* why;
  } cases[] = {
      {Bytes{0x00}, "infinity"},
      {Bytes{}, "33 (compressed)"},
      {Bytes(33, 0), "0x02 or 0x03"},
      {wrong_prefix, "0x02 or 0x03"},
      {hybrid, "0x04"},
      {off_curve, "not a point"},
      {x_too_big, "not a point"},
      {uncompressed_off, "not a point"},
      {Bytes(g.begin(), g.end() - 1), "33 (compressed)"},
  };
  for (const auto& c : cases) {
    auto r = Point::FromBytes(c.enc);
    ASSERT_FALSE(r.ok()) << ToHex(c.enc);
    EXPECT_NE(r.status().message().find(c.why), std::string::npos) << r.status().message();
  }
}

TEST(Point, ScalarMulAgreesWithOpenSsl) {
  // OpenSSL's own secp256k1 implementation computes k·G independently of libsecp256k1.
  EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_secp256k1);
  BN_CTX* ctx = BN_CTX_new();
  DeterministicRng rng(12);
  for (int i = 0; i < 10; ++i) {
    Scalar k = Scalar::RandomNonZero(rng);
    auto kb = k.ToBytes();
    BIGNUM* bn = BN_bin2bn(kb.data(), 32, nullptr);
    EC_POINT* p = EC_POINT_new(group);
    ASSERT_EQ(EC_POINT_mul(group, p, bn, nullptr, nullptr, ctx), 1);
    uint8_t out[33];
    ASSERT_EQ(EC_POINT_point2oct(group, p, POINT_CONVERSION_COMPRESSED, out, 33, ctx), 33u);
    EXPECT_EQ(ToHex(out), ToHex(Point::BaseMul(k).ToBytes()));
    EC_POINT_free(p);
    BN_free(bn);
  }
  BN_CTX_free(ctx);
  EC_GROUP_free(group);
}

}  // namespace
}  // namespace tss::crypto

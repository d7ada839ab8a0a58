#include "common/bytes.h"

#include <gtest/gtest.h>

#include "common/secure.h"

namespace tss {
namespace {

TEST(Hex, RoundTrip) {
  Bytes b{0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(ToHex(b), "0001abff");
  auto back = FromHex("0x0001ABff");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, b);
}

TEST(Hex, RefusesBadInput) {
  EXPECT_FALSE(FromHex("abc").ok());
  EXPECT_FALSE(FromHex("zz").ok());
  EXPECT_FALSE(FromHex("0g").ok());
  EXPECT_EQ(FromHex("abc").status().code(), ErrorCode::kInvalidArgument);
}

TEST(ByteReader, UVarintVectors) {
  // Vectors from the multiformats unsigned-varint spec.
  struct Case {
    uint64_t value;
    Bytes encoding;
  } cases[] = {{1, {0x01}},         {127, {0x7f}},       {128, {0x80, 0x01}},
               {255, {0xff, 0x01}}, {300, {0xac, 0x02}}, {16384, {0x80, 0x80, 0x01}}};
  for (const auto& c : cases) {
    ByteWriter w;
    w.UVarint(c.value);
    EXPECT_EQ(w.bytes(), c.encoding) << c.value;
    ByteReader r(c.encoding);
    uint64_t v = 0;
    ASSERT_TRUE(r.UVarint(v));
    EXPECT_EQ(v, c.value);
    EXPECT_TRUE(r.done());
  }
}

TEST(ByteReader, RefusesBadVarints) {
  const Bytes bad[] = {
      {},                                                            // empty
      {0x80},                                                        // truncated
      {0x81, 0x00},                                                  // not minimal
      {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},  // longer than 9 bytes
  };
  for (const auto& b : bad) {
    ByteReader r(b);
    uint64_t v;
    EXPECT_FALSE(r.UVarint(v)) << ToHex(b);
  }
}

TEST(ByteReader, BoundsChecked) {
  Bytes data{0x00, 0x05, 1, 2, 3};
  ByteReader r(data);
  uint16_t n;
  ASSERT_TRUE(r.U16(n));
  EXPECT_EQ(n, 5);
  ByteSpan s;
  EXPECT_FALSE(r.Raw(n, s));  // only 3 left
  EXPECT_FALSE(r.ok());
  uint8_t b;
  EXPECT_FALSE(r.U8(b));  // failure is sticky
}

TEST(ByteReader, LengthPrefixedRespectsMax) {
  ByteWriter w;
  w.LengthPrefixed(Bytes(10, 7));
  ByteReader r1(w.bytes());
  ByteSpan s;
  EXPECT_FALSE(r1.LengthPrefixed(s, 9));
  ByteReader r2(w.bytes());
  ASSERT_TRUE(r2.LengthPrefixed(s, 10));
  EXPECT_EQ(s.size(), 10u);
  EXPECT_TRUE(r2.done());
}

TEST(SecureBytes, AppendKeepsContentAndCloneIsIndependent) {
  SecureBytes s;
  for (int i = 0; i < 100; ++i) {
    uint8_t b = static_cast<uint8_t>(i);
    s.Append({&b, 1});
  }
  ASSERT_EQ(s.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(s.data()[i], i);
  SecureBytes c = s.Clone();
  s.Clear();
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(c.size(), 100u);
}

}  // namespace
}  // namespace tss

#include "core/key_record.h"

#include <gtest/gtest.h>

namespace tss::core {
namespace {

KeyRecord Sample() {
  KeyRecord r;
  r.key_id = "key-1";
  r.participants = {"a", "b", "c", "d"};
  r.threshold = 3;
  r.public_key = Bytes(33, 2);
  Bytes share(500, 9);
  r.share = SecureBytes(share);
  r.culprits = {"c"};
  return r;
}

TEST(KeyRecord, RoundTrip) {
  KeyRecord r = Sample();
  SecureBytes enc = EncodeKeyRecord(r);
  auto back = DecodeKeyRecord(enc.span());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->key_id, r.key_id);
  EXPECT_EQ(back->participants, r.participants);
  EXPECT_EQ(back->threshold, r.threshold);
  EXPECT_EQ(back->public_key, r.public_key);
  EXPECT_EQ(back->culprits, r.culprits);
  EXPECT_TRUE(back->NeedsRefresh());
  EXPECT_TRUE(std::equal(back->share.span().begin(), back->share.span().end(),
                         r.share.span().begin(), r.share.span().end()));
}

TEST(KeyRecord, TruncationsAndBadFieldsAreRefused) {
  SecureBytes enc = EncodeKeyRecord(Sample());
  for (size_t n = 0; n < enc.size(); ++n)
    EXPECT_FALSE(DecodeKeyRecord(enc.span().subspan(0, n)).ok()) << n;
  KeyRecord bad = Sample();
  bad.threshold = 5;
  EXPECT_FALSE(DecodeKeyRecord(EncodeKeyRecord(bad).span()).ok());
  bad = Sample();
  bad.public_key = Bytes(32, 2);
  EXPECT_FALSE(DecodeKeyRecord(EncodeKeyRecord(bad).span()).ok());
}

TEST(KeyRecord, VersionOneDecodesWithoutCulprits) {
  KeyRecord r = Sample();
  r.culprits.clear();
  SecureBytes enc = EncodeKeyRecord(r);
  // Version 1 is version 2 without the trailing culprit count.
  Bytes v1(enc.span().begin(), enc.span().end() - 1);
  v1[0] = 1;
  auto back = DecodeKeyRecord(v1);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->culprits.empty());
  v1[0] = 3;
  EXPECT_FALSE(DecodeKeyRecord(v1).ok());
}

}  // namespace
}  // namespace tss::core

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

// What a sign's ACK offers: the active generation, then the retained one, never a pending one;
// and the record a sign with one of them hands the protocol.
TEST(KeyRecord, SigningGenerationsAreTheActiveAndTheRetainedOne) {
  KeyRecord r = Sample();
  r.generation = 4;
  r.fingerprint.fill(4);
  EXPECT_EQ(r.SigningGenerations(), (std::vector<GenerationId>{{4, r.fingerprint}}));
  PendingShare& p = r.pending.emplace();
  p.share = SecureBytes(Bytes(500, 5));
  p.generation = 5;
  p.fingerprint.fill(5);
  EXPECT_EQ(r.SigningGenerations().size(), 1u);  // pending: never offered
  EXPECT_FALSE(r.AtGeneration({5, p.fingerprint}));
  RetainedShare& old = r.previous.emplace();
  old.share = SecureBytes(Bytes(500, 3));
  old.generation = 3;
  old.fingerprint.fill(3);
  const GenerationId active{4, r.fingerprint}, retained{3, old.fingerprint};
  EXPECT_EQ(r.SigningGenerations(), (std::vector<GenerationId>{active, retained}));

  auto at = r.AtGeneration(retained);
  ASSERT_TRUE(at);
  EXPECT_EQ(at->generation, 3u);
  EXPECT_EQ(at->fingerprint, old.fingerprint);
  EXPECT_EQ(Bytes(at->share.span().begin(), at->share.span().end()), Bytes(500, 3));
  EXPECT_EQ(at->public_key, r.public_key);
  EXPECT_EQ(at->participants, r.participants);
  EXPECT_EQ(at->culprits, r.culprits);
  EXPECT_FALSE(at->pending);
  EXPECT_FALSE(at->previous);
  at = r.AtGeneration(active);
  ASSERT_TRUE(at);
  EXPECT_EQ(Bytes(at->share.span().begin(), at->share.span().end()), Bytes(500, 9));
  // Number and fingerprint must both match.
  GenerationId wrong = retained;
  wrong.fingerprint[0] ^= 1;
  EXPECT_FALSE(r.AtGeneration(wrong));
  EXPECT_FALSE(r.AtGeneration({2, old.fingerprint}));
  // A keygen awaiting confirmations has nothing to sign with.
  KeyRecord pending_keygen = Sample();
  pending_keygen.share = SecureBytes();
  EXPECT_TRUE(pending_keygen.SigningGenerations().empty());
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

// The version 3 trailer of a record with nothing pending or retained: generation,
// fingerprint and two absent flags.
constexpr size_t kV3Trailer = 4 + 32 + 1 + 1 + 1;  // with an empty event id

TEST(KeyRecord, VersionOneDecodesWithoutCulprits) {
  KeyRecord r = Sample();
  r.culprits.clear();
  SecureBytes enc = EncodeKeyRecord(r);
  // Version 1 is version 2 without the trailing culprit count.
  Bytes v1(enc.span().begin(), enc.span().end() - kV3Trailer - 1);
  v1[0] = 1;
  auto back = DecodeKeyRecord(v1);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->culprits.empty());
  EXPECT_TRUE(back->Active());
  v1[0] = 4;
  EXPECT_FALSE(DecodeKeyRecord(v1).ok());
}

TEST(KeyRecord, VersionTwoDecodesAsActiveOfUnknownGeneration) {
  KeyRecord r = Sample();
  SecureBytes enc = EncodeKeyRecord(r);
  Bytes v2(enc.span().begin(), enc.span().end() - kV3Trailer);
  v2[0] = 2;
  auto back = DecodeKeyRecord(v2);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->culprits, r.culprits);
  EXPECT_TRUE(back->Active());
  EXPECT_EQ(back->generation, 0u);
  EXPECT_FALSE(back->pending);
  EXPECT_FALSE(back->previous);
  // A version 2 record with an empty share was never valid.
  KeyRecord empty = Sample();
  empty.share = SecureBytes();
  SecureBytes enc2 = EncodeKeyRecord(empty);
  Bytes e2(enc2.span().begin(), enc2.span().end() - kV3Trailer);
  e2[0] = 2;
  EXPECT_FALSE(DecodeKeyRecord(e2).ok());
}

TEST(KeyRecord, LifecycleRoundTrips) {
  KeyRecord r = Sample();
  r.generation = 4;
  r.fingerprint.fill(0x44);
  r.event_id = "refresh-0";
  PendingShare& p = r.pending.emplace();
  p.share = SecureBytes(Bytes(300, 5));
  p.generation = 5;
  p.fingerprint.fill(0x55);
  p.event_id = "refresh-1";
  p.run_id.fill(0x77);
  RetainedShare& old = r.previous.emplace();
  old.share = SecureBytes(Bytes(200, 3));
  old.generation = 3;
  old.fingerprint.fill(0x33);
  SecureBytes enc = EncodeKeyRecord(r);
  auto back = DecodeKeyRecord(enc.span());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->generation, 4u);
  EXPECT_EQ(back->fingerprint, r.fingerprint);
  EXPECT_EQ(back->event_id, "refresh-0");
  ASSERT_TRUE(back->pending);
  EXPECT_EQ(back->pending->generation, 5u);
  EXPECT_EQ(back->pending->fingerprint, p.fingerprint);
  EXPECT_EQ(back->pending->event_id, "refresh-1");
  EXPECT_EQ(back->pending->run_id, p.run_id);
  EXPECT_EQ(back->pending->share.size(), 300u);
  ASSERT_TRUE(back->previous);
  EXPECT_EQ(back->previous->generation, 3u);
  EXPECT_EQ(back->previous->fingerprint, old.fingerprint);
  EXPECT_EQ(back->previous->share.size(), 200u);
  for (size_t n = 0; n < enc.size(); ++n)
    EXPECT_FALSE(DecodeKeyRecord(enc.span().subspan(0, n)).ok()) << n;
}

// A quorum change's pending share is of another sharing: its holders and threshold travel with
// it, and the record's stay those of the active share until activation.
TEST(KeyRecord, QuorumChangePendingCarriesItsHolders) {
  KeyRecord r = Sample();
  r.generation = 2;
  r.fingerprint.fill(0x22);
  PendingShare& p = r.pending.emplace();
  p.share = SecureBytes(Bytes(300, 5));
  p.generation = 3;
  p.event_id = "qc-1";
  p.participants = {"a", "b", "c", "d", "e"};
  p.threshold = 4;
  EXPECT_EQ(r.PendingHolders(), p.participants);
  SecureBytes enc = EncodeKeyRecord(r);
  auto back = DecodeKeyRecord(enc.span());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->participants, r.participants);
  EXPECT_EQ(back->threshold, 3);
  ASSERT_TRUE(back->pending);
  EXPECT_EQ(back->pending->participants, p.participants);
  EXPECT_EQ(back->pending->threshold, 4);
  EXPECT_EQ(back->PendingHolders(), p.participants);
  for (size_t n = 0; n < enc.size(); ++n)
    EXPECT_FALSE(DecodeKeyRecord(enc.span().subspan(0, n)).ok()) << n;
  // A refresh's pending share has the record's holders.
  r.pending->participants.clear();
  r.pending->threshold = 0;
  back = DecodeKeyRecord(EncodeKeyRecord(r).span());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->PendingHolders(), r.participants);
  // Holders without a threshold, a threshold above them, or one holder: refused.
  KeyRecord& bad = r;  // the last use of r
  bad.pending->participants = {"a", "b"};
  EXPECT_FALSE(DecodeKeyRecord(EncodeKeyRecord(bad).span()).ok());
  bad.pending->threshold = 3;
  EXPECT_FALSE(DecodeKeyRecord(EncodeKeyRecord(bad).span()).ok());
  bad.pending->participants = {"a"};
  bad.pending->threshold = 2;
  EXPECT_FALSE(DecodeKeyRecord(EncodeKeyRecord(bad).span()).ok());
  // Version 3 wrote no holders and threshold after the run id: it decodes as a refresh's.
  Bytes v3(enc.span().begin(), enc.span().end());
  const size_t tail = 1 + 5 * 2 + 2 + 1;  // count, five one-letter holders, threshold, no previous
  v3.erase(v3.end() - static_cast<long>(tail), v3.end() - 1);
  v3[0] = 3;
  back = DecodeKeyRecord(v3);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->pending->participants.empty());
  EXPECT_EQ(back->PendingHolders(), r.participants);
}

TEST(KeyRecord, PendingKeygenHasNoActiveShare) {
  KeyRecord r = Sample();
  r.share = SecureBytes();
  EXPECT_FALSE(r.Active());
  // Neither active nor pending: refused.
  EXPECT_FALSE(DecodeKeyRecord(EncodeKeyRecord(r).span()).ok());
  PendingShare& p = r.pending.emplace();
  p.share = SecureBytes(Bytes(300, 5));
  p.event_id = "keygen-1";
  auto back = DecodeKeyRecord(EncodeKeyRecord(r).span());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_FALSE(back->Active());
  ASSERT_TRUE(back->pending);
  // A pending entry without a share, or a bad flag, is refused.
  r.pending->share = SecureBytes();
  EXPECT_FALSE(DecodeKeyRecord(EncodeKeyRecord(r).span()).ok());
  KeyRecord flag = Sample();
  SecureBytes enc = EncodeKeyRecord(flag);
  Bytes bad(enc.span().begin(), enc.span().end());
  bad[bad.size() - 2] = 2;
  EXPECT_FALSE(DecodeKeyRecord(bad).ok());
}

}  // namespace
}  // namespace tss::core

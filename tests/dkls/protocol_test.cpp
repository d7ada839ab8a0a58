// End-to-end keygen, refresh and signing with every party in one process; every signature is
// checked by libsecp256k1 and OpenSSL.
#include <gtest/gtest.h>

#include "dkls_test_util.h"

namespace tss::dkls {
namespace {

using testing::CachedKey;
using testing::ExpectValidSignature;
using testing::HashOf;
using testing::Pick;
using testing::RandomSigners;
using testing::Sid;

void ExpectConsistentKey(const std::vector<KeyShare>& shares, uint16_t n, uint16_t t) {
  ASSERT_EQ(shares.size(), n);
  for (uint16_t i = 1; i <= n; ++i) {
    const KeyShare& k = shares[i - 1];
    EXPECT_EQ(k.index, i);
    EXPECT_EQ(k.n, n);
    EXPECT_EQ(k.t, t);
    EXPECT_EQ(k.public_key, shares[0].public_key);
    EXPECT_EQ(k.key_id, shares[0].key_id);
    EXPECT_EQ(k.public_shares, shares[0].public_shares);
    EXPECT_EQ(k.Fingerprint(), shares[0].Fingerprint());
    EXPECT_TRUE(k.Validate().ok()) << k.Validate().ToString();
  }
}

class KeygenAndSign : public ::testing::TestWithParam<std::pair<int, int>> {};

TEST_P(KeygenAndSign, RandomSignerSetsVerify) {
  const auto [t, n] = GetParam();
  const auto& shares = CachedKey(uint16_t(n), uint16_t(t));
  ExpectConsistentKey(shares, uint16_t(n), uint16_t(t));
  crypto::DeterministicRng rng(7 * n + t);
  for (int k = 0; k < 3; ++k) {
    const auto signers = RandomSigners(uint16_t(n), uint16_t(t), rng);
    const auto hash = HashOf("message " + std::to_string(k));
    Traffic traffic;
    auto sig =
        LocalSign(Pick(shares, signers), hash, Sid("sign " + std::to_string(k)), rng, &traffic);
    ASSERT_TRUE(sig.ok()) << sig.status().ToString();
    ExpectValidSignature(shares[0].public_key, hash, *sig);
    // t(t−1) addressed messages in each of rounds 1 and 2, t broadcasts in round 3.
    EXPECT_EQ(traffic.messages, size_t(2 * t * (t - 1) + t));
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, KeygenAndSign,
                         ::testing::Values(std::make_pair(2, 2), std::make_pair(2, 3),
                                           std::make_pair(3, 4), std::make_pair(3, 5)),
                         [](const auto& info) {
                           return std::to_string(info.param.first) + "of" +
                                  std::to_string(info.param.second);
                         });

TEST(Sign, ManySignaturesPerKeyAndEverySignerSet) {
  const auto& shares = CachedKey(3, 2);
  crypto::DeterministicRng rng(11);
  const std::vector<std::vector<uint16_t>> sets = {{1, 2}, {1, 3}, {2, 3}, {3, 1}};
  int k = 0;
  for (int round = 0; round < 3; ++round) {
    for (const auto& set : sets) {
      const auto hash = HashOf("many " + std::to_string(k));
      std::vector<const KeyShare*> signers;
      signers.reserve(set.size());
      for (uint16_t s : set) signers.push_back(&shares[s - 1]);
      auto sig = LocalSign(signers, hash, Sid("many " + std::to_string(k++)), rng);
      ASSERT_TRUE(sig.ok()) << sig.status().ToString();
      ExpectValidSignature(shares[0].public_key, hash, *sig);
    }
  }
}

TEST(Sign, SameHashTwiceGivesDifferentNonces) {
  const auto& shares = CachedKey(3, 2);
  crypto::DeterministicRng rng(12);
  const auto hash = HashOf("same");
  auto a = LocalSign(Pick(shares, {1, 2}), hash, Sid("same 1"), rng);
  auto b = LocalSign(Pick(shares, {1, 2}), hash, Sid("same 2"), rng);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->r, b->r);
  ExpectValidSignature(shares[0].public_key, hash, *a);
  ExpectValidSignature(shares[0].public_key, hash, *b);
}

TEST(Sign, StartTwiceProducesNothingNew) {
  const auto& shares = CachedKey(3, 2);
  crypto::DeterministicRng rng(13);
  auto s = SignSession::Create(shares[0], {1, 2}, HashOf("x"), Sid("twice"), rng);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->Start().size(), 1u);
  EXPECT_TRUE((*s)->Start().empty());
}

TEST(Sign, RefusesBadArguments) {
  const auto& shares = CachedKey(3, 2);
  crypto::DeterministicRng rng(14);
  const auto hash = HashOf("x");
  EXPECT_FALSE(SignSession::Create(shares[0], {1}, hash, Sid("a"), rng).ok());
  EXPECT_FALSE(SignSession::Create(shares[0], {1, 2, 3}, hash, Sid("a"), rng).ok());
  EXPECT_FALSE(SignSession::Create(shares[0], {2, 3}, hash, Sid("a"), rng).ok());
  EXPECT_FALSE(SignSession::Create(shares[0], {1, 1}, hash, Sid("a"), rng).ok());
  EXPECT_FALSE(SignSession::Create(shares[0], {1, 4}, hash, Sid("a"), rng).ok());
  EXPECT_FALSE(
      SignSession::Create(shares[0], {1, 2}, ByteSpan(hash.data(), 31), Sid("a"), rng).ok());
  EXPECT_FALSE(SignSession::Create(shares[0], {1, 2}, hash, Bytes{}, rng).ok());
  EXPECT_TRUE(SignSession::Create(shares[0], {2, 1}, hash, Sid("a"), rng).ok());
}

TEST(Keygen, RefusesBadArguments) {
  crypto::DeterministicRng rng(15);
  EXPECT_FALSE(KeygenSession::Create(3, 1, 1, Sid("k"), rng).ok());
  EXPECT_FALSE(KeygenSession::Create(3, 4, 1, Sid("k"), rng).ok());
  EXPECT_FALSE(KeygenSession::Create(3, 2, 0, Sid("k"), rng).ok());
  EXPECT_FALSE(KeygenSession::Create(3, 2, 4, Sid("k"), rng).ok());
  EXPECT_FALSE(KeygenSession::Create(3, 2, 1, Bytes{}, rng).ok());
  EXPECT_FALSE(KeygenSession::Create(256, 2, 1, Sid("k"), rng).ok());
}

TEST(Keygen, KeyIdIsHashOfPublicKeyAndSession) {
  const auto& shares = CachedKey(3, 2);
  EXPECT_EQ(shares[0].key_id, DeriveKeyId(shares[0].public_key, Sid("cached keygen 3/2")));
  EXPECT_EQ(shares[0].KeyIdHex().size(), 64u);
}

TEST(Keyrefresh, KeepsPublicKeyAndOldSharesCannotJoin) {
  crypto::DeterministicRng rng(16);
  auto fresh = LocalKeygen(3, 2, Sid("refresh keygen"), rng);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  auto refreshed = LocalKeyrefresh(*fresh, Sid("refresh 1"), rng);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().ToString();
  ExpectConsistentKey(*refreshed, 3, 2);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*refreshed)[i].public_key, (*fresh)[i].public_key);
    EXPECT_EQ((*refreshed)[i].key_id, (*fresh)[i].key_id);
    EXPECT_EQ((*refreshed)[i].generation, 1u);
    EXPECT_NE((*refreshed)[i].secret_share, (*fresh)[i].secret_share);
    EXPECT_NE((*refreshed)[i].PublicShare(uint16_t(i + 1)),
              (*fresh)[i].PublicShare(uint16_t(i + 1)));
  }
  const auto hash = HashOf("after refresh");
  for (const auto& set : std::vector<std::vector<uint16_t>>{{1, 2}, {1, 3}, {2, 3}}) {
    auto sig = LocalSign(Pick(*refreshed, set), hash, Sid("after refresh"), rng);
    ASSERT_TRUE(sig.ok()) << sig.status().ToString();
    ExpectValidSignature((*fresh)[0].public_key, hash, *sig);
  }

  // Party 1 keeps its old share, party 2 has the new one: both honest sessions refuse and name
  // the other, and neither outputs a signature.
  auto old1 = SignSession::Create((*fresh)[0], {1, 2}, hash, Sid("mixed"), rng);
  auto new2 = SignSession::Create((*refreshed)[1], {1, 2}, hash, Sid("mixed"), rng);
  ASSERT_TRUE(old1.ok() && new2.ok());
  std::vector<Session*> sessions = {old1->get(), new2->get()};
  EXPECT_FALSE(RunLocal(sessions).ok());
  ASSERT_TRUE((*new2)->Failed());
  EXPECT_EQ((*new2)->status().culprit(), 1);
  EXPECT_FALSE((*new2)->signature().has_value());
  EXPECT_FALSE((*old1)->signature().has_value());

  // A second refresh moves everything again; the first refresh's shares cannot refresh with it.
  auto twice = LocalKeyrefresh(*refreshed, Sid("refresh 2"), rng);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ((*twice)[0].generation, 2u);
  auto sig = LocalSign(Pick(*twice, {2, 3}), hash, Sid("after refresh 2"), rng);
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  ExpectValidSignature((*fresh)[0].public_key, hash, *sig);
}

TEST(KeyShare, SerializedSharesSign) {
  const auto& shares = CachedKey(4, 3);
  std::vector<KeyShare> decoded;
  for (const KeyShare& k : shares) {
    SecureBytes bytes = k.Encode();
    auto back = KeyShare::Decode(bytes.span());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->Encode().span().size(), bytes.size());
    EXPECT_TRUE(
        std::equal(bytes.span().begin(), bytes.span().end(), back->Encode().span().begin()));
    decoded.push_back(std::move(back).value());
  }
  crypto::DeterministicRng rng(17);
  const auto hash = HashOf("from disk");
  auto sig = LocalSign(Pick(decoded, {1, 3, 4}), hash, Sid("from disk"), rng);
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  ExpectValidSignature(shares[0].public_key, hash, *sig);
}

}  // namespace
}  // namespace tss::dkls

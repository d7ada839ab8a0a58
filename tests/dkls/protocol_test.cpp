// End-to-end keygen, refresh and signing with every party in one process; every signature is
// checked by libsecp256k1 and OpenSSL.
#include <gtest/gtest.h>

#include "dkls_test_util.h"

namespace tss::dkls {
namespace {

using testing::CachedKey;
using testing::ExpectConsistentKey;
using testing::ExpectValidSignature;
using testing::HashOf;
using testing::Pick;
using testing::RandomSigners;
using testing::Sid;

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
    EXPECT_EQ((*refreshed)[i].chain_code, (*fresh)[i].chain_code);
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

// ---- BIP32: the chain code keygen makes, and signing for a derived key.

// Expects (r, s) on `hash` to be refused by libsecp256k1 and by OpenSSL under `public_key`.
void ExpectRefusedByBoth(const crypto::Point& public_key, const crypto::Digest& hash,
                         const Signature& sig) {
  const auto pk = public_key.ToBytes();
  const auto r = sig.r.ToBytes(), s = sig.s.ToBytes();
  EXPECT_NE(tss::testing::VerifyWithLibsecp256k1(pk, hash, r, s), "");
  EXPECT_NE(tss::testing::VerifyWithOpenSsl(pk, hash, r, s), "");
}

TEST(ChainCode, EveryKeygenMakesAFreshOneThatEveryHolderShares) {
  const auto& a = CachedKey(3, 2);
  const auto& b = CachedKey(4, 3);
  ExpectConsistentKey(a, 3, 2);
  ASSERT_TRUE(a[0].chain_code && b[0].chain_code);
  EXPECT_NE(*a[0].chain_code, *b[0].chain_code);
  EXPECT_NE(*a[0].chain_code, crypto::bip32::ChainCode{});
  // The chain code is part of the fingerprint: holders with different ones are told apart.
  KeyShare other = a[0].Clone();
  (*other.chain_code)[0] ^= 1;
  EXPECT_NE(other.Fingerprint(), a[0].Fingerprint());
  other.chain_code.reset();
  EXPECT_NE(other.Fingerprint(), a[0].Fingerprint());
}

// A path of three non-hardened steps: the signature verifies (libsecp256k1 and OpenSSL) under the
// child key bip32::Derive computes from the group key and chain code, not under the root key;
// after a refresh the same path gives the same child key and signs again.
TEST(DerivedSign, SignsForTheChildKeyOnlyAndARefreshKeepsIt) {
  crypto::DeterministicRng rng(18);
  auto shares = LocalKeygen(4, 3, Sid("derived keygen"), rng);
  ASSERT_TRUE(shares.ok()) << shares.status().ToString();
  auto path = crypto::bip32::ParsePath("m/1/2/3");
  ASSERT_TRUE(path.ok());
  auto derived = (*shares)[0].Derive(*path);
  ASSERT_TRUE(derived.ok()) << derived.status().ToString();
  const crypto::Point child = derived->child.key;
  const crypto::Point root = (*shares)[0].public_key;
  ASSERT_NE(child, root);
  EXPECT_EQ(derived->child.depth, 3);
  EXPECT_EQ(root + crypto::Point::BaseMul(derived->tweak), child);
  const auto hash = HashOf("derived");
  // Every signer set, so that the designated signer (the lowest) differs between runs.
  for (const auto& set : std::vector<std::vector<uint16_t>>{{1, 2, 3}, {2, 3, 4}, {1, 3, 4}}) {
    auto sig =
        LocalSign(Pick(*shares, set), hash, Sid("derived sign"), rng, nullptr, derived->tweak);
    ASSERT_TRUE(sig.ok()) << sig.status().ToString();
    ExpectValidSignature(child, hash, *sig);
    ExpectRefusedByBoth(root, hash, *sig);
  }

  auto refreshed = LocalKeyrefresh(*shares, Sid("derived refresh"), rng);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().ToString();
  auto again = (*refreshed)[2].Derive(*path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->child, derived->child);
  EXPECT_EQ(again->tweak, derived->tweak);
  auto sig = LocalSign(Pick(*refreshed, {1, 2, 4}), hash, Sid("derived after refresh"), rng,
                       nullptr, again->tweak);
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  ExpectValidSignature(child, hash, *sig);
  ExpectRefusedByBoth(root, hash, *sig);
}

// Signers that derived different children (another tweak, or none) refuse each other in round 1
// and name the other; neither outputs a signature.
TEST(DerivedSign, SignersWithAnotherDerivationAreNamedInRoundOne) {
  const auto& shares = CachedKey(3, 2);
  crypto::DeterministicRng rng(19);
  const auto hash = HashOf("other derivation");
  auto a = shares[0].Derive(std::vector<uint32_t>{0});
  auto b = shares[0].Derive(std::vector<uint32_t>{1});
  ASSERT_TRUE(a.ok() && b.ok());
  for (const crypto::Scalar& other : {b->tweak, crypto::Scalar()}) {
    auto s1 = SignSession::Create(shares[0], {1, 2}, hash, Sid("other"), rng, a->tweak);
    auto s2 = SignSession::Create(shares[1], {1, 2}, hash, Sid("other"), rng, other);
    ASSERT_TRUE(s1.ok() && s2.ok());
    std::vector<Session*> sessions = {s1->get(), s2->get()};
    EXPECT_FALSE(RunLocal(sessions).ok());
    for (const auto* s : {s1->get(), s2->get()}) {
      ASSERT_TRUE(s->Failed());
      EXPECT_EQ(s->status().culprit(), s->me() == 1 ? 2 : 1);
      EXPECT_NE(s->status().message().find("another derived key"), std::string::npos);
      EXPECT_FALSE(s->signature().has_value());
    }
  }
}

// A share without a chain code (decoded from a version-2 encoding) cannot derive, and says why.
TEST(DerivedSign, AShareWithoutAChainCodeRefusesToDerive) {
  KeyShare old = CachedKey(3, 2)[0].Clone();
  old.chain_code.reset();
  auto derived = old.Derive(std::vector<uint32_t>{1, 2});
  ASSERT_FALSE(derived.ok());
  EXPECT_EQ(derived.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(derived.status().message().find("no BIP32 chain code"), std::string::npos);
  EXPECT_FALSE(old.ExtendedKey().ok());
}

}  // namespace
}  // namespace tss::dkls

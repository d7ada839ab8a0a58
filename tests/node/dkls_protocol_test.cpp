// DklsProtocolFactory keeps the last decoding of each key's share (node/dkls_protocol.h): what
// it answers must follow the stored bytes, never the cache — a burn, a refresh or another
// holder's record must be seen at once.
#include "node/dkls_protocol.h"

#include <gtest/gtest.h>

#include "core/roster.h"
#include "crypto/rng.h"
#include "dkls/dkls.h"
#include "dkls/local.h"

namespace tss::node {
namespace {

class DklsProtocolFactoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Bytes sid(32, 7);
    auto shares = dkls::LocalKeygen(3, 2, sid, crypto::SystemRandom());
    ASSERT_TRUE(shares.ok()) << shares.status().ToString();
    shares_ = std::move(*shares);
  }

  // Holder `index` (1-based) of the key, as its node stores it.
  core::KeyRecord Record(int index) const { return RecordOf(shares_[index - 1]); }
  static core::KeyRecord RecordOf(const dkls::KeyShare& share) {
    core::KeyRecord r;
    r.key_id = share.KeyIdHex();
    r.participants = {"validator-1", "validator-2", "validator-3"};
    r.threshold = share.t;
    auto pk = share.public_key.ToBytes();
    r.public_key.assign(pk.begin(), pk.end());
    r.share = share.Encode();
    r.generation = share.generation;
    return r;
  }
  // The same with the generation's fingerprint, as records of version 3 have it.
  static core::KeyRecord Versioned(const dkls::KeyShare& share) {
    core::KeyRecord r = RecordOf(share);
    r.fingerprint = share.Fingerprint();
    return r;
  }

  core::SetupBody SignSetup(const core::KeyRecord& key) const {
    core::SetupBody s;
    s.protocol = core::ProtocolType::kSign;
    s.threshold = key.threshold;
    s.participants = {"validator-1", "validator-2"};
    s.key_id = key.key_id;
    s.message_hash = Bytes(32, 1);
    return s;
  }

  std::vector<dkls::KeyShare> shares_;
};

TEST_F(DklsProtocolFactoryTest, ABurnIsSeenAtOnceThoughTheShareWasDecodedBefore) {
  DklsProtocolFactory factory(crypto::SystemRandom());
  core::KeyRecord key = Record(1);
  const core::SetupBody setup = SignSetup(key);
  auto roster = core::Roster::ForSetup(setup, &key, "validator-1");
  ASSERT_TRUE(roster.ok()) << roster.status().ToString();
  ASSERT_TRUE(factory.CanRun(setup, *roster, &key).ok());  // decoded and kept

  ASSERT_TRUE(factory.Burn(key, 2).ok());
  Status refused = factory.CanRun(setup, *roster, &key);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("burned"), std::string::npos) << refused.message();
  EXPECT_FALSE(
      factory.Create(setup, *roster, core::SessionId{}, &key).ok());  // the pair cannot multiply

  // Another record of the same key id (here: another holder's) is decoded afresh, not taken
  // for the kept one: its party index does not match ours.
  core::KeyRecord other = Record(2);
  Status foreign = factory.CanRun(setup, *roster, &other);
  EXPECT_FALSE(foreign.ok());
  EXPECT_NE(foreign.message().find("another party index"), std::string::npos) << foreign.message();
}

TEST_F(DklsProtocolFactoryTest, ADamagedShareIsRefusedEvenAfterAGoodOneWasDecoded) {
  DklsProtocolFactory factory(crypto::SystemRandom());
  core::KeyRecord key = Record(1);
  const core::SetupBody setup = SignSetup(key);
  auto roster = core::Roster::ForSetup(setup, &key, "validator-1");
  ASSERT_TRUE(roster.ok());
  ASSERT_TRUE(factory.CanRun(setup, *roster, &key).ok());
  // Flip a bit inside the first public share (after version, index, n, t, generation, key id
  // and public key): Decode must check it again and refuse it.
  key.share.data()[1 + 2 + 2 + 2 + 4 + 32 + 33 + 5] ^= 0x01;
  ASSERT_FALSE(factory.CanRun(setup, *roster, &key).ok());
}

// A holder keeps two generations that can sign (the active and the retained one) and a sign
// may use either: each is decoded and kept under its own generation, and a record whose bytes
// are not the generation it names is refused, however the cache was filled before.
TEST_F(DklsProtocolFactoryTest, AShareIsServedOnlyUnderItsOwnGeneration) {
  auto refreshed = dkls::LocalKeyrefresh(shares_, Bytes(32, 8), crypto::SystemRandom());
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().ToString();
  DklsProtocolFactory factory(crypto::SystemRandom());
  const core::KeyRecord g0 = Versioned(shares_[0]), g1 = Versioned((*refreshed)[0]);
  ASSERT_EQ(g1.generation, 1u);
  const core::SetupBody setup = SignSetup(g0);
  auto roster = core::Roster::ForSetup(setup, &g0, "validator-1");
  ASSERT_TRUE(roster.ok());
  for (int pass = 0; pass < 2; ++pass) {  // decoded, then kept: both answers the same
    EXPECT_TRUE(factory.CanRun(setup, *roster, &g1).ok()) << pass;
    EXPECT_TRUE(factory.CanRun(setup, *roster, &g0).ok()) << pass;
  }
  // Generation 0's bytes under generation 1's name and fingerprint, and the reverse.
  core::KeyRecord forged = Versioned(shares_[0]);
  forged.generation = 1;
  forged.fingerprint = g1.fingerprint;
  Status refused = factory.CanRun(setup, *roster, &forged);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("not generation 1"), std::string::npos) << refused.message();
  EXPECT_FALSE(factory.Create(setup, *roster, core::SessionId{}, &forged).ok());
  forged = Versioned((*refreshed)[0]);
  forged.generation = 0;
  forged.fingerprint = g0.fingerprint;
  EXPECT_FALSE(factory.CanRun(setup, *roster, &forged).ok());
  // The right number with another fingerprint is refused too.
  forged = Versioned(shares_[0]);
  forged.fingerprint[0] ^= 1;
  EXPECT_FALSE(factory.CanRun(setup, *roster, &forged).ok());
  // And the genuine records are still served as themselves.
  EXPECT_TRUE(factory.CanRun(setup, *roster, &g0).ok());
  EXPECT_TRUE(factory.CanRun(setup, *roster, &g1).ok());
}

// Every signer signs with the generation BEGIN named. A first-round step signed with another
// generation is not of our run (ports.h: OfThisRun), so it is dropped rather than blamed; one
// of the same generation is, and the two sign.
TEST_F(DklsProtocolFactoryTest, AFirstRoundStepOfAnotherGenerationIsNotOfTheRun) {
  auto refreshed = dkls::LocalKeyrefresh(shares_, Bytes(32, 8), crypto::SystemRandom());
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().ToString();
  DklsProtocolFactory f1(crypto::SystemRandom()), f2(crypto::SystemRandom());
  const core::KeyRecord one_g0 = Versioned(shares_[0]), two_g0 = Versioned(shares_[1]),
                        two_g1 = Versioned((*refreshed)[1]);
  const core::SetupBody setup = SignSetup(one_g0);
  auto r1 = core::Roster::ForSetup(setup, &one_g0, "validator-1");
  auto r2 = core::Roster::ForSetup(setup, &two_g0, "validator-2");
  ASSERT_TRUE(r1.ok() && r2.ok());
  core::SessionId run{};
  run.fill(0x42);
  auto s1 = f1.Create(setup, *r1, run, &one_g0);
  auto other = f2.Create(setup, *r2, run, &two_g1);
  auto same = f2.Create(setup, *r2, run, &two_g0);
  ASSERT_TRUE(s1.ok() && other.ok() && same.ok());
  auto out1 = (*s1)->Start();
  auto out_other = (*other)->Start();
  auto out_same = (*same)->Start();
  ASSERT_TRUE(out1.ok() && out_other.ok() && out_same.ok());
  ASSERT_EQ(out_other->size(), 1u);
  ASSERT_EQ(out_same->size(), 1u);
  EXPECT_FALSE((*s1)->OfThisRun(2, out_other->front()));
  EXPECT_TRUE((*s1)->OfThisRun(2, out_same->front()));
  // Not a fingerprint check on later rounds, nor on a step that does not decode (the session
  // blames that one itself).
  core::Step garbled = out_other->front();
  garbled.payload.resize(3);
  EXPECT_TRUE((*s1)->OfThisRun(2, garbled));
  // The same generation signs.
  std::vector<core::Step> to1 = std::move(*out_same), to2 = std::move(*out1);
  for (int round = 0; round < 4 && !((*s1)->Done() && (*same)->Done()); ++round) {
    std::vector<core::Step> next1, next2;
    for (const auto& step : to1) {
      ASSERT_TRUE((*s1)->OfThisRun(2, step));
      auto o = (*s1)->Handle(2, step);
      ASSERT_TRUE(o.ok()) << o.status().ToString();
      for (auto& x : *o) next2.push_back(std::move(x));
    }
    for (const auto& step : to2) {
      ASSERT_TRUE((*same)->OfThisRun(1, step));
      auto o = (*same)->Handle(1, step);
      ASSERT_TRUE(o.ok()) << o.status().ToString();
      for (auto& x : *o) next1.push_back(std::move(x));
    }
    to1 = std::move(next1);
    to2 = std::move(next2);
  }
  ASSERT_TRUE((*s1)->Done());
  auto sig = (*s1)->Finish();
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  const auto& body = std::get<core::SignatureBody>(*sig);
  EXPECT_TRUE(f1.VerifySignature(one_g0.public_key, setup.message_hash, body).ok());
}

}  // namespace
}  // namespace tss::node

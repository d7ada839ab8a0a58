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
  core::KeyRecord Record(int index) const {
    const dkls::KeyShare& share = shares_[index - 1];
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

}  // namespace
}  // namespace tss::node

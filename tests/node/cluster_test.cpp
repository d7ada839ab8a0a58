// A whole cluster in one process (testing/cluster_fixture.h: real Nodes, real DKLs23 sessions,
// real SQLite databases and encrypted key-share files, joined by an in-memory hub instead of
// libp2p; the multi-process tests in tests/e2e use libp2p). Exercises the seed's event flow,
// status transitions, crash recovery and expiry end to end.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/messages.h"
#include "crypto/hash.h"
#include "testing/cluster_fixture.h"

namespace tss::node {
namespace {

using namespace std::chrono_literals;
using core::EventStatus;

using ClusterTest = testing::ClusterFixture;
using testing::ExpectValidSignature;

TEST_F(ClusterTest, KeygenSignRefreshSign) {
  StartCluster(4);
  auto keygen = Await(Create("KEYGEN", "", {}));
  ASSERT_TRUE(keygen.is_object());
  std::string key_id = keygen["key_id"], pk = keygen["public_key"];
  auto hash = crypto::Sha256(AsBytes("in-process cluster"));
  auto sig = Await(Create("SIGN", key_id, Bytes(hash.begin(), hash.end())));
  ExpectValidSignature(sig, pk);
  auto refresh = Await(Create("KEYREFRESH", key_id, {}));
  EXPECT_EQ(refresh["public_key"], pk);
  auto sig2 = Await(Create("SIGN", key_id, Bytes(hash.begin(), hash.end())));
  ExpectValidSignature(sig2, pk);
}

TEST_F(ClusterTest, CrashedParticipantRecoversAndEventSucceeds) {
  StartCluster(4, 2s);
  auto keygen = Await(Create("KEYGEN", "", {}));
  std::string key_id = keygen["key_id"];
  // Stop one node, then start a keyrefresh (which needs everyone): the others' sessions expire
  // and go back to PENDING; when the node returns, crash recovery and a retry finish the event.
  StopMember(3);
  std::string id = Create("KEYREFRESH", key_id, {});
  AwaitUntil(
      [&] {
        for (size_t i = 0; i < 3; ++i) {
          auto e = Get(i, id);
          if (e.attempts >= 1 && e.status == EventStatus::kPending) return true;
        }
        return false;
      },
      "an attempt without the stopped node to expire");
  for (size_t i = 0; i < 3; ++i) {
    auto e = Get(i, id);
    EXPECT_NE(e.status, EventStatus::kSuccess);
  }
  StartMember(3, 2s);
  auto done = Await(id, 60s);
  EXPECT_EQ(done["public_key"], keygen["public_key"]);
  EXPECT_GE(Get(0, id).attempts, 1);
}

TEST_F(ClusterTest, GarbageFromAPeerIsDroppedAndTheNodeKeepsWorking) {
  StartCluster(3);
  // Bytes that are no node message, from a registered peer: counted and dropped.
  EXPECT_TRUE(hub_.Deliver("peer-validator-2", "peer-validator-1", Bytes{0x01, 0x02, 0x03}).ok());
  EXPECT_TRUE(hub_.Deliver("peer-validator-2", "peer-validator-1", Bytes(70'000, 0xff)).ok());
  // The hub hands messages to the node's handler on this thread, which counts them at once.
  EXPECT_EQ(members_[1].node->stats().dropped_undecodable, 2u);
  auto keygen = Await(Create("KEYGEN", "", {}));
  EXPECT_TRUE(keygen.is_object());
}

// validator-2 corrupts the last byte of every protocol message it sends from now on.
void CorruptStepsFromValidator2(testing::Hub& hub) {
  hub.tamper = [](const std::string& from, Bytes& bytes) {
    if (from != "peer-validator-2") return;
    auto m = core::NodeMessage::Decode(bytes);
    if (!m.ok() || m->type != core::MessageType::kStep || m->step.payload.empty()) return;
    m->step.payload.back() ^= 0x01;
    bytes = m->Encode();
  };
}

TEST_F(ClusterTest, TamperedKeygenMessageFailsTheEventAndNamesTheCulprit) {
  StartCluster(4);
  CorruptStepsFromValidator2(hub_);
  std::string id = Create("KEYGEN", "", {});
  // The first holder to check a tampered message fails with the culprit's name and tells the
  // other holders (commit{failed}); one that hears that before it checked a tampered message
  // itself ends on the report, which names the reporter only: a claim it did not verify must
  // not become blame. (In a repeat run two of the three heard validator-1's report first.)
  size_t named = 0;
  for (size_t i : {0, 2, 3}) {
    auto e = AwaitStatus(i, id, EventStatus::kFailed);
    const bool checked = e.error.find("culprit validator-2") != std::string::npos;
    const bool heard = e.error.find("reports the run failed") != std::string::npos;
    EXPECT_TRUE(checked || heard) << e.error;
    named += checked;
  }
  EXPECT_GE(named, 1u);
  // No honest node filed a key share from the failed run.
  for (size_t i : {0, 2, 3}) {
    size_t shares = 0;
    for (const auto& f : std::filesystem::recursive_directory_iterator(members_[i].home))
      shares += f.path().extension() == ".share";
    EXPECT_EQ(shares, 0u) << members_[i].address;
  }
}

TEST_F(ClusterTest, TamperedSignMessageFailsTheEventAndNamesTheCulprit) {
  // Three validators: t = 3, so validator-2 is certainly among the signers.
  StartCluster(3);
  auto keygen = Await(Create("KEYGEN", "", {}));
  ASSERT_TRUE(keygen.is_object());
  CorruptStepsFromValidator2(hub_);
  auto hash = crypto::Sha256(AsBytes("tampered"));
  std::string id = Create("SIGN", keygen["key_id"], Bytes(hash.begin(), hash.end()));
  for (size_t i : {0, 2}) {
    auto e = AwaitStatus(i, id, EventStatus::kFailed);
    EXPECT_NE(e.error.find("culprit validator-2"), std::string::npos) << e.error;
    EXPECT_TRUE(e.result.empty());
  }
}

// A participant declines the setup (its copy of the event has not arrived yet). The
// coordinator's own copy is IN_PROGRESS by then (it accepted its own setup), yet the retry must
// come after the back-off, not after the whole session expiry.
TEST_F(ClusterTest, DeclinedAttemptIsRetriedWithoutWaitingForTheSessionExpiry) {
  StartCluster(4, 60s);
  const size_t coordinator = CoordinatorNow();
  const size_t late = (coordinator + 1) % members_.size();
  std::atomic<bool> declined{false};
  const std::string late_peer = "peer-" + members_[late].address;
  {
    std::lock_guard lock(hub_.mu);  // Deliver reads it under the lock
    hub_.tamper = [&](const std::string& from, Bytes& bytes) {
      auto m = core::NodeMessage::Decode(bytes);
      if (from == late_peer && m.ok() && m->type == core::MessageType::kNack) declined = true;
    };
  }
  std::string id = Create("KEYGEN", "", {}, late);
  AwaitStatus(coordinator, id, EventStatus::kInProgress, 10s);
  AwaitUntil([&] { return declined.load(); }, "the late participant to decline the setup");
  {
    std::lock_guard lock(hub_.mu);
    hub_.tamper = nullptr;
  }
  core::Event e = Get(coordinator, id);
  e.status = EventStatus::kPending;
  e.attempts = 0;
  CreateIn(late, e);
  auto keygen = Await(id, 20s);
  EXPECT_TRUE(keygen.is_object());
}

}  // namespace
}  // namespace tss::node

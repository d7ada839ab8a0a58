// Whole clusters with validators stopped for good, in one process (testing/cluster_fixture.h:
// real Nodes, real DKLs23 sessions, SQLite databases, key-share files; each network a
// networking::FaultNetwork over the in-memory hub, which reports a stopped member unreachable
// the way libp2p's connection state does). What issue 12 asks of parts 2 and 3:
//   - signers are drawn among the live holders, so a stopped signer costs at most one retry;
//   - a stopped coordinator (and its first backup) is skipped by the failover rule at once;
//   - two coordinators racing for one event end with one signature, every attempt accounted for.
// Every signature is verified with libsecp256k1 and OpenSSL (and recovers the key). Latencies
// are printed, one line per case ("failover[...]"), for docs/RELIABILITY.md; nothing here is a
// timed assertion — waits have generous bounds and fail only when an event never finishes.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/selection.h"
#include "crypto/hash.h"
#include "networking/fault_network.h"
#include "testing/cluster_fixture.h"

namespace tss::faults {
namespace {

using namespace std::chrono_literals;
using core::EventStatus;
using networking::FaultNetwork;

constexpr size_t kSigns = 10;

class FailoverTest : public testing::ClusterFixture {
 protected:
  void SetUp() override {
    ClusterFixture::SetUp();
    poll_interval_ = 100ms;  // the setting
  }

  std::unique_ptr<networking::Network> MakeNetwork(
      size_t i, std::unique_ptr<networking::Network> endpoint) override {
    auto network =
        std::make_unique<FaultNetwork>(std::move(endpoint), networking::FaultPolicy{}, 2000 + i);
    faults_.resize(std::max(faults_.size(), i + 1));
    faults_[i] = network.get();  // owned by member i's node
    return network;
  }

  // The members in failover order at the current block: primary first.
  std::vector<size_t> Order() {
    std::vector<std::string> addresses;
    for (auto& m : members_) addresses.push_back(m.address);
    std::sort(addresses.begin(), addresses.end());
    std::vector<size_t> out;
    for (const auto& a : core::CoordinatorOrder(addresses, blocks_.CurrentBlock(), 1000))
      for (size_t i = 0; i < members_.size(); ++i)
        if (members_[i].address == a) out.push_back(i);
    return out;
  }

  Bytes Hash(const std::string& text) {
    auto h = crypto::Sha256(AsBytes(text + "/" + std::to_string(++hashes_)));
    return Bytes(h.begin(), h.end());
  }

  // A sign event of `key_id` at the current block, over a fresh hash of `text`.
  core::Event SignEvent(const std::string& event_id, const std::string& key_id,
                        const std::string& text) {
    core::Event e;
    e.event_id = event_id;
    e.block_number = blocks_.CurrentBlock();
    e.protocol = core::ProtocolType::kSign;
    e.key_id = key_id;
    e.message_hash = Hash(text);
    return e;
  }

  // Creates a sign event and waits until the first running member holds its verified
  // signature: the latency a caller sees. Then waits for every running member's copy.
  double SignAndTime(const std::string& key_id, const std::string& public_key) {
    // Written to the running members' databases only: reopening a stopped member's database
    // costs tens of milliseconds that would be counted as signing latency.
    core::Event e = SignEvent("sign-" + std::to_string(hashes_ + 1), key_id, "failover");
    const std::string id = e.event_id;
    const auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < members_.size(); ++i)
      if (members_[i].events) CreateIn(i, e);
    double ms = -1;
    const auto deadline = start + 60s;
    while (ms < 0 && std::chrono::steady_clock::now() < deadline) {
      for (auto& m : members_) {
        if (!m.events) continue;
        auto e = m.events->Get(id);
        if (e.ok() && e->has_value() && (*e)->status == EventStatus::kSuccess) {
          ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                   .count();
          break;
        }
      }
      if (ms < 0) std::this_thread::sleep_for(2ms);
    }
    testing::ExpectValidSignature(Await(id), public_key);
    return ms;
  }

  std::vector<double> SignMany(const std::string& key_id, const std::string& public_key,
                               size_t count) {
    std::vector<double> out;
    for (size_t i = 0; i < count; ++i) out.push_back(SignAndTime(key_id, public_key));
    return out;
  }

  static void Report(const char* name, std::vector<double> ms) {
    ASSERT_FALSE(ms.empty());
    std::sort(ms.begin(), ms.end());
    std::printf("failover[%s] signs=%zu p50_ms=%.0f max_ms=%.0f\n", name, ms.size(),
                ms[ms.size() / 2], ms.back());
    std::fflush(stdout);
  }

  coordinator::CoordinatorStats Stats(size_t i) { return members_[i].node->coordinator_stats(); }

  std::vector<FaultNetwork*> faults_;
  int hashes_ = 0;
};

// 3-of-4, one signer stopped for good: the stopped one is unreachable in every view, so the
// draw leaves it out and every signature completes in its first attempt (at most one retry is
// what the issue allows; a signer that dies unnoticed costs one ACK timeout and one retry).
TEST_F(FailoverTest, ThreeOfFourWithOneSignerStoppedSignsEveryTimeWithAtMostOneRetry) {
  StartCluster(4);
  auto keygen = Await(Create("KEYGEN", "", {}));
  ASSERT_TRUE(keygen.is_object());
  const std::string key_id = keygen["key_id"], public_key = keygen["public_key"];
  Report("3-of-4 all up", SignMany(key_id, public_key, kSigns));

  const size_t primary = Order()[0];
  const size_t stopped = Order()[2];
  StopMember(stopped);
  Report("3-of-4 one signer stopped", SignMany(key_id, public_key, kSigns));
  uint64_t most_retries = 0, begun = 0;
  for (size_t i = 0; i < members_.size(); ++i) {
    if (!members_[i].node) continue;
    most_retries = std::max(most_retries, Stats(i).most_retries);
    begun += Stats(i).begun;
  }
  EXPECT_LE(most_retries, 1u);
  EXPECT_EQ(begun, 1 + 2 * kSigns);  // keygen and every sign began once, all at the primary
  EXPECT_EQ(Stats(primary).begun, begun);
}

// 5-of-7 with the primary and its first backup stopped: the second backup sees both
// unreachable and acts at its first poll, every participant accepts it by the same rule in its
// own view, and the five live holders sign.
TEST_F(FailoverTest, FiveOfSevenWithTheCoordinatorAndItsFirstBackupStoppedSignsEveryTime) {
  StartCluster(7);
  auto keygen = Await(Create("KEYGEN", "", {}), 120s);
  ASSERT_TRUE(keygen.is_object());
  const std::string key_id = keygen["key_id"], public_key = keygen["public_key"];
  Report("5-of-7 all up", SignMany(key_id, public_key, kSigns));

  const std::vector<size_t> order = Order();
  const uint64_t before_begun = Stats(order[2]).begun, before_attempts = Stats(order[2]).attempts;
  StopMember(order[0]);
  StopMember(order[1]);
  Report("5-of-7 coordinator and first backup stopped", SignMany(key_id, public_key, kSigns));
  // Every sign at the second backup. A retry happens when its poll sees the event before
  // a participant's database has it (the events are written one database after another, as
  // `tss sign` does): that participant declines ("unknown event") and the retry comes at once.
  const auto acting = Stats(order[2]);
  EXPECT_EQ(acting.begun - before_begun, kSigns);
  EXPECT_EQ(acting.as_backup, acting.attempts - before_attempts);
  EXPECT_LE(acting.most_retries, 1u);
  for (size_t k = 3; k < order.size(); ++k) EXPECT_EQ(Stats(order[k]).attempts, 0u) << k;
}

// A holder that declined an attempt only because the event had not reached it yet (`tss sign`
// writes the databases one after another) and a signer gone silent without its connection
// closing (a partition the liveness view has not noticed) let two attempts of one sign down.
// Both cannot stay out — t = 3 of 4 — but the silent one must: dropping every exclusion at once
// drew it again, and again at the same block, and the sign never ended (seen on real processes
// by tests/faults/partition_netns.py: signs of 7–14 s there, where blocks move). The draws
// are the seed's, so the test picks an event whose first draw holds both.
TEST_F(FailoverTest, ALateDeclinerDoesNotBringASilentSignerBackIntoTheDraw) {
  StartCluster(4);
  auto keygen = Await(Create("KEYGEN", "", {}));
  ASSERT_TRUE(keygen.is_object());
  const std::string key_id = keygen["key_id"], public_key = keygen["public_key"];
  const size_t primary = Order()[0];
  std::vector<std::string> addresses;
  for (auto& m : members_) addresses.push_back(m.address);
  std::sort(addresses.begin(), addresses.end());
  core::Event e = SignEvent("sign-late-and-silent", key_id, "late and silent");
  auto drawn = core::SignersFor(addresses, addresses, {}, 3, e.event_id, e.block_number);
  ASSERT_TRUE(drawn.ok());
  std::vector<size_t> others;  // drawn signers other than the coordinator: at least two
  for (size_t i = 0; i < members_.size(); ++i)
    if (i != primary && std::count(drawn->begin(), drawn->end(), members_[i].address))
      others.push_back(i);
  ASSERT_GE(others.size(), 2u);
  const size_t late = others[0], silent = others[1];

  faults_[silent]->SetPolicy({.drop = 1.0});  // it hears everything and answers nothing
  const uint64_t declined = Stats(primary).declined;
  for (size_t i = 0; i < members_.size(); ++i)
    if (i != late) CreateIn(i, e);
  AwaitUntil([&] { return Stats(primary).declined > declined; }, "the late holder declines");
  CreateIn(late, e);
  // Attempt 1: declined by the late holder; 2: without it, the silent one times out; 3: without
  // the silent one (the late one has the event now) begins.
  auto result = Await(e.event_id, 30s);
  testing::ExpectValidSignature(result, public_key);
  EXPECT_LE(Stats(primary).most_retries, 2u);
}

// Two coordinators for one event at once: the primary and its first backup cannot reach each
// other (a partition between the two; each sees the other unreachable), and the event is old
// enough that the backup's takeover window has passed, so the other two validators accept
// both. The event reaches the two coordinators' databases first, so both are attempting it
// (declined "unknown event", retrying) when it reaches the other two: from then on both
// compete for the same two participants. Exactly one attempt begins; every copy ends with the
// same verified signature; and every attempt of each is accounted for (begun, declined or
// timed out).
TEST_F(FailoverTest, TwoCoordinatorsRacingForOneEventEndWithOneSignature) {
  StartCluster(4);
  auto keygen = Await(Create("KEYGEN", "", {}));
  ASSERT_TRUE(keygen.is_object());
  const std::string key_id = keygen["key_id"], public_key = keygen["public_key"];
  const std::vector<size_t> order = Order();
  const size_t primary = order[0], backup = order[1];
  const auto before_primary = Stats(primary), before_backup = Stats(backup);
  faults_[primary]->Partition({"peer-" + members_[backup].address});
  faults_[backup]->Partition({"peer-" + members_[primary].address});

  core::Event e;
  e.event_id = "race";
  e.block_number = blocks_.CurrentBlock() - 4;  // rank 1's window (3 blocks) has passed
  e.protocol = core::ProtocolType::kSign;
  e.key_id = key_id;
  e.message_hash = Hash("race");
  CreateIn(primary, e);
  CreateIn(backup, e);
  AwaitUntil(
      [&] {
        return Stats(primary).declined > before_primary.declined &&
               Stats(backup).declined > before_backup.declined;
      },
      "both coordinators to have attempted the event");
  for (size_t i = 0; i < members_.size(); ++i)
    if (i != primary && i != backup) CreateIn(i, e);
  const auto result = Await(e.event_id, 60s);
  testing::ExpectValidSignature(result, public_key);
  for (size_t i = 0; i < members_.size(); ++i)
    EXPECT_EQ(nlohmann::json::parse(Get(i, e.event_id).result), result) << members_[i].address;

  // Every attempt ends one way or another; wait for the last ones to be answered.
  auto settled = [&](size_t i) {
    const auto s = Stats(i);
    return s.attempts == s.begun + s.declined + s.timed_out + s.no_common_generation;
  };
  AwaitUntil([&] { return settled(primary) && settled(backup); }, "every attempt to end");
  const auto p = Stats(primary), b = Stats(backup);
  EXPECT_GE(p.attempts - before_primary.attempts, 1u);
  EXPECT_GE(b.attempts - before_backup.attempts, 1u);
  EXPECT_EQ(p.begun - before_primary.begun + b.begun - before_backup.begun, 1u);
  std::printf(
      "failover[race] primary attempts=%llu begun=%llu declined=%llu timed_out=%llu; backup "
      "attempts=%llu begun=%llu declined=%llu timed_out=%llu\n",
      static_cast<unsigned long long>(p.attempts - before_primary.attempts),
      static_cast<unsigned long long>(p.begun - before_primary.begun),
      static_cast<unsigned long long>(p.declined - before_primary.declined),
      static_cast<unsigned long long>(p.timed_out - before_primary.timed_out),
      static_cast<unsigned long long>(b.attempts - before_backup.attempts),
      static_cast<unsigned long long>(b.begun - before_backup.begun),
      static_cast<unsigned long long>(b.declined - before_backup.declined),
      static_cast<unsigned long long>(b.timed_out - before_backup.timed_out));
}

// The primary dies between its setup and its begin (cut off from everyone the moment its
// first setup of the event is delivered, then stopped): the holders that accepted the setup
// release their unbegun sessions once the primary is unreachable in their view, and the first
// backup takes the event at once — long before the session expiry (2 minutes here) that would
// otherwise hold it.
TEST_F(FailoverTest, ACoordinatorThatDiesBetweenSetupAndBeginIsReplacedAtOnce) {
  StartCluster(4, 120s);
  auto keygen = Await(Create("KEYGEN", "", {}));
  ASSERT_TRUE(keygen.is_object());
  const std::string key_id = keygen["key_id"], public_key = keygen["public_key"];
  const std::vector<size_t> order = Order();
  const size_t primary = order[0], backup = order[1];
  const std::string primary_peer = "peer-" + members_[primary].address;
  std::atomic<bool> cut{false};
  {
    std::lock_guard lock(hub_.mu);  // Deliver reads it under the lock
    hub_.tamper = [&](const std::string& from, Bytes& bytes) {
      if (cut || from != primary_peer) return;
      auto m = core::NodeMessage::Decode(bytes);
      if (!m.ok() || m->type != core::MessageType::kSetup || m->event_id != "orphan") return;
      cut = true;  // this setup arrives; nothing after it leaves or reaches the primary
      faults_[primary]->Partition({primary_peer});  // its own id: every peer cut off
    };
  }
  core::Event e = SignEvent("orphan", key_id, "orphan");
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < members_.size(); ++i) CreateIn(i, e);
  AwaitUntil([&] { return cut.load(); }, "the primary's first setup");
  {
    std::lock_guard lock(hub_.mu);  // and so the delivery of that setup has ended
    hub_.tamper = nullptr;
  }
  StopMember(primary);  // its hub endpoint goes: unreachable in every view
  testing::ExpectValidSignature(Await(e.event_id, 30s), public_key);
  std::printf(
      "failover[coordinator dies between setup and begin] signed after %.0f ms\n",
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  EXPECT_EQ(Stats(backup).begun, 1u);
}

}  // namespace
}  // namespace tss::faults

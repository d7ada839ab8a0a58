// Whole clusters under network faults, in one process: four real Nodes (testing/
// cluster_fixture.h: real DKLs23 sessions, SQLite databases, key-share files) whose networks are
// each wrapped in a networking::FaultNetwork over the in-memory hub. Every case runs keygen,
// signs, keyrefresh and signs again, and requires every event to end SUCCESS on every node and
// every signature to verify with libsecp256k1 and OpenSSL (and recover the key).
//
// The short form (default, for CI) runs 4 events per case. TSS_FAULTS_LONG=1 runs the long
// form: more events (several signs at once), more faults. Each case prints one line of figures
// (events, faults by kind summed over the nodes, time), which docs/RELIABILITY.md quotes.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/messages.h"
#include "crypto/hash.h"
#include "networking/fault_network.h"
#include "testing/cluster_fixture.h"

namespace tss::faults {
namespace {

using namespace std::chrono_literals;
using core::EventStatus;
using networking::FaultNetwork;
using networking::FaultPolicy;
using networking::FaultStats;

bool LongForm() {
  const char* v = std::getenv("TSS_FAULTS_LONG");
  return v && std::string(v) == "1";
}

class ClusterFaultsTest : public testing::ClusterFixture {
 protected:
  static constexpr size_t kValidators = 4;  // threshold 3

  std::unique_ptr<networking::Network> MakeNetwork(
      size_t i, std::unique_ptr<networking::Network> endpoint) override {
    auto network = std::make_unique<FaultNetwork>(std::move(endpoint), policy_, 1000 + i);
    faults_.resize(std::max(faults_.size(), i + 1));
    faults_[i] = network.get();  // owned by member i's node
    return network;
  }

  void SetPolicy(const FaultPolicy& policy) {
    policy_ = policy;
    for (auto* f : faults_) f->SetPolicy(policy);
  }
  // `peer` cut off from everyone (empty: healed), as seen by every node's network.
  void Partition(const std::string& peer) {
    for (auto* f : faults_) f->Partition(peer.empty() ? std::set<std::string>{} : std::set{peer});
  }

  FaultStats Total() const {
    FaultStats t;
    for (const auto* f : faults_) {
      const FaultStats s = f->Faults();
      t.sent += s.sent;
      t.dropped += s.dropped;
      t.duplicated += s.duplicated;
      t.reordered += s.reordered;
      t.held_released += s.held_released;
      t.delayed += s.delayed;
      t.cut_off_sends += s.cut_off_sends;
      t.cut_off_receives += s.cut_off_receives;
    }
    return t;
  }

  // Keygen, `signs` signs (created at once), keyrefresh, `signs` signs, with `key_policy` in
  // force during keygen and keyrefresh and `sign_policy` during the signs. Returns the events run.
  size_t Lifecycle(size_t signs, std::chrono::milliseconds limit, const FaultPolicy& key_policy,
                   const FaultPolicy& sign_policy) {
    SetPolicy(key_policy);
    auto keygen = Await(Create("KEYGEN", "", {}), limit);
    if (!keygen.is_object()) return 1;
    const std::string key_id = keygen["key_id"], public_key = keygen["public_key"];
    key_id_ = key_id;
    public_key_ = public_key;
    SetPolicy(sign_policy);
    SignAll(key_id, public_key, signs, limit);
    SetPolicy(key_policy);
    auto refresh = Await(Create("KEYREFRESH", key_id, {}), limit);
    EXPECT_EQ(refresh["public_key"], public_key);
    SetPolicy(sign_policy);
    SignAll(key_id, public_key, signs, limit);
    return 2 + 2 * signs;
  }
  size_t Lifecycle(size_t signs, std::chrono::milliseconds limit, const FaultPolicy& policy) {
    return Lifecycle(signs, limit, policy, policy);
  }

  void SignAll(const std::string& key_id, const std::string& public_key, size_t count,
               std::chrono::milliseconds limit) {
    std::vector<std::string> ids;
    for (size_t i = 0; i < count; ++i) ids.push_back(Create("SIGN", key_id, Hash(ids.size())));
    for (const auto& id : ids) testing::ExpectValidSignature(Await(id, limit), public_key);
  }

  Bytes Hash(size_t i) {
    auto h =
        crypto::Sha256(AsBytes("faults " + std::to_string(++hashes_) + "/" + std::to_string(i)));
    return Bytes(h.begin(), h.end());
  }

  // One line of figures for docs/RELIABILITY.md.
  void Report(const char* name, size_t events, std::chrono::steady_clock::time_point since) {
    const FaultStats t = Total();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
    std::printf(
        "faults[%s] form=%s events=%zu seconds=%.1f sent=%llu delayed=%llu reordered=%llu "
        "held_released=%llu duplicated=%llu dropped=%llu cut_off_sends=%llu "
        "cut_off_receives=%llu\n",
        name, LongForm() ? "long" : "short", events, seconds,
        static_cast<unsigned long long>(t.sent), static_cast<unsigned long long>(t.delayed),
        static_cast<unsigned long long>(t.reordered),
        static_cast<unsigned long long>(t.held_released),
        static_cast<unsigned long long>(t.duplicated), static_cast<unsigned long long>(t.dropped),
        static_cast<unsigned long long>(t.cut_off_sends),
        static_cast<unsigned long long>(t.cut_off_receives));
    std::fflush(stdout);
  }

  size_t Signs() const { return LongForm() ? 8 : 1; }

  // Case (d): creates a sign event and cuts off the first signer other than the coordinator
  // whose step is delivered, at that moment. Returns (still partitioned) once the cut has cost
  // a send, or, with `heal_after_expiry`, once a session of the event expired elsewhere.
  std::string SignWithASignerCutOff(const std::string& key_id, size_t i, bool heal_after_expiry) {
    const std::string coordinator = "peer-" + members_[CoordinatorNow()].address;
    const uint64_t cut_before = Total().cut_off_sends;
    std::mutex mu;  // guards victim and event_id, which the hub's threads read
    std::string victim, event_id;
    {
      std::lock_guard hub_lock(hub_.mu);  // Deliver reads tamper under it
      hub_.tamper = [&](const std::string& from, Bytes& bytes) {
        auto m = core::NodeMessage::Decode(bytes);
        std::lock_guard lock(mu);
        if (!victim.empty() || !m.ok() || m->type != core::MessageType::kStep ||
            m->event_id != event_id || from == coordinator)
          return;
        victim = from;
        Partition(victim);
      };
    }
    {
      std::lock_guard lock(mu);
      event_id = Create("SIGN", key_id, Hash(i));
    }
    AwaitUntil([&] { return Total().cut_off_sends > cut_before; }, "the cut to cost a send");
    {
      std::lock_guard hub_lock(hub_.mu);
      hub_.tamper = nullptr;
    }
    if (!heal_after_expiry) return event_id;
    std::string cut;
    {
      std::lock_guard lock(mu);
      cut = victim;
    }
    AwaitUntil(
        [&] {
          for (size_t m = 0; m < members_.size(); ++m) {
            if ("peer-" + members_[m].address == cut) continue;
            const core::Event e = Get(m, event_id);
            if (e.attempts >= 2 || (e.attempts >= 1 && e.status == EventStatus::kPending))
              return true;
          }
          return false;
        },
        "a session of the cut-off sign to expire");
    return event_id;
  }

  // Case (c): drops during the signs, and during keygen and keyrefresh when asked.
  void RunDrops(bool during_key_events) {
    FaultPolicy drops;
    // The short form sends about 100 messages under this policy; at 0.02 a run sometimes drew
    // no drop at all once a lost setup or ACK stopped costing a 10 s wait (and its messages).
    drops.drop = LongForm() ? 0.03 : 0.04;
    StartCluster(kValidators, 2s);
    const auto start = std::chrono::steady_clock::now();
    size_t events = Lifecycle(Signs(), 120s, during_key_events ? drops : FaultPolicy{}, drops);
    events += SignUntil([&] { return Total().dropped > 0; }, 120s);
    Report(during_key_events ? "drop (all events)" : "drop (signs)", events, start);
    EXPECT_GT(Total().dropped, 0u);
  }

  // The draws are random and the short form is short: signs on, a bounded number of times,
  // until `exercised` holds, so a case always exercises its fault. Returns the signs added.
  size_t SignUntil(const std::function<bool()>& exercised, std::chrono::seconds limit) {
    size_t extra = 0;
    for (; !exercised() && !key_id_.empty() && extra < 20; ++extra)
      SignAll(key_id_, public_key_, 1, limit);
    return extra;
  }

  FaultPolicy policy_;
  std::vector<FaultNetwork*> faults_;
  std::string key_id_, public_key_;  // the key Lifecycle made
  size_t hashes_ = 0;
};

// (a) Every message to another node delayed with some probability (up to 20 ms, order kept),
// and some held back and sent after the next one to the same node. The network contract
// promises order per peer; steps one round ahead are buffered by the sessions.
TEST_F(ClusterFaultsTest, DelaysAndReordering) {
  FaultPolicy p;
  p.delay = LongForm() ? 0.8 : 0.5;
  p.max_delay = 20ms;
  p.reorder = LongForm() ? 0.2 : 0.1;
  // A held message is reordered only if another one to the same node comes within max_hold;
  // the next one is a protocol round later, which on a loaded machine took over 20 ms and
  // every hold was released in order (reordered stayed 0 in a repeat run). 100 ms covers a
  // round under load; the last round's messages, which have no follower, wait that long.
  p.max_hold = 100ms;
  StartCluster(kValidators);
  const auto start = std::chrono::steady_clock::now();
  size_t events = Lifecycle(Signs(), 60s, p);
  events += SignUntil([&] { return Total().reordered > 0; }, 60s);
  Report("delay+reorder", events, start);
  EXPECT_GT(Total().delayed, 0u);
  EXPECT_GT(Total().reordered, 0u);
}

// (b) Messages to other nodes sent twice with some probability.
TEST_F(ClusterFaultsTest, Duplicates) {
  FaultPolicy p;
  p.duplicate = LongForm() ? 0.2 : 0.1;
  StartCluster(kValidators);
  const auto start = std::chrono::steady_clock::now();
  const size_t events = Lifecycle(Signs(), 60s, p);
  Report("duplicate", events, start);
  EXPECT_GT(Total().duplicated, 0u);
}

// (c) A small share of the messages to other nodes dropped (their sends fail, as libp2p's do
// when no acknowledgement comes). What recovers an event: a lost setup or ACK leaves the
// coordinator's attempt without every ACK, and it retries after its ACK timeout; a lost begin
// or step stalls the run, every session of it expires after 2 s without traffic, the event goes
// back to PENDING and the coordinator runs it again with a fresh session. Here the drops fall
// on the signs only; keygen and keyrefresh run on a sound network (see the next case).
TEST_F(ClusterFaultsTest, DropsDuringSigns) {
  RunDrops(/*during_key_events=*/false);
}

// (c') The same drops during keygen and keyrefresh too. A lost last-round step used to leave
// the other holders SUCCESS on the new key or generation while its receiver's session expired
// (a split key: signs that drew that holder failed, honest validators blamed). Now a key event
// is a commit (issue 12 part 1): a run's share is only pending until every holder confirmed it;
// a holder whose run stalled answers "abort" and the others discard theirs and retry, and a
// lost confirmation is asked for again until the round resolves.
TEST_F(ClusterFaultsTest, DropsDuringKeygenAndKeyrefresh) {
  RunDrops(/*during_key_events=*/true);
}

// (d) A signer (not the coordinator) cut off from every other node in the middle of a sign:
// the moment its first protocol message is delivered (that message is discarded too). The
// short form heals as soon as the cut has cost a message, which stalls the run for good: every
// session of it expires after 2 s without traffic and the coordinator runs the event again.
// The long form alternates that with healing only after a session of the event expired, so the
// coordinator's retry meets the partition too (and waits out its ACK timeout). Either way the
// event must then complete everywhere, the healed node included.
TEST_F(ClusterFaultsTest, SignerPartitionedDuringASignThenHealed) {
  StartCluster(kValidators, 2s);
  auto keygen = Await(Create("KEYGEN", "", {}));
  ASSERT_TRUE(keygen.is_object());
  const std::string key_id = keygen["key_id"], public_key = keygen["public_key"];
  const auto start = std::chrono::steady_clock::now();
  const size_t rounds = LongForm() ? 4 : 1;
  for (size_t r = 0; r < rounds; ++r) {
    const std::string event_id = SignWithASignerCutOff(key_id, r, /*heal_after_expiry=*/r % 2);
    EXPECT_NE(Get(0, event_id).status, EventStatus::kSuccess);
    Partition("");
    testing::ExpectValidSignature(Await(event_id, 60s), public_key);
  }
  Report("partition", rounds, start);
  EXPECT_GT(Total().cut_off_sends, 0u);
  EXPECT_GT(Total().cut_off_receives, 0u);
}

}  // namespace
}  // namespace tss::faults

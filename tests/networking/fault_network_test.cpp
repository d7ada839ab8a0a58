// FaultNetwork over the in-memory hub (testing/memory_hub.h): each fault kind is seen by the
// receiver and counted, every SendCallback runs exactly once, partitions cut and heal, and
// Stop() completes what was held and delivers nothing after it returns.
#include "networking/fault_network.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "networking/network_test_util.h"
#include "testing/memory_hub.h"

namespace tss::networking {
namespace {

using namespace std::chrono_literals;
using testing::Eventually;
using testing::Hub;
using testing::Inbox;

// Message i carries i as 4 bytes, so receivers can tell order and copies apart.
Bytes Numbered(uint32_t i) {
  return {static_cast<uint8_t>(i >> 24), static_cast<uint8_t>(i >> 16),
          static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
}
uint32_t NumberOf(const Bytes& b) {
  return uint32_t{b.at(0)} << 24 | uint32_t{b.at(1)} << 16 | uint32_t{b.at(2)} << 8 | b.at(3);
}

std::vector<uint32_t> Upto(uint32_t n) {
  std::vector<uint32_t> numbers(n);
  for (uint32_t i = 0; i < n; ++i) numbers[i] = i;
  return numbers;
}

// Every completion of numbered sends, by number: how often each ran and with what.
class Ledger {
 public:
  SendCallback For(uint32_t i) {
    return [self = state_, i](Status s) {
      std::lock_guard lock(self->mu);
      self->calls[i].push_back(s);
      self->cv.notify_all();
    };
  }
  bool WaitForAll(size_t n, std::chrono::milliseconds limit = 20s) {
    std::unique_lock lock(state_->mu);
    return state_->cv.wait_for(lock, limit, [&] { return state_->calls.size() >= n; });
  }
  // Each of 0..n-1 completed exactly once; returns how many with each error code.
  std::map<ErrorCode, size_t> ExactlyOnce(uint32_t n) {
    std::lock_guard lock(state_->mu);
    std::map<ErrorCode, size_t> codes;
    EXPECT_EQ(state_->calls.size(), n);
    for (uint32_t i = 0; i < n; ++i) {
      const auto& c = state_->calls[i];
      EXPECT_EQ(c.size(), 1u) << "message " << i;
      if (!c.empty()) ++codes[c.front().code()];
    }
    return codes;
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::map<uint32_t, std::vector<Status>> calls;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

class FaultNetworkTest : public ::testing::Test {
 protected:
  // `a` (faulty, sending) and `b` (plain, receiving into `inbox_`), allowing each other.
  void Start(const FaultPolicy& policy, uint64_t seed = 7) {
    a_ = std::make_unique<FaultNetwork>(std::make_unique<Hub::Endpoint>(hub_, "a"), policy, seed);
    b_ = std::make_unique<Hub::Endpoint>(hub_, "b");
    a_->SetAllowedPeers({"b"});
    b_->SetAllowedPeers({"a"});
    a_->SetHandler(a_inbox_.Handler());
    b_->SetHandler(inbox_.Handler());
    ASSERT_TRUE(a_->Start().ok());
    ASSERT_TRUE(b_->Start().ok());
  }
  void SendNumbered(uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) a_->Send("b", Numbered(i), ledger_.For(i));
  }
  // Sends 0..n-1 and waits until every send completed.
  void SendAllAndWait(uint32_t n) {
    SendNumbered(n);
    ASSERT_TRUE(ledger_.WaitForAll(n));
  }
  std::vector<uint32_t> Received() {
    std::vector<uint32_t> order;
    for (const auto& r : inbox_.Take()) order.push_back(NumberOf(r.message));
    return order;
  }

  Hub hub_;
  Inbox inbox_, a_inbox_;
  Ledger ledger_;
  std::unique_ptr<FaultNetwork> a_;
  std::unique_ptr<Hub::Endpoint> b_;
};

TEST_F(FaultNetworkTest, WithoutFaultsEveryMessageArrivesOnceInOrder) {
  Start({});
  SendAllAndWait(200);
  EXPECT_EQ(ledger_.ExactlyOnce(200)[ErrorCode::kOk], 200u);
  EXPECT_EQ(Received(), Upto(200));
  EXPECT_EQ(a_->Faults().sent, 200u);
  EXPECT_EQ(a_->Faults().dropped + a_->Faults().duplicated + a_->Faults().reordered, 0u);
}

TEST_F(FaultNetworkTest, DelaysHoldEachMessageBackButKeepTheOrder) {
  Start({.delay = 1, .max_delay = 15ms});
  std::vector<std::chrono::steady_clock::time_point> sent_at;
  for (uint32_t i = 0; i < 40; ++i) {
    sent_at.push_back(std::chrono::steady_clock::now());
    a_->Send("b", Numbered(i), ledger_.For(i));
  }
  ASSERT_TRUE(ledger_.WaitForAll(40));
  const auto arrived_by = std::chrono::steady_clock::now();
  EXPECT_EQ(ledger_.ExactlyOnce(40)[ErrorCode::kOk], 40u);
  EXPECT_EQ(Received(), Upto(40));
  EXPECT_EQ(a_->Faults().delayed, 40u);
  // Every delay is at least a millisecond, so the last message cannot have arrived sooner.
  EXPECT_GE(arrived_by - sent_at.back(), 1ms);
}

TEST_F(FaultNetworkTest, DuplicatesArriveTwiceAndCompleteOnce) {
  Start({.duplicate = 1});
  SendAllAndWait(30);
  ASSERT_TRUE(inbox_.WaitFor(60));
  EXPECT_EQ(ledger_.ExactlyOnce(30)[ErrorCode::kOk], 30u);
  auto got = Received();
  ASSERT_EQ(got.size(), 60u);
  for (uint32_t i = 0; i < 30; ++i) {
    EXPECT_EQ(got[2 * i], i);
    EXPECT_EQ(got[2 * i + 1], i);
  }
  EXPECT_EQ(a_->Faults().duplicated, 30u);
}

TEST_F(FaultNetworkTest, ReorderSendsAHeldMessageAfterTheNextOne) {
  // Every message is held back when no other is held, and only a later message releases it.
  Start({.reorder = 1, .max_hold = 1h});
  // In pairs: the second of a pair finds the first held, so it is sent first, and the first
  // right behind it; the next pair starts once both went.
  for (uint32_t i = 0; i < 20; i += 2) {
    a_->Send("b", Numbered(i), ledger_.For(i));
    a_->Send("b", Numbered(i + 1), ledger_.For(i + 1));
    ASSERT_TRUE(ledger_.WaitForAll(i + 2));
  }
  ASSERT_TRUE(inbox_.WaitFor(20));
  EXPECT_EQ(ledger_.ExactlyOnce(20)[ErrorCode::kOk], 20u);
  auto got = Received();
  ASSERT_EQ(got.size(), 20u);
  for (uint32_t i = 0; i < 20; i += 2) {
    EXPECT_EQ(got[i], i + 1);
    EXPECT_EQ(got[i + 1], i);
  }
  EXPECT_EQ(a_->Faults().reordered, 10u);
}

TEST_F(FaultNetworkTest, AHeldMessageNoOneFollowsGoesAfterMaxHold) {
  Start({.reorder = 1, .max_hold = 30ms});
  SendAllAndWait(1);
  EXPECT_EQ(ledger_.ExactlyOnce(1)[ErrorCode::kOk], 1u);
  EXPECT_EQ(Received(), std::vector<uint32_t>{0});
  EXPECT_EQ(a_->Faults().held_released, 1u);
  EXPECT_EQ(a_->Faults().reordered, 0u);
}

TEST_F(FaultNetworkTest, DroppedMessagesNeverArriveAndCompleteWithAnError) {
  Start({.drop = 0.3});
  SendAllAndWait(300);
  auto codes = ledger_.ExactlyOnce(300);
  const FaultStats f = a_->Faults();
  EXPECT_GT(f.dropped, 30u);  // about 90 expected
  EXPECT_LT(f.dropped, 150u);
  EXPECT_EQ(codes[ErrorCode::kTimeout], f.dropped);
  EXPECT_EQ(codes[ErrorCode::kOk], 300 - f.dropped);
  auto got = Received();
  EXPECT_EQ(got.size(), 300 - f.dropped);
  EXPECT_TRUE(std::is_sorted(got.begin(), got.end()));
}

TEST_F(FaultNetworkTest, OneSeedGivesOneSequenceOfDecisions) {
  const FaultPolicy p{.drop = 0.5};
  Start(p, /*seed=*/42);
  SendAllAndWait(64);
  auto first = Received();
  // A second sender with the same seed drops the same messages.
  Inbox inbox;
  auto c = std::make_unique<FaultNetwork>(std::make_unique<Hub::Endpoint>(hub_, "c"), p, 42);
  auto d = std::make_unique<Hub::Endpoint>(hub_, "d");
  d->SetAllowedPeers({"c"});
  d->SetHandler(inbox.Handler());
  ASSERT_TRUE(c->Start().ok());
  ASSERT_TRUE(d->Start().ok());
  Ledger ledger;
  for (uint32_t i = 0; i < 64; ++i) c->Send("d", Numbered(i), ledger.For(i));
  ASSERT_TRUE(ledger.WaitForAll(64));
  std::vector<uint32_t> second;
  for (const auto& r : inbox.Take()) second.push_back(NumberOf(r.message));
  EXPECT_EQ(first, second);
  EXPECT_LT(first.size(), 64u);
}

// With `cut` partitioned at a: a's send to b fails unsent, and b's message, which reaches a's
// inner network (and is acknowledged there), is discarded; once healed, both go through.
void ExpectCutOffUntilHealed(FaultNetwork& a, Hub& hub, Inbox& a_inbox, Inbox& b_inbox,
                             const std::string& cut) {
  Ledger ledger;
  a.Partition({cut});
  a.Send("b", Numbered(0), ledger.For(0));
  ASSERT_TRUE(ledger.WaitForAll(1));
  EXPECT_EQ(ledger.ExactlyOnce(1)[ErrorCode::kUnavailable], 1u);
  EXPECT_TRUE(hub.Deliver("a", "b", Numbered(100)).ok());
  EXPECT_EQ(a_inbox.size(), 0u);
  EXPECT_EQ(b_inbox.size(), 0u);
  EXPECT_EQ(a.Faults().cut_off_sends, 1u);
  EXPECT_EQ(a.Faults().cut_off_receives, 1u);

  a.Heal();
  a.Send("b", Numbered(1), ledger.For(1));
  ASSERT_TRUE(ledger.WaitForAll(2));
  EXPECT_EQ(ledger.ExactlyOnce(2)[ErrorCode::kOk], 1u);
  EXPECT_EQ(b_inbox.size(), 1u);
  EXPECT_TRUE(hub.Deliver("a", "b", Numbered(101)).ok());
  EXPECT_EQ(a_inbox.size(), 1u);
}

TEST_F(FaultNetworkTest, APartitionCutsBothWaysUntilHealed) {
  Start({});
  ExpectCutOffUntilHealed(*a_, hub_, a_inbox_, inbox_, "b");
}

TEST_F(FaultNetworkTest, CuttingOurselvesOffCutsEveryPeer) {
  Start({});
  ExpectCutOffUntilHealed(*a_, hub_, a_inbox_, inbox_, "a");
}

// The liveness view follows a partition (a real network's connections or pings would fail),
// and the inner network's state otherwise: the hub's endpoint of a stopped peer is unreachable.
TEST_F(FaultNetworkTest, APartitionedPeerIsUnreachableAndAStoppedOneToo) {
  Start({});
  EXPECT_EQ(a_->LivenessOf("b"), PeerLiveness::kConnected);
  a_->Partition({"b"});
  EXPECT_EQ(a_->LivenessOf("b"), PeerLiveness::kUnreachable);
  a_->Heal();
  EXPECT_EQ(a_->LivenessOf("b"), PeerLiveness::kConnected);
  b_->Stop();
  EXPECT_EQ(a_->LivenessOf("b"), PeerLiveness::kUnreachable);
}

TEST_F(FaultNetworkTest, MessagesDelayedAcrossAPartitionAreCutOffWhenTheyWouldGo) {
  Start({.delay = 1, .max_delay = 200ms});
  SendNumbered(10);
  a_->Partition({"b"});
  ASSERT_TRUE(ledger_.WaitForAll(10));
  const FaultStats f = a_->Faults();
  EXPECT_EQ(ledger_.ExactlyOnce(10)[ErrorCode::kUnavailable], f.cut_off_sends);
  EXPECT_EQ(f.cut_off_sends + f.sent, 10u);
  EXPECT_EQ(Received().size(), f.sent);
}

TEST_F(FaultNetworkTest, StopCompletesWhatWasHeldAndDeliversNothingAfter) {
  // What is delayed, held or dropped waits an hour: still there at Stop().
  Start({.drop = 0.1,
         .reorder = 0.2,
         .delay = 0.5,
         .max_delay = 1h,
         .max_hold = 1h,
         .drop_completion = 1h});
  SendNumbered(100);
  // The messages before the first delayed one may have gone; the rest queue behind it.
  a_->Stop();
  const FaultStats f = a_->Faults();
  // Every callback ran by the time Stop() returned.
  auto codes = ledger_.ExactlyOnce(100);
  EXPECT_EQ(codes[ErrorCode::kOk], f.sent);
  EXPECT_EQ(codes[ErrorCode::kTimeout], f.dropped);
  EXPECT_EQ(codes[ErrorCode::kUnavailable], f.discarded_at_stop);
  EXPECT_EQ(f.sent + f.dropped + f.discarded_at_stop, 100u);
  EXPECT_GT(f.discarded_at_stop, 0u);
  const size_t arrived = inbox_.size();
  EXPECT_EQ(arrived, f.sent);
  // After Stop(): sends fail at once, and messages from b no longer reach the handler.
  a_->Send("b", Numbered(100), ledger_.For(100));
  EXPECT_EQ(ledger_.ExactlyOnce(101)[ErrorCode::kUnavailable], f.discarded_at_stop + 1);
  EXPECT_FALSE(hub_.Deliver("a", "b", Numbered(1)).ok());
  EXPECT_EQ(a_inbox_.size(), 0u);
  EXPECT_EQ(inbox_.size(), arrived);
}

TEST_F(FaultNetworkTest, ConcurrentSendersWithEveryFaultCompleteEachSendOnce) {
  Start({.drop = 0.1,
         .duplicate = 0.1,
         .reorder = 0.1,
         .delay = 0.3,
         .max_delay = 5ms,
         .max_hold = 5ms});
  constexpr uint32_t kThreads = 4, kEach = 250;
  std::vector<std::thread> senders;
  for (uint32_t t = 0; t < kThreads; ++t)
    senders.emplace_back([&, t] {
      for (uint32_t i = t * kEach; i < (t + 1) * kEach; ++i)
        a_->Send("b", Numbered(i), ledger_.For(i));
    });
  // Meanwhile a partition comes and goes.
  a_->Partition({"b"});
  a_->Heal();
  for (auto& s : senders) s.join();
  ASSERT_TRUE(ledger_.WaitForAll(kThreads * kEach));
  auto codes = ledger_.ExactlyOnce(kThreads * kEach);
  const FaultStats f = a_->Faults();
  EXPECT_EQ(codes[ErrorCode::kOk], f.sent);
  EXPECT_EQ(codes[ErrorCode::kTimeout], f.dropped);
  EXPECT_EQ(codes[ErrorCode::kUnavailable], f.cut_off_sends);
  EXPECT_TRUE(Eventually([&] { return inbox_.size() == f.sent + f.duplicated; }));
  EXPECT_GT(f.delayed, 0u);
  EXPECT_GT(f.duplicated, 0u);
  EXPECT_GT(f.reordered, 0u);
  EXPECT_GT(f.dropped, 0u);
  a_->Stop();
  EXPECT_EQ(a_->Faults().discarded_at_stop, 0u);
}

}  // namespace
}  // namespace tss::networking

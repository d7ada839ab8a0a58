#include "core/selection.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace tss::core {
namespace {

TEST(Threshold, MatchesTheSeedTable) {
  const std::map<int, int> table = {{3, 3}, {4, 3}, {5, 4}, {6, 5}, {7, 5}, {8, 6}, {9, 7}};
  for (auto [n, t] : table) EXPECT_EQ(Threshold(n), t) << n;
}

TEST(CoordinatorIndex, RotatesEveryRange) {
  EXPECT_EQ(CoordinatorIndex(0, 1000, 4), 0u);
  EXPECT_EQ(CoordinatorIndex(999, 1000, 4), 0u);
  EXPECT_EQ(CoordinatorIndex(1000, 1000, 4), 1u);
  EXPECT_EQ(CoordinatorIndex(3999, 1000, 4), 3u);
  EXPECT_EQ(CoordinatorIndex(4000, 1000, 4), 0u);
  EXPECT_EQ(CoordinatorIndex(12345, 1000, 5), 2u);
}

TEST(SelectSignParticipants, DeterministicExactSizeAndSpread) {
  std::vector<std::string> v = {"a", "b", "c", "d", "e", "f", "g"};
  auto s1 = SelectSignParticipants(v, 5, "ev", 100);
  EXPECT_EQ(s1, SelectSignParticipants(v, 5, "ev", 100));
  EXPECT_EQ(s1.size(), 5u);
  EXPECT_TRUE(std::is_sorted(s1.begin(), s1.end()));
  EXPECT_EQ(std::set<std::string>(s1.begin(), s1.end()).size(), 5u);
  // Different blocks and events give different draws: every validator gets picked sometimes
  // and left out sometimes.
  std::map<std::string, int> picked;
  std::set<std::vector<std::string>> distinct;
  for (uint64_t b = 0; b < 200; ++b) {
    auto s = SelectSignParticipants(v, 5, "ev", b);
    distinct.insert(s);
    for (auto& x : s) picked[x]++;
  }
  EXPECT_GT(distinct.size(), 10u);
  for (auto& x : v) {
    EXPECT_GT(picked[x], 100) << x;
    EXPECT_LT(picked[x], 200) << x;
  }
}

TEST(DeriveSessionId, EveryFieldMatters) {
  SetupBody s;
  s.protocol = ProtocolType::kSign;
  s.block_number = 10;
  s.nonce = 1;
  s.threshold = 2;
  s.participants = {"a", "b"};
  s.key_id = "k";
  s.message_hash = Bytes(32, 1);
  SessionId base = DeriveSessionId("ev", s);
  EXPECT_EQ(base, DeriveSessionId("ev", s));
  EXPECT_NE(base, DeriveSessionId("ev2", s));
  auto vary = [&](auto&& change) {
    SetupBody t = s;
    change(t);
    return DeriveSessionId("ev", t);
  };
  EXPECT_NE(base, vary([](SetupBody& t) { t.block_number++; }));
  EXPECT_NE(base, vary([](SetupBody& t) { t.nonce++; }));
  EXPECT_NE(base, vary([](SetupBody& t) { t.threshold++; }));
  EXPECT_NE(base, vary([](SetupBody& t) { t.participants = {"a", "c"}; }));
  EXPECT_NE(base, vary([](SetupBody& t) { t.key_id = "j"; }));
  EXPECT_NE(base, vary([](SetupBody& t) { t.message_hash[0] ^= 1; }));
  EXPECT_NE(base, vary([](SetupBody& t) { t.protocol = ProtocolType::kKeyrefresh; }));
  EXPECT_NE(base, vary([](SetupBody& t) { t.chain_path = "m/0"; }));
  SetupBody q = s;
  q.protocol = ProtocolType::kQuorumChange;
  q.quorum.emplace().old_holders = {"a", "c"};
  q.quorum->new_n = 2;
  const SessionId qbase = DeriveSessionId("ev", q);
  auto vary_q = [&](auto&& change) {
    SetupBody t = q;
    change(*t.quorum);
    return DeriveSessionId("ev", t);
  };
  EXPECT_NE(qbase, vary_q([](QuorumChangeLayout& l) { l.old_holders = {"c", "a"}; }));
  EXPECT_NE(qbase, vary_q([](QuorumChangeLayout& l) { l.new_n = 3; }));
  EXPECT_NE(qbase, vary_q([](QuorumChangeLayout& l) { l.key_digest[5] ^= 1; }));
}

TEST(QuorumChangeMembersFor, NewSetThenLeaversDealersAtLeastTOld) {
  const std::vector<std::string> holders = {"a", "b", "c", "d"};  // 3-of-4
  // A fifth joins: the new set is all five, every holder deals.
  auto joined = QuorumChangeMembersFor(holders, 3, {"a", "b", "c", "d", "e"}, {});
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  EXPECT_EQ(joined->participants, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(joined->new_n, 5);
  EXPECT_EQ(joined->new_t, 4);
  EXPECT_EQ(joined->dealers, 4u);
  // b leaves and is reachable: it deals after the new set.
  auto left = QuorumChangeMembersFor(holders, 3, {"a", "c", "d"}, {"b"});
  ASSERT_TRUE(left.ok()) << left.status().ToString();
  EXPECT_EQ(left->participants, (std::vector<std::string>{"a", "c", "d", "b"}));
  EXPECT_EQ(left->new_n, 3);
  EXPECT_EQ(left->new_t, 3);
  // b and c gone and unreachable: two dealers are fewer than t_old = 3.
  auto few = QuorumChangeMembersFor(holders, 3, {"a", "d", "e"}, {});
  ASSERT_FALSE(few.ok());
  EXPECT_NE(few.status().message().find("only 2"), std::string::npos);
  // One of them down is tolerated: three deal.
  EXPECT_TRUE(QuorumChangeMembersFor(holders, 3, {"a", "c", "d", "e"}, {}).ok());
  // A leaver must hold a share and not be registered; leavers are sorted and distinct.
  EXPECT_FALSE(QuorumChangeMembersFor(holders, 3, {"a", "c", "d"}, {"x"}).ok());
  EXPECT_FALSE(QuorumChangeMembersFor(holders, 3, {"a", "b", "c", "d"}, {"b"}).ok());
  EXPECT_FALSE(QuorumChangeMembersFor(holders, 2, {"a", "c"}, {"b", "b"}).ok());
  auto sorted = QuorumChangeMembersFor(holders, 2, {"a", "c"}, {"d", "b"});
  ASSERT_TRUE(sorted.ok());
  EXPECT_EQ(sorted->participants, (std::vector<std::string>{"a", "c", "b", "d"}));
  // A new set of one is no sharing.
  EXPECT_FALSE(QuorumChangeMembersFor(holders, 2, {"a"}, {"b", "c"}).ok());
}

TEST(CompareHolders, JoiningAndLeaving) {
  auto same = CompareHolders({"b", "a"}, {"a", "b"});
  EXPECT_TRUE(same.empty());
  auto change = CompareHolders({"a", "b", "c"}, {"d", "a", "c"});
  EXPECT_EQ(change.joining, (std::vector<std::string>{"d"}));
  EXPECT_EQ(change.leaving, (std::vector<std::string>{"b"}));
}

TEST(CoordinatorOrder, StartsAtThePrimaryAndWraps) {
  const std::vector<std::string> v = {"a", "b", "c", "d"};
  EXPECT_EQ(CoordinatorOrder(v, 0, 1000), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(CoordinatorOrder(v, 2500, 1000), (std::vector<std::string>{"c", "d", "a", "b"}));
  EXPECT_TRUE(CoordinatorOrder({}, 7, 1000).empty());
}

TEST(CoordinatorRank, PrimaryAlwaysBackupsByWindowOrWhenTheOnesAheadAreDown) {
  const std::vector<std::string> order = {"p", "b1", "b2", "b3"};
  auto all_live = [](const std::string&) { return true; };
  auto down = [](std::set<std::string> d) {
    return [d](const std::string& a) { return !d.count(a); };
  };
  // The primary, at any time; a non-validator, never.
  EXPECT_EQ(CoordinatorRank(order, "p", 100, 100, 3, all_live), 0u);
  EXPECT_EQ(CoordinatorRank(order, "x", 100, 999, 3, down({"p", "b1", "b2", "b3"})), std::nullopt);
  // (b) the window: rank k after k × 3 blocks.
  EXPECT_EQ(CoordinatorRank(order, "b1", 100, 102, 3, all_live), std::nullopt);
  EXPECT_EQ(CoordinatorRank(order, "b1", 100, 103, 3, all_live), 1u);
  EXPECT_EQ(CoordinatorRank(order, "b2", 100, 105, 3, all_live), std::nullopt);
  EXPECT_EQ(CoordinatorRank(order, "b2", 100, 106, 3, all_live), 2u);
  // A block before the event's never counts as a passed window.
  EXPECT_EQ(CoordinatorRank(order, "b1", 100, 50, 3, all_live), std::nullopt);
  // (c) every one ahead down in the deciding view: at once.
  EXPECT_EQ(CoordinatorRank(order, "b1", 100, 100, 3, down({"p"})), 1u);
  EXPECT_EQ(CoordinatorRank(order, "b2", 100, 100, 3, down({"p"})), std::nullopt);
  EXPECT_EQ(CoordinatorRank(order, "b2", 100, 100, 3, down({"p", "b1"})), 2u);
  EXPECT_EQ(CoordinatorRank(order, "b2", 100, 100, 3, down({"b1"})), std::nullopt);
  // A huge window does not wrap around into "passed".
  EXPECT_EQ(CoordinatorRank(order, "b3", 0, UINT64_MAX - 1, UINT64_MAX / 2, all_live),
            std::nullopt);
}

}  // namespace
}  // namespace tss::core

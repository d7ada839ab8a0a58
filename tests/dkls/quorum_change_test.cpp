// Quorum change: moving a key to another set of holders (another n and t) keeps the public key,
// key id and chain code, and the new holders sign — every signature checked by libsecp256k1 and
// OpenSSL — while old shares cannot sign with new ones. Then the malicious members: every field
// of every round, tampered with by one member through RunLocal's interceptor, fails the session
// at the honest members naming that member.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "crypto/ot/ot.h"
#include "crypto/schnorr.h"
#include "dkls/dealing.h"
#include "dkls/sharing.h"
#include "dkls/wire.h"
#include "dkls_test_util.h"

namespace tss::dkls {
namespace {

using crypto::Point;
using crypto::Scalar;
using testing::CachedKey;
using testing::ExpectConsistentKey;
using testing::ExpectValidSignature;
using testing::HashOf;
using testing::Pick;
using testing::Sid;

using Dealers = std::vector<QuorumChangeDealer>;

// Every old holder of `old` at the same index (none leaves).
Dealers AllStay(const std::vector<KeyShare>& old) {
  Dealers out;
  for (const KeyShare& k : old) out.push_back({&k, k.index});
  return out;
}

// The new shares: one key (n, t), the old key's public key, key id and chain code, the next
// generation, a fingerprint of their own, no pair burned.
void ExpectMovedKey(const std::vector<KeyShare>& moved, const KeyShare& old, uint16_t n,
                    uint16_t t) {
  ExpectConsistentKey(moved, n, t);
  for (const KeyShare& k : moved) {
    EXPECT_EQ(k.generation, old.generation + 1);
    EXPECT_EQ(k.key_id, old.key_id);
    EXPECT_EQ(k.public_key, old.public_key);
    EXPECT_EQ(k.chain_code, old.chain_code);
    EXPECT_NE(k.Fingerprint(), old.Fingerprint());
    EXPECT_TRUE(k.BurnedPeers().empty());
  }
}

void ExpectSigns(const std::vector<KeyShare>& shares,
                 const std::vector<std::vector<uint16_t>>& sets, const std::string& label) {
  crypto::DeterministicRng rng(77);
  int k = 0;
  for (const auto& set : sets) {
    const auto hash = HashOf(label + " " + std::to_string(k));
    auto sig = LocalSign(Pick(shares, set), hash, Sid(label + " sign " + std::to_string(k++)), rng);
    ASSERT_TRUE(sig.ok()) << sig.status().ToString();
    ExpectValidSignature(shares[0].public_key, hash, *sig);
  }
}

TEST(QuorumChange, ThreeOfFourToFourOfFiveWithAJoinerSigns) {
  const auto& old = CachedKey(4, 3);
  crypto::DeterministicRng rng(1);
  Traffic traffic;
  auto moved = LocalQuorumChange(AllStay(old), 5, 4, Sid("qc 3/4 to 4/5"), rng, &traffic);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  ExpectMovedKey(*moved, old[0], 5, 4);
  // Five members, one addressed message to each other member per round.
  EXPECT_EQ(traffic.messages, size_t(3 * 5 * 4));
  ExpectSigns(*moved, {{1, 2, 3, 5}, {2, 3, 4, 5}, {1, 3, 4, 5}, {1, 2, 3, 4}}, "joiner");
}

TEST(QuorumChange, FiveToFourWithALeaverSigns) {
  const auto& old = CachedKey(5, 4);
  crypto::DeterministicRng rng(2);
  // Old 3 leaves; old 4 and 5 move down to 3 and 4.
  const Dealers dealers = {
      {&old[0], 1}, {&old[1], 2}, {&old[2], std::nullopt}, {&old[3], 3}, {&old[4], 4}};
  auto moved = LocalQuorumChange(dealers, 4, 3, Sid("qc 4/5 to 3/4"), rng);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  ExpectMovedKey(*moved, old[0], 4, 3);
  ExpectSigns(*moved, {{1, 2, 3}, {2, 3, 4}, {1, 2, 4}}, "leaver");
}

// Two of five old holders are down: the three others (t_old of them) deal alone, one of the new
// holders is a joiner and the absent holders are simply not in the new sharing.
TEST(QuorumChange, OnlyTOldHoldersDealWhileTheOthersAreDown) {
  const auto& old = CachedKey(5, 3);
  crypto::DeterministicRng rng(3);
  const Dealers dealers = {{&old[1], 1}, {&old[3], 2}, {&old[4], 3}};
  auto moved = LocalQuorumChange(dealers, 4, 3, Sid("qc down"), rng);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  ExpectMovedKey(*moved, old[0], 4, 3);
  ExpectSigns(*moved, {{1, 2, 4}, {2, 3, 4}, {1, 2, 3}}, "down");
}

TEST(QuorumChange, FewerThanTOldDealersAreRefused) {
  const auto& old = CachedKey(5, 3);
  crypto::DeterministicRng rng(4);
  const Dealers dealers = {{&old[1], 1}, {&old[3], 2}};
  auto moved = LocalQuorumChange(dealers, 3, 2, Sid("qc too few"), rng);
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(moved.status().message().find("old threshold"), std::string::npos);
}

// An old share and new shares never sign together: the fingerprints differ, so the first round
// refuses the old share's holder (or the new ones, at the old share).
TEST(QuorumChange, AnOldShareCannotSignWithNewShares) {
  const auto& old = CachedKey(4, 3);
  crypto::DeterministicRng rng(5);
  auto moved = LocalQuorumChange(AllStay(old), 4, 3, Sid("qc old with new"), rng);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  std::vector<const KeyShare*> mixed = {&old[0], &(*moved)[1], &(*moved)[2]};
  auto sig = LocalSign(mixed, HashOf("mixed"), Sid("mixed sign"), rng);
  ASSERT_FALSE(sig.ok());
  EXPECT_EQ(sig.status().code(), ErrorCode::kProtocolAbort);
  EXPECT_NE(sig.status().message().find("signs with a different key share"), std::string::npos)
      << sig.status().ToString();
  // Nor does the old share deal again into another quorum change with the new ones.
  const Dealers dealers = {{&old[0], 1}, {&(*moved)[1], 2}, {&(*moved)[2], 3}};
  EXPECT_FALSE(LocalQuorumChange(dealers, 3, 2, Sid("qc mixed"), rng).ok());
}

TEST(QuorumChange, ChainCodeKeptAndDerivedChildUnchanged) {
  const auto& old = CachedKey(4, 3);
  const std::vector<uint32_t> path = {7, 0, 42};
  auto before = old[0].Derive(path);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  crypto::DeterministicRng rng(6);
  auto moved = LocalQuorumChange(AllStay(old), 5, 4, Sid("qc derive"), rng);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  for (const KeyShare& k : *moved) {
    auto after = k.Derive(path);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->child.key, before->child.key);
    EXPECT_EQ(after->child.chain_code, before->child.chain_code);
    EXPECT_EQ(after->tweak, before->tweak);
  }
  const auto hash = HashOf("derived after quorum change");
  auto sig = LocalSign(Pick(*moved, {2, 3, 4, 5}), hash, Sid("qc derived sign"), rng, nullptr,
                       before->tweak);
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  ExpectValidSignature(before->child.key, hash, *sig);
}

TEST(QuorumChange, TwoInARowThenARefresh) {
  const auto& old = CachedKey(4, 3);
  crypto::DeterministicRng rng(7);
  auto first = LocalQuorumChange(AllStay(old), 5, 4, Sid("qc first"), rng);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  // 4-of-5 to 2-of-3: holders 1 and 4 leave, 5 becomes 1, 2 stays, 3 stays.
  const auto& f = *first;
  const Dealers dealers = {
      {&f[0], std::nullopt}, {&f[1], 2}, {&f[2], 3}, {&f[3], std::nullopt}, {&f[4], 1}};
  auto second = LocalQuorumChange(dealers, 3, 2, Sid("qc second"), rng);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ExpectMovedKey(*second, f[0], 3, 2);
  EXPECT_EQ((*second)[0].generation, old[0].generation + 2);
  ExpectSigns(*second, {{1, 2}, {2, 3}, {1, 3}}, "second");

  auto refreshed = LocalKeyrefresh(*second, Sid("qc then refresh"), rng);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().ToString();
  EXPECT_EQ((*refreshed)[0].public_key, old[0].public_key);
  EXPECT_EQ((*refreshed)[0].generation, old[0].generation + 3);
  ExpectSigns(*refreshed, {{1, 2}, {1, 3}, {2, 3}}, "refreshed");
}

TEST(QuorumChange, CreateRefusesBadPlansAndShares) {
  const auto& old = CachedKey(4, 3);
  crypto::DeterministicRng rng(8);
  const Bytes sid = Sid("qc create");
  auto plan = PlanQuorumChange(AllStay(old), 5, 4);
  ASSERT_TRUE(plan.ok());
  const crypto::Digest key_id = old[0].key_id;
  const auto refused = [&](const QuorumChangePlan& p, uint16_t me, const KeyShare* share,
                           const crypto::Digest& id, const std::string& why) {
    auto s = QuorumChangeSession::Create(p, me, share, id, sid, rng);
    ASSERT_FALSE(s.ok()) << why;
    EXPECT_EQ(s.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find(why), std::string::npos) << s.status().ToString();
  };
  ASSERT_TRUE(QuorumChangeSession::Create(*plan, 5, nullptr, key_id, sid, rng).ok());
  ASSERT_TRUE(QuorumChangeSession::Create(*plan, 1, &old[0], key_id, sid, rng).ok());
  refused(*plan, 6, nullptr, key_id, "not in the plan");
  refused(*plan, 1, &old[1], key_id, "the plan says 1");
  refused(*plan, 1, nullptr, key_id, "has no old share");
  refused(*plan, 5, &old[0], key_id, "no old index");
  crypto::Digest other = key_id;
  other[0] ^= 1;
  refused(*plan, 1, &old[0], other, "not of the key being moved");
  QuorumChangePlan p = *plan;
  p.new_t = 1;
  refused(p, 1, &old[0], key_id, "new t");
  p = *plan;
  p.members[1].old_index = 1;
  refused(p, 1, &old[0], key_id, "one old index");
  p = *plan;
  std::swap(p.members[0], p.members[1]);
  refused(p, 1, &old[0], key_id, "ascending");
  p = *plan;
  p.members.push_back({9, 0});
  refused(p, 1, &old[0], key_id, "holds no old share");
  p = *plan;
  p.members[3].old_index = 7;
  refused(p, 1, &old[0], key_id, "is not in the old sharing");
}

// ---- Malicious members.
//
// The run: the (3, 4) key moved to (3, 4) with old holders 1, 2, 3 staying, old holder 4
// leaving (party 5) and a joiner (party 4). Member 2 (a dealer and new holder) is malicious
// unless a case says otherwise (the joiner 4 or the leaver 5, for parts their role must not send).

constexpr uint16_t kJoiner = 4, kLeaver = 5, kNewN = 4, kNewT = 3;

class QcTrial {
 public:
  QcTrial(const std::string& sid, uint64_t seed, uint16_t malicious)
      : sid_(Sid(sid)), rng_(seed), malicious_(malicious) {
    const auto& old = CachedKey(4, 3);
    const Dealers dealers = {{&old[0], 1}, {&old[1], 2}, {&old[2], 3}, {&old[3], std::nullopt}};
    auto plan = PlanQuorumChange(dealers, kNewN, kNewT);
    EXPECT_TRUE(plan.ok());
    plan_ = *plan;
    for (const auto& m : plan_.members) {
      const KeyShare* share = m.old_index ? &old[m.old_index - 1] : nullptr;
      auto s = QuorumChangeSession::Create(plan_, m.party, share, old[0].key_id, sid_, rng_);
      EXPECT_TRUE(s.ok()) << s.status().ToString();
      sessions_.push_back(std::move(s).value());
    }
  }

  const Bytes& sid() const { return sid_; }
  uint16_t malicious() const { return malicious_; }
  wire::QuorumChangeRoles Roles(const Message& m) const {
    uint16_t old_index = 0;
    for (const auto& member : plan_.members)
      if (member.party == m.from) old_index = member.old_index;
    return {old_index != 0, m.from <= kNewN, m.to <= kNewN};
  }
  std::vector<KeyShare> TakeShares() {
    std::vector<KeyShare> out;
    for (const auto& s : sessions_) {
      if (!s->holds_new_share()) continue;
      auto k = s->TakeShare();
      EXPECT_TRUE(k.ok()) << k.status().ToString();
      if (k.ok()) out.push_back(std::move(k).value());
    }
    return out;
  }
  std::vector<QuorumChangeSession*> honest() const {
    std::vector<QuorumChangeSession*> out;
    for (const auto& s : sessions_)
      if (s->me() != malicious_) out.push_back(s.get());
    return out;
  }
  Status Go(const Interceptor& intercept) {
    std::vector<Session*> all;
    for (const auto& s : sessions_) all.push_back(s.get());
    return RunLocal(all, nullptr, intercept);
  }

 private:
  Bytes sid_;
  crypto::DeterministicRng rng_;
  uint16_t malicious_;
  QuorumChangePlan plan_;
  std::vector<std::unique_ptr<QuorumChangeSession>> sessions_;
};

template <typename T>
Result<T> DecodeFor(const Message& m, const QcTrial& run) {
  if constexpr (std::is_same_v<T, wire::QuorumChangeRound2>) {
    return T::Decode(m.payload, run.Roles(m), kNewT);
  } else {
    return T::Decode(m.payload, run.Roles(m));
  }
}

using QcAttack = std::function<Interceptor(QcTrial& run, int round)>;

// Every message the malicious member sends in `round` is decoded, changed by `edit` (which may
// depend on the recipient) and re-encoded.
template <typename T>
QcAttack Tamper(std::function<void(T&, uint16_t to)> edit) {
  return [edit](QcTrial& run, int round) -> Interceptor {
    return [&run, edit, round](Message& m, std::vector<Message>&) {
      if (m.from != run.malicious() || m.round != round) return true;
      auto d = DecodeFor<T>(m, run);
      EXPECT_TRUE(d.ok()) << d.status().ToString();
      if (!d.ok()) return true;
      edit(*d, m.to);
      m.payload = d->Encode();
      return true;
    };
  };
}
template <typename T>
QcAttack Tamper(std::function<void(T&)> edit) {
  return Tamper<T>(std::function<void(T&, uint16_t)>([edit](T& m, uint16_t) { edit(m); }));
}

// A dealer that commits in round 1 to the deal it then opens: its round-1 messages wait for its
// round-2 message to the same recipient, `edit` changes that deal (and subshare), and the
// round-1 commitment is made over the changed deal, so that the opening checks out and the later
// checks must catch the lie. Only `victims` (all when empty) see the change.
QcAttack Recommit(std::function<void(wire::QuorumChangeRound2&, uint16_t to)> edit,
                  std::vector<uint16_t> victims = {}) {
  return [edit, victims](QcTrial& run, int) -> Interceptor {
    auto rng = std::make_shared<crypto::DeterministicRng>(5);
    return testing::Recommitting(
        run.malicious(), victims, [&run, edit, rng](Message& r1, Message& m) {
          auto d1 = DecodeFor<wire::QuorumChangeRound1>(r1, run);
          auto d2 = DecodeFor<wire::QuorumChangeRound2>(m, run);
          EXPECT_TRUE(d1.ok() && d2.ok() && d2->deal);
          if (!d1.ok() || !d2.ok() || !d2->deal) return;
          edit(*d2, m.to);
          d1->commitment = crypto::Commit(
              run.sid(), wire::QuorumChangeBroadcastPart(m.from, *d2->deal), d2->opening, *rng);
          r1.payload = d1->Encode();
          m.payload = d2->Encode();
        });
  };
}

// The malicious member's payloads of `round` from an earlier run of the same plan (same key,
// members and old indices, another session id), under this run's headers: the commitments,
// OT messages and echo bind the session id, so the old payloads must be refused.
QcAttack ReplayedPayloads() {
  return [](QcTrial& run, int round) -> Interceptor {
    auto old = std::make_shared<std::map<uint16_t, Bytes>>();  // by recipient
    QcTrial source("an earlier quorum change", 99, run.malicious());
    const Status st = source.Go([&](Message& m, std::vector<Message>&) {
      if (m.from == run.malicious() && m.round == round) (*old)[m.to] = m.payload;
      return true;
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return [&run, old, round](Message& m, std::vector<Message>&) {
      if (m.from == run.malicious() && m.round == round) m.payload = old->at(m.to);
      return true;
    };
  };
}

void Flip(std::span<uint8_t> bytes, size_t at = 0) {
  bytes[at] ^= 0x01;
}
Point Next(const Point& p) {
  return p + Point::Generator();
}

enum class Noticed {
  kAll,           // every honest member aborts naming the malicious one
  kHolders,       // every honest new holder does (the leaver never sees the tampered part)
  kUndetectable,  // everyone finishes: indistinguishable from an honest choice
};

struct QcCase {
  std::string name;
  int round;
  uint16_t malicious;
  std::string why;  // in every blaming member's error
  QcAttack attack;
  Noticed noticed;
};

void PrintTo(const QcCase& c, std::ostream* os) {
  *os << c.name;
}

void ExpectBlamed(const QuorumChangeSession& s, uint16_t culprit, const std::string& why) {
  SCOPED_TRACE("honest member " + std::to_string(s.me()) + ": " + s.status().ToString());
  ASSERT_TRUE(s.Failed());
  EXPECT_EQ(s.status().code(), ErrorCode::kProtocolAbort);
  EXPECT_EQ(s.status().culprit(), culprit);
  EXPECT_NE(s.status().message().find("party " + std::to_string(culprit)), std::string::npos);
  EXPECT_NE(s.status().message().find(why), std::string::npos);
  EXPECT_FALSE(s.Done());
  EXPECT_EQ(s.share(), nullptr);
}

wire::QuorumChangeDeal SomeDeal() {
  wire::QuorumChangeDeal deal;
  deal.coefficients.assign(kNewT, Point::Generator());
  deal.proof.commitment = Point::Generator();
  deal.proof.response = Scalar::One();
  deal.old = CachedKey(4, 3)[0].Public();
  return deal;
}

std::vector<QcCase> QcCases() {
  std::vector<QcCase> cases;
  const auto add = [&](int round, const std::string& name, const std::string& why, QcAttack a,
                       Noticed noticed = Noticed::kAll, uint16_t malicious = 2) {
    cases.push_back(
        {"R" + std::to_string(round) + "_" + name, round, malicious, why, std::move(a), noticed});
  };
  using R1 = wire::QuorumChangeRound1;
  using R2 = wire::QuorumChangeRound2;
  using R3 = wire::QuorumChangeRound3;
  using Deal = std::function<void(R2&, uint16_t)>;
  const auto edit_deal = [](std::function<void(wire::QuorumChangeDeal&)> f) -> Deal {
    return [f](R2& m, uint16_t) { f(*m.deal); };
  };

  // Round 1: context, commitment, base-OT m1; and parts the sender's role does not have.
  add(1, "Context", "runs another quorum change", Tamper<R1>([](R1& m) { Flip(m.context); }));
  add(1, "Commitment", "commitment opening does not match",
      Tamper<R1>([](R1& m) { Flip(m.commitment->value); }));
  add(1, "OtM1", "OT setup message m1 belongs to another session", Tamper<R1>([](R1& m) {
        if (!m.ot_m1.empty()) Flip(m.ot_m1);
      }),
      Noticed::kHolders);
  add(1, "DealerWithoutCommitment", "quorum-change round 1: truncated",
      Tamper<R1>([](R1& m) { m.commitment.reset(); }));
  add(1, "JoinerSendsCommitment", "quorum-change round 1: trailing bytes",
      Tamper<R1>([](R1& m) { m.commitment = crypto::Commitment{}; }), Noticed::kAll, kJoiner);
  add(1, "LeaverSendsOtM1", "quorum-change round 1: trailing bytes",
      Tamper<R1>([](R1& m) { m.ot_m1.assign(crypto::ot::SetupMessage1Size(), 7); }), Noticed::kAll,
      kLeaver);

  // Round 2: every field of the opened deal, uncommitted (the opening fails) and committed (the
  // check of that field fails); salt, subshare, seed half, base-OT m2; the role's parts.
  for (size_t k = 0; k < kNewT; ++k) {
    const std::string c = "Coefficient" + std::to_string(k);
    add(2, c + "NotCommitted", "commitment opening does not match",
        Tamper<R2>([k](R2& m) { m.deal->coefficients[k] = Next(m.deal->coefficients[k]); }));
    add(2, c + "Committed", k == 0 ? "C_{d,0} != λ_i·X_i" : "our subshare g_d(j) does not match",
        Recommit(edit_deal([k](auto& d) { d.coefficients[k] = Next(d.coefficients[k]); })),
        k == 0 ? Noticed::kAll : Noticed::kHolders);
  }
  add(2, "ProofNotCommitted", "commitment opening does not match",
      Tamper<R2>([](R2& m) { m.deal->proof.response += Scalar::One(); }));
  add(2, "ProofCommitted", "proof of knowledge of g_d(0) is invalid",
      Recommit(edit_deal([](auto& d) { d.proof.response += Scalar::One(); })));
  add(2, "ProofOfAnotherSecret", "proof of knowledge of g_d(0) is invalid",
      Recommit(edit_deal([](auto& d) {
        crypto::DeterministicRng rng(3);
        const Scalar x = Scalar::RandomNonZero(rng);
        d.proof = crypto::SchnorrProve(AsBytes(std::string("other")), x, Point::BaseMul(x), rng);
      })));
  // The old sharing's public data, field by field.
  const std::vector<std::pair<std::string, std::function<void(PublicSharing&)>>> old_fields = {
      {"KeyId", [](PublicSharing& o) { Flip(o.key_id); }},
      {"Generation", [](PublicSharing& o) { o.generation++; }},
      {"N",
       [](PublicSharing& o) {
         o.n++;
         o.public_shares.push_back(Next(o.public_shares.back()));
       }},
      {"T", [](PublicSharing& o) { o.t--; }},
      {"PublicKey", [](PublicSharing& o) { o.public_key = Next(o.public_key); }},
      {"PublicShare1", [](PublicSharing& o) { o.public_shares[0] = Next(o.public_shares[0]); }},
      {"PublicShare2", [](PublicSharing& o) { o.public_shares[1] = Next(o.public_shares[1]); }},
      {"PublicShare3", [](PublicSharing& o) { o.public_shares[2] = Next(o.public_shares[2]); }},
      {"PublicShare4", [](PublicSharing& o) { o.public_shares[3] = Next(o.public_shares[3]); }},
      {"ChainCode", [](PublicSharing& o) { Flip(*o.chain_code); }},
      {"ChainCodeDropped", [](PublicSharing& o) { o.chain_code.reset(); }},
  };
  for (const auto& [field, change] : old_fields) {
    add(2, "Old" + field + "NotCommitted", "commitment opening does not match",
        Tamper<R2>([change](R2& m) { change(m.deal->old); }));
    add(2, "Old" + field + "Committed", "old sharing",
        Recommit(edit_deal([change](auto& d) { change(d.old); })));
  }
  add(2, "Salt", "commitment opening does not match",
      Tamper<R2>([](R2& m) { Flip(m.opening.salt); }));
  add(2, "Subshare", "our subshare g_d(j) does not match", Tamper<R2>([](R2& m) {
        if (m.subshare) *m.subshare += Scalar::One();
      }),
      Noticed::kHolders);
  // The seed half is the sender's free choice (as in keygen: malicious_test.cpp,
  // SeedContributionLieShowsInSigning): nothing to check it against.
  add(2, "SeedHalf", "", Tamper<R2>([](R2& m) {
        if (m.seed_contribution) Flip(m.seed_contribution->bytes);
      }),
      Noticed::kUndetectable);
  add(2, "OtM2", "OT setup message m2 belongs to another session", Tamper<R2>([](R2& m) {
        if (!m.ot_m2.empty()) Flip(m.ot_m2);
      }),
      Noticed::kHolders);
  // A dealer lying about its old share, consistently: it deals w + 1 instead of w = λ_2·x_2,
  // with a valid proof for w + 1 and subshares on the moved polynomial. Only C_{d,0} = λ_i·X_i
  // (which the proof and Feldman checks cannot see) catches it.
  add(2, "DealerLiesAboutItsOldShare", "C_{d,0} != λ_i·X_i", [](QcTrial& run, int r) {
    const auto& old = CachedKey(4, 3);
    const std::vector<uint16_t> dealers = {1, 2, 3, 4};
    const Scalar w = LagrangeCoefficient(dealers, 2) * old[1].secret_share + Scalar::One();
    const Bytes context = ProofContext("tss/dkls/quorum-change-pok/v1", run.sid(), 2);
    return Recommit([w, context](R2& m, uint16_t) {
      m.deal->coefficients[0] = Next(m.deal->coefficients[0]);
      EXPECT_EQ(m.deal->coefficients[0], Point::BaseMul(w));
      crypto::DeterministicRng rng(9);
      m.deal->proof = crypto::SchnorrProve(context, w, m.deal->coefficients[0], rng);
      if (m.subshare) *m.subshare += Scalar::One();
    })(run, r);
  });
  add(2, "DealerWithoutDeal", "quorum-change round 2: ", Tamper<R2>([](R2& m) {
        m.deal.reset();
        m.subshare.reset();
      }));
  add(2, "JoinerSendsDeal", "quorum-change round 2: trailing bytes",
      Tamper<R2>([](R2& m, uint16_t to) {
        m.deal = SomeDeal();
        if (to <= kNewN) m.subshare = Scalar::One();
      }),
      Noticed::kAll, kJoiner);
  add(2, "LeaverSendsSeedHalf", "quorum-change round 2: trailing bytes",
      Tamper<R2>([](R2& m) { m.seed_contribution = Seed(); }), Noticed::kAll, kLeaver);
  add(2, "JoinerSendsSubshare", "quorum-change round 2: trailing bytes",
      Tamper<R2>([](R2& m) { m.subshare = Scalar::One(); }), Noticed::kAll, kJoiner);

  // Round 3: echo, base-OT m3; and parts the sender's role does not have.
  add(3, "Echo", "saw different commitments", Tamper<R3>([](R3& m) { Flip(m.echo); }));
  add(3, "OtM3", "OT setup message m3 belongs to another session", Tamper<R3>([](R3& m) {
        if (!m.ot_m3.empty()) Flip(m.ot_m3);
      }),
      Noticed::kHolders);
  add(3, "LeaverSendsOtM3", "quorum-change round 3: trailing bytes",
      Tamper<R3>([](R3& m) { m.ot_m3.assign(crypto::ot::SetupMessage3Size(), 7); }), Noticed::kAll,
      kLeaver);
  add(3, "JoinerWithoutOtM3", "quorum-change round 3: truncated",
      Tamper<R3>([](R3& m) { m.ot_m3.clear(); }), Noticed::kHolders, kJoiner);

  // Payloads of an earlier run of the same plan. Round 1: the stale OT m1 fails at the new
  // holders first (the stale commitment would fail at the opening). Round 2: the opening of the
  // old deal does not match this run's commitment. Round 3: the echo.
  add(1, "ReplayedPayload", "belongs to another session", ReplayedPayloads(), Noticed::kHolders);
  add(2, "ReplayedPayload", "commitment opening does not match", ReplayedPayloads());
  add(3, "ReplayedPayload", "saw different commitments", ReplayedPayloads());
  return cases;
}

class MaliciousQuorumChange : public ::testing::TestWithParam<QcCase> {};

TEST_P(MaliciousQuorumChange, HonestMembersAbortNamingTheCulpritAndKeepNothing) {
  const QcCase& c = GetParam();
  QcTrial run("malicious qc " + c.name, 42, c.malicious);
  const Status result = run.Go(c.attack(run, c.round));
  if (c.noticed == Noticed::kUndetectable) {
    EXPECT_TRUE(result.ok()) << result.ToString();
    return;
  }
  EXPECT_FALSE(result.ok());
  for (const QuorumChangeSession* s : run.honest()) {
    if (c.noticed == Noticed::kAll || s->holds_new_share()) {
      ExpectBlamed(*s, c.malicious, c.why);
      continue;
    }
    // The leaver, which never saw the tampered part: it keeps nothing either way.
    EXPECT_EQ(s->share(), nullptr);
    if (s->Failed()) {
      EXPECT_EQ(s->status().culprit(), c.malicious) << s->status().ToString();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Tamper, MaliciousQuorumChange, ::testing::ValuesIn(QcCases()),
                         [](const auto& info) { return info.param.name; });

// The seed half cannot be checked when sent (R2_SeedHalf): a member that derives its seed with
// member 1 from another half than it sent holds a wrong zero-share in every signature with 1,
// which DKLs23's Σ pk_j = PK check catches (no culprit: ζ_j is private), never a wrong signature;
// signer sets without that pair sign.
TEST(MaliciousQuorumChange, SeedHalfLieShowsInSigning) {
  QcTrial run("qc seed lie", 45, 2);
  ASSERT_TRUE(run.Go([&](Message& m, std::vector<Message>&) {
                   if (m.from == 2 && m.to == 1 && m.round == 2) {
                     auto d = DecodeFor<wire::QuorumChangeRound2>(m, run);
                     EXPECT_TRUE(d.ok());
                     Flip(d->seed_contribution->bytes);
                     m.payload = d->Encode();
                   }
                   return true;
                 })
                  .ok());
  const std::vector<KeyShare> shares = run.TakeShares();
  ASSERT_EQ(shares.size(), kNewN);
  crypto::DeterministicRng rng(46);
  const auto hash = HashOf("qc seed lie");
  auto bad = LocalSign(Pick(shares, {1, 2, 3}), hash, Sid("qc seed lie 1"), rng);
  ASSERT_FALSE(bad.ok());
  EXPECT_FALSE(bad.status().culprit().has_value()) << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("do not add up"), std::string::npos);
  ExpectSigns(shares, {{1, 3, 4}, {2, 3, 4}}, "qc seed lie 2");
}

// A member that stays silent: the others wait for it alone (Waiting() names it for the caller's
// timeout), and nobody keeps anything.
TEST(MaliciousQuorumChange, MissingMessageLeavesEveryoneWaitingForItsSender) {
  for (int round = 1; round <= 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    QcTrial run("qc missing " + std::to_string(round), 47, kLeaver);
    const Status result = run.Go([&](Message& m, std::vector<Message>&) {
      return !(m.from == kLeaver && m.round == round);
    });
    EXPECT_EQ(result.code(), ErrorCode::kTimeout);
    for (const QuorumChangeSession* s : run.honest()) {
      EXPECT_FALSE(s->Failed()) << s->status().ToString();
      EXPECT_EQ(s->Waiting(), std::vector<uint16_t>{kLeaver});
      EXPECT_EQ(s->share(), nullptr);
    }
  }
}

// Dealer 2 shows member 1 another polynomial than the others, committed and with a subshare that
// fits it: member 1's checks pass, and the echo of round 3 catches the difference at every
// honest member (naming the member whose echo differs: from the echo alone, an honest member
// cannot tell the equivocating dealer from a peer lying about its view, as in keygen).
TEST(MaliciousQuorumChange, EquivocatingDealerIsCaughtByTheEcho) {
  QcTrial run("qc equivocation", 43, 2);
  const Status result = run.Go(Recommit(
      [](wire::QuorumChangeRound2& m, uint16_t to) {
        m.deal->coefficients.back() = Next(m.deal->coefficients.back());
        *m.subshare += Scalar::FromU64(uint64_t(to) * to);  // to^{t′−1}, t′ = 3
      },
      {1})(run, 2));
  EXPECT_FALSE(result.ok());
  for (const QuorumChangeSession* s : run.honest()) {
    SCOPED_TRACE("honest member " + std::to_string(s->me()) + ": " + s->status().ToString());
    ASSERT_TRUE(s->Failed());
    EXPECT_EQ(s->status().code(), ErrorCode::kProtocolAbort);
    EXPECT_TRUE(s->status().culprit().has_value());
    EXPECT_NE(s->status().message().find("saw different commitments"), std::string::npos);
    EXPECT_EQ(s->share(), nullptr);
  }
}

// Dealer 2 shows one member another old sharing than everyone else (committed, so the opening
// checks out there): an old holder sees it differs from its own, the joiner that it differs from
// what the other dealers show; either names dealer 2 at once. The others cannot finish without
// the victim's last message.
TEST(MaliciousQuorumChange, OldSharingEquivocationIsNamedByItsVictim) {
  for (uint16_t victim : {uint16_t{1}, kJoiner, kLeaver}) {
    SCOPED_TRACE("victim " + std::to_string(victim));
    QcTrial run("qc old equivocation " + std::to_string(victim), 44, 2);
    const Status result = run.Go(Recommit(
        [](wire::QuorumChangeRound2& m, uint16_t) { m.deal->old.generation++; }, {victim})(run, 2));
    EXPECT_FALSE(result.ok());
    for (const QuorumChangeSession* s : run.honest()) {
      if (s->me() == victim) {
        ExpectBlamed(*s, 2, "old sharing");
      } else {
        EXPECT_FALSE(s->Done());
        EXPECT_EQ(s->share(), nullptr);
      }
    }
  }
}

}  // namespace
}  // namespace tss::dkls

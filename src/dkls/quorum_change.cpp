#include "dkls/quorum_change.h"

#include <algorithm>
#include <map>
#include <string>

#include "crypto/schnorr.h"
#include "dkls/dealing.h"
#include "dkls/sharing.h"
#include "dkls/wire.h"

namespace tss::dkls {

using crypto::Point;
using crypto::Scalar;

namespace {

constexpr ProtocolKind kKind = ProtocolKind::kQuorumChange;

Bytes PokContext(ByteSpan sid, uint16_t party) {
  return ProofContext("tss/dkls/quorum-change-pok/v1", sid, party);
}

// Everything the members must agree on before anything is dealt: the key, the new n and t, and
// who takes part in which role.
crypto::Digest PlanContext(const QuorumChangePlan& plan, const crypto::Digest& key_id) {
  crypto::Transcript tr("tss/dkls/quorum-change-plan/v1");
  tr.Append("key id", key_id);
  tr.Append("new n", plan.new_n);
  tr.Append("new t", plan.new_t);
  tr.Append("members", plan.members.size());
  for (const auto& m : plan.members) {
    tr.Append("party", m.party);
    tr.Append("old index", m.old_index);
  }
  crypto::Digest out;
  tr.ChallengeBytes("context", out);
  return out;
}

Status CheckPlan(const QuorumChangePlan& plan) {
  const auto bad = [](const std::string& why) { return InvalidArgument("quorum change: " + why); };
  if (plan.new_t < 2 || plan.new_t > plan.new_n || plan.new_n > kMaxParties)
    return bad("needs 2 <= new t <= new n <= 255, got t=" + std::to_string(plan.new_t) +
               " n=" + std::to_string(plan.new_n));
  if (plan.members.size() < plan.new_n) return bad("every new index 1..new n must be a member");
  std::vector<uint16_t> old_indices;
  for (size_t k = 0; k < plan.members.size(); ++k) {
    const auto& m = plan.members[k];
    if (k < plan.new_n && m.party != k + 1)
      return bad("members must be 1..new n (ascending), then the leaving dealers");
    if (k >= plan.new_n && (m.party <= plan.members[k - 1].party || m.party > kMaxParties))
      return bad("leaving members need ascending party ids in new n + 1..255");
    if (k >= plan.new_n && m.old_index == 0)
      return bad("leaving member " + std::to_string(m.party) + " holds no old share");
    if (m.old_index != 0) old_indices.push_back(m.old_index);
  }
  std::sort(old_indices.begin(), old_indices.end());
  if (std::adjacent_find(old_indices.begin(), old_indices.end()) != old_indices.end())
    return bad("two members claim one old index");
  if (old_indices.size() < 2) return bad("needs at least two dealers (old holders)");
  return Status::Ok();
}

}  // namespace

// Per other member (ours unused except as noted).
struct QuorumChangeMember {
  uint16_t party = 0;
  uint16_t old_index = 0;
  bool deals() const { return old_index != 0; }
  std::optional<PairSetup> pair;                 // both hold new shares
  std::optional<crypto::Commitment> commitment;  // dealers: round 1 (ours in our own entry)
  std::optional<wire::QuorumChangeDeal> deal;    // dealers: opened in round 2 (ours too)
  Bytes broadcast_part;                          // dealers: as committed and echoed (ours too)
};

struct QuorumChangeSession::State {
  QuorumChangePlan plan;
  Bytes sid;
  crypto::Rng& rng;
  crypto::Digest key_id{};
  crypto::Digest context{};
  std::optional<KeyShare> old;              // dealers
  std::vector<uint16_t> dealer_set;         // D: every dealer's old index, ascending
  std::vector<QuorumChangeMember> members;  // by position in participants()

  std::vector<Scalar> coefficients;  // g_d, constant term w_d = λ_i^D(0)·x_i (dealers)
  crypto::CommitmentOpening opening{};
  Scalar new_share;  // x′_j
  PublicSharing old_public;
  std::vector<Point> public_shares;  // X′_1..X′_{n′}
  crypto::Digest echo{};
  std::optional<KeyShare> result;

  State(const QuorumChangePlan& p, ByteSpan session_id, crypto::Rng& r)
      : plan(p), sid(session_id.begin(), session_id.end()), rng(r) {}
  bool holds(uint16_t party) const { return party <= plan.new_n; }
  // The parts a message from the member at `position` to us (`me`) carries.
  wire::QuorumChangeRoles RolesFrom(size_t position, uint16_t me) const {
    return {members[position].deals(), holds(members[position].party), holds(me)};
  }
  void Wipe() {
    coefficients.clear();
    new_share = Scalar();
    members.clear();
    result.reset();
    old.reset();
  }
};

Result<std::unique_ptr<QuorumChangeSession>> QuorumChangeSession::Create(
    const QuorumChangePlan& plan, uint16_t me, const KeyShare* old_share,
    const crypto::Digest& key_id, ByteSpan session_id, crypto::Rng& rng) {
  TSS_RETURN_IF_ERROR(CheckPlan(plan));
  if (session_id.empty()) return InvalidArgument("quorum change: empty session id");
  auto mine = std::find_if(plan.members.begin(), plan.members.end(),
                           [me](const auto& m) { return m.party == me; });
  if (mine == plan.members.end())
    return InvalidArgument("quorum change: party " + std::to_string(me) + " is not in the plan");
  auto state = std::make_unique<State>(plan, session_id, rng);
  state->key_id = key_id;
  state->context = PlanContext(plan, key_id);
  std::vector<uint16_t> parties;
  for (const auto& m : plan.members) {
    parties.push_back(m.party);
    QuorumChangeMember& member = state->members.emplace_back();
    member.party = m.party;
    member.old_index = m.old_index;
    if (m.old_index != 0) state->dealer_set.push_back(m.old_index);
  }
  std::sort(state->dealer_set.begin(), state->dealer_set.end());

  if (mine->old_index == 0) {
    if (old_share != nullptr)
      return InvalidArgument("quorum change: the plan gives party " + std::to_string(me) +
                             " no old index, but an old share was passed");
  } else {
    if (old_share == nullptr)
      return InvalidArgument("quorum change: party " + std::to_string(me) + " deals (old index " +
                             std::to_string(mine->old_index) + ") but has no old share");
    TSS_RETURN_IF_ERROR(old_share->Validate());
    if (old_share->index != mine->old_index)
      return InvalidArgument("quorum change: our old share has index " +
                             std::to_string(old_share->index) + ", the plan says " +
                             std::to_string(mine->old_index));
    if (old_share->key_id != key_id)
      return InvalidArgument("quorum change: our old share is of key " + old_share->KeyIdHex() +
                             ", not of the key being moved");
    if (state->dealer_set.size() < old_share->t)
      return InvalidArgument("quorum change: " + std::to_string(state->dealer_set.size()) +
                             " dealers, the old threshold needs " + std::to_string(old_share->t));
    if (state->dealer_set.back() > old_share->n)
      return InvalidArgument("quorum change: old index " +
                             std::to_string(state->dealer_set.back()) +
                             " is not in the old sharing of " + std::to_string(old_share->n));
    state->old = old_share->Clone();
  }
  return std::unique_ptr<QuorumChangeSession>(
      new QuorumChangeSession(session_id, me, std::move(parties), std::move(state)));
}

QuorumChangeSession::QuorumChangeSession(ByteSpan session_id, uint16_t me,
                                         std::vector<uint16_t> parties,
                                         std::unique_ptr<State> state)
    : ThreeRoundSession(kKind, session_id, me, std::move(parties), {}), state_(std::move(state)) {}

QuorumChangeSession::~QuorumChangeSession() = default;

bool QuorumChangeSession::holds_new_share() const {
  return state_->holds(me());
}

const KeyShare* QuorumChangeSession::share() const {
  return state_->result ? &*state_->result : nullptr;
}

Result<KeyShare> QuorumChangeSession::TakeShare() {
  if (!state_->result) {
    if (Failed()) return status();
    return holds_new_share()
               ? InternalError("quorum change: session not finished")
               : NotFound("quorum change: party " + std::to_string(me()) + " leaves: no new share");
  }
  KeyShare out = std::move(*state_->result);
  state_->result.reset();
  return out;
}

void QuorumChangeSession::Abandon() {
  state_->Wipe();
}

// R1: a dealer samples g_d with g_d(0) = w_d and commits to its deal; new holders start the pair
// setups with each other.
Result<std::vector<Message>> QuorumChangeSession::Round1() {
  State& s = *state_;
  QuorumChangeMember& self = s.members[PositionOf(me())];
  if (s.old) {
    s.coefficients.resize(s.plan.new_t);
    s.coefficients[0] =
        LagrangeCoefficient(s.dealer_set, s.old->index) * s.old->secret_share;  // w_d
    for (uint16_t k = 1; k < s.plan.new_t; ++k) s.coefficients[k] = Scalar::RandomNonZero(s.rng);
    wire::QuorumChangeDeal deal;
    for (const Scalar& a : s.coefficients) deal.coefficients.push_back(Point::BaseMul(a));
    deal.proof = crypto::SchnorrProve(PokContext(s.sid, me()), s.coefficients[0],
                                      deal.coefficients[0], s.rng);
    deal.old = s.old->Public();
    self.broadcast_part = wire::QuorumChangeBroadcastPart(me(), deal);
    self.commitment = crypto::Commit(s.sid, self.broadcast_part, s.opening, s.rng);
    self.deal = std::move(deal);
  }
  std::vector<Message> out;
  for (QuorumChangeMember& peer : s.members) {
    if (peer.party == me()) continue;
    wire::QuorumChangeRound1 m;
    m.context = s.context;
    m.commitment = self.commitment;
    if (holds_new_share() && s.holds(peer.party)) {
      peer.pair.emplace(s.sid, kKind, me(), peer.party);
      m.ot_m1 = peer.pair->Start(s.rng);
    }
    out.push_back(MakeMessage(peer.party, 1, m.Encode()));
  }
  return out;
}

// Consumes R1 (context, commitments, OT m1); sends R2 (opening, g_d(j), seed half, OT m2).
Result<std::vector<Message>> QuorumChangeSession::Round2(std::vector<Bytes>& in) {
  State& s = *state_;
  const QuorumChangeMember& self = s.members[PositionOf(me())];
  std::vector<Message> out;
  for (size_t p = 0; p < s.members.size(); ++p) {
    QuorumChangeMember& peer = s.members[p];
    if (peer.party == me()) continue;
    auto m = wire::QuorumChangeRound1::Decode(in[p], s.RolesFrom(p, me()));
    if (!m.ok()) return Blame(peer.party, kKind, 1, m.status());
    if (m->context != s.context)
      return Blame(peer.party, kKind, 1,
                   "runs another quorum change (another key, new n and t, or members)");
    peer.commitment = m->commitment;

    wire::QuorumChangeRound2 r2;
    if (self.deal) {
      r2.deal = self.deal;
      r2.opening = s.opening;
      if (s.holds(peer.party)) r2.subshare = EvalPolynomial(s.coefficients, peer.party);
    }
    if (peer.pair) {
      TSS_ASSIGN_OR_RETURN(r2.ot_m2, peer.pair->Respond(m->ot_m1, s.rng));
      r2.seed_contribution = peer.pair->seed_half();
    }
    out.push_back(MakeMessage(peer.party, 2, r2.Encode()));
  }
  return out;
}

// The old sharing every dealer showed, checked: each a valid sharing of the key being moved
// that fits the plan (every dealer's old index in 1..n, at least t dealers) and, at a member
// that holds an old share, exactly its own; and all the same. A joiner, which has no sharing of
// its own to hold them against, blames the dealers that differ from what most dealers showed:
// the old holders among the members blame a lying dealer in any case.
Status QuorumChangeSession::CheckOldSharings() {
  State& s = *state_;
  std::map<crypto::Digest, int> shown;  // fingerprint → dealers showing it
  std::map<crypto::Digest, Status> verdict;
  const std::optional<crypto::Digest> ours =
      s.old ? std::optional(s.old->Fingerprint()) : std::nullopt;
  std::vector<crypto::Digest> fingerprints(s.members.size());
  for (size_t p = 0; p < s.members.size(); ++p) {
    const QuorumChangeMember& dealer = s.members[p];
    if (!dealer.deals() || dealer.party == me()) continue;
    const PublicSharing& old = dealer.deal->old;
    fingerprints[p] = old.Fingerprint();
    if (ours) {
      if (fingerprints[p] != *ours)
        return Blame(dealer.party, kKind, 2,
                     "shows an old sharing other than ours (another key, generation, n, t, "
                     "public shares or chain code)");
      continue;
    }
    auto [it, fresh] = verdict.try_emplace(fingerprints[p]);
    if (fresh) {
      it->second = old.Validate();
      if (it->second.ok() && old.key_id != s.key_id)
        it->second = Status(ErrorCode::kProtocolAbort, "shows an old sharing of another key");
      if (it->second.ok() && (s.dealer_set.back() > old.n || s.dealer_set.size() < old.t))
        it->second = Status(ErrorCode::kProtocolAbort,
                            "shows an old sharing the plan's dealers do not fit (index above n "
                            "or fewer than t dealers)");
    }
    if (!it->second.ok())
      return Blame(dealer.party, kKind, 2, "old sharing: " + it->second.message());
    ++shown[fingerprints[p]];
  }
  if (ours) {
    s.old_public = s.old->Public();
    return Status::Ok();
  }
  // A joiner: the most shown sharing (ties: the lowest dealer's), and the first dealer off it.
  const crypto::Digest* agreed = nullptr;
  size_t agreed_at = 0;
  for (size_t p = 0; p < s.members.size(); ++p) {
    if (!s.members[p].deals()) continue;
    if (agreed == nullptr || shown[fingerprints[p]] > shown[*agreed]) {
      agreed = &fingerprints[p];
      agreed_at = p;
    }
  }
  for (size_t p = 0; p < s.members.size(); ++p)
    if (s.members[p].deals() && fingerprints[p] != *agreed)
      return Blame(s.members[p].party, kKind, 2,
                   "shows another old sharing than most dealers (fingerprints differ)");
  s.old_public = s.members[agreed_at].deal->old;
  return Status::Ok();
}

// Consumes R2: checks every opening, old sharing, C_{d,0} = λ_i^D(0)·X_i, proof and subshare
// (naming the dealer), derives the new share and public shares, answers the pair setups, and
// sends R3 (echo, OT m3).
Result<std::vector<Message>> QuorumChangeSession::Round3(std::vector<Bytes>& in) {
  State& s = *state_;
  std::vector<wire::QuorumChangeRound2> received(s.members.size());
  for (size_t p = 0; p < s.members.size(); ++p) {
    QuorumChangeMember& peer = s.members[p];
    if (peer.party == me()) continue;
    auto m = wire::QuorumChangeRound2::Decode(in[p], s.RolesFrom(p, me()), s.plan.new_t);
    Wipe(in[p].data(), in[p].size());
    if (!m.ok()) return Blame(peer.party, kKind, 2, m.status());
    if (peer.deals()) {
      peer.broadcast_part = wire::QuorumChangeBroadcastPart(peer.party, *m->deal);
      if (!crypto::VerifyCommitment(s.sid, peer.broadcast_part, m->opening, *peer.commitment))
        return Blame(peer.party, kKind, 2, "commitment opening does not match round 1");
      peer.deal = std::move(m->deal);
    }
    received[p] = std::move(m).value();
  }
  TSS_RETURN_IF_ERROR(CheckOldSharings());

  // Σ_d C_{d,k}: the commitments of the summed polynomial g = Σ_d g_d.
  std::vector<std::vector<Point>> columns(s.plan.new_t);
  std::vector<Point> constants;
  std::vector<Bytes> m3(s.members.size());
  for (size_t p = 0; p < s.members.size(); ++p) {
    QuorumChangeMember& peer = s.members[p];
    if (peer.deals()) {
      const auto& c = peer.deal->coefficients;
      if (peer.party != me()) {
        const Point expected = s.old_public.public_shares[peer.old_index - 1] *
                               LagrangeCoefficient(s.dealer_set, peer.old_index);
        if (c[0] != expected)
          return Blame(peer.party, kKind, 2,
                       "deals another value than its old share: C_{d,0} != λ_i·X_i");
        if (!crypto::SchnorrVerify(PokContext(s.sid, peer.party), c[0], peer.deal->proof))
          return Blame(peer.party, kKind, 2, "proof of knowledge of g_d(0) is invalid");
        if (holds_new_share()) {
          if (Point::BaseMul(*received[p].subshare) != EvalCommitments(c, me()))
            return Blame(peer.party, kKind, 2,
                         "our subshare g_d(j) does not match its Feldman commitments");
          s.new_share += *received[p].subshare;
        }
      } else if (holds_new_share()) {
        s.new_share += EvalPolynomial(s.coefficients, me());
      }
      for (size_t k = 0; k < c.size(); ++k) columns[k].push_back(c[k]);
    }
    if (peer.pair) {
      TSS_ASSIGN_OR_RETURN(m3[p],
                           peer.pair->Confirm(*received[p].seed_contribution, received[p].ot_m2));
    }
  }
  received.clear();

  std::vector<Point> summed(s.plan.new_t);
  for (size_t k = 0; k < summed.size(); ++k) summed[k] = Point::Sum(columns[k]);
  // Follows from the checks above (the C_{d,0} interpolate the old public key); kept as the
  // invariant the whole protocol is for.
  if (summed[0] != s.old_public.public_key)
    return Status(ErrorCode::kProtocolAbort, "quorum change: the deals do not sum to the key");
  if (holds_new_share()) {
    s.public_shares.resize(s.plan.new_n);
    for (uint16_t m = 1; m <= s.plan.new_n; ++m)
      s.public_shares[m - 1] = EvalCommitments(summed, m);
  }

  Echo echo(s.context);
  for (const QuorumChangeMember& peer : s.members)
    if (peer.deals()) echo.Add(*peer.commitment, peer.broadcast_part);
  s.echo = echo.Final();

  std::vector<Message> out;
  for (size_t p = 0; p < s.members.size(); ++p) {
    if (s.members[p].party == me()) continue;
    wire::QuorumChangeRound3 r3{s.echo, std::move(m3[p])};
    out.push_back(MakeMessage(s.members[p].party, 3, r3.Encode()));
  }
  return out;
}

// Consumes R3: every echo must match ours; new holders finish their pair setups and keep the new
// share.
Status QuorumChangeSession::Finish(std::vector<Bytes>& in) {
  State& s = *state_;
  KeyShare share;
  for (size_t p = 0; p < s.members.size(); ++p) {
    QuorumChangeMember& peer = s.members[p];
    if (peer.party == me()) continue;
    auto m = wire::QuorumChangeRound3::Decode(in[p], s.RolesFrom(p, me()));
    if (!m.ok()) return Blame(peer.party, kKind, 3, m.status());
    if (m->echo != s.echo) return EchoMismatch(peer.party, kKind);
    if (peer.pair) {
      TSS_ASSIGN_OR_RETURN(PeerMaterial material, peer.pair->Finish(m->ot_m3));
      share.peers.push_back(std::move(material));
    }
  }
  if (holds_new_share()) {
    share.index = me();
    share.n = s.plan.new_n;
    share.t = s.plan.new_t;
    share.generation = s.old_public.generation + 1;
    share.key_id = s.old_public.key_id;
    share.public_key = s.old_public.public_key;
    share.public_shares = std::move(s.public_shares);
    share.secret_share = s.new_share;
    share.chain_code = s.old_public.chain_code;
    TSS_RETURN_IF_ERROR(share.Validate());
  }
  const bool keep = holds_new_share();
  s.Wipe();
  if (keep) s.result = std::move(share);
  return Status::Ok();
}

}  // namespace tss::dkls

#include "dkls/dkg.h"

#include <numeric>
#include <string>

#include "crypto/hash.h"
#include "crypto/schnorr.h"
#include "dkls/dealing.h"
#include "dkls/sharing.h"
#include "dkls/wire.h"

namespace tss::dkls {

using crypto::Point;
using crypto::Scalar;

struct DkgSession::Peer {
  std::optional<PairSetup> pair;                 // OT setups and zero-sharing seed
  crypto::Commitment commitment{};               // theirs, round 1
  Bytes broadcast_part;                          // theirs, opened in round 2
  std::array<uint8_t, 32> chain_contribution{};  // keygen: theirs (ours in our own entry)
};

namespace {

Bytes PokContext(ByteSpan sid, uint16_t party) {
  return ProofContext("tss/dkls/keygen-pok/v1", sid, party);
}

}  // namespace

DkgSession::DkgSession(ProtocolKind kind, uint16_t n, uint16_t t, uint16_t me, ByteSpan session_id,
                       crypto::Rng& rng, std::optional<KeyShare> old)
    : ThreeRoundSession(kind, session_id, me,
                        [n] {
                          std::vector<uint16_t> all(n);
                          std::iota(all.begin(), all.end(), uint16_t{1});
                          return all;
                        }(),
                        {}),
      n_(n),
      t_(t),
      sid_(session_id.begin(), session_id.end()),
      rng_(rng),
      old_(std::move(old)),
      peers_(n) {
  if (old_) {
    context_ = old_->Fingerprint();
  } else {
    crypto::Transcript tr("tss/dkls/keygen-params/v1");
    tr.Append("n", n);
    tr.Append("t", t);
    tr.ChallengeBytes("context", context_);
  }
}

DkgSession::~DkgSession() = default;

Result<std::unique_ptr<KeygenSession>> KeygenSession::Create(uint16_t n, uint16_t t, uint16_t me,
                                                             ByteSpan session_id,
                                                             crypto::Rng& rng) {
  if (t < 2 || t > n || n > kMaxParties)
    return InvalidArgument("keygen: needs 2 <= t <= n <= 255, got t=" + std::to_string(t) +
                           " n=" + std::to_string(n));
  if (me < 1 || me > n) return InvalidArgument("keygen: party index must be in 1..n");
  if (session_id.empty()) return InvalidArgument("keygen: empty session id");
  return std::unique_ptr<KeygenSession>(
      new KeygenSession(ProtocolKind::kKeygen, n, t, me, session_id, rng, std::nullopt));
}

Result<std::unique_ptr<KeyrefreshSession>> KeyrefreshSession::Create(const KeyShare& old_share,
                                                                     ByteSpan session_id,
                                                                     crypto::Rng& rng) {
  TSS_RETURN_IF_ERROR(old_share.Validate());
  if (session_id.empty()) return InvalidArgument("keyrefresh: empty session id");
  return std::unique_ptr<KeyrefreshSession>(
      new KeyrefreshSession(ProtocolKind::kKeyrefresh, old_share.n, old_share.t, old_share.index,
                            session_id, rng, old_share.Clone()));
}

Result<KeyShare> DkgSession::TakeShare() {
  if (!result_) return Failed() ? status() : InternalError("dkg: session not finished");
  KeyShare out = std::move(*result_);
  result_.reset();
  return out;
}

// c = H(sid, c_1, …, c_n): every party's revealed contribution, in index order. Each was committed
// to (with the Feldman commitments) before any was revealed, so no party can steer c, and the
// echo makes every party hash the same contributions.
crypto::bip32::ChainCode DkgSession::MakeChainCode() const {
  crypto::Transcript tr("tss/dkls/chain-code/v1");
  tr.Append("sid", sid_);
  for (const Peer& peer : peers_) tr.Append("contribution", peer.chain_contribution);
  crypto::bip32::ChainCode out;
  tr.ChallengeBytes("chain code", out);
  return out;
}

void DkgSession::Abandon() {
  coefficients_.clear();
  new_share_ = Scalar();
  peers_.clear();
  result_.reset();
  old_.reset();
}

// R1: sample f_i, commit to its Feldman commitments (and the proof), start the OT setups in which
// we are the receiver.
Result<std::vector<Message>> DkgSession::Round1() {
  coefficients_.resize(t_);
  for (uint16_t k = keygen() ? 0 : 1; k < t_; ++k) {
    coefficients_[k] = Scalar::RandomNonZero(rng_);
    commitments_.push_back(Point::BaseMul(coefficients_[k]));
  }
  // Our own entry of peers_ holds what we show everyone, for the echo.
  Peer& self = peers_[PositionOf(me())];
  std::optional<std::array<uint8_t, 32>> chain;
  if (keygen()) {
    proof_ = crypto::SchnorrProve(PokContext(sid_, me()), coefficients_[0], commitments_[0], rng_);
    rng_.Fill(self.chain_contribution);
    chain = self.chain_contribution;
  }
  self.broadcast_part = wire::DkgBroadcastPart(me(), commitments_, proof_, chain);
  self.commitment = crypto::Commit(sid_, self.broadcast_part, opening_, rng_);
  const crypto::Commitment commitment = self.commitment;

  std::vector<Message> out;
  for (size_t p = 0; p < participants().size(); ++p) {
    const uint16_t j = participants()[p];
    if (j == me()) continue;
    peers_[p].pair.emplace(sid_, protocol(), me(), j);
    wire::DkgRound1 m{context_, commitment, peers_[p].pair->Start(rng_)};
    out.push_back(MakeMessage(j, 1, m.Encode()));
  }
  return out;
}

// Consumes R1 (commitments, OT m1), sends R2 (opening, f_i(j), seed half, OT m2).
Result<std::vector<Message>> DkgSession::Round2(std::vector<Bytes>& in) {
  std::vector<Message> out;
  for (size_t p = 0; p < participants().size(); ++p) {
    const uint16_t j = participants()[p];
    if (j == me()) continue;
    Peer& peer = peers_[p];
    auto m = wire::DkgRound1::Decode(in[p]);
    if (!m.ok()) return Blame(j, protocol(), 1, m.status());
    if (m->context != context_)
      return Blame(j, protocol(), 1,
                   keygen() ? "runs keygen with other parameters (n, t)"
                            : "refreshes another key or another generation of it");
    peer.commitment = m->commitment;
    TSS_ASSIGN_OR_RETURN(Bytes m2, peer.pair->Respond(m->ot_m1, rng_));

    wire::DkgRound2 r2;
    r2.coefficients = commitments_;
    r2.proof = proof_;
    if (keygen()) r2.chain_contribution = peers_[PositionOf(me())].chain_contribution;
    r2.opening = opening_;
    r2.share = EvalPolynomial(coefficients_, j);
    r2.seed_contribution = peer.pair->seed_half();
    r2.ot_m2 = std::move(m2);
    Bytes payload = r2.Encode();
    out.push_back(MakeMessage(j, 2, std::move(payload)));
  }
  return out;
}

// Consumes R2: checks every opening, proof and share (naming the dealer), derives the new share
// and public data, answers the OT setups, and sends R3 (echo, OT m3).
Result<std::vector<Message>> DkgSession::Round3(std::vector<Bytes>& in) {
  const size_t count = keygen() ? t_ : t_ - 1;
  // Σ_j C_{j,k}: the commitments of the summed polynomial (index k; k = 0 unused in refresh).
  std::vector<std::vector<Point>> columns(t_);
  for (size_t k = 0; k < commitments_.size(); ++k)
    columns[keygen() ? k : k + 1].push_back(commitments_[k]);
  Scalar sum = EvalPolynomial(coefficients_, me());
  std::vector<Bytes> m3(participants().size());

  for (size_t p = 0; p < participants().size(); ++p) {
    const uint16_t j = participants()[p];
    if (j == me()) continue;
    Peer& peer = peers_[p];
    auto m = wire::DkgRound2::Decode(in[p], count, keygen());
    Wipe(in[p].data(), in[p].size());
    if (!m.ok()) return Blame(j, protocol(), 2, m.status());
    peer.broadcast_part =
        wire::DkgBroadcastPart(j, m->coefficients, m->proof, m->chain_contribution);
    if (!crypto::VerifyCommitment(sid_, peer.broadcast_part, m->opening, peer.commitment))
      return Blame(j, protocol(), 2, "commitment opening does not match round 1");
    if (keygen()) peer.chain_contribution = *m->chain_contribution;
    if (keygen() && !crypto::SchnorrVerify(PokContext(sid_, j), m->coefficients[0], *m->proof))
      return Blame(j, protocol(), 2, "proof of knowledge of f_j(0) is invalid");
    std::vector<Point> full = m->coefficients;
    if (!keygen()) full.insert(full.begin(), Point::Infinity());
    if (Point::BaseMul(m->share) != EvalCommitments(full, me()))
      return Blame(j, protocol(), 2, "our share f_j(i) does not match its Feldman commitments");
    for (size_t k = 0; k < full.size(); ++k)
      if (!full[k].IsInfinity()) columns[k].push_back(full[k]);
    sum += m->share;

    TSS_ASSIGN_OR_RETURN(m3[p], peer.pair->Confirm(m->seed_contribution, m->ot_m2));
  }

  std::vector<Point> summed(t_);
  for (size_t k = 0; k < t_; ++k) summed[k] = Point::Sum(columns[k]);
  public_key_ = keygen() ? summed[0] : old_->public_key;
  if (public_key_.IsInfinity())
    return Status(ErrorCode::kProtocolAbort, "keygen: the public key is the point at infinity");
  new_share_ = keygen() ? sum : old_->secret_share + sum;
  public_shares_.resize(n_);
  for (uint16_t m = 1; m <= n_; ++m) {
    Point x = EvalCommitments(summed, m);
    public_shares_[m - 1] = keygen() ? x : old_->PublicShare(m) + x;
  }

  // Echo of everything that had to be the same for every recipient, in party order.
  Echo echo(context_);
  for (const Peer& peer : peers_) echo.Add(peer.commitment, peer.broadcast_part);
  echo_ = echo.Final();

  std::vector<Message> out;
  for (size_t p = 0; p < participants().size(); ++p) {
    const uint16_t j = participants()[p];
    if (j == me()) continue;
    wire::DkgRound3 r3{echo_, std::move(m3[p])};
    out.push_back(MakeMessage(j, 3, r3.Encode()));
  }
  return out;
}

// Consumes R3: the echoes must match ours; finishing the OT setups gives the pairwise material.
Status DkgSession::Finish(std::vector<Bytes>& in) {
  KeyShare share;
  share.index = me();
  share.n = n_;
  share.t = t_;
  share.generation = keygen() ? 0 : old_->generation + 1;
  share.key_id = keygen() ? DeriveKeyId(public_key_, sid_) : old_->key_id;
  share.public_key = public_key_;
  share.public_shares = public_shares_;
  share.secret_share = new_share_;
  share.chain_code = keygen() ? std::optional(MakeChainCode()) : old_->chain_code;
  for (size_t p = 0; p < participants().size(); ++p) {
    const uint16_t j = participants()[p];
    if (j == me()) continue;
    Peer& peer = peers_[p];
    auto m = wire::DkgRound3::Decode(in[p]);
    if (!m.ok()) return Blame(j, protocol(), 3, m.status());
    if (m->echo != echo_) return EchoMismatch(j, protocol());
    TSS_ASSIGN_OR_RETURN(PeerMaterial material, peer.pair->Finish(m->ot_m3));
    share.peers.push_back(std::move(material));
  }
  TSS_RETURN_IF_ERROR(share.Validate());
  result_ = std::move(share);
  coefficients_.clear();
  peers_.clear();
  old_.reset();
  return Status::Ok();
}

}  // namespace tss::dkls

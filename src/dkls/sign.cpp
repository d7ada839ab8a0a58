#include "dkls/sign.h"

#include <algorithm>
#include <string>

#include "crypto/ecdsa.h"
#include "crypto/hash.h"
#include "dkls/sharing.h"
#include "dkls/wire.h"

namespace tss::dkls {

using crypto::Point;
using crypto::Scalar;
namespace ot = crypto::ot;

struct SignSession::Peer {
  ot::OteSenderSetup ot_send;    // we are Alice (inputs r_i, sk_i) towards this peer
  ot::OteReceiverSetup ot_recv;  // we are Bob (random χ_{i,j})
  std::unique_ptr<ot::RvoleReceiver> receiver;
  Scalar chi;                       // χ_{i,j}
  crypto::Commitment commitment{};  // theirs, to R_j
  Scalar c_u, c_v;                  // our RVOLE-sender shares with this peer
};

namespace {

Status Blame(uint16_t party, int round, const std::string& why) {
  return ProtocolAbort(party, "sign round " + std::to_string(round) + ": party " +
                                  std::to_string(party) + ": " + why);
}

}  // namespace

Result<std::unique_ptr<SignSession>> SignSession::Create(const KeyShare& share,
                                                         std::vector<uint16_t> signers,
                                                         ByteSpan message_hash, ByteSpan session_id,
                                                         crypto::Rng& rng, const Scalar& tweak) {
  if (share.t < 2 || share.index < 1 || share.index > share.n ||
      share.peers.size() != size_t(share.n) - 1 || share.public_shares.size() != share.n)
    return InvalidArgument("sign: malformed key share");
  std::sort(signers.begin(), signers.end());
  if (std::adjacent_find(signers.begin(), signers.end()) != signers.end())
    return InvalidArgument("sign: a signer is listed twice");
  if (signers.size() != share.t)
    return InvalidArgument("sign: needs exactly t=" + std::to_string(share.t) + " signers, got " +
                           std::to_string(signers.size()));
  if (signers.front() < 1 || signers.back() > share.n)
    return InvalidArgument("sign: signer indices must be in 1..n");
  if (!std::binary_search(signers.begin(), signers.end(), share.index))
    return InvalidArgument("sign: our own index is not among the signers");
  if (message_hash.size() != 32) return InvalidArgument("sign: the message hash must be 32 bytes");
  if (session_id.empty()) return InvalidArgument("sign: empty session id");
  if ((share.public_key + Point::BaseMul(tweak)).IsInfinity())
    return InvalidArgument("sign: the tweaked key is the point at infinity");
  for (uint16_t j : signers) {
    if (j == share.index) continue;
    const PeerMaterial* material = share.Peer(j);
    if (material == nullptr) return InvalidArgument("sign: malformed key share");
    if (material->burned)
      return Status(ErrorCode::kPermissionDenied,
                    "sign: our OT pair with party " + std::to_string(j) +
                        " is burned (a multiplication check with it failed in an earlier "
                        "session); run a keyrefresh before signing with party " +
                        std::to_string(j) + ", or choose signers without it",
                    j);
  }
  return std::unique_ptr<SignSession>(
      new SignSession(share, std::move(signers), message_hash, session_id, rng, tweak));
}

namespace {

// The share's fingerprint, and for a derived key the tweak beside it: what signers compare in
// round 1 (the root key keeps the plain fingerprint).
crypto::Digest SigningFingerprint(const KeyShare& share, const Scalar& tweak) {
  if (tweak.IsZero()) return share.Fingerprint();
  crypto::Transcript tr("tss/dkls/derived-key-fingerprint/v1");
  tr.Append("share", share.Fingerprint());
  tr.Append("tweak", tweak.ToBytes());
  crypto::Digest d;
  tr.ChallengeBytes("fingerprint", d);
  return d;
}

}  // namespace

SignSession::SignSession(const KeyShare& share, std::vector<uint16_t> signers,
                         ByteSpan message_hash, ByteSpan session_id, crypto::Rng& rng,
                         const Scalar& tweak)
    : ThreeRoundSession(ProtocolKind::kSign, session_id, share.index, signers, {3}),
      sid_(session_id.begin(), session_id.end()),
      rng_(rng),
      fingerprint_(SigningFingerprint(share, tweak)),
      public_key_(share.public_key + Point::BaseMul(tweak)),
      m_(Scalar::FromBytesReduce(message_hash)),
      lagrange_(LagrangeCoefficient(signers, share.index)),
      zeta_(ZeroShare(share, signers, sid_)),
      tweak_(share.index == signers.front() ? tweak : Scalar()),
      secret_share_(share.secret_share),
      peers_(signers.size()) {
  std::copy(message_hash.begin(), message_hash.end(), hash_.begin());
  for (size_t p = 0; p < signers.size(); ++p) {
    if (signers[p] == share.index) continue;
    const PeerMaterial* material = share.Peer(signers[p]);
    peers_[p].ot_send = material->ot_send.Clone();
    peers_[p].ot_recv = material->ot_recv.Clone();
  }
}

SignSession::~SignSession() = default;

Status SignSession::BurnAndBlame(uint16_t j, int round, const std::string& why) {
  burned_peer_ = j;
  return Blame(j, round, why);
}

Bytes SignSession::MultiplicationId(uint16_t alice, uint16_t bob) const {
  crypto::Transcript tr("tss/dkls/rvole/v1");
  tr.Append("sid", sid_);
  tr.Append("alice", alice);
  tr.Append("bob", bob);
  Bytes out(32);
  tr.ChallengeBytes("multiplication id", out);
  return out;
}

Bytes SignSession::InstanceCommitmentMessage(uint16_t party, const Point& r) const {
  ByteWriter w;
  w.U16(party);
  w.Raw(r.ToBytes());
  return w.Take();
}

void SignSession::WipeSecrets() {
  instance_key_ = Scalar();
  inversion_mask_ = Scalar();
  sk_ = Scalar();
  secret_share_ = Scalar();
  zeta_ = Scalar();
  for (Peer& p : peers_) {
    p.chi = p.c_u = p.c_v = Scalar();
    p.receiver.reset();
  }
}

void SignSession::Abandon() {
  WipeSecrets();
  peers_.clear();
  signature_.reset();
}

// Steps 4–6: instance key, inversion mask, commitment to R_i, RVOLE receiver messages.
Result<std::vector<Message>> SignSession::Round1() {
  instance_key_ = Scalar::RandomNonZero(rng_);
  inversion_mask_ = Scalar::RandomNonZero(rng_);
  instance_point_ = Point::BaseMul(instance_key_);
  const crypto::Commitment commitment =
      crypto::Commit(sid_, InstanceCommitmentMessage(me(), instance_point_), opening_, rng_);
  std::vector<Message> out;
  for (size_t p = 0; p < participants().size(); ++p) {
    const uint16_t j = participants()[p];
    if (j == me()) continue;
    Peer& peer = peers_[p];
    peer.receiver = std::make_unique<ot::RvoleReceiver>(peer.ot_recv, MultiplicationId(j, me()),
                                                        rng_, ot::kSignInputs);
    wire::SignRound1 m{fingerprint_, commitment, peer.receiver->Start()};
    peer.chi = peer.receiver->Input();
    out.push_back(MakeMessage(j, 1, m.Encode()));
  }
  return out;
}

// Step 7: sk_i, pk_i; as RVOLE sender towards each j: c^u, c^v, Γ^u, Γ^v; ψ_{i,j} = φ_i − χ_{i,j}.
Result<std::vector<Message>> SignSession::Round2(std::vector<Bytes>& in) {
  sk_ = lagrange_ * secret_share_ + zeta_ + tweak_;  // δ at the lowest signer only (sign.h)
  pk_ = Point::BaseMul(sk_);
  const Scalar inputs[ot::kSignInputs] = {instance_key_, sk_};
  std::vector<Message> out;
  for (size_t p = 0; p < participants().size(); ++p) {
    const uint16_t j = participants()[p];
    if (j == me()) continue;
    Peer& peer = peers_[p];
    auto m = wire::SignRound1::Decode(in[p]);
    if (!m.ok()) return Blame(j, 1, m.status().message());
    if (m->fingerprint != fingerprint_)
      return Blame(j, 1,
                   "signs with a different key share (another key, or another refresh "
                   "generation of this one) or for another derived key (chain path)");
    peer.commitment = m->commitment;
    auto mul = ot::RvoleSend(peer.ot_send, MultiplicationId(me(), j), inputs, m->rvole_m1, rng_);
    if (!mul.ok()) return BurnAndBlame(j, 1, "multiplication: " + mul.status().message());
    peer.c_u = mul->c[0];
    peer.c_v = mul->c[1];
    wire::SignRound2 r2;
    r2.instance_point = instance_point_;
    r2.opening = opening_;
    r2.public_share = pk_;
    r2.gamma_u = Point::BaseMul(peer.c_u);
    r2.gamma_v = Point::BaseMul(peer.c_v);
    r2.psi = inversion_mask_ - peer.chi;
    r2.rvole_m2 = std::move(mul->message);
    for (Scalar& c : mul->c) c = Scalar();
    out.push_back(MakeMessage(j, 2, r2.Encode()));
  }
  return out;
}

// Steps 8–9: decommitments, RVOLE outputs and the consistency checks; then (w_i, u_i).
Result<std::vector<Message>> SignSession::Round3(std::vector<Bytes>& in) {
  std::vector<Point> instance_points{instance_point_};
  std::vector<Point> public_shares{pk_};
  Scalar psi_sum = inversion_mask_;  // φ_i + Σ_j ψ_{j,i}
  Scalar sum_u, sum_v;               // Σ_j (c + d)
  for (size_t p = 0; p < participants().size(); ++p) {
    const uint16_t j = participants()[p];
    if (j == me()) continue;
    Peer& peer = peers_[p];
    auto m = wire::SignRound2::Decode(in[p]);
    Wipe(in[p].data(), in[p].size());
    if (!m.ok()) return Blame(j, 2, m.status().message());
    if (!crypto::VerifyCommitment(sid_, InstanceCommitmentMessage(j, m->instance_point), m->opening,
                                  peer.commitment))
      return Blame(j, 2, "R_j does not open its round-1 commitment");
    auto d = peer.receiver->Finish(m->rvole_m2);
    if (!d.ok()) return BurnAndBlame(j, 2, "multiplication: " + d.status().message());
    const Scalar d_u = (*d)[0], d_v = (*d)[1];
    for (Scalar& x : *d) x = Scalar();
    // χ_{i,j}·R_j − Γ^u_{j,i} = d^u_{i,j}·G and χ_{i,j}·pk_j − Γ^v_{j,i} = d^v_{i,j}·G, with χ
    // multiplied in constant time (SecretMul: operator* would leak its digits).
    if (m->instance_point.SecretMul(peer.chi) != Point::BaseMul(d_u) + m->gamma_u)
      return BurnAndBlame(j, 2, "Γ^u is inconsistent with R_j and the multiplication");
    if (m->public_share.SecretMul(peer.chi) != Point::BaseMul(d_v) + m->gamma_v)
      return BurnAndBlame(j, 2, "Γ^v is inconsistent with pk_j and the multiplication");
    instance_points.push_back(m->instance_point);
    public_shares.push_back(m->public_share);
    psi_sum += m->psi;
    sum_u += peer.c_u + d_u;
    sum_v += peer.c_v + d_v;
  }
  // Σ pk_j = PK (PK + δ·G for a derived key): cannot say who, only that some signer's pk_j is not
  // its share of the key.
  if (Point::Sum(public_shares) != public_key_)
    return Status(ErrorCode::kProtocolAbort,
                  "sign round 2: the signers' pk_j do not add up to the public key (some signer "
                  "used a wrong key share; the check cannot tell which)");
  big_r_ = Point::Sum(instance_points);
  if (big_r_.IsInfinity())
    return Status(ErrorCode::kProtocolAbort, "sign round 2: R is the point at infinity");
  r_ = Scalar::FromBytesReduce(big_r_.X());
  if (r_.IsZero()) return Status(ErrorCode::kProtocolAbort, "sign round 2: r = 0");

  u_ = instance_key_ * psi_sum + sum_u;
  const Scalar v = sk_ * psi_sum + sum_v;
  w_ = m_ * inversion_mask_ + r_ * v;
  WipeSecrets();
  wire::SignRound3 r3{w_, u_};
  std::vector<Message> out;
  out.push_back(MakeMessage(kBroadcast, 3, r3.Encode()));
  return out;
}

// Step 10: s = Σw / Σu, low-s, recovery id, and our own verification before reporting success.
Status SignSession::Finish(std::vector<Bytes>& in) {
  Scalar sum_w = w_, sum_u = u_;
  for (size_t p = 0; p < participants().size(); ++p) {
    const uint16_t j = participants()[p];
    if (j == me()) continue;
    auto m = wire::SignRound3::Decode(in[p]);
    if (!m.ok()) return Blame(j, 3, m.status().message());
    sum_w += m->w;
    sum_u += m->u;
  }
  if (sum_u.IsZero())
    return Status(ErrorCode::kProtocolAbort, "sign round 3: Σu = 0 (a signer sent a wrong u_j)");
  Signature sig;
  sig.r = r_;
  // Σu is a sum of the broadcast u_j (our own u_i went out in round 3 too): public, so the
  // variable-time inverse.
  sig.s = sum_w * sum_u.InverseVartime();
  const bool x_overflow = !Scalar::FromBytes(big_r_.X()).ok();
  sig.recovery_id = uint8_t((big_r_.YIsOdd() ? 1 : 0) | (x_overflow ? 2 : 0));
  if (sig.s.IsHigh()) {
    sig.s = -sig.s;  // (r, −s) verifies with −R: flip the parity bit
    sig.recovery_id ^= 1;
  }
  Status verified = crypto::VerifyEcdsa(public_key_, hash_, sig.r, sig.s);
  if (!verified.ok())
    return Status(ErrorCode::kProtocolAbort,
                  "sign round 3: the combined signature does not verify (a signer sent a wrong "
                  "w_j or u_j): " +
                      verified.message());
  signature_ = sig;
  return Status::Ok();
}

}  // namespace tss::dkls

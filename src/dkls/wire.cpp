#include "dkls/wire.h"

#include "crypto/ot/ot.h"
#include "dkls/message.h"

namespace tss::dkls::wire {

using crypto::Point;
using crypto::Scalar;
namespace ot = crypto::ot;

namespace {

// Decoding helpers: each reads one fixed-size field and fails with what was wrong.
class Reader {
 public:
  Reader(ByteSpan bytes, const char* what) : r_(bytes), what_(what) {}

  Status GetDigest(crypto::Digest& out) { return GetRaw(out.size(), out.data(), "digest"); }
  Status GetSalt(crypto::CommitmentOpening& out) {
    return GetRaw(out.salt.size(), out.salt.data(), "salt");
  }
  Status GetPoint(Point& out) {
    ByteSpan b;
    if (!r_.Raw(Point::kCompressedSize, b)) return Truncated("point");
    auto p = Point::FromBytes(b);
    if (!p.ok()) return Bad(p.status().message());
    out = *p;
    return Status::Ok();
  }
  Status GetScalar(Scalar& out) {
    ByteSpan b;
    if (!r_.Raw(32, b)) return Truncated("scalar");
    auto s = Scalar::FromBytes(b);
    if (!s.ok()) return Bad(s.status().message());
    out = *s;
    return Status::Ok();
  }
  Status GetBlob(size_t n, Bytes& out) {
    ByteSpan b;
    if (!r_.Raw(n, b)) return Truncated("OT message");
    out.assign(b.begin(), b.end());
    return Status::Ok();
  }
  Status GetU8(uint8_t& out, const char* field) {
    return r_.U8(out) ? Status::Ok() : Truncated(field);
  }
  Status GetU16(uint16_t& out, const char* field) {
    return r_.U16(out) ? Status::Ok() : Truncated(field);
  }
  Status GetU32(uint32_t& out, const char* field) {
    return r_.U32(out) ? Status::Ok() : Truncated(field);
  }
  Status GetRaw(size_t n, uint8_t* out, const char* field) {
    return r_.Raw(n, out) ? Status::Ok() : Truncated(field);
  }
  Status End() { return r_.done() ? Status::Ok() : Bad("trailing bytes"); }
  Status Bad(const std::string& why) { return InvalidArgument(std::string(what_) + ": " + why); }

 private:
  Status Truncated(const char* field) { return Bad(std::string("truncated at ") + field); }
  ByteReader r_;
  const char* what_;
};

void PutPoint(ByteWriter& w, const Point& p) {
  w.Raw(p.ToBytes());
}
void PutScalar(ByteWriter& w, const Scalar& s) {
  auto b = s.ToBytes();
  w.Raw(b);
  Wipe(b.data(), b.size());
}

}  // namespace

Bytes DkgRound1::Encode() const {
  ByteWriter w;
  w.Raw(context);
  w.Raw(commitment.value);
  w.Raw(ot_m1);
  return w.Take();
}

Result<DkgRound1> DkgRound1::Decode(ByteSpan bytes) {
  Reader r(bytes, "keygen round 1");
  DkgRound1 m;
  TSS_RETURN_IF_ERROR(r.GetDigest(m.context));
  TSS_RETURN_IF_ERROR(r.GetDigest(m.commitment.value));
  TSS_RETURN_IF_ERROR(r.GetBlob(ot::SetupMessage1Size(), m.ot_m1));
  TSS_RETURN_IF_ERROR(r.End());
  return m;
}

Bytes DkgBroadcastPart(uint16_t party, std::span<const Point> coefficients,
                       const std::optional<crypto::SchnorrProof>& proof,
                       const std::optional<std::array<uint8_t, 32>>& chain_contribution) {
  ByteWriter w;
  w.U16(party);
  for (const Point& c : coefficients) PutPoint(w, c);
  if (proof) w.Raw(proof->Encode());
  if (chain_contribution) w.Raw(*chain_contribution);
  return w.Take();
}

Bytes DkgRound2::Encode() const {
  ByteWriter w;
  // Sized up front: a reallocation would free a block holding f_i(j) without wiping it.
  w.bytes().reserve(coefficients.size() * Point::kCompressedSize +
                    (proof ? crypto::SchnorrProof::kEncodedSize : 0) +
                    (chain_contribution ? chain_contribution->size() : 0) + opening.salt.size() +
                    32 + seed_contribution.bytes.size() + ot_m2.size());
  for (const Point& c : coefficients) PutPoint(w, c);
  if (proof) w.Raw(proof->Encode());
  if (chain_contribution) w.Raw(*chain_contribution);
  w.Raw(opening.salt);
  PutScalar(w, share);
  w.Raw(seed_contribution.bytes);
  w.Raw(ot_m2);
  return w.Take();
}

Result<DkgRound2> DkgRound2::Decode(ByteSpan bytes, size_t coefficient_count, bool keygen) {
  Reader r(bytes, "keygen round 2");
  DkgRound2 m;
  m.coefficients.resize(coefficient_count);
  for (Point& c : m.coefficients) TSS_RETURN_IF_ERROR(r.GetPoint(c));
  if (keygen) {
    crypto::SchnorrProof proof;
    TSS_RETURN_IF_ERROR(r.GetPoint(proof.commitment));
    TSS_RETURN_IF_ERROR(r.GetScalar(proof.response));
    m.proof = proof;
    std::array<uint8_t, 32> chain{};
    TSS_RETURN_IF_ERROR(r.GetRaw(chain.size(), chain.data(), "chain-code contribution"));
    m.chain_contribution = chain;
  }
  TSS_RETURN_IF_ERROR(r.GetSalt(m.opening));
  TSS_RETURN_IF_ERROR(r.GetScalar(m.share));
  TSS_RETURN_IF_ERROR(r.GetRaw(32, m.seed_contribution.bytes.data(), "seed"));
  TSS_RETURN_IF_ERROR(r.GetBlob(ot::SetupMessage2Size(), m.ot_m2));
  TSS_RETURN_IF_ERROR(r.End());
  return m;
}

Bytes DkgRound3::Encode() const {
  ByteWriter w;
  w.Raw(echo);
  w.Raw(ot_m3);
  return w.Take();
}

Result<DkgRound3> DkgRound3::Decode(ByteSpan bytes) {
  Reader r(bytes, "keygen round 3");
  DkgRound3 m;
  TSS_RETURN_IF_ERROR(r.GetDigest(m.echo));
  TSS_RETURN_IF_ERROR(r.GetBlob(ot::SetupMessage3Size(), m.ot_m3));
  TSS_RETURN_IF_ERROR(r.End());
  return m;
}

// ---- Quorum change.

namespace {

void PutDeal(ByteWriter& w, const QuorumChangeDeal& deal) {
  for (const Point& c : deal.coefficients) PutPoint(w, c);
  w.Raw(deal.proof.Encode());
  const PublicSharing& old = deal.old;
  w.Raw(old.key_id);
  w.U32(old.generation);
  w.U16(old.n);
  w.U16(old.t);
  PutPoint(w, old.public_key);
  for (const Point& x : old.public_shares) PutPoint(w, x);
  w.U8(old.chain_code ? 1 : 0);
  w.Raw(old.chain_code ? *old.chain_code : crypto::bip32::ChainCode{});
}

size_t DealSize(const QuorumChangeDeal& deal) {
  return (deal.coefficients.size() + 1 + deal.old.public_shares.size()) * Point::kCompressedSize +
         crypto::SchnorrProof::kEncodedSize + 32 + 4 + 2 + 2 + 1 + 32;
}

Status GetDeal(Reader& r, size_t coefficient_count, QuorumChangeDeal& deal) {
  deal.coefficients.resize(coefficient_count);
  for (Point& c : deal.coefficients) TSS_RETURN_IF_ERROR(r.GetPoint(c));
  TSS_RETURN_IF_ERROR(r.GetPoint(deal.proof.commitment));
  TSS_RETURN_IF_ERROR(r.GetScalar(deal.proof.response));
  PublicSharing& old = deal.old;
  TSS_RETURN_IF_ERROR(r.GetDigest(old.key_id));
  TSS_RETURN_IF_ERROR(r.GetU32(old.generation, "old generation"));
  TSS_RETURN_IF_ERROR(r.GetU16(old.n, "old n"));
  TSS_RETURN_IF_ERROR(r.GetU16(old.t, "old t"));
  if (old.t < 2 || old.t > old.n || old.n > kMaxParties)
    return r.Bad("old sharing needs 2 <= t <= n <= 255, has t=" + std::to_string(old.t) +
                 " n=" + std::to_string(old.n));
  TSS_RETURN_IF_ERROR(r.GetPoint(old.public_key));
  old.public_shares.resize(old.n);
  for (Point& x : old.public_shares) TSS_RETURN_IF_ERROR(r.GetPoint(x));
  uint8_t state = 0;
  crypto::bip32::ChainCode chain{};
  TSS_RETURN_IF_ERROR(r.GetU8(state, "chain-code state"));
  TSS_RETURN_IF_ERROR(r.GetRaw(chain.size(), chain.data(), "chain code"));
  if (state == 1) {
    old.chain_code = chain;
  } else if (state != 0) {
    return r.Bad("unknown chain-code state " + std::to_string(state));
  } else if (chain != crypto::bip32::ChainCode{}) {
    return r.Bad("an absent chain code with nonzero bytes");
  }
  return Status::Ok();
}

}  // namespace

Bytes QuorumChangeBroadcastPart(uint16_t party, const QuorumChangeDeal& deal) {
  ByteWriter w;
  w.U16(party);
  PutDeal(w, deal);
  return w.Take();
}

Bytes QuorumChangeRound1::Encode() const {
  ByteWriter w;
  w.Raw(context);
  if (commitment) w.Raw(commitment->value);
  w.Raw(ot_m1);
  return w.Take();
}

Result<QuorumChangeRound1> QuorumChangeRound1::Decode(ByteSpan bytes,
                                                      const QuorumChangeRoles& roles) {
  Reader r(bytes, "quorum-change round 1");
  QuorumChangeRound1 m;
  TSS_RETURN_IF_ERROR(r.GetDigest(m.context));
  if (roles.sender_deals) {
    m.commitment.emplace();
    TSS_RETURN_IF_ERROR(r.GetDigest(m.commitment->value));
  }
  if (roles.pair()) TSS_RETURN_IF_ERROR(r.GetBlob(ot::SetupMessage1Size(), m.ot_m1));
  TSS_RETURN_IF_ERROR(r.End());
  return m;
}

Bytes QuorumChangeRound2::Encode() const {
  ByteWriter w;
  // Sized up front: a reallocation would free a block holding g_d(j) without wiping it.
  w.bytes().reserve((deal ? DealSize(*deal) + opening.salt.size() : 0) + (subshare ? 32 : 0) +
                    (seed_contribution ? 32 : 0) + ot_m2.size());
  if (deal) {
    PutDeal(w, *deal);
    w.Raw(opening.salt);
  }
  if (subshare) PutScalar(w, *subshare);
  if (seed_contribution) w.Raw(seed_contribution->bytes);
  w.Raw(ot_m2);
  return w.Take();
}

Result<QuorumChangeRound2> QuorumChangeRound2::Decode(ByteSpan bytes,
                                                      const QuorumChangeRoles& roles,
                                                      size_t coefficient_count) {
  Reader r(bytes, "quorum-change round 2");
  QuorumChangeRound2 m;
  if (roles.sender_deals) {
    m.deal.emplace();
    TSS_RETURN_IF_ERROR(GetDeal(r, coefficient_count, *m.deal));
    TSS_RETURN_IF_ERROR(r.GetSalt(m.opening));
    if (roles.recipient_holds) {
      m.subshare.emplace();
      TSS_RETURN_IF_ERROR(r.GetScalar(*m.subshare));
    }
  }
  if (roles.pair()) {
    m.seed_contribution.emplace();
    TSS_RETURN_IF_ERROR(r.GetRaw(32, m.seed_contribution->bytes.data(), "seed"));
    TSS_RETURN_IF_ERROR(r.GetBlob(ot::SetupMessage2Size(), m.ot_m2));
  }
  TSS_RETURN_IF_ERROR(r.End());
  return m;
}

Bytes QuorumChangeRound3::Encode() const {
  ByteWriter w;
  w.Raw(echo);
  w.Raw(ot_m3);
  return w.Take();
}

Result<QuorumChangeRound3> QuorumChangeRound3::Decode(ByteSpan bytes,
                                                      const QuorumChangeRoles& roles) {
  Reader r(bytes, "quorum-change round 3");
  QuorumChangeRound3 m;
  TSS_RETURN_IF_ERROR(r.GetDigest(m.echo));
  if (roles.pair()) TSS_RETURN_IF_ERROR(r.GetBlob(ot::SetupMessage3Size(), m.ot_m3));
  TSS_RETURN_IF_ERROR(r.End());
  return m;
}

Bytes SignRound1::Encode() const {
  ByteWriter w;
  w.Raw(fingerprint);
  w.Raw(commitment.value);
  w.Raw(rvole_m1);
  return w.Take();
}

Result<SignRound1> SignRound1::Decode(ByteSpan bytes) {
  Reader r(bytes, "sign round 1");
  SignRound1 m;
  TSS_RETURN_IF_ERROR(r.GetDigest(m.fingerprint));
  TSS_RETURN_IF_ERROR(r.GetDigest(m.commitment.value));
  TSS_RETURN_IF_ERROR(r.GetBlob(ot::RvoleMessage1Size(), m.rvole_m1));
  TSS_RETURN_IF_ERROR(r.End());
  return m;
}

Bytes SignRound2::Encode() const {
  ByteWriter w;
  PutPoint(w, instance_point);
  w.Raw(opening.salt);
  PutPoint(w, public_share);
  PutPoint(w, gamma_u);
  PutPoint(w, gamma_v);
  PutScalar(w, psi);
  w.Raw(rvole_m2);
  return w.Take();
}

Result<SignRound2> SignRound2::Decode(ByteSpan bytes) {
  Reader r(bytes, "sign round 2");
  SignRound2 m;
  TSS_RETURN_IF_ERROR(r.GetPoint(m.instance_point));
  TSS_RETURN_IF_ERROR(r.GetSalt(m.opening));
  TSS_RETURN_IF_ERROR(r.GetPoint(m.public_share));
  TSS_RETURN_IF_ERROR(r.GetPoint(m.gamma_u));
  TSS_RETURN_IF_ERROR(r.GetPoint(m.gamma_v));
  TSS_RETURN_IF_ERROR(r.GetScalar(m.psi));
  TSS_RETURN_IF_ERROR(r.GetBlob(ot::RvoleMessage2Size(ot::kSignInputs), m.rvole_m2));
  TSS_RETURN_IF_ERROR(r.End());
  return m;
}

Bytes SignRound3::Encode() const {
  ByteWriter w;
  PutScalar(w, this->w);
  PutScalar(w, u);
  return w.Take();
}

Result<SignRound3> SignRound3::Decode(ByteSpan bytes) {
  Reader r(bytes, "sign round 3");
  SignRound3 m;
  TSS_RETURN_IF_ERROR(r.GetScalar(m.w));
  TSS_RETURN_IF_ERROR(r.GetScalar(m.u));
  TSS_RETURN_IF_ERROR(r.End());
  return m;
}

}  // namespace tss::dkls::wire

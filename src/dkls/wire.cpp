#include "dkls/wire.h"

#include "crypto/ot/ot.h"

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
  Status GetRaw(size_t n, uint8_t* out, const char* field) {
    return r_.Raw(n, out) ? Status::Ok() : Truncated(field);
  }
  Status End() { return r_.done() ? Status::Ok() : Bad("trailing bytes"); }

 private:
  Status Truncated(const char* field) { return Bad(std::string("truncated at ") + field); }
  Status Bad(const std::string& why) { return InvalidArgument(std::string(what_) + ": " + why); }
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

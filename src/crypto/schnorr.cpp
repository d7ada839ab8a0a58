#include "crypto/schnorr.h"

#include <sodium.h>

#include "crypto/ctime.h"
#include "crypto/hash.h"
#include "crypto/rng.h"

namespace tss::crypto {

namespace {
Scalar Challenge(std::span<const uint8_t> context, const Point& X, const Point& R) {
  Transcript t("tss/schnorr-pok/v1");
  t.Append("context", context);
  t.Append("G", Point::Generator());
  t.Append("X", X);
  t.Append("R", R);
  return t.ChallengeScalar("e");
}
}  // namespace

Bytes SchnorrProof::Encode() const {
  Bytes out;
  out.reserve(kEncodedSize);
  auto r = commitment.ToBytes();
  auto z = response.ToBytes();
  out.insert(out.end(), r.begin(), r.end());
  out.insert(out.end(), z.begin(), z.end());
  return out;
}

Result<SchnorrProof> SchnorrProof::Decode(std::span<const uint8_t> bytes) {
  if (bytes.size() != kEncodedSize) return InvalidArgument("Schnorr proof must be 65 bytes");
  TSS_ASSIGN_OR_RETURN(Point r, Point::FromBytes(bytes.subspan(0, 33)));
  TSS_ASSIGN_OR_RETURN(Scalar z, Scalar::FromBytes(bytes.subspan(33, 32)));
  return SchnorrProof{r, z};
}

SchnorrProof SchnorrProve(std::span<const uint8_t> context, const Scalar& x, const Point& X,
                          Rng& rng) {
  // Hedged nonce: fresh randomness mixed with the secret and the statement, so a weak RNG alone
  // cannot repeat k across different statements.
  uint8_t entropy[32];
  rng.Fill(entropy);
  auto xb = x.ToBytes();
  Transcript nt("tss/schnorr-nonce/v1");
  nt.Append("entropy", entropy);
  nt.Append("x", xb);
  nt.Append("X", X);
  nt.Append("context", context);
  Scalar k = nt.ChallengeScalar("k");
  sodium_memzero(entropy, sizeof entropy);
  sodium_memzero(xb.data(), xb.size());
  Point R = Point::BaseMul(k);
  Declassify(&R, sizeof R);  // R is public (it is the proof's commitment); k stays secret
  Scalar e = Challenge(context, X, R);
  return SchnorrProof{R, k + e * x};
}

bool SchnorrVerify(std::span<const uint8_t> context, const Point& X, const SchnorrProof& proof) {
  if (X.IsInfinity() || proof.commitment.IsInfinity()) return false;
  Scalar e = Challenge(context, X, proof.commitment);
  return Point::BaseMul(proof.response) == proof.commitment + X * e;
}

}  // namespace tss::crypto

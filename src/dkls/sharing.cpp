#include "dkls/sharing.h"

#include <numeric>

#include "crypto/hash.h"

namespace tss::dkls {

using crypto::Point;
using crypto::Scalar;

Scalar EvalPolynomial(std::span<const Scalar> coefficients, uint16_t x) {
  const Scalar sx = Scalar::FromU64(x);
  Scalar acc;
  for (size_t k = coefficients.size(); k-- > 0;) acc = acc * sx + coefficients[k];
  return acc;
}

Point EvalCommitments(std::span<const Point> commitments, uint16_t x) {
  // Σ C_k·x^k with the powers as scalars: one multiplication per coefficient, all public.
  std::vector<Point> terms;
  terms.reserve(commitments.size());
  const Scalar sx = Scalar::FromU64(x);
  Scalar power = Scalar::One();
  for (const Point& c : commitments) {
    terms.push_back(c * power);
    power *= sx;
  }
  return Point::Sum(terms);
}

Scalar LagrangeCoefficient(std::span<const uint16_t> set, uint16_t i, uint16_t at) {
  Scalar num = Scalar::One(), den = Scalar::One();
  const Scalar si = Scalar::FromU64(i), sat = Scalar::FromU64(at);
  for (uint16_t j : set) {
    if (j == i) continue;
    const Scalar sj = Scalar::FromU64(j);
    num *= sat - sj;
    den *= si - sj;
  }
  // den is a product of differences of party indices: public, so the variable-time inverse.
  return num * den.InverseVartime();
}

Point InterpolatePublic(std::span<const Point> shares_1_to_t, uint16_t at) {
  std::vector<uint16_t> set(shares_1_to_t.size());
  std::iota(set.begin(), set.end(), uint16_t{1});
  std::vector<Point> terms;
  terms.reserve(set.size());
  for (uint16_t j : set) terms.push_back(shares_1_to_t[j - 1] * LagrangeCoefficient(set, j, at));
  return Point::Sum(terms);
}

Scalar ZeroShare(const KeyShare& share, std::span<const uint16_t> signers, ByteSpan session_id) {
  Scalar zeta;
  for (uint16_t j : signers) {
    if (j == share.index) continue;
    const PeerMaterial* peer = share.Peer(j);
    if (peer == nullptr) continue;  // callers validate the signer set first
    const Scalar z = crypto::HashToScalar("tss/dkls/zero-share/v1",
                                          {ByteSpan(peer->zero_seed.bytes), session_id});
    zeta = share.index < j ? zeta + z : zeta - z;
  }
  return zeta;
}

}  // namespace tss::dkls

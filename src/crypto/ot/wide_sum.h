// crypto/ot/wide_sum.h — sums of many scalar products, reduced mod n once (internal to crypto/ot).
//
// Owns: WideSum, a 576-bit accumulator of scalar products and shifted scalars. The
// multiplication's gadget sums and check values add up hundreds of terms; reducing once instead
// of per term halves their cost. Constant time: fixed carry chains, no branch on a value.
// Must not touch: anything beyond its own limbs (wiped on destruction).
#pragma once

#include <cstdint>

#include "crypto/scalar.h"

namespace tss::crypto::ot {

class WideSum {
 public:
  WideSum() = default;
  WideSum(const WideSum&) = delete;
  WideSum& operator=(const WideSum&) = delete;
  ~WideSum();

  // Each term is below 2^512; at most 2^63 of them fit before the top limb could overflow.
  void AddProduct(const Scalar& a, const Scalar& b);
  // Adds a·2^shift for shift < 256.
  void AddShifted(const Scalar& a, unsigned shift);
  void Add(const Scalar& a) { AddShifted(a, 0); }
  // The sum mod n.
  Scalar Reduce() const;

 private:
  uint64_t w_[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
};

}  // namespace tss::crypto::ot

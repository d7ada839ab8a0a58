#include "crypto/ot/wide_sum.h"

#include "common/secure.h"
#include "crypto/limbs.h"

namespace tss::crypto::ot {

namespace {

using limbs::u128;

// w[from..9) += v with carries, over a fixed number of limbs.
inline void AddAt(uint64_t w[9], size_t from, const uint64_t* v, size_t n) {
  uint64_t carry = 0;
  for (size_t k = from; k < 9; ++k) {
    const uint64_t add = k - from < n ? v[k - from] : 0;
    u128 x = static_cast<u128>(w[k]) + add + carry;
    w[k] = static_cast<uint64_t>(x);
    carry = static_cast<uint64_t>(x >> 64);
  }
}

}  // namespace

WideSum::~WideSum() {
  Wipe(w_, sizeof w_);
}

void WideSum::AddProduct(const Scalar& a, const Scalar& b) {
  uint64_t p[8];
  limbs::MulWide(a.limbs(), b.limbs(), p);
  // Stack temporaries are left to be overwritten (as libsecp256k1 does in its scalar code): a
  // wipe per term would cost as much as the product. The accumulator itself is wiped.
  AddAt(w_, 0, p, 8);
}

void WideSum::AddShifted(const Scalar& a, unsigned shift) {
  // shift is public (a gadget position), so the limb offset may depend on it.
  const uint64_t* x = a.limbs();
  const unsigned limb = shift / 64, bits = shift % 64;
  uint64_t v[5];
  // bits == 0 would make x >> 64 undefined: use a mask instead of a branch on the shift amount.
  const uint64_t spill = 0 - static_cast<uint64_t>(bits != 0);
  const unsigned back = (64 - bits) % 64;
  v[0] = x[0] << bits;
  for (int i = 1; i < 4; ++i) v[i] = (x[i] << bits) | ((x[i - 1] >> back) & spill);
  v[4] = (x[3] >> back) & spill;
  AddAt(w_, limb, v, 5);
}

Scalar WideSum::Reduce() const {
  // All nine limbs at once: the top limb is folded in with the rest (a short product by
  // c = 2^256 − n) rather than by a separate multiply by 2^512 mod n and a second reduction.
  return Scalar::FromLimbsReduce(std::span<const uint64_t, 9>(w_, 9));
}

}  // namespace tss::crypto::ot

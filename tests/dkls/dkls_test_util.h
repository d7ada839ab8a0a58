// Helpers shared by the dkls tests: cached keys, random signer sets, and signature checks that
// go through libsecp256k1 and OpenSSL directly (never through our own verifier alone).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "crypto/hash.h"
#include "crypto/rng.h"
#include "dkls/dkls.h"
#include "testing/ecdsa_verify.h"

namespace tss::dkls::testing {

inline Bytes Sid(const std::string& label) {
  return Bytes(label.begin(), label.end());
}

inline crypto::Digest HashOf(const std::string& message) {
  return crypto::Sha256(AsBytes(message));
}

using dkls::RandomSigners;

inline std::vector<const KeyShare*> Pick(const std::vector<KeyShare>& shares,
                                         const std::vector<uint16_t>& signers) {
  std::vector<const KeyShare*> out;
  out.reserve(signers.size());
  for (uint16_t s : signers) out.push_back(&shares[s - 1]);
  return out;
}

// Checks (r, s, v) on `hash` under `public_key` with libsecp256k1 and OpenSSL, and that the
// recovery id recovers the key.
inline void ExpectValidSignature(const crypto::Point& public_key, const crypto::Digest& hash,
                                 const Signature& sig) {
  const auto pk = public_key.ToBytes();
  const auto r = sig.r.ToBytes(), s = sig.s.ToBytes();
  EXPECT_EQ(tss::testing::VerifyWithBoth(pk, hash, r, s), "");
  EXPECT_FALSE(sig.s.IsHigh());
  EXPECT_EQ(tss::testing::RecoverWithLibsecp256k1Hex(hash, r, s, sig.recovery_id), ToHex(pk));
}

// One keygen per (n, t) per test binary: keygen dominates the run time and the signing tests
// only need some valid key.
inline const std::vector<KeyShare>& CachedKey(uint16_t n, uint16_t t) {
  static std::map<std::pair<int, int>, std::vector<KeyShare>> cache;
  auto it = cache.find({n, t});
  if (it == cache.end()) {
    crypto::DeterministicRng rng(1000 + n * 31 + t);
    auto shares =
        LocalKeygen(n, t, Sid("cached keygen " + std::to_string(n) + "/" + std::to_string(t)), rng);
    EXPECT_TRUE(shares.ok()) << shares.status().ToString();
    it = cache.emplace(std::make_pair(int(n), int(t)), std::move(shares).value()).first;
  }
  return it->second;
}

}  // namespace tss::dkls::testing

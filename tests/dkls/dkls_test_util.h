// Helpers shared by the dkls tests: cached keys, random signer sets, and signature checks that
// go through libsecp256k1 and OpenSSL directly (never through our own verifier alone).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
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

// Shares 1..n of one key (n, t): the same public data at every index, each valid.
inline void ExpectConsistentKey(const std::vector<KeyShare>& shares, uint16_t n, uint16_t t) {
  ASSERT_EQ(shares.size(), n);
  for (uint16_t i = 1; i <= n; ++i) {
    const KeyShare& k = shares[i - 1];
    EXPECT_EQ(k.index, i);
    EXPECT_EQ(k.n, n);
    EXPECT_EQ(k.t, t);
    EXPECT_EQ(k.public_key, shares[0].public_key);
    EXPECT_EQ(k.key_id, shares[0].key_id);
    EXPECT_EQ(k.public_shares, shares[0].public_shares);
    ASSERT_TRUE(k.chain_code.has_value());
    EXPECT_EQ(k.chain_code, shares[0].chain_code);
    EXPECT_EQ(k.Fingerprint(), shares[0].Fingerprint());
    EXPECT_TRUE(k.Validate().ok()) << k.Validate().ToString();
  }
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

// A malicious dealer that commits in round 1 to the round-2 opening it then sends: its round-1
// messages to each of `victims` (everyone when empty) are held until its round-2 message to the
// same recipient exists; `rewrite` then changes that round-2 message and remakes the round-1
// commitment over it, and the round-1 message goes out right after (the recipient buffers the
// early round 2), so the opening checks out and later checks must catch the lie.
inline Interceptor Recommitting(uint16_t dealer, std::vector<uint16_t> victims,
                                std::function<void(Message& r1, Message& r2)> rewrite) {
  auto held = std::make_shared<std::map<uint16_t, Message>>();
  return [=](Message& m, std::vector<Message>& extra) {
    const bool victim =
        victims.empty() || std::find(victims.begin(), victims.end(), m.to) != victims.end();
    if (m.from != dealer || !victim) return true;
    if (m.round == 1) {
      (*held)[m.to] = m;
      return false;
    }
    if (m.round != 2) return true;
    Message r1 = held->at(m.to);
    rewrite(r1, m);
    extra.push_back(std::move(r1));
    return true;
  };
}

}  // namespace tss::dkls::testing

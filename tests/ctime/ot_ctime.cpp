// Constant-time check of the OT stack, in the manner of tests/ctime/scalar_ctime.cpp: secrets
// are marked undefined for valgrind's memcheck, so any branch or memory index that depends on
// them is reported. The library declassifies only what is public by design (outgoing messages,
// whether a check passed, that a 2^-255 event forced a resample). Built by tests/ctime, which
// compiles the crypto sources with TSS_CTIME_CHECK (`ctest -L ctime` runs it under valgrind).
//  1. The base-OT setup (both sides), every random draw secret: Bob's key a and his proof's
//     nonce, Alice's Δ and every b_i. This covers the Diffie–Hellman values through
//     libsecp256k1's ECDH module and Alice's B_i = b_i·G + Δ_i·A in crypto/field.cpp.
//  2. The multiplication (OT extension + RVOLE, both sides) over that setup: Δ, the base-OT
//     seeds, β, the padding choices, Alice's inputs and â; the 32-byte nonces are public.
#include <valgrind/memcheck.h>

#include <cstdio>

#include "crypto/ot/ot.h"
#include "crypto/ot/ote.h"
#include "crypto/rng.h"

using namespace tss;
using namespace tss::crypto;
using namespace tss::crypto::ot;

namespace {

// Every random byte is secret, except (with public_nonces) the 32-byte draws, which the
// multiplication uses for its public nonces.
class SecretRng final : public Rng {
 public:
  SecretRng(uint64_t seed, bool public_nonces) : inner_(seed), public_nonces_(public_nonces) {}
  void Fill(std::span<uint8_t> out) override {
    inner_.Fill(out);
    if (!public_nonces_ || out.size() != 32) VALGRIND_MAKE_MEM_UNDEFINED(out.data(), out.size());
  }

 private:
  DeterministicRng inner_;
  bool public_nonces_;
};

}  // namespace

int main() {
  SecretRng rng(1, false);
  const Bytes sid = {1, 2, 3};
  SetupReceiver bob(sid, rng);
  SetupSender alice(sid, rng);
  Bytes m1 = bob.Start();
  auto m2 = alice.Respond(m1);
  auto m3 = bob.Respond(*m2);
  auto a_setup = alice.Finish(*m3);
  auto b_setup = bob.Finish();
  if (!a_setup.ok() || !b_setup.ok()) return 1;
  const auto& delta = OteAccess::Delta(*a_setup);
  const auto& a_seeds = OteAccess::Seeds(*a_setup);
  const auto& b_seeds = OteAccess::Seeds(*b_setup);
  // The base OTs delivered k_{i,Δ_i} (checked on declassified copies, outside the library).
  auto delta_copy = delta;
  auto a_copy = a_seeds;
  auto b_copy = b_seeds;
  VALGRIND_MAKE_MEM_DEFINED(&delta_copy, sizeof delta_copy);
  VALGRIND_MAKE_MEM_DEFINED(&a_copy, sizeof a_copy);
  VALGRIND_MAKE_MEM_DEFINED(&b_copy, sizeof b_copy);
  for (size_t i = 0; i < kKappa; ++i)
    if (a_copy[i] != b_copy[i][(delta_copy[i / 8] >> (i % 8)) & 1]) {
      std::printf("ot ctime check: base OT %zu delivered the wrong key\n", i);
      return 1;
    }
  VALGRIND_MAKE_MEM_UNDEFINED(delta.data(), sizeof delta);
  VALGRIND_MAKE_MEM_UNDEFINED(a_seeds.data(), sizeof a_seeds);
  VALGRIND_MAKE_MEM_UNDEFINED(b_seeds.data(), sizeof b_seeds);

  SecretRng secret(2, true);
  const Bytes mul_sid = {9};
  RvoleReceiver rx(*b_setup, mul_sid, secret);
  Bytes r1 = rx.Start();
  std::vector<Scalar> a = {Scalar::Random(secret), Scalar::Random(secret)};
  auto out = RvoleSend(*a_setup, mul_sid, a, r1, secret);
  if (!out.ok()) return 1;
  VALGRIND_MAKE_MEM_DEFINED(out->message.data(), out->message.size());
  auto d = rx.Finish(out->message);
  if (!d.ok()) return 1;
  Scalar check = out->c[0] + (*d)[0] - a[0] * rx.Input();
  VALGRIND_MAKE_MEM_DEFINED(&check, sizeof check);
  std::printf("ot ctime check ran: %s\n", check.IsZero() ? "shares ok" : "shares WRONG");
  return check.IsZero() ? 0 : 1;
}

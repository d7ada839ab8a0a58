// Constant-time check of the multiplication (OT extension + RVOLE, both sides), in the manner of
// tests/ctime/scalar_ctime.cpp: Δ, the base-OT seeds, β, the padding choices, Alice's inputs and
// â are marked undefined for valgrind's memcheck, so any branch or memory index that depends on
// them is reported. The library declassifies only what is public by design (outgoing messages,
// whether a check passed). Built by tests/ctime,
// which compiles the crypto sources with TSS_CTIME_CHECK (`ctest -L ctime` runs it under valgrind).
// (0 errors as of this commit.) The base-OT setup is not checked: its secrets go through
// libsecp256k1, whose own ctime tests cover it.
#include <valgrind/memcheck.h>

#include <cstdio>

#include "crypto/ot/ot.h"
#include "crypto/ot/ote.h"
#include "crypto/rng.h"

using namespace tss;
using namespace tss::crypto;
using namespace tss::crypto::ot;

namespace {

// Every random byte is secret except the 32-byte draws, which are the public nonces.
class SecretRng final : public Rng {
 public:
  explicit SecretRng(uint64_t seed) : inner_(seed) {}
  void Fill(std::span<uint8_t> out) override {
    inner_.Fill(out);
    if (out.size() != 32) VALGRIND_MAKE_MEM_UNDEFINED(out.data(), out.size());
  }

 private:
  DeterministicRng inner_;
};

}  // namespace

int main() {
  DeterministicRng rng(1);
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
  VALGRIND_MAKE_MEM_UNDEFINED(delta.data(), sizeof delta);
  VALGRIND_MAKE_MEM_UNDEFINED(a_seeds.data(), sizeof a_seeds);
  VALGRIND_MAKE_MEM_UNDEFINED(b_seeds.data(), sizeof b_seeds);

  SecretRng secret(2);
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

// Fuzzes the multiplication's decoders: Bob's m1 (RvoleSend), Alice's m2 (RvoleReceiver::Finish)
// and the bare OT-extension message (OteSenderExtend), each a damaged copy of an honest message.
// Nothing may crash, and whenever both sides accept, the shares must still add up: a damaged
// message is either refused or harmless.
#include <cstdlib>

#include "crypto/ot/ot.h"
#include "crypto/ot/ote.h"
#include "crypto/rng.h"
#include "fuzz_patch.h"

using namespace tss;
using namespace tss::crypto;
using namespace tss::crypto::ot;

namespace {

struct Pair {
  OteSenderSetup alice;
  OteReceiverSetup bob;
};

const Pair& Setups() {
  static Pair* p = [] {
    DeterministicRng rng(1);
    const Bytes sid = {'s', 'e', 't', 'u', 'p'};
    SetupReceiver bob(sid, rng);
    SetupSender alice(sid, rng);
    Bytes m1 = bob.Start();
    auto m2 = alice.Respond(m1);
    auto m3 = bob.Respond(*m2);
    auto a = alice.Finish(*m3);
    auto b = bob.Finish();
    if (!a.ok() || !b.ok()) std::abort();
    return new Pair{std::move(a).value(), std::move(b).value()};
  }();
  return *p;
}

const Bytes kSid = {'m', 'u', 'l'};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in;
  if (!fuzz::ParseInput(data, size, in)) return 0;
  const Pair& p = Setups();
  DeterministicRng rng(size);
  const int which = in.selector % 3;
  if (which == 2) {
    const size_t ell = 1 + in.selector % 200;
    std::vector<uint8_t> choices((ell + 7) / 8, 0x3c);
    uint8_t nonce[32] = {0};
    ExtensionKeys keys = DeriveExtensionKeys(p.bob.setup_id(), kSid, nonce);
    Bytes msg;
    WipedVector<Block> t, q;
    OteReceiverExtend(p.bob, keys, ell, choices, rng, msg, t);
    (void)OteSenderExtend(p.alice, keys, ell, fuzz::Damage(msg, in), q);
    return 0;
  }
  const size_t count = 1 + (in.selector >> 4) % 3;
  RvoleReceiver rx(p.bob, kSid, rng, count);
  Bytes m1 = rx.Start();
  if (which == 0) m1 = fuzz::Damage(m1, in);
  std::vector<Scalar> a;
  for (size_t i = 0; i < count; ++i) a.push_back(Scalar::Random(rng));
  auto out = RvoleSend(p.alice, kSid, a, m1, rng);
  if (!out.ok()) return 0;
  Bytes m2 = out->message;
  if (which == 1) m2 = fuzz::Damage(m2, in);
  auto d = rx.Finish(m2);
  if (!d.ok()) return 0;
  for (size_t i = 0; i < count; ++i)
    if (out->c[i] + (*d)[i] != a[i] * rx.Input()) std::abort();
  return 0;
}

// Fuzzes the OT setup decoders: the stored setups (Encode/Decode must round-trip whatever Decode
// accepts) and the three setup messages, each a damaged copy of an honest one. Nothing may crash;
// a damaged m2 or m3 that is accepted must still give Alice and Bob matching keys.
#include <cstdlib>

#include "crypto/ot/ot.h"
#include "crypto/ot/ote.h"
#include "crypto/rng.h"
#include "fuzz_patch.h"

using namespace tss;
using namespace tss::crypto;
using namespace tss::crypto::ot;

namespace {

const Bytes kSid = {'f', 'u', 'z', 'z'};

void CheckKeysMatch(const OteSenderSetup& a, const OteReceiverSetup& b) {
  const auto& delta = OteAccess::Delta(a);
  for (size_t i = 0; i < kKappa; ++i) {
    bool d = (delta[i / 8] >> (i % 8)) & 1;
    if (OteAccess::Seeds(a)[i] != OteAccess::Seeds(b)[i][d]) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in;
  if (!fuzz::ParseInput(data, size, in)) return 0;
  switch (in.selector % 5) {
    case 0: {
      if (auto s = OteSenderSetup::Decode(in.patch); s.ok())
        if (s->Encode() != Bytes(in.patch.begin(), in.patch.end())) std::abort();
      return 0;
    }
    case 1: {
      if (auto s = OteReceiverSetup::Decode(in.patch); s.ok())
        if (s->Encode() != Bytes(in.patch.begin(), in.patch.end())) std::abort();
      return 0;
    }
    default:
      break;
  }
  const int which = in.selector % 5 - 1;  // 1, 2 or 3: the message to damage
  DeterministicRng rng(size);
  SetupReceiver bob(kSid, rng);
  SetupSender alice(kSid, rng);
  Bytes m1 = bob.Start();
  if (which == 1) m1 = fuzz::Damage(m1, in);
  auto m2 = alice.Respond(m1);
  if (!m2.ok()) return 0;
  Bytes m2b = *m2;
  if (which == 2) m2b = fuzz::Damage(m2b, in);
  auto m3 = bob.Respond(m2b);
  if (!m3.ok()) return 0;
  Bytes m3b = *m3;
  if (which == 3) m3b = fuzz::Damage(m3b, in);
  auto a = alice.Finish(m3b);
  auto b = bob.Finish();
  if (a.ok() && b.ok()) CheckKeysMatch(*a, *b);
  return 0;
}

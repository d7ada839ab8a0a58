// Fuzzes what a hostile peer can feed the DKLs23 sessions: the message envelope and every round
// payload decoder on raw bytes, the key-share decoder on damaged copies of real encodings
// (version 3 with and without a burned pair, and versions 2 and 1), and live 2-of-3 signing and
// 2-of-2 keygen runs and quorum-change runs (the 2-of-3 key moved to a 2-of-2 one, with a dealer
// that stays, a joiner and a leaver) in which one message (its payload, or its whole encoding) is
// replaced by a damaged copy of the honest one. Nothing may crash; a damaged decoded value must
// re-encode to the same bytes (the encodings are canonical); and a run that still succeeds must end
// in a signature that libsecp256k1 accepts, or in shares of one public key (for a quorum change,
// the old one): damage is either refused or harmless.
#include <cstdlib>
#include <memory>
#include <vector>

#include "../crypto/fuzz_patch.h"
#include "crypto/ecdsa.h"
#include "crypto/rng.h"
#include "dkls/dkls.h"
#include "dkls/key_share_testing.h"
#include "dkls/wire.h"

using namespace tss;
using namespace tss::dkls;

namespace {

const Bytes kSid = {'f', 'u', 'z', 'z'};

const std::vector<KeyShare>& Key() {
  static auto* shares = [] {
    crypto::DeterministicRng rng(7);
    auto k = LocalKeygen(3, 2, kSid, rng);
    if (!k.ok()) std::abort();
    return new std::vector<KeyShare>(std::move(k).value());
  }();
  return *shares;
}

template <typename T>
void RoundTrip(const Result<T>& decoded, ByteSpan in) {
  if (decoded.ok() && decoded->Encode() != Bytes(in.begin(), in.end())) std::abort();
}

void Decoders(ByteSpan in) {
  RoundTrip(Message::Decode(in), in);
  RoundTrip(wire::DkgRound1::Decode(in), in);
  RoundTrip(wire::DkgRound3::Decode(in), in);
  RoundTrip(wire::SignRound1::Decode(in), in);
  RoundTrip(wire::SignRound2::Decode(in), in);
  RoundTrip(wire::SignRound3::Decode(in), in);
  for (size_t t : {1, 2, 3}) {
    RoundTrip(wire::DkgRound2::Decode(in, t, true), in);
    RoundTrip(wire::DkgRound2::Decode(in, t, false), in);
  }
  // Every combination of roles (dealer sender, sender and recipient new holders).
  for (int r = 0; r < 8; ++r) {
    const wire::QuorumChangeRoles roles{(r & 1) != 0, (r & 2) != 0, (r & 4) != 0};
    RoundTrip(wire::QuorumChangeRound1::Decode(in, roles), in);
    RoundTrip(wire::QuorumChangeRound3::Decode(in, roles), in);
    for (size_t t : {1, 2, 3}) RoundTrip(wire::QuorumChangeRound2::Decode(in, roles, t), in);
  }
  if (auto share = KeyShare::Decode(in); share.ok()) {
    const SecureBytes again = share->Encode();
    if (!std::equal(again.data(), again.data() + again.size(), in.begin(), in.end())) std::abort();
  }
}

// A damaged copy of a real key share's encoding: version 3 as stored (selector bit 4: with the
// pair with party 3 burned), or the version-1 (selector bit 5) or version-2 (bit 6) layout of
// the same share. What decodes must validate, and a version-3 input must re-encode to the same
// bytes.
void DamagedKeyShare(const fuzz::Input& in) {
  KeyShare share = Key()[0].Clone();
  if (in.selector & 0x10) (void)share.Burn(3);
  const SecureBytes encoded = share.Encode();
  Bytes honest(encoded.span().begin(), encoded.span().end());
  if ((in.selector & 0x20) && share.BurnedPeers().empty()) {
    Wipe(honest.data(), honest.size());
    honest = testing::EncodeVersion1(share);
  } else if (in.selector & 0x40) {
    Wipe(honest.data(), honest.size());
    honest = testing::EncodeVersion2(share);
  }
  const Bytes damaged = fuzz::Damage(honest, in);
  auto decoded = KeyShare::Decode(damaged);
  Wipe(honest.data(), honest.size());
  if (!decoded.ok()) return;
  if (!decoded->Validate().ok()) std::abort();
  if (damaged[0] == 3) {
    const SecureBytes again = decoded->Encode();
    if (!std::equal(again.span().begin(), again.span().end(), damaged.begin(), damaged.end()))
      std::abort();
  }
}

// Replaces the `target`-th message of the run by a damaged copy: its payload, or (whole_message)
// its whole encoding, which must then decode before it can be delivered.
Interceptor Damaging(const fuzz::Input& in, size_t target, bool whole_message) {
  auto count = std::make_shared<size_t>(0);
  return [=](Message& m, std::vector<Message>&) {
    if ((*count)++ != target) return true;
    if (!whole_message) {
      m.payload = fuzz::Damage(m.payload, in);
      return true;
    }
    auto decoded = Message::Decode(fuzz::Damage(m.Encode(), in));
    if (!decoded.ok()) return false;  // refused at the envelope: the run must then stall
    m = std::move(decoded).value();
    return true;
  };
}

void Sign(const fuzz::Input& in, size_t target, bool whole_message) {
  const auto& key = Key();
  crypto::DeterministicRng rng(in.offset);
  const crypto::Digest hash = crypto::Sha256(in.patch);
  std::vector<std::unique_ptr<SignSession>> sessions;
  for (uint16_t i : {1, 3}) {
    auto s = SignSession::Create(key[i - 1], {1, 3}, hash, kSid, rng);
    if (!s.ok()) std::abort();
    sessions.push_back(std::move(s).value());
  }
  std::vector<Session*> ptrs = {sessions[0].get(), sessions[1].get()};
  if (!RunLocal(ptrs, nullptr, Damaging(in, target, whole_message)).ok()) return;
  for (auto& s : sessions) {
    const Signature& sig = *s->signature();
    if (!crypto::VerifyEcdsa(key[0].public_key, hash, sig.r, sig.s).ok()) std::abort();
  }
}

void Keygen(const fuzz::Input& in, size_t target) {
  crypto::DeterministicRng rng(in.offset);
  std::vector<std::unique_ptr<KeygenSession>> sessions;
  for (uint16_t i : {1, 2}) {
    auto s = KeygenSession::Create(2, 2, i, kSid, rng);
    if (!s.ok()) std::abort();
    sessions.push_back(std::move(s).value());
  }
  std::vector<Session*> ptrs = {sessions[0].get(), sessions[1].get()};
  if (!RunLocal(ptrs, nullptr, Damaging(in, target, false)).ok()) return;
  if (!(sessions[0]->share()->public_key == sessions[1]->share()->public_key)) std::abort();
  if (!sessions[0]->share()->Validate().ok() || !sessions[1]->share()->Validate().ok())
    std::abort();
}

// The 2-of-3 key moved to 2-of-2: old 1 stays at 1, party 2 joins, old 3 leaves (party 3).
// Three members, three rounds, one message each way per round: 18 messages.
void QuorumChange(const fuzz::Input& in, size_t target, bool whole_message) {
  const auto& key = Key();
  crypto::DeterministicRng rng(in.offset);
  const QuorumChangeDealer dealers[] = {{&key[0], 1}, {&key[2], std::nullopt}};
  auto plan = PlanQuorumChange(dealers, 2, 2);
  if (!plan.ok()) std::abort();
  std::vector<std::unique_ptr<QuorumChangeSession>> sessions;
  for (const auto& m : plan->members) {
    const KeyShare* old = m.old_index ? &key[m.old_index - 1] : nullptr;
    auto s = QuorumChangeSession::Create(*plan, m.party, old, key[0].key_id, kSid, rng);
    if (!s.ok()) std::abort();
    sessions.push_back(std::move(s).value());
  }
  std::vector<Session*> ptrs;
  for (auto& s : sessions) ptrs.push_back(s.get());
  if (!RunLocal(ptrs, nullptr, Damaging(in, target, whole_message)).ok()) return;
  for (auto& s : sessions) {
    if (!s->holds_new_share()) {
      if (s->share() != nullptr) std::abort();
      continue;
    }
    const KeyShare* share = s->share();
    if (share == nullptr || !(share->public_key == key[0].public_key) ||
        share->generation != key[0].generation + 1 || !share->Validate().ok())
      std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in;
  if (!fuzz::ParseInput(data, size, in)) return 0;
  // Two parties, three rounds, one message each way per round: six messages per run.
  const size_t target = (in.selector >> 2) % 6;
  switch (in.selector % 4) {
    case 0:
      Decoders(in.patch);
      DamagedKeyShare(in);
      break;
    case 1:
      Sign(in, target, false);
      break;
    case 2:
      Sign(in, target, true);
      break;
    default:
      // Selector bit 7: a quorum change instead, its target message from bits 2..6, the whole
      // message damaged (not only its payload) when the offset's top bit is set.
      if (in.selector & 0x80) {
        QuorumChange(in, ((in.selector >> 2) & 0x1F) % 18, (in.offset & 0x8000) != 0);
      } else {
        Keygen(in, target);
      }
  }
  return 0;
}

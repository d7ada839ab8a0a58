// dkls/dealing.h — the pieces every keygen-shaped session shares (keygen, keyrefresh, quorum
// change): blaming a party for a bad message, the context of a proof of knowledge, the pairwise
// setup that gives two holders of a sharing their OT material and zero-sharing seed, and the
// round-3 echo.
//
// Owns: those pieces only, with the transcript labels every run must agree on (changing one
// changes every key made after). Must not touch: session state, message routing (session.h),
// payload encodings (wire.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/hash.h"
#include "crypto/ot/ot.h"
#include "crypto/rng.h"
#include "dkls/key_share.h"
#include "dkls/message.h"

namespace tss::dkls {

// A protocol abort naming `party` for its round-`round` message: decoding and OT errors come back
// without a culprit, and the session knows whose message it was.
Status Blame(uint16_t party, ProtocolKind kind, int round, const Status& why);
Status Blame(uint16_t party, ProtocolKind kind, int round, std::string_view why);

// The context of party `party`'s Schnorr proof in run `sid`, under the domain `label`, so that a
// proof is valid for one prover in one run of one protocol only.
Bytes ProofContext(std::string_view label, ByteSpan sid, uint16_t party);

// What two holders of a new sharing set up in the three rounds of keygen, keyrefresh or quorum
// change: the base OTs of both directions of the DKLs23 multiplication (Functionality 3.5) and
// the pair's zero-sharing seed (Functionality 3.4). Call order, each once: Start (round 1),
// Respond (round 2, on the peer's round-1 message), Confirm (round 3, on the peer's round-2
// message), Finish (on the peer's round-3 message). Failures name the peer.
class PairSetup {
 public:
  PairSetup(ByteSpan sid, ProtocolKind kind, uint16_t me, uint16_t peer);
  ~PairSetup();
  PairSetup(PairSetup&&) noexcept;
  PairSetup& operator=(PairSetup&&) noexcept;

  // m1 of the setup in which the peer is the RVOLE sender and we receive.
  Bytes Start(crypto::Rng& rng);
  // m2 of the setup in which we are the RVOLE sender, answering the peer's m1; draws our half of
  // the zero-sharing seed (seed_half()).
  Result<Bytes> Respond(ByteSpan m1, crypto::Rng& rng);
  const Seed& seed_half() const { return my_half_; }
  // Takes the peer's half of the seed and answers its m2 with m3.
  Result<Bytes> Confirm(const Seed& their_half, ByteSpan m2);
  // Finishes both setups with the peer's m3: the pair's material, as the key share keeps it.
  Result<PeerMaterial> Finish(ByteSpan m3);

 private:
  Bytes SetupId(uint16_t alice, uint16_t bob) const;

  Bytes sid_;
  ProtocolKind kind_;
  uint16_t me_, peer_;
  std::unique_ptr<crypto::ot::SetupReceiver> receiver_;  // the peer is the RVOLE sender
  std::unique_ptr<crypto::ot::SetupSender> sender_;      // we are the RVOLE sender
  Seed my_half_;
  Seed zero_seed_;
};

// The round-3 echo: a digest of the run's context and of every dealer's round-1 commitment and
// opened broadcast part as we received them, added in party order. Equal echoes mean every
// dealer showed the same thing to both parties.
class Echo {
 public:
  explicit Echo(const crypto::Digest& context);
  void Add(const crypto::Commitment& commitment, ByteSpan opened);
  crypto::Digest Final();

 private:
  crypto::Transcript transcript_;
};

// The error for a peer whose echo differs from ours (round 3).
Status EchoMismatch(uint16_t party, ProtocolKind kind);

}  // namespace tss::dkls

// dkls/wire.h — the payloads of each round of keygen, keyrefresh and sign.
//
// Owns: one struct per round payload and its strict encoding: fixed field order, fixed sizes
// (the OT messages' sizes come from crypto/ot), points validated on decode (never infinity),
// scalars canonical, exact total length. Must not touch: protocol checks beyond well-formedness
// (the sessions do those and name the sender when one fails).
#pragma once

#include <array>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/hash.h"
#include "crypto/point.h"
#include "crypto/scalar.h"
#include "crypto/schnorr.h"
#include "dkls/key_share.h"

namespace tss::dkls::wire {

// ---- Keygen and keyrefresh (the same three rounds; refresh has no constant term to prove).

// Round 1, to each peer: the commitment to our Feldman commitments (and, in keygen, our proof of
// knowledge of the constant term), and the first base-OT message of the setup in which the
// recipient is the RVOLE sender and we are the receiver.
struct DkgRound1 {
  crypto::Digest context{};  // parameters (keygen) or old key fingerprint (keyrefresh): must match
  crypto::Commitment commitment{};
  Bytes ot_m1;

  Bytes Encode() const;
  static Result<DkgRound1> Decode(ByteSpan bytes);
};

// Round 2, to each peer: the opening (Feldman commitments C_0..C_{t−1} — C_1..C_{t−1} in refresh
// — proof and chain-code contribution in keygen, salt), the recipient's share f_i(j), our
// contribution to the pair's zero-sharing seed, and the second base-OT message of the setup in
// which we are the RVOLE sender.
struct DkgRound2 {
  std::vector<crypto::Point> coefficients;
  std::optional<crypto::SchnorrProof> proof;                  // keygen only
  std::optional<std::array<uint8_t, 32>> chain_contribution;  // keygen only
  crypto::CommitmentOpening opening{};
  crypto::Scalar share;
  Seed seed_contribution;
  Bytes ot_m2;

  Bytes Encode() const;
  // `coefficient_count` is t (keygen) or t − 1 (refresh); `keygen` (proof and chain-code
  // contribution present) is true in keygen.
  static Result<DkgRound2> Decode(ByteSpan bytes, size_t coefficient_count, bool keygen);
};

// Round 3, to each peer: the hash of every party's round-1 and round-2 broadcast parts as we saw
// them (echo: catches a party that showed different commitments to different peers), and the
// third base-OT message.
struct DkgRound3 {
  crypto::Digest echo{};
  Bytes ot_m3;

  Bytes Encode() const;
  static Result<DkgRound3> Decode(ByteSpan bytes);
};

// The part of a party's round-1/round-2 messages that is the same for every recipient, as hashed
// into the echo and as committed to in round 1 (proof and chain-code contribution: keygen only).
Bytes DkgBroadcastPart(uint16_t party, std::span<const crypto::Point> coefficients,
                       const std::optional<crypto::SchnorrProof>& proof,
                       const std::optional<std::array<uint8_t, 32>>& chain_contribution);

// ---- Quorum change (quorum_change.h). Each message carries the parts its sender's and
// recipient's roles call for, which both sides know from the plan: a dealer (holder of an old
// share) sends dealer parts, two holders of the new sharing run their pair setup.
struct QuorumChangeRoles {
  bool sender_deals = false;     // the sender holds an old share
  bool sender_holds = false;     // the sender will hold a new share
  bool recipient_holds = false;  // the recipient will hold a new share
  bool pair() const { return sender_holds && recipient_holds; }
};

// Round 1: the plan's context (must match), the dealer's commitment to its round-2 broadcast
// part (dealers only), the first base-OT message of the pair setup (pairs only).
struct QuorumChangeRound1 {
  crypto::Digest context{};
  std::optional<crypto::Commitment> commitment;
  Bytes ot_m1;

  Bytes Encode() const;
  static Result<QuorumChangeRound1> Decode(ByteSpan bytes, const QuorumChangeRoles& roles);
};

// What a dealer shows every member (committed to in round 1, opened in round 2): the Feldman
// commitments C_{d,0..t′−1} of g_d, a proof of knowledge of g_d(0), and the old sharing's public
// data, encoded as
//   32 key id | u32 generation | u16 n | u16 t | 33 public key | n × 33 public shares |
//   u8 chain-code state (1 present, 0 absent) | 32 chain code (zero when absent)
// with 2 <= t <= n <= kMaxParties checked on decode (before the shares are read).
struct QuorumChangeDeal {
  std::vector<crypto::Point> coefficients;
  crypto::SchnorrProof proof;
  PublicSharing old;
};

// Round 2: the dealer's opening (deal and salt) and the recipient's subshare g_d(j) (dealer to a
// new holder), the sender's half of the pair's zero-sharing seed and the second base-OT message
// (pairs).
struct QuorumChangeRound2 {
  std::optional<QuorumChangeDeal> deal;
  crypto::CommitmentOpening opening{};     // with the deal
  std::optional<crypto::Scalar> subshare;  // dealer to new holder
  std::optional<Seed> seed_contribution;   // pairs
  Bytes ot_m2;                             // pairs

  Bytes Encode() const;
  // `coefficient_count` is the new threshold t′.
  static Result<QuorumChangeRound2> Decode(ByteSpan bytes, const QuorumChangeRoles& roles,
                                           size_t coefficient_count);
};

// Round 3: the echo (every member), the third base-OT message (pairs).
struct QuorumChangeRound3 {
  crypto::Digest echo{};
  Bytes ot_m3;

  Bytes Encode() const;
  static Result<QuorumChangeRound3> Decode(ByteSpan bytes, const QuorumChangeRoles& roles);
};

// The dealer's broadcast part as committed to and echoed: u16 party | deal (above).
Bytes QuorumChangeBroadcastPart(uint16_t party, const QuorumChangeDeal& deal);

// ---- Sign (DKLs23 Protocol 3.6).

// Round 1, to each peer j (step 6): key fingerprint, commitment to R_i, and the RVOLE receiver's
// first message of the multiplication where j is the sender ("Alice") and we receive (χ_{i,j}).
struct SignRound1 {
  crypto::Digest fingerprint{};
  crypto::Commitment commitment{};
  Bytes rvole_m1;

  Bytes Encode() const;
  static Result<SignRound1> Decode(ByteSpan bytes);
};

// Round 2, to each peer j (step 7): decommitment of R_i, pk_i, Γ^u_{i,j}, Γ^v_{i,j},
// ψ_{i,j} = φ_i − χ_{i,j}, and our RVOLE sender message (inputs r_i, sk_i).
struct SignRound2 {
  crypto::Point instance_point;  // R_i
  crypto::CommitmentOpening opening{};
  crypto::Point public_share;  // pk_i = sk_i·G
  crypto::Point gamma_u;
  crypto::Point gamma_v;
  crypto::Scalar psi;
  Bytes rvole_m2;

  Bytes Encode() const;
  static Result<SignRound2> Decode(ByteSpan bytes);
};

// Round 3, broadcast (step 9): the signature shares w_i and u_i.
struct SignRound3 {
  crypto::Scalar w;
  crypto::Scalar u;

  Bytes Encode() const;
  static Result<SignRound3> Decode(ByteSpan bytes);
};

}  // namespace tss::dkls::wire

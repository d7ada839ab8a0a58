// dkls/sign.h — DKLs23 three-round threshold signing (eprint 2023/765, Protocol 3.6).
//
// Owns: SignSession and Signature. Must not touch: key storage, networking.
//
// Exactly t signers S (1-based key indices) sign a 32-byte hash m under session id sid. Party i:
//   sk_i = λ_i(S)·x_i + ζ_i  (Lagrange at 0 over S, plus the zero-sharing of Functionality 3.4,
//   so the additive shares are uniform and Σ_{i∈S} sk_i = sk), pk_i = sk_i·G.
//   R1 (steps 4–6): samples the instance key r_i and inversion mask φ_i, R_i = r_i·G; sends each
//       j a commitment to R_i and, as RVOLE receiver ("Bob") of the pair (Alice = j), its first
//       message; the RVOLE draws Bob's random input χ_{i,j}.
//   R2 (step 7): as RVOLE sender towards each j, inputs (r_i, sk_i) → shares c^u_{i,j}, c^v_{i,j};
//       sends j the opening of R_i, pk_i, Γ^u = c^u·G, Γ^v = c^v·G, ψ_{i,j} = φ_i − χ_{i,j} and
//       the RVOLE reply.
//   R3 (steps 8–9): with d^u_{i,j}, d^v_{i,j} from the RVOLE, checks for each j the opening of
//       R_j, χ_{i,j}·R_j − Γ^u_{j,i} = d^u_{i,j}·G and χ_{i,j}·pk_j − Γ^v_{j,i} = d^v_{i,j}·G
//       (naming j on failure), and Σ_{j∈S} pk_j = PK; R = Σ R_j, r = x(R) mod q;
//       u_i = r_i·(φ_i + Σ_j ψ_{j,i}) + Σ_j (c^u_{i,j} + d^u_{i,j}),
//       v_i = sk_i·(φ_i + Σ_j ψ_{j,i}) + Σ_j (c^v_{i,j} + d^v_{i,j}), w_i = m·φ_i + r·v_i;
//       broadcasts (w_i, u_i).
//   Output (step 10): s = Σw / Σu, normalised to low s, recovery id from R; verified against PK
//       before Done() turns true.
// Derived keys (BIP32 non-hardened, crypto/bip32.h). With a public tweak δ the signers sign for
// the child key PK' = PK + δ·G, whose secret is sk + δ. Exactly one signer, the lowest index in S
// (every signer knows S, so they agree on it without a message), adds δ to its additive share:
// sk_i = λ_i·x_i + ζ_i + δ; every other sk_j is unchanged, so Σ_{i∈S} sk_i = sk + δ and the
// protocol above runs unchanged for the key sk + δ: pk_i, the Γ^v check and Σ pk_j = PK' all hold
// with the shifted share, and the output verifies under PK'. Sound because δ is public: the
// shifted pk_i = pk_i + δ·G tells the others nothing they could not compute themselves, ζ_i still
// masks x_i, and an adversary who could forge for PK' given δ could forge for PK (a signature
// under PK' on m is one for sk + δ; knowing δ changes nothing about sk). The tweak is bound into
// the round-1 fingerprint, so a signer that derived another child is refused and named in round 1
// rather than failing later without a culprit.
// The instance key r_i and mask φ_i are drawn in Start() of a fresh session and wiped once w_i
// and u_i are computed: one session signs one hash once, and no pre-signature outlives it.
// Burned pairs. Each ordered pair's multiplications reuse the long-term OT-extension setups of
// the key share, and a check on them that fails can tell the peer one bit of our long-term Δ
// (selective abort, crypto/ot/ot.h "Re-use of setups"). So a failure of such a check burns the
// pair: burned_peer() names the peer, the caller burns the pair durably (KeyShare::Burn) before
// it reports the abort, and Create refuses every later signer set with that peer until a
// keyrefresh gives the pair fresh setups. A cheater thus gets one abort per pair, ever.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <vector>

#include "crypto/ot/ot.h"
#include "crypto/rng.h"
#include "dkls/key_share.h"
#include "dkls/session.h"

namespace tss::dkls {

struct Signature {
  crypto::Scalar r;
  crypto::Scalar s;         // low: s ≤ q/2
  uint8_t recovery_id = 0;  // bit 0: R.y odd (after normalisation); bit 1: R.x ≥ q
};

class SignSession final : public ThreeRoundSession {
 public:
  // `signers`: exactly share.t distinct indices in 1..n including share.index (any order).
  // `message_hash`: 32 bytes. `share` is copied (only what this signer set needs). `tweak`: the
  // public δ of a derived key (KeyShare::Derive), zero to sign under the root key; every signer
  // must pass the same one. kInvalidArgument for a malformed share or signer set, or a tweak
  // whose child key is the point at infinity; kPermissionDenied, with the peer as culprit and a
  // message that names it and asks for a keyrefresh, when our pair with any other signer is
  // burned (KeyShare::Burn): that pair may never multiply again.
  static Result<std::unique_ptr<SignSession>> Create(const KeyShare& share,
                                                     std::vector<uint16_t> signers,
                                                     ByteSpan message_hash, ByteSpan session_id,
                                                     crypto::Rng& rng,
                                                     const crypto::Scalar& tweak = {});
  ~SignSession() override;

  // Valid once Done().
  const std::optional<Signature>& signature() const { return signature_; }

  // The peer whose pair must be burned, once the session failed in a check that involves our
  // pairwise OT material with it: the KOS check of its m1 in our RvoleSend (we are Alice), our
  // RvoleReceiver::Finish on its m2 (we are Bob; tag, decoding or consistency check), or the
  // Γ^u / Γ^v checks built on that multiplication's output. Set before the Handle() (or
  // Start()) call that fails the session returns, and kept afterwards; empty while running,
  // after success, and after failures that involve no OT material (decoding of the other
  // fields, fingerprint, commitments, Σ pk_j, the final signature check).
  // Contract for the caller, in this order, before the abort is reported anywhere (event
  // status, result message, log line that a peer could read): decode the stored share,
  // KeyShare::Burn(*burned_peer()), store it atomically; only then record the failure. If the
  // burn cannot be stored, keep refusing to sign with this key rather than report and go on.
  const std::optional<uint16_t>& burned_peer() const { return burned_peer_; }
  // The key the signature is for: the child key PK + δ·G (the group key when δ = 0).
  const crypto::Point& public_key() const { return public_key_; }
  // What this session sends, and expects from every other signer, as round 1's fingerprint:
  // the share's, with the tweak bound in for a derived key.
  const crypto::Digest& fingerprint() const { return fingerprint_; }

 private:
  struct Peer;
  SignSession(const KeyShare& share, std::vector<uint16_t> signers, ByteSpan message_hash,
              ByteSpan session_id, crypto::Rng& rng, const crypto::Scalar& tweak);

  Result<std::vector<Message>> Round1() override;
  void Abandon() override;

  Result<std::vector<Message>> Round2(std::vector<Bytes>& in) override;
  // Names j for burning and returns the blame for it (see burned_peer()).
  Status BurnAndBlame(uint16_t j, int round, const std::string& why);
  Result<std::vector<Message>> Round3(std::vector<Bytes>& in) override;
  Status Finish(std::vector<Bytes>& in) override;
  Bytes MultiplicationId(uint16_t alice, uint16_t bob) const;
  Bytes InstanceCommitmentMessage(uint16_t party, const crypto::Point& r) const;
  void WipeSecrets();

  Bytes sid_;
  crypto::Rng& rng_;
  crypto::Digest fingerprint_;
  crypto::Point public_key_;
  std::array<uint8_t, 32> hash_{};
  crypto::Scalar m_;             // the hash as a scalar
  crypto::Scalar lagrange_;      // λ_i over the signers
  crypto::Scalar zeta_;          // ζ_i
  crypto::Scalar tweak_;         // δ for the lowest signer, zero for the others
  crypto::Scalar secret_share_;  // x_i
  std::vector<Peer> peers_;      // by position in participants()

  crypto::Scalar instance_key_;    // r_i
  crypto::Scalar inversion_mask_;  // φ_i
  crypto::Point instance_point_;   // R_i
  crypto::CommitmentOpening opening_{};
  crypto::Scalar sk_;  // sk_i
  crypto::Point pk_;   // pk_i

  crypto::Point big_r_;  // R
  crypto::Scalar r_;     // x(R) mod q
  crypto::Scalar w_, u_;
  std::optional<Signature> signature_;
  std::optional<uint16_t> burned_peer_;  // survives Abandon()
};

}  // namespace tss::dkls

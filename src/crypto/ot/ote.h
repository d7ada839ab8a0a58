// crypto/ot/ote.h — KOS OT extension over the stored base-OT seeds (used by the multiplication;
// exposed for tests and benchmarks).
//
// Owns: one extension of ℓ correlated OTs between Bob (receiver, choice bits x) and Alice
// (sender, Δ): afterwards Alice holds rows q_j and Bob rows t_j with q_j = t_j ⊕ x_j·Δ, and the
// random-OT outputs are H(q_j) and H(q_j ⊕ Δ) for Alice, H(t_j) for Bob (H = the correlation-robust
// hash of primitives.h under the key RandomOtHashKey gives, tweaked by j). Must not touch: what
// the OTs are used for.
//
// Protocol (KOS eprint 2015/546 with the corrected check, as in SoftSpokenOT eprint 2022/192 for
// k = 1). ℓ' = roundup(ℓ, 128) + 128 OTs are extended; the last ≥ 128 carry random padding
// choices. For each base OT i < 128 Bob expands both seeds with the PRG, t^i = G(k_{i,0}), and
// sends u^i = t^i ⊕ G(k_{i,1}) ⊕ x; Alice computes q^i = G(k_{i,Δ_i}) ⊕ Δ_i·u^i = t^i ⊕ Δ_i·x.
// Consistency check (Fiat–Shamir): χ_0..χ_{m−2} ∈ GF(2^128) hash the extension keys and u; with
// the universal hash h(c) = c_{m−1} ⊕ Σ χ_k·c_k over the m 128-bit chunks of a column, Bob sends
// x̃ = h(x) and t̃_i = h(t^i); Alice checks h(q^i) = t̃_i ⊕ Δ_i·x̃ for every i. A Bob who used
// different x in different columns passes only by guessing the Δ bits of those columns (each
// guess halves his chance), or with probability 2^-128 per Fiat–Shamir attempt. Padding choices
// in the last chunk (which enters h unmultiplied) make x̃ uniform, so it reveals nothing about x.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/hash.h"
#include "crypto/ot/ot.h"
#include "crypto/ot/primitives.h"

namespace tss::crypto {
class Rng;
}

namespace tss::crypto::ot {

// Per-extension values, derived from public data that both sides share. Bob's fresh nonce makes
// them fresh for every extension even though the seeds are long-lived.
struct ExtensionKeys {
  std::array<uint8_t, 16> prg_iv{};  // first counter block of every column's AES-CTR stream
  Digest challenge{};                // seeds the Fiat–Shamir challenges
};
ExtensionKeys DeriveExtensionKeys(const Digest& setup_id, ByteSpan session_id,
                                  ByteSpan receiver_nonce);

// Key of the fixed-key AES permutation π (public) that turns the rows into random-OT outputs,
// for one answer to an extension. The rows q_j are fixed by Bob's message alone, so a Bob who
// replays that message gets the same rows again; the sender's own fresh nonce re-keys π, so two
// answers to one replayed message use unrelated outputs (pads) instead of the same ones.
std::array<uint8_t, 16> RandomOtHashKey(const ExtensionKeys& keys, ByteSpan sender_nonce);

// ℓ' for ℓ real OTs, and the size of Bob's extension message: u (128 columns of ℓ'/8 bytes),
// x̃ (16 bytes), t̃ (128 × 16 bytes).
size_t OtePaddedCount(size_t ell);
size_t OteMessageSize(size_t ell);
// Rows filled by the extension: ℓ rounded up to a multiple of 128 (rows at j ≥ ℓ are padding).
size_t OteRowCount(size_t ell);

// Access to the private parts of the setups for the OT code (not for protocol code).
struct OteAccess {
  static const std::array<uint8_t, 16>& Delta(const OteSenderSetup& s) { return s.delta_; }
  static const std::array<std::array<uint8_t, 16>, kKappa>& Seeds(const OteSenderSetup& s) {
    return s.seeds_;
  }
  static const std::array<std::array<std::array<uint8_t, 16>, 2>, kKappa>& Seeds(
      const OteReceiverSetup& s) {
    return s.seeds_;
  }
};

// Bob: `choices` holds the ℓ choice bits (bit j = byte j/8, bit j%8), at least ceil(ℓ/8) bytes.
// Appends the extension message to `out` and fills `rows` (OteRowCount(ℓ) entries) with t_j.
void OteReceiverExtend(const OteReceiverSetup& setup, const ExtensionKeys& keys, size_t ell,
                       std::span<const uint8_t> choices, Rng& rng, Bytes& out,
                       WipedVector<Block>& rows);

// Alice: checks Bob's extension message (exactly OteMessageSize(ℓ) bytes) and fills `rows` with
// q_j. kInvalidArgument for a wrong length, kProtocolAbort when the consistency check fails.
Status OteSenderExtend(const OteSenderSetup& setup, const ExtensionKeys& keys, size_t ell,
                       ByteSpan message, WipedVector<Block>& rows);

// Alice's Δ as a block (for the random-OT outputs H(q_j ⊕ Δ)).
Block DeltaBlock(const OteSenderSetup& setup);

}  // namespace tss::crypto::ot

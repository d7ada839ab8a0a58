// dkls/key_share.h — what one party keeps after keygen or keyrefresh, and its byte format.
//
// Owns: KeyShare (party index, n, t, refresh generation, key id, group public key, every party's
// public share, the party's own Shamir share, per peer the zero-sharing seed, both directions of
// OT-extension material and whether that pair is burned, and the BIP32 chain code keygen made)
// and its versioned encoding for the key-share store.
// Must not touch: encryption at rest (keyshare/ seals these bytes), files.
//
// Shamir convention: party i holds x_i = p(i) for the degree t−1 polynomial p with p(0) = sk,
// so any t parties recover sk·G = Σ λ_i·X_i with Lagrange coefficients at 0 over their indices.
// Key id: hex of SHA-256("tss/dkls/key-id/v1", public key, keygen session id) — fixed at keygen,
// kept by every refresh, so the node files a refreshed share under the same name.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/secure.h"
#include "common/status.h"
#include "crypto/bip32.h"
#include "crypto/hash.h"
#include "crypto/ot/ot.h"
#include "crypto/point.h"
#include "crypto/scalar.h"

namespace tss::dkls {

// A 32-byte pairwise secret, wiped on destruction.
struct Seed {
  std::array<uint8_t, 32> bytes{};
  Seed() = default;
  Seed(const Seed&) = default;
  Seed& operator=(const Seed&) = default;
  ~Seed() { Wipe(bytes.data(), bytes.size()); }
};

// What party i shares with one peer j.
struct PeerMaterial {
  uint16_t index = 0;
  // seed_{ij} of the zero-sharing (DKLs23 Functionality 3.4): known to i and j only.
  Seed zero_seed;
  // DKLs23 Functionality 3.5 (two-party multiplication) material, one per ordered pair: towards
  // j we are the RVOLE sender ("Alice", inputs r_i and sk_i) with ot_send, and the RVOLE
  // receiver ("Bob", random input χ) with ot_recv. Both empty (all zero) once burned.
  crypto::ot::OteSenderSetup ot_send;
  crypto::ot::OteReceiverSetup ot_recv;
  // A check involving this pair's OT material failed once (see KeyShare::Burn): the pair may
  // not multiply again until a keyrefresh gives it fresh setups. Durable: part of the encoding.
  bool burned = false;

  PeerMaterial Clone() const;
};

// The public side of one generation of a key's sharing: what every holder shows alike, and what
// a quorum change's dealers show the new holders.
struct PublicSharing {
  crypto::Digest key_id{};
  uint32_t generation = 0;
  uint16_t n = 0;
  uint16_t t = 0;
  crypto::Point public_key;
  std::vector<crypto::Point> public_shares;  // X_j at [j − 1], j = 1..n
  std::optional<crypto::bip32::ChainCode> chain_code;

  // KeyShare::Fingerprint's digest of these fields.
  crypto::Digest Fingerprint() const;
  // 2 ≤ t ≤ n ≤ kMaxParties, n public shares, neither they nor the public key infinity, and the
  // shares lie on one polynomial of degree t − 1 whose value at 0 is the public key.
  Status Validate() const;
};

struct KeyShare {
  uint16_t index = 0;  // 1..n, our Shamir evaluation point
  uint16_t n = 0;
  uint16_t t = 0;
  uint32_t generation = 0;  // 0 after keygen, +1 per keyrefresh
  crypto::Digest key_id{};
  crypto::Point public_key;
  std::vector<crypto::Point> public_shares;  // X_j = x_j·G at [j − 1], j = 1..n
  crypto::Scalar secret_share;               // x_i
  std::vector<PeerMaterial> peers;           // every j ≠ index, ascending
  // The BIP32 chain code of the group key, the same at every holder (made by keygen, kept by
  // every refresh). Empty for a share decoded from a version 1 or 2 encoding (made before keygen
  // produced one): such a key signs only under its root key.
  std::optional<crypto::bip32::ChainCode> chain_code;

  KeyShare() = default;
  KeyShare(KeyShare&&) noexcept = default;
  KeyShare& operator=(KeyShare&&) noexcept = default;
  KeyShare(const KeyShare&) = delete;
  KeyShare& operator=(const KeyShare&) = delete;
  KeyShare Clone() const;

  std::string KeyIdHex() const { return ToHex(key_id); }
  const crypto::Point& PublicShare(uint16_t j) const { return public_shares[j - 1]; }
  const PeerMaterial* Peer(uint16_t j) const;

  // Burns the pair with peer j after a failed check involving its OT material
  // (SignSession::burned_peer names it): a cheating peer may have learned a bit of our Δ from
  // that abort (crypto/ot/ot.h, "Re-use of setups"), and Δ would be reused by every later
  // multiplication with it. Marks the pair burned and wipes both directions of its OT material
  // (the zero-sharing seed stays: it is not exposed to selective failure). Idempotent.
  // NotFound when j is not a peer of this share. The caller must store the burned share
  // durably (Encode, save atomically) before it reports the abort that caused it;
  // SignSession::Create then refuses any signer set with j, and only a keyrefresh (which gives
  // every pair fresh setups, not burned) lets the two sign together again.
  Status Burn(uint16_t j);
  // The peers whose pair is burned, ascending (the signer choice must leave them out).
  std::vector<uint16_t> BurnedPeers() const;
  // A copy of the public fields.
  PublicSharing Public() const;
  // Public digest of the key's current sharing (key id, generation, public key, public shares,
  // and the chain code when there is one: a share without one keeps the digest it had before
  // chain codes). Parties compare it before signing and in the confirmation round, so a share of
  // another key, another refresh generation or another chain code is refused up front and its
  // holder named.
  crypto::Digest Fingerprint() const;

  // The extended public key at depth 0 (public key and chain code), and the BIP32 derivation of
  // `path` (non-hardened indices, as bip32::ParsePath gives them) from it: the child key and
  // the tweak δ with child = public key + δ·G, for SignSession::Create. kInvalidArgument, saying
  // so, when the share has no chain code; bip32::Derive's errors otherwise.
  Result<crypto::bip32::ExtendedPublicKey> ExtendedKey() const;
  Result<crypto::bip32::Derivation> Derive(std::span<const uint32_t> path) const;

  // Everything a decoded or freshly made share must satisfy: 2 ≤ t ≤ n ≤ kMaxParties, index in
  // 1..n, X_index = x_index·G, the public shares lie on one polynomial of degree t − 1 whose
  // value at 0 is the public key, and one peer entry per other party.
  Status Validate() const;

  // Version 3 (all integers big-endian; Encode writes it):
  //   u8 3 | u16 index | u16 n | u16 t | u32 generation | 32 key id | 33 public key |
  //   n × 33 public shares | 32 secret share |
  //   (n − 1) × (u16 peer | u8 pair state | 32 zero seed | OT material) |
  //   u8 chain-code state | 32 chain code
  // with pair state 0 (usable: OT material = OteSenderSetup | OteReceiverSetup) or 1 (burned:
  // no OT material at all), and chain-code state 1 (present) or 0 (none: the 32 bytes are zero).
  // Version 2 is version 3 without the chain-code fields (the format before chain codes);
  // version 1 is version 2 without the state byte, every pair usable (the format before burned
  // pairs). Decode still reads both, as having no chain code (and, version 1, not burned).
  // Decode refuses other versions, another state, nonzero bytes of an absent chain code, any
  // other length, invalid points or scalars, and anything Validate() refuses.
  SecureBytes Encode() const;
  static Result<KeyShare> Decode(ByteSpan bytes);
};

crypto::Digest DeriveKeyId(const crypto::Point& public_key, ByteSpan keygen_session_id);

}  // namespace tss::dkls

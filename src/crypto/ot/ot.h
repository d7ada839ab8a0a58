// crypto/ot/ot.h — the oblivious-transfer stack behind DKLs23's two-party multiplication.
//
// Owns: the pairwise OT-extension setup (base OTs, run in keygen and keyrefresh), the long-lived
// OT-extension seeds that a key share stores, and the random vector-OLE ("RVOLE") multiplication
// that DKLs23 signing runs once per ordered pair per signature (eprint 2023/765 §5, built on the
// DKLs19 multiplication of eprint 2019/523 §3–4). Everything is message-driven: byte strings in,
// byte strings out, randomness from the injected Rng. Must not touch: networking, storage, clocks,
// logging, party indices (the caller maps an error to the party that sent the offending message).
//
// Roles. For an ordered pair the RVOLE *sender* is called Alice (A) and the *receiver* Bob (B).
// Alice is the OT-extension sender (she holds Δ), Bob the OT-extension receiver; in the base OTs
// the roles swap (Bob is the base-OT sender). Each ordered pair needs its own setup, so DKLs23
// with n parties runs n·(n−1) setups in keygen (one per direction per pair).
//
// Errors. Every call that consumes a peer's message returns an error Status (never aborts, never
// throws) when the message is malformed, has the wrong length, belongs to another session id or
// setup, or fails a consistency check. ErrorCode::kInvalidArgument means "malformed bytes",
// ErrorCode::kProtocolAbort means "well-formed but a check failed": in both cases the peer who
// sent the message is to blame. Status::culprit() is left empty; the caller fills in the index.
//
// Security. 128-bit computational, ≥ 80-bit statistical. Base OTs: "Simplest OT" (Chou–Orlandi)
// over secp256k1 with Bob's proof of knowledge of his key and keys hashed with the session id,
// the OT index and the transcript. OT extension: KOS (eprint 2015/546) with 128 base OTs, an
// AES-128-CTR PRG and the column-wise consistency check of the corrected KOS / SoftSpokenOT
// (eprint 2022/192) over GF(2^128), 224 padding OTs. Multiplication: DKLs19 Protocol 1 in the
// two-round form of DKLs23 §5.1, gadget vector of ξ = 256 + 2·80 entries (powers of two, then
// random), Alice's random check value â with the L input checks batched by a random challenge,
// so each OT carries L + 1 scalars. Fiat–Shamir challenges hash the session id, the setup id and
// every message so far, including Alice's own payload.
//
// Re-use of setups. The setups are used for many signatures, so every multiplication takes
// fresh randomness from BOTH sides. Bob draws a 32-byte nonce and sends it in m1: with the stored
// seeds and the session id it keys the OT-extension PRG streams and challenges. Alice draws her
// own 32-byte nonce and sends it in m2: it keys the hash that turns the extended rows into the
// random-OT pads, and the check's challenges. Bob's message alone fixes the rows, so a
// malicious Bob who replays one m1 (in a second run of a session id, say) gets the same rows
// again — but never the same pads: Alice's two answers are independent, and their difference
// says nothing about the difference of her inputs. Session ids should still be unique per
// signature (DKLs23 requires it, and the caller enforces it); this is the second line.
// Selective abort: the KOS check passes or fails depending on the bits of Δ that a cheating Bob
// guessed, so each aborted multiplication can tell him about one bit of Alice's long-term Δ
// (and a passing probe tells him his guess was right, which he learns at the price of risking
// the next abort). Δ is reused by every multiplication of the pair, so after ANY failed
// multiplication with a peer — in either role — the caller must burn that pair's setups for
// good (dkls::KeyShare::Burn) and run a keyrefresh (fresh setups) before signing with it
// again: then a cheater gets one abort per pair, and learns more than k + 1 bits of Δ with
// probability at most 2^-k (k correct guesses in a row before the abort).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/bytes.h"
#include "common/secure.h"
#include "common/status.h"
#include "crypto/hash.h"
#include "crypto/scalar.h"

namespace tss::crypto {
class Rng;
}

namespace tss::crypto::ot {

// Computational security parameter: number of base OTs and width of the OT extension.
inline constexpr size_t kKappa = 128;
// Statistical security parameter.
inline constexpr size_t kStatistical = 80;
// ξ: OTs per multiplication (Bob's input is encoded by a gadget vector of this length:
// 256 bits of the group order plus 2·s bits that hide Bob's choice bits from a cheating Alice).
inline constexpr size_t kMulBatch = 256 + 2 * kStatistical;
// L in DKLs23 signing: Alice multiplies (r_i, sk_i) by Bob's random b.
inline constexpr size_t kSignInputs = 2;
// Upper bound on L accepted by the multiplication (keeps message sizes bounded).
inline constexpr size_t kMaxInputs = 8;

// Alice's long-lived OT-extension material from one setup with one Bob: her secret choice
// string Δ and the 128 base-OT seeds she received (seed_i = k_{i,Δ_i}). Store it in the key share
// (encrypted); it is as secret as the key share itself. Wiped on destruction; copying is explicit.
class OteSenderSetup {
 public:
  static constexpr size_t kEncodedSize = 1 + 32 + 16 + kKappa * 16;

  OteSenderSetup() = default;
  OteSenderSetup(const OteSenderSetup&) = delete;
  OteSenderSetup& operator=(const OteSenderSetup&) = delete;
  OteSenderSetup(OteSenderSetup&&) noexcept = default;
  OteSenderSetup& operator=(OteSenderSetup&&) noexcept = default;
  ~OteSenderSetup();
  OteSenderSetup Clone() const;

  // Versioned fixed-size encoding (kEncodedSize bytes). Decode refuses any other length or version.
  // The encoding holds the secret seeds: the caller wipes it (or moves it into SecureBytes).
  Bytes Encode() const;
  static Result<OteSenderSetup> Decode(ByteSpan bytes);

  // Public: a hash of the setup transcript, equal on both sides of a completed setup. Each
  // multiplication binds it, so a mismatched pair of setups fails instead of giving wrong shares.
  const Digest& setup_id() const { return setup_id_; }

 private:
  friend class SetupSender;
  friend struct OteAccess;
  Digest setup_id_{};
  std::array<uint8_t, 16> delta_{};                      // Δ, bit i = Δ_i
  std::array<std::array<uint8_t, 16>, kKappa> seeds_{};  // k_{i,Δ_i}
};

// Bob's long-lived OT-extension material: both base-OT seeds k_{i,0}, k_{i,1} for each of the
// 128 base OTs. Same handling as OteSenderSetup.
class OteReceiverSetup {
 public:
  static constexpr size_t kEncodedSize = 1 + 32 + kKappa * 32;

  OteReceiverSetup() = default;
  OteReceiverSetup(const OteReceiverSetup&) = delete;
  OteReceiverSetup& operator=(const OteReceiverSetup&) = delete;
  OteReceiverSetup(OteReceiverSetup&&) noexcept = default;
  OteReceiverSetup& operator=(OteReceiverSetup&&) noexcept = default;
  ~OteReceiverSetup();
  OteReceiverSetup Clone() const;

  Bytes Encode() const;
  static Result<OteReceiverSetup> Decode(ByteSpan bytes);

  const Digest& setup_id() const { return setup_id_; }

 private:
  friend class SetupReceiver;
  friend struct OteAccess;
  Digest setup_id_{};
  std::array<std::array<std::array<uint8_t, 16>, 2>, kKappa> seeds_{};  // [i][b] = k_{i,b}
};

// ---- Setup (keygen / keyrefresh), at most three flows:
//   B: SetupReceiver rs(sid, rng);   Bytes m1 = rs.Start();                 // B -> A
//   A: SetupSender ss(sid, rng);     Result<Bytes> m2 = ss.Respond(m1);     // A -> B
//   B: Result<Bytes> m3 = rs.Respond(m2);                                   // B -> A
//   A: Result<OteSenderSetup> a = ss.Finish(m3);
//   B: Result<OteReceiverSetup> b = rs.Finish();                            // after Respond
// The session id must be unique to this setup and identify the ordered pair (e.g. hash of the
// keygen session id, "A→B", both party indices). Both sides must pass the same bytes.
// The Rng must outlive the object. Each method may be called once, in the order shown;
// calling out of order returns an error.

// Bob's side (OT-extension receiver, base-OT sender).
class SetupReceiver {
 public:
  SetupReceiver(ByteSpan session_id, Rng& rng);
  ~SetupReceiver();
  SetupReceiver(const SetupReceiver&) = delete;
  SetupReceiver& operator=(const SetupReceiver&) = delete;

  // m1: Bob's base-OT public key and a proof that he knows its discrete logarithm. Returns an
  // empty message (and changes nothing) when called a second time.
  Bytes Start();
  // Consumes Alice's m2 (her blinded base-OT choices) and returns m3: key-confirmation tags that
  // let Alice check she received the keys Bob will use (catches a mismatched or tampered m2).
  Result<Bytes> Respond(ByteSpan m2);
  // Bob's setup, available once Respond succeeded.
  Result<OteReceiverSetup> Finish();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// Alice's side (OT-extension sender, base-OT receiver).
class SetupSender {
 public:
  SetupSender(ByteSpan session_id, Rng& rng);
  ~SetupSender();
  SetupSender(const SetupSender&) = delete;
  SetupSender& operator=(const SetupSender&) = delete;

  // Consumes Bob's m1, returns m2.
  Result<Bytes> Respond(ByteSpan m1);
  // Consumes Bob's m3 and returns Alice's setup.
  Result<OteSenderSetup> Finish(ByteSpan m3);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// ---- Multiplication (one per ordered pair per signature): random VOLE.
//   B: RvoleReceiver rx(setup_B, sid, rng);  Bytes m1 = rx.Start();  const Scalar& b = rx.Input();
//   A: Result<RvoleSenderOutput> out = RvoleSend(setup_A, sid, a, m1, rng);   // out->message is m2
//   B: Result<std::vector<Scalar>> d = rx.Finish(m2);          // kProtocolAbort: burn the pair
// Then c[i] + d[i] == a[i] · b for every i, where c = out->c. Bob's b is uniform and secret;
// DKLs23 turns it into his real input by publishing (real input − b) later. The session id must
// be unique per multiplication (e.g. hash of sign session id and the ordered pair), and equal
// on both sides.

struct RvoleSenderOutput {
  std::vector<Scalar> c;  // Alice's shares, one per input a[i]
  Bytes message;          // m2, to Bob
};

// Bob's side.
class RvoleReceiver {
 public:
  // count = L, the number of Alice's inputs (1..kMaxInputs; DKLs23 signing uses 2).
  RvoleReceiver(const OteReceiverSetup& setup, ByteSpan session_id, Rng& rng,
                size_t count = kSignInputs);
  ~RvoleReceiver();
  RvoleReceiver(const RvoleReceiver&) = delete;
  RvoleReceiver& operator=(const RvoleReceiver&) = delete;

  // m1: the OT-extension matrix for Bob's gadget-encoded random input, plus its KOS check.
  // Call once: a second call returns an empty message and changes nothing; with an invalid
  // count the message is empty and Finish fails.
  Bytes Start();
  // Bob's random input b (valid after Start).
  const Scalar& Input() const;
  // Consumes Alice's m2; returns d with c[i] + d[i] == a[i]·b, or an error if Alice cheated or
  // the message does not belong to this multiplication.
  Result<std::vector<Scalar>> Finish(ByteSpan m2);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// Alice's side, in one call: checks Bob's m1, draws her own nonce, computes her shares c and the
// message m2. a.size() must be in 1..kMaxInputs (kInvalidArgument otherwise) and equal Bob's
// count. Stateless: it cannot tell a replayed m1 under the same session id from a fresh one;
// answering one twice is safe (the answers use independent pads, see "Re-use of setups"), but
// the caller should still answer at most one m1 per session id. An m1 replayed under another
// session id, or an m2 replayed to another multiplication, is refused here. kProtocolAbort
// when the OT-extension check fails: burn the pair (see "Re-use of setups").
Result<RvoleSenderOutput> RvoleSend(const OteSenderSetup& setup, ByteSpan session_id,
                                    std::span<const Scalar> a, ByteSpan m1, Rng& rng);

// Wire sizes, for callers that pre-check lengths (the decoders check them anyway). Setup:
// 114 + 4240 + 4112 bytes. Multiplication: m1 12,352 bytes (tag, Bob's nonce, extension), m2
// 16 + 32 + 416·(L+1)·32 + 64 bytes (tag, Alice's nonce, τ, H(r), u: 40,048 for L = 2), so
// 52,400 bytes per multiplication in signing.
size_t SetupMessage1Size();
size_t SetupMessage2Size();
size_t SetupMessage3Size();
size_t RvoleMessage1Size();
size_t RvoleMessage2Size(size_t count);

}  // namespace tss::crypto::ot

// dkls/dkg.h — distributed key generation and key refresh (DKLs23 §3 "Setup", Functionalities
// 3.4 and 3.5 initialised as in DKLs23 §3.3–3.4).
//
// Owns: KeygenSession and KeyrefreshSession. Must not touch: storage (the caller files the share).
//
// Keygen, three rounds among parties 1..n (threshold t), in the commit-then-reveal shape of the
// DKG DKLs23 instructs (eprint 2023/602 Protocol 9.1), with Feldman commitments so that every
// share can be checked on arrival and a bad one blamed on its dealer:
//   R1  P_i samples f_i of degree t−1 and 32 random bytes c_i (its chain-code contribution),
//       commits (bound to sid and i) to C_{i,k} = a_{i,k}·G, a Schnorr proof of a_{i,0} bound to
//       (sid, i) and c_i; sends the commitment and, for each peer j, the first base-OT message
//       of the setup (j = RVOLE sender, i = receiver).
//   R2  opens the commitment; sends f_i(j) privately, its half of the pair's zero-sharing seed
//       and the second base-OT message of the setup (i = sender, j = receiver).
//       P_j checks the opening (so c_i too), the proof and f_i(j)·G = Σ_k C_{i,k}·j^k, naming i
//       on failure.
//   R3  echo: a hash of every party's commitment and opening as received (a party that showed
//       different commitments to different peers is caught here), plus the third base-OT
//       message. Afterwards x_i = Σ_j f_j(i), PK = Σ_j C_{j,0}, X_m = Σ_j Σ_k C_{j,k}·m^k, and
//       the BIP32 chain code c = H("tss/dkls/chain-code/v1", sid, c_1, …, c_n).
// Keyrefresh is the same protocol over the old key among all n holders, with polynomials whose
// constant term is zero (no proof needed; C_{i,0} is the identity and is not sent): the public key,
// key id and chain code stay, every share and public share moves, fresh zero-sharing seeds and
// fresh OT setups replace the old ones, and the generation counts up. An old share cannot sign with
// new ones: its fingerprint, its public shares and its OT setups all differ.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "crypto/bip32.h"
#include "crypto/ot/ot.h"
#include "crypto/rng.h"
#include "crypto/schnorr.h"
#include "dkls/key_share.h"
#include "dkls/session.h"

namespace tss::dkls {

class DkgSession : public ThreeRoundSession {
 public:
  ~DkgSession() override;
  // The new key share, once Done(). TakeShare moves it out (then share() is gone).
  const KeyShare* share() const { return result_ ? &*result_ : nullptr; }
  Result<KeyShare> TakeShare();

 protected:
  struct Peer;
  DkgSession(ProtocolKind kind, uint16_t n, uint16_t t, uint16_t me, ByteSpan session_id,
             crypto::Rng& rng, std::optional<KeyShare> old);

  Result<std::vector<Message>> Round1() override;
  void Abandon() override;

 private:
  bool keygen() const { return !old_; }
  crypto::bip32::ChainCode MakeChainCode() const;
  Result<std::vector<Message>> Round2(std::vector<Bytes>& in) override;
  Result<std::vector<Message>> Round3(std::vector<Bytes>& in) override;
  Status Finish(std::vector<Bytes>& in) override;

  uint16_t n_, t_;
  Bytes sid_;
  crypto::Rng& rng_;
  std::optional<KeyShare> old_;
  crypto::Digest context_{};

  std::vector<crypto::Scalar> coefficients_;  // a_{i,0..t−1}; a_{i,0} = 0 in refresh
  std::vector<crypto::Point> commitments_;    // C_{i,k}: k = 0..t−1 (keygen), 1..t−1 (refresh)
  std::optional<crypto::SchnorrProof> proof_;
  crypto::CommitmentOpening opening_{};
  std::vector<Peer> peers_;  // by position in participants(); our own entry unused

  crypto::Scalar new_share_;
  crypto::Point public_key_;
  std::vector<crypto::Point> public_shares_;
  crypto::Digest echo_{};
  std::optional<KeyShare> result_;
};

class KeygenSession final : public DkgSession {
 public:
  // n parties 1..n, threshold 2 ≤ t ≤ n, `me` in 1..n. The session id must be unique to this
  // run and the same at every party (the node derives it from the event and attempt).
  static Result<std::unique_ptr<KeygenSession>> Create(uint16_t n, uint16_t t, uint16_t me,
                                                       ByteSpan session_id, crypto::Rng& rng);

 private:
  using DkgSession::DkgSession;
};

class KeyrefreshSession final : public DkgSession {
 public:
  // Every holder of the key takes part (all n); `old_share` is copied in (the caller may discard
  // it once the new share is filed).
  static Result<std::unique_ptr<KeyrefreshSession>> Create(const KeyShare& old_share,
                                                           ByteSpan session_id, crypto::Rng& rng);

 private:
  using DkgSession::DkgSession;
};

}  // namespace tss::dkls

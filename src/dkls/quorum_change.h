// dkls/quorum_change.h — moving a key to another set of holders (another n and t), same public
// key, same key id, same chain code: the quorum change.
//
// Owns: QuorumChangeSession and its description of who takes part (QuorumChangePlan).
// Must not touch: storage (the caller files the share), who is registered (the node decides the
// new set), transport.
//
// Parties. A session's party ids are not Shamir points of one sharing: a new holder's party id
// is its index in the new sharing (1..new_n), and an old holder that leaves (takes part only to
// deal) has an id above new_n. Each member also names its index in the old sharing (0 for a
// joiner, which holds no share). The dealers are the members that hold an old share: at least
// t_old of them, which is what lets old holders be down.
//
// Three rounds, in the shape of keygen (dkg.h), among every member:
//   R1  Dealer d, with old index i and the dealer set D (old indices), takes w_d = λ_i^D(0)·x_i
//       (its Lagrange-weighted share: Σ_{d∈D} w_d = sk), samples g_d of degree new_t − 1 with
//       g_d(0) = w_d, and commits (bound to sid and d) to: the Feldman commitments
//       C_{d,k} = g_{d,k}·G, a Schnorr proof of knowledge of w_d bound to (sid, d), and the old
//       sharing's public data (key id, generation, n_old, t_old, public key, public shares,
//       chain code). New holders start the pairwise OT setups among themselves, as in keygen.
//       Every member's message carries the plan's context (key id, new n and t, members and
//       their old indices), which must be ours.
//   R2  Dealers open the commitment and send g_d(j) privately to each new holder j; new holders
//       send their half of the pair's zero-sharing seed and the second OT message.
//       Every member checks, naming d on failure: the opening; the old public data is a valid
//       sharing (its public shares interpolate to its public key with t_old) and, at a member
//       that holds an old share, is exactly its own (same fingerprint) — a joiner, with none of
//       its own, requires every dealer to show the same one and names those that differ from the
//       one most dealers show; C_{d,0} = λ_i^D(0)·X_i
//       (so Σ_d C_{d,0} = PK); the proof; and at new holder j, g_d(j)·G = Σ_k C_{d,k}·j^k.
//   R3  Echo of every commitment and opening as received (a dealer that showed different data
//       to different members is caught), third OT message. New holder j keeps
//       x′_j = Σ_d g_d(j), X′_m = Σ_d Σ_k C_{d,k}·m^k, the public key, key id and chain code of
//       the old sharing, generation old + 1, fresh zero-sharing seeds and OT setups with every
//       other new holder. A member that leaves ends Done() with no share.
// The new share's fingerprint differs from the old one's (generation, n, t, public shares), so
// an old share never signs with a new one.
// Wire: wire.h (QuorumChangeRound1..3): each message carries exactly the parts the roles of its
// sender and recipient call for (dealer parts from dealers, pair setup between new holders), so
// a part that a role must not send is refused as a malformed message and its sender named.
// Failures name the culprit as keygen's do (dkg.h); a member left waiting names, through
// Waiting(), whoever did not send. As with keyrefresh, a lie in the last round may abort some
// members while others finish (abort is not unanimous): the caller decides, once every member
// reports, whether the new shares replace the old ones.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "crypto/rng.h"
#include "dkls/key_share.h"
#include "dkls/session.h"

namespace tss::dkls {

struct QuorumChangePlan {
  struct Member {
    uint16_t party = 0;      // session party id: the new index (1..new_n), or above new_n
    uint16_t old_index = 0;  // index in the old sharing; 0 when it holds no share (a joiner)
  };
  uint16_t new_n = 0;
  uint16_t new_t = 0;
  // Every member, ascending by party id: all of 1..new_n, then any leaving dealers
  // (new_n + 1, …). Every member with an old index deals; there must be at least t_old of them
  // and old indices must be distinct; a leaving member must have an old index.
  std::vector<Member> members;
};

class QuorumChangeSession final : public ThreeRoundSession {
 public:
  // `me`: our party id in `plan`. `old_share`: our share of the key when the plan gives us an
  // old index (copied in; its index must be that one), nullptr for a joiner. `key_id` names the
  // key every dealer must show (a joiner knows only that much). The session id must be unique
  // to this run and the same at every member.
  static Result<std::unique_ptr<QuorumChangeSession>> Create(const QuorumChangePlan& plan,
                                                             uint16_t me, const KeyShare* old_share,
                                                             const crypto::Digest& key_id,
                                                             ByteSpan session_id, crypto::Rng& rng);
  ~QuorumChangeSession() override;

  // Whether we are a holder of the new sharing (party id <= new_n).
  bool holds_new_share() const;
  // The new share once Done() (new holders only). TakeShare moves it out; for a leaving member
  // it is NotFound.
  const KeyShare* share() const;
  Result<KeyShare> TakeShare();

 private:
  struct State;
  QuorumChangeSession(ByteSpan session_id, uint16_t me, std::vector<uint16_t> parties,
                      std::unique_ptr<State> state);
  Result<std::vector<Message>> Round1() override;
  void Abandon() override;
  Result<std::vector<Message>> Round2(std::vector<Bytes>& in) override;
  Result<std::vector<Message>> Round3(std::vector<Bytes>& in) override;
  Status CheckOldSharings();
  Status Finish(std::vector<Bytes>& in) override;

  std::unique_ptr<State> state_;
};

}  // namespace tss::dkls

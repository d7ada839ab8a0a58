// sessionmanager/session_manager.h — the life of protocol sessions at one node
// (seed: "sessionmanager/").
//
// Owns: turning a valid setup into a session (PENDING → IN_PROGRESS) and an ACK carrying our
// fresh contribution to the run id (and, for a sign, the generations of the key we can sign
// with), starting it on begin (once our contribution is in it, a sign's begin names one of the
// generations we offered, and the run id is durably recorded as never run before), routing step
// messages between the session and the network, finishing it (key share saved or signature
// recorded, IN_PROGRESS → SUCCESS; protocol error → FAILED naming the culprit, recorded against the
// key, and a pair whose OT material failed a check burned durably first), and expiry (inactive
// session → PENDING at a later block; PENDING past its expiry height → EXPIRED). Every message is
// checked first: it must come from the validator the session expects, for the session id every
// participant derives (a step: for the run id); anything else is dropped and counted. Must not
// touch: coordination (ACK and NACK go to the Coordinator, not here), the validator set (the node
// keeps it), I/O. Single-threaded: every entry point runs on the node's one loop (checked).
//
// Key lifecycle as a commit (DESIGN.md §7, issue 12 part 1). A keygen or keyrefresh run that
// finishes does not make its share usable; it ends with a confirmation round:
//   1. pending: the new share is saved durably in the key's record as `pending` (with its
//      generation, its fingerprint — dkls::KeyShare::Fingerprint, the public sharing every
//      honest holder computes alike — the event and the run id). A refresh keeps the active
//      generation g beside it; a keygen's record has no active share yet, so the key does not
//      "exist": nothing signs or refreshes with it (KeyRecord::Active).
//   2. confirm: we send commit{confirm, key id, generation, fingerprint} under the run id to
//      every other holder.
//   3. active: once every other holder confirmed the same (key id, generation, fingerprint), or
//      one reports it active (it saw every confirmation, so every holder stored the share), the
//      pending share becomes the active one (a refresh moves g to `previous`), the event becomes
//      SUCCESS with the public key, and we tell every holder commit{active}.
//   4. discard: a holder's confirmation of another key id, generation or fingerprint fails
//      the event, naming that holder as culprit (the run's round 3 echoes every commitment, so
//      every holder that finished it honestly has our fingerprint; the evidence convinces us but
//      is not transferable, so the blame is not recorded against the key), and so does a
//      holder's commit{failed} (its run failed a protocol check, naming the culprit in its own
//      error, or it saw such a disagreement); a holder's commit{abort} (it holds no share of
//      this run and never will: its run expired or died with a restart) sends the event back
//      to PENDING, as an expiry does, so that the coordinator runs it again. Either way the
//      pending share is deleted unused (a keygen's whole record), g stays active, and we pass
//      the failed / abort on to every holder. A holder whose own run has not finished when it
//      hears either ends it at once the same way (nothing stored).
// Missing confirmations: an unresolved pending share is never used, and blocks new keygen /
// keyrefresh setups of its key or event (NACK) until resolved; its session expires as any
// other (event back to PENDING). Deliberately, it is *not* discarded on a timeout alone: we
// have confirmed it, so a holder may already have seen every confirmation and activated it,
// and discarding then is exactly the split this round exists to prevent (one lost confirmation
// would do it). Instead every expiry pass asks the holders that have not confirmed
// (commit{confirm, ask}); a holder answers with its own confirmation, `active` when it
// activated that run's generation, silence while its run of it is still going, and `abort`
// otherwise. So a pending share resolves as soon as the holders can talk, and only a holder
// that stays silent for good keeps it pending at the others (it may have activated it before
// it fell silent; nobody can know, so nobody discards).
// Restart: the pending records in the key store are picked up at the first entry point and
// resolved the same way; a restarted node answers `abort` for runs it holds nothing of. A
// record activated just before a stop (its event not yet SUCCESS, so put back to PENDING)
// records its event SUCCESS then too: the record names the event that made its generation.
// Retention: an activation keeps the replaced generation as `previous` until every holder
// reported the new one active, or the next activation replaces it: at most one retained
// generation per key, so a holder keeps at most two generations that can sign (the active and
// the retained one) and never one older than the generation before its active one. (What
// reports we heard is not durable: after a restart the retained one waits for the next
// refresh.)
// Signing across generations: a sign's ACK lists the generations we can sign with, our active
// one and our retained one (never a pending one), as (generation, fingerprint); the coordinator
// names in BEGIN the newest one every drawn signer listed (coordinator/coordinator.h), and we
// sign with exactly that one. A begin naming one we did not list is dropped (counted in
// bad_generation) and the session stays unbegun, as after any invalid begin. A step signed with
// another generation (another fingerprint in round 1) is dropped unblamed, as a step of another
// run: only a coordinator that named the signers different generations, or a deviating signer,
// sends one.
// Limit: an equivocating holder (confirm to some, another fingerprint or abort to others) can
// still leave honest holders on different generations: some activate g+1 and retain g, others
// stay on g. The key still signs: signer sets that include a holder on g sign with g (retained
// by the others), the others with g+1. The others retain g until every holder reported g+1
// active (the ones on g never will) or the next activation, and no refresh can activate while
// the holders are split: its first round checks that every holder refreshes the same
// generation, and fails naming (and blaming) one across the split, as before. So the others
// keep g for as long as the split lasts. Bringing the holders on g to g+1 is not implemented,
// nor is agreement against the split itself (a Byzantine broadcast of the confirmations).
//
// Quorum change (issue 13; dkls/quorum_change.h runs the protocol). The setup's participants are
// every validator registered now (sorted: the new holders, new index = position + 1), then the
// key's holders that are leaving and reachable (core::ValidatorSet: "leaving" in the registry),
// which take part only to deal; the layout names the key's holders now (old index = position +
// 1), how many new holders there are and the protocol's key id. Every participant re-checks it
// against its own view (ValidateQuorumChange): the new holders are exactly its registered set,
// the old holders are its key's, at least t_old of them deal, the threshold is floor(2n'/3)+1.
// A validator that joins has no record: it checks what it can (it is registered, holds no
// share) and takes the key id from the setup; the dealers must show it one consistent sharing.
// The confirmation round is the one above among the new holders: each stores its new share
// pending beside its active one (a joiner: a record that is only pending, as a keygen makes),
// with the new holder list and threshold (PendingShare), and confirms to the other new holders;
// activation rewrites the record — holders, threshold, share, generation, fingerprint — and
// tells the new holders and the leaving dealers. The leaving dealers keep their share, and
// their session, until a new holder reports the generation active (or answers their ask, every
// expiry pass, with `active`); only then do they delete their record (and its tss_keys row) and
// record SUCCESS. A new holder's abort or failure reaches them too: the key stays with the old
// holders at the old generation, which every old holder still has active (nothing replaced it
// anywhere), so the old set keeps signing. Durable at a leaver too: before it waits, it saves
// a pending entry naming the run and the new holders (without itself; its share a copy of its
// active one, never activated), so a restarted leaver keeps asking (LoadCommits); a new holder
// answers such an ask, from a validator that is not a holder, with `active` when the
// generation that event made is its active one.
// Retention across a quorum change: none. A retained generation is a share of the old sharing,
// whose party indices are positions in the old holder list; after activation the record names
// the new holders, so a sign with the retained share would hand the protocol the new holders'
// indices for old shares (wrong Lagrange coefficients, or another validator's index). So a
// quorum change's activation drops `previous` (and a refresh's retained one with it): until
// every new holder activated, a sign among holders on different sharings finds no common
// generation and retries (coordinator.h), and a holder still on the old sharing declines a
// setup with the new threshold.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/messages.h"
#include "core/roster.h"

namespace tss::sessionmanager {

using core::NodeMessage;

struct SessionManagerConfig {
  std::string my_address;
  std::chrono::milliseconds session_expiry{180'000};  // seed default: 3 minutes of inactivity
  uint64_t retry_delay_blocks = 5;                    // an expired session's event waits this long
  uint64_t max_block_skew = 30;                       // how far a setup's block may be from ours
  size_t max_early_steps = 4096;                      // steps buffered before begin arrives
  // Coordinator failover: a setup's sender must be the primary at the setup's block or a backup
  // that core::CoordinatorRank lets act in our own liveness view (NodeEnv::is_live), with the
  // coordinators' takeover window.
  uint64_t takeover_blocks = 3;
  // An unbegun attempt of one coordinator is not replaced by another coordinator's setup for
  // this long after we ACKed it: the first could still send begin with our ACK in it, and a
  // party that moved on would split its run. After the hold that coordinator has given up
  // (it waits ack_timeout), so the next one may have us.
  std::chrono::milliseconds setup_hold{2'500};
  // Whether this node's own coordinator still waits for the ACKs of its attempt `session_id` of
  // `event_id` (Coordinator::Waiting). Our session of an attempt we coordinate is held only
  // while it does: once our coordinator gave the attempt up, no begin comes for it, and holding
  // it would keep declining the coordinator that can run the event. Unset (a session manager
  // driven alone): held as any other.
  std::function<bool(const std::string& event_id, const core::SessionId& session_id)>
      own_attempt_waiting;
};

// Why messages were dropped, for logs, `tss status` and tests.
struct DropCounters {
  uint64_t bad_sender = 0;       // not the coordinator / not a participant of the session
  uint64_t unknown_session = 0;  // no session, or another attempt's session id
  uint64_t invalid_setup = 0;    // setup that does not match our own view of the event
  uint64_t buffer_full = 0;
  uint64_t reused_run = 0;  // a begin whose run id we had run before (refused)
  // A sign's begin naming no generation or one we did not offer in our ACK, or a keygen /
  // keyrefresh begin naming one (the session stays unbegun, as after any invalid begin).
  uint64_t bad_generation = 0;
  uint64_t bad_commit = 0;  // a commit message from a non-holder, or for nothing we know
};

class SessionManager {
 public:
  SessionManager(SessionManagerConfig config, core::NodeEnv env);
  ~SessionManager();

  // Setup, begin, step and result messages; `from` is the validator address the registry maps
  // the sending peer id to (the network layer has authenticated the peer id).
  void HandleMessage(const std::string& from, const NodeMessage& message);
  // The expiry checker's pass (seed: StartExpiryChecker), run periodically by the node.
  void CheckExpiry();
  // Drops the sessions that have not begun and whose coordinator is unreachable in our
  // liveness view, putting their events back to PENDING at the same block: a dead coordinator
  // sends no begin, and waiting out the session expiry would hold the event from the backups
  // that the failover rule lets act at once. Run by the node before each coordinator poll.
  void ReleaseOrphans();

  const DropCounters& drops() const { return drops_; }
  // The protocol of our session of `event_id`, if we have one (the node names the crash point
  // a message's delivery reaches by it: common/crash_point.h).
  std::optional<core::ProtocolType> ProtocolOf(const std::string& event_id) const;

 private:
  struct Session;
  void HandleSetup(const std::string& from, const NodeMessage& m);
  void HandleBegin(const std::string& from, const NodeMessage& m);
  void HandleStep(const std::string& from, const NodeMessage& m);
  void HandleResult(const std::string& from, const NodeMessage& m);
  // The confirmation round (see the top of this file).
  struct Commit {
    std::string key_id;
    std::string event_id;
    core::SessionId run_id{};
    uint32_t generation = 0;
    core::KeyFingerprint fingerprint{};
    std::vector<std::string> holders;  // the key's, us included
    // The other holders that confirmed (or reported active) this very generation.
    std::map<std::string, core::CommitStage> confirmed;
    bool keygen = false;  // no active generation beside it
    bool quorum = false;  // a quorum change's: activation replaces holders and threshold
    // A quorum change's leaving dealer: we hold nothing pending; `holders` are the new holders,
    // whose report of the generation active lets us delete our share (Leave).
    bool leaving = false;
    uint16_t threshold = 0;  // leaving: the new threshold (for the event's result)
    // A quorum change's leaving dealers: told the outcome; their abort or failure counts.
    std::vector<std::string> watchers;
    std::vector<std::string> Told() const {
      std::vector<std::string> all = holders;
      all.insert(all.end(), watchers.begin(), watchers.end());
      return all;
    }
  };
  void HandleCommit(const std::string& from, const NodeMessage& m);
  void LoadCommits();  // once: the pending records a previous process left (and every key
                       // mirrored afresh)
  void RecordActivated(const core::KeyRecord& record);  // part of LoadCommits
  Commit* CommitOfRun(const std::string& event_id, const core::SessionId& run_id);
  void StorePending(Session& s, core::NewKey key);
  void AwaitLeaving(Session& s, const core::NewKey& key);  // a quorum change's leaving dealer
  void Leave(const std::string& key_id, const std::string& how);
  void LogHolderChange(const core::KeyRecord& record);
  void CountConfirmation(Commit& c, const std::string& from, const core::CommitBody& body);
  void Activate(const std::string& key_id, const std::string& how);
  // `failed`: the holders disagree (event FAILED); otherwise the run cannot complete (retried).
  void Discard(const std::string& key_id, const std::string& why, bool failed);
  void AskPending();  // part of the expiry pass
  void NoteActivated(const std::string& from, const core::CommitBody& body);
  void SendCommit(const std::string& to, const std::string& event_id, const core::SessionId& run,
                  core::CommitStage stage, bool ask, const std::string& key_id, uint32_t generation,
                  const core::KeyFingerprint& fingerprint);
  // A started keygen / keyrefresh session that ends without a share tells the holders: `failed`
  // when its run failed (the event fails everywhere), otherwise the event is retried.
  void SendAbort(const Session& s, bool failed);
  // Ends our unfinished run of a keygen / keyrefresh that another holder gave up.
  void EndRun(Session& s, bool failed, const std::string& why);
  // A signature for an event we have no session of (its setup reached us before the event
  // did, or was lost): recorded if our own copy of the event asks for exactly what it signs.
  enum class LateOutcome { kRecorded, kAlreadyRecorded, kNoEventYet, kRefused };
  LateOutcome AcceptLateResult(const std::string& event_id, const core::SignatureBody& signature);
  Session* Find(const NodeMessage& m);
  Status ValidateSetup(const std::string& from, const NodeMessage& m, const core::Event& event,
                       std::optional<core::KeyRecord>& key);
  Status ValidateQuorumChange(const core::SetupBody& setup,
                              const std::vector<std::string>& validators,
                              std::optional<core::KeyRecord>& key);
  // The signers of `setup` we will not sign with on this key (culprits we blamed).
  std::vector<std::string> Refused(const core::SetupBody& setup, const core::KeyRecord& key) const;
  // Burns the failed pair (if any) and records the culprit against the session's key, durably,
  // before the failure is reported.
  void Blame(Session& s, const Status& why, const std::string& culprit);
  // Burns the pair with `party` in the generation `used` (the active one when unset), if the
  // record still holds it.
  Status BurnPair(core::KeyRecord& record, const std::optional<core::GenerationId>& used,
                  int party);
  void Deliver(Session& s, int from_party, const core::Step& step);
  void Route(Session& s, std::vector<core::Step> out);
  void Finish(Session& s);
  void Fail(Session& s, const Status& why);
  // Fails the PENDING events that core::CheckEvent refuses, and signs at a chain path our share
  // of the key cannot derive (part of the expiry pass).
  void FailUnprocessable(uint64_t block);
  // The result JSON of the keygen / keyrefresh that made `record`'s active generation.
  std::string KeyResult(const core::KeyRecord& record);
  core::NewKey KeyResultOf(const core::KeyRecord& record);
  // A sign's result JSON, once `signature` verifies whole against the key it is for: the key's
  // own, or its BIP32 child at `chain_path` (ProtocolFactory::SigningKey).
  Result<std::string> VerifiedSignatureJson(const core::KeyRecord& key,
                                            const std::string& chain_path, ByteSpan message_hash,
                                            const core::SignatureBody& signature);
  // Puts back to PENDING the IN_PROGRESS rows no session of ours holds (part of the expiry pass).
  void ReleaseUnheld(uint64_t block);
  // Records a verified signature as the event's result: IN_PROGRESS (or PENDING, when
  // `from_pending`) -> SUCCESS, and files it.
  void RecordSignature(const std::string& event_id, const std::string& result_json,
                       bool from_pending, const char* how);
  void Nack(const std::string& to, const NodeMessage& m, const std::string& reason,
            std::vector<std::string> refused = {});
  void Drop(uint64_t& counter, const std::string& from, const NodeMessage& m,
            const std::string& why);

  SessionManagerConfig config_;
  core::NodeEnv env_;
  std::map<std::string, std::unique_ptr<Session>> sessions_;  // by event id
  // Keys whose blame record could not be written (a disk failure): no signing with them while
  // this process lives.
  std::set<std::string> unsigned_keys_;
  DropCounters drops_;
  // Signatures that arrived before their event (see AcceptLateResult), by event id.
  struct LateResult {
    std::vector<core::SignatureBody> signatures;  // a few, so a forged one blocks none
    std::chrono::steady_clock::time_point received;
  };
  std::map<std::string, LateResult> late_results_;
  // Pending generations awaiting confirmations, by key id.
  std::map<std::string, Commit> commits_;
  bool commits_loaded_ = false;
  // Key id -> the fingerprint we activated last and the holders known to have it active too
  // (us included); the retained previous generation goes once every holder is in.
  std::map<std::string, std::pair<core::KeyFingerprint, std::set<std::string>>> activated_;
};

// Logs (warn) how the key's holders differ from `registered`, if they do (the node at start and
// whenever the registry changes, the session manager after a quorum change).
void LogHoldersDiffer(const core::KeyRecord& record, const std::vector<std::string>& registered);

}  // namespace tss::sessionmanager

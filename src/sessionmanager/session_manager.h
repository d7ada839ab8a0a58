// sessionmanager/session_manager.h — the life of protocol sessions at one node
// (seed: "sessionmanager/").
//
// Owns: turning a valid setup into a session (PENDING → IN_PROGRESS) and an ACK carrying our
// fresh contribution to the run id, starting it on begin (once our contribution is in it and
// the run id is durably recorded as never run before), routing step messages between the
// session and the network, finishing it (key share saved or signature recorded, IN_PROGRESS →
// SUCCESS; protocol error → FAILED naming the culprit, recorded against the key, and a pair
// whose OT material failed a check burned durably first), and expiry (inactive session →
// PENDING at a later block; PENDING past its expiry height → EXPIRED). Every message is checked
// first: it must come from the validator the session expects, for the session id every participant
// derives (a step: for the run id); anything else is dropped and counted. Must not touch:
// coordination (ACK and NACK go to the Coordinator, not here), the validator set (the node keeps
// it), I/O. Single-threaded: every entry point runs on the node's one loop (checked).
#pragma once

#include <chrono>
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
};

// Why messages were dropped, for logs, `tss status` and tests.
struct DropCounters {
  uint64_t bad_sender = 0;       // not the coordinator / not a participant of the session
  uint64_t unknown_session = 0;  // no session, or another attempt's session id
  uint64_t invalid_setup = 0;    // setup that does not match our own view of the event
  uint64_t buffer_full = 0;
  uint64_t reused_run = 0;  // a begin whose run id we had run before (refused)
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

 private:
  struct Session;
  void HandleSetup(const std::string& from, const NodeMessage& m);
  void HandleBegin(const std::string& from, const NodeMessage& m);
  void HandleStep(const std::string& from, const NodeMessage& m);
  void HandleResult(const std::string& from, const NodeMessage& m);
  // A signature for an event we have no session of (its setup reached us before the event
  // did, or was lost): recorded if our own copy of the event asks for exactly what it signs.
  enum class LateOutcome { kRecorded, kAlreadyRecorded, kNoEventYet, kRefused };
  LateOutcome AcceptLateResult(const std::string& event_id, const core::SignatureBody& signature);
  Session* Find(const NodeMessage& m);
  Status ValidateSetup(const std::string& from, const NodeMessage& m, const core::Event& event,
                       std::optional<core::KeyRecord>& key);
  // The signers of `setup` we will not sign with on this key (culprits we blamed).
  std::vector<std::string> Refused(const core::SetupBody& setup, const core::KeyRecord& key) const;
  // Burns the failed pair (if any) and records the culprit against the session's key, durably,
  // before the failure is reported.
  void Blame(Session& s, const Status& why, const std::string& culprit);
  void Deliver(Session& s, int from_party, const core::Step& step);
  void Route(Session& s, std::vector<core::Step> out);
  void Finish(Session& s);
  void Fail(Session& s, const Status& why);
  // Fails the PENDING events that core::CheckEvent refuses (part of the expiry pass).
  void FailUnprocessable(uint64_t block);
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
};

}  // namespace tss::sessionmanager

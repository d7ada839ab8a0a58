// coordinator/coordinator.h — the coordinator duty of a node (seed: "coordinator/").
//
// Owns: polling the event store for PENDING events, deciding whether this node coordinates an
// event now (primary, or a backup by the failover rule, core::CoordinatorRank), choosing
// participants among the holders that are live in our view, sending setup, tracking ACKs and
// sending begin, and retrying: at once without whoever declined or did not ACK, then with a
// growing back-off.
//
// Which generation a sign uses (issue 12 part 1): a holder may hold two generations of a key
// that can sign — its active one and the retained previous one (sessionmanager/session_manager.h:
// a refresh activated at some holders and not at others leaves exactly that) — and each signer's
// ACK lists them. Once every drawn signer has ACKed, BEGIN names the newest generation that every
// one of them offered (ChooseGeneration): the greatest (number, fingerprint) in all the lists.
// When no generation is common to them all, no BEGIN goes out: the attempt is given up as for a
// NACK and retried at once without the signers that lack the generation the most of them offered
// (ties: the newer one, then the greater fingerprint), so that the retry's draw can agree. That
// happens when a signer ACKed before an activation and another signer's retained generation was
// deleted meanwhile, or with a signer that lies in its ACK; the choice costs no extra message
// otherwise.
//
// Liveness view: NodeEnv::is_live, the network's connection state (a stopped peer's connection
// closes, so it reads unreachable within about 100 ms; a peer never needed counts live, and
// every attempt's setup goes to every holder, so a peer that comes back is dialed and counted
// again). The failover rule and why it is safe: core/selection.h (CoordinatorRank). What keeps
// two coordinators from running one event at once is the participants' (session_manager.h:
// one session per event, a begun run never replaced, another coordinator's unbegun attempt
// held for setup_hold, run ids single-use).
// Quorum change: the key's holders now and the validators registered now decide the setup
// (core::QuorumChangeMembersFor); a coordinator that holds no share of the key (a validator that
// joins) cannot name the old holders, so it declines and a backup coordinates.
// Must not touch: protocol sessions (the session manager runs those, including this node's
// own, from the setup it receives like everyone else) or event statuses (only participants
// move their events), the validator set (the node keeps it; we read it). Single-threaded: every
// entry point runs on the node's one loop (checked).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/messages.h"

namespace tss::coordinator {

using core::Contribution;
using core::NodeMessage;
using core::SessionId;

struct CoordinatorConfig {
  std::string my_address;
  // Give up on an attempt without all ACKs. An ACK is one local database write and one message
  // each way (milliseconds); 2 s keeps a signer that died unnoticed from costing more than that.
  std::chrono::milliseconds ack_timeout{2'000};
  // After a failed attempt the next one starts at once, without the parties that declined or
  // did not ACK; after a second and later consecutive failures it waits 1, 2, 4 … 64 × this,
  // so an event nobody can run now is not hammered.
  std::chrono::milliseconds retry_backoff{1'000};
  // Failover (core::CoordinatorRank): blocks a backup of rank k waits, k × this after the
  // event's block, before it acts while the validators ahead of it still look live.
  uint64_t takeover_blocks = 3;
  // How long a holder's refusal to sign with another (its NACK naming a culprit) keeps that
  // validator out of our draws for the key; the holder declines again if it still refuses.
  std::chrono::milliseconds refusal_memory{600'000};
  size_t max_events_per_poll = 256;
};

// What this coordinator did, for tests and status. attempts = begun + declined + timed_out +
// no_common_generation + the attempts still waiting for ACKs.
struct CoordinatorStats {
  uint64_t attempts = 0;              // setups sent (one attempt each)
  uint64_t as_backup = 0;             // of those, while not the primary
  uint64_t begun = 0;                 // every ACK in: begin sent
  uint64_t declined = 0;              // abandoned on a NACK
  uint64_t timed_out = 0;             // abandoned without every ACK in time
  uint64_t no_common_generation = 0;  // sign abandoned: its signers share no generation
  uint64_t begun_previous = 0;        // sign begun with a signer's retained (not active) generation
  uint64_t most_retries = 0;  // the most retries one begun event took (0: first attempt began)
};

// The generation a sign's BEGIN names, from the generations each drawn signer offered in its
// ACK (by signer address): the greatest one in every list. Without one, `lacking` names the
// signers (sorted) whose list lacks the generation offered by the most of them (ties: the
// greatest), to be left out of the retry.
struct GenerationChoice {
  std::optional<core::GenerationId> generation;
  std::vector<std::string> lacking;
};
GenerationChoice ChooseGeneration(
    const std::map<std::string, std::vector<core::GenerationId>>& offered);

class Coordinator {
 public:
  Coordinator(CoordinatorConfig config, core::NodeEnv env);

  // Any thread (the counters are copied under a lock).
  CoordinatorStats stats() const;

  // One polling pass: start an attempt for every pending event this node coordinates.
  void Poll();
  void OnAck(const std::string& from, const NodeMessage& message);
  void OnNack(const std::string& from, const NodeMessage& message);
  // Whether we still wait for the ACKs of attempt `session_id` of `event_id` (loop thread).
  bool Waiting(const std::string& event_id, const SessionId& session_id) const;

 private:
  struct Attempt {
    SessionId session_id{};
    core::ProtocolType protocol = core::ProtocolType::kSign;
    std::string key_id;
    std::vector<std::string> participants;
    std::map<std::string, Contribution> acked;  // by participant
    std::chrono::steady_clock::time_point started;
    // Sign: the generations each participant offered in its ACK.
    std::map<std::string, std::vector<core::GenerationId>> offered;
  };
  Result<core::SetupBody> BuildSetup(const core::Event& event, uint64_t block,
                                     const std::vector<std::string>& validators);
  void Abandon(const std::string& event_id, const std::string& why,
               const std::vector<std::string>& skip);
  // After an attempt ended without begin: remember who let it down (`skip`, left out of the
  // event's next draws), back off unless this is the event's first failure, and mark it for
  // AddStranded.
  void GiveUp(const std::string& event_id, const std::vector<std::string>& skip);
  // Whether we coordinate `event` now: we are its primary, or the failover rule lets us act.
  bool Acting(const std::vector<std::string>& order, size_t my_rank, const core::Event& event,
              uint64_t block) const;
  // Appends the events whose attempt we abandoned and which are still IN_PROGRESS here.
  void AddStranded(uint64_t block, std::vector<core::Event>& pending);

  CoordinatorConfig config_;
  core::NodeEnv env_;
  std::map<std::string, Attempt> attempts_;  // by event id
  std::map<std::string, std::chrono::steady_clock::time_point> backoff_until_;
  // Events whose attempt we gave up before begin (ACK timeout or NACK), to retry after the
  // back-off even though our own copy is IN_PROGRESS (see AddStranded).
  std::set<std::string> stranded_;
  std::map<std::string, int> failures_;  // consecutive attempts given up, by event id
  // Holders that declined or did not ACK one of the event's attempts: left out of its next
  // draws (while t others remain), so the retry does not wait on them again. In the order they
  // let it down, the most recent last: when not all can stay out, the oldest go back first.
  std::map<std::string, std::vector<std::string>> skipped_;
  std::map<std::string, uint64_t> tries_;       // attempts since the event's last begin
  std::map<std::string, uint64_t> last_block_;  // the block of the event's last attempt
  mutable std::mutex stats_mu_;
  CoordinatorStats stats_;
  // Validators some holder refused to sign with, by key id, until when.
  std::map<std::string, std::map<std::string, std::chrono::steady_clock::time_point>> refused_;
};

}  // namespace tss::coordinator

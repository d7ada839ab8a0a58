// coordinator/coordinator.h — the coordinator duty of a node (seed: "coordinator/").
//
// Owns: polling the event store for PENDING events, deciding whether this node coordinates at
// the current block, choosing participants, sending setup, tracking ACKs and sending begin.
// Must not touch: protocol sessions (the session manager runs those, including this node's
// own, from the setup it receives like everyone else) or event statuses (only participants
// move their events), the validator set (the node keeps it; we read it). Single-threaded: every
// entry point runs on the node's one loop (checked).
#pragma once

#include <chrono>
#include <map>
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
  uint64_t coordinator_range = 1000;               // blocks per coordinator turn
  std::chrono::milliseconds ack_timeout{10'000};   // give up on an attempt without all ACKs
  std::chrono::milliseconds retry_backoff{1'000};  // after a NACK or timeout
  // How long a holder's refusal to sign with another (its NACK naming a culprit) keeps that
  // validator out of our draws for the key; the holder declines again if it still refuses.
  std::chrono::milliseconds refusal_memory{600'000};
  size_t max_events_per_poll = 256;
};

class Coordinator {
 public:
  Coordinator(CoordinatorConfig config, core::NodeEnv env);

  // One polling pass: start an attempt for every pending event this node coordinates.
  void Poll();
  void OnAck(const std::string& from, const NodeMessage& message);
  void OnNack(const std::string& from, const NodeMessage& message);

 private:
  struct Attempt {
    SessionId session_id{};
    std::string key_id;
    std::vector<std::string> participants;
    std::map<std::string, Contribution> acked;  // by participant
    std::chrono::steady_clock::time_point started;
  };
  Result<core::SetupBody> BuildSetup(const core::Event& event, uint64_t block,
                                     const std::vector<std::string>& validators);
  void Abandon(const std::string& event_id, const std::string& why);
  // After an attempt ended without begin: back-off, and mark it for AddStranded.
  void GiveUp(const std::string& event_id);
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
  // Validators some holder refused to sign with, by key id, until when.
  std::map<std::string, std::map<std::string, std::chrono::steady_clock::time_point>> refused_;
};

}  // namespace tss::coordinator

// coordinator/coordinator.h — the coordinator duty of a node (seed: "coordinator/").
//
// Owns: polling the event store for PENDING events, deciding whether this node coordinates at
// the current block, choosing participants, sending setup, tracking ACKs and sending begin.
// Must not touch: protocol sessions (the session manager runs those, including this node's
// own, from the setup it receives like everyone else) or event statuses (only participants
// move their events). Single-threaded: the node calls every method from its one loop.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "coordinator/messages.h"
#include "coordinator/ports.h"

namespace tss::crypto {
class Rng;
}

namespace tss::coordinator {

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
  Coordinator(CoordinatorConfig config, EventAccess& events, KeyAccess& keys, Outbox& outbox,
              BlockSource& blocks, Clock& clock, crypto::Rng& rng);

  // The validator set as the registry shows it now (any order; kept sorted by address).
  void SetValidators(std::vector<std::string> addresses);
  const std::vector<std::string>& validators() const { return validators_; }
  // The validator that coordinates at `block`, if there are validators.
  std::optional<std::string> CoordinatorAt(uint64_t block) const;
  bool IsCoordinator(uint64_t block) const;

  // One polling pass: start an attempt for every pending event this node coordinates.
  void Poll();
  void OnAck(const std::string& from, const NodeMessage& message);
  void OnNack(const std::string& from, const NodeMessage& message);

  size_t attempts_in_flight() const { return attempts_.size(); }

 private:
  struct Attempt {
    SessionId session_id{};
    std::string key_id;
    std::vector<std::string> participants;
    std::map<std::string, Contribution> acked;  // by participant
    std::chrono::steady_clock::time_point started;
  };
  Result<SetupBody> BuildSetup(const EventView& event, uint64_t block);
  void Abandon(const std::string& event_id, const std::string& why);
  // After an attempt ended without begin: back-off, and mark it for AddStranded.
  void GiveUp(const std::string& event_id);
  // Appends the events whose attempt we abandoned and which are still IN_PROGRESS here.
  void AddStranded(uint64_t block, std::vector<EventView>& pending);

  CoordinatorConfig config_;
  EventAccess& events_;
  KeyAccess& keys_;
  Outbox& outbox_;
  BlockSource& blocks_;
  Clock& clock_;
  crypto::Rng& rng_;
  std::vector<std::string> validators_;
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

// node/node.h — one validator's process: the seed's root `Node` (tss.go).
//
// Owns: the parts of one validator and the seams they share (core::NodeEnv), the validator set
// as the registry shows it (core::ValidatorSet: address <-> peer id), the start-up order of the
// seed (network, crash recovery, coordinator polling, expiry checker, registry entry), the
// heartbeat it writes into its own database for the `tss` commands, the one
// sender check (a message's sender is the validator its authenticated peer id maps to),
// dispatching messages on one event-loop thread (ACK/NACK to the coordinator, the rest to the
// session manager), and clean shutdown. Must not touch: protocol logic, storage formats or wire
// codecs — it only connects the parts through their interfaces.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "coordinator/coordinator.h"
#include "core/env.h"
#include "core/validator_set.h"
#include "networking/network.h"
#include "node/config.h"
#include "node/event_loop.h"
#include "sessionmanager/session_manager.h"

namespace tss::crypto {
class Rng;
}

namespace tss::node {

// One validator as the registry file lists it.
struct RegistryEntry {
  std::string validator_address;
  std::string peer_id;
  std::vector<std::string> multiaddrs;
  std::string database;
  bool leaving = false;  // "leaving": true (tss node --leaving; core::ValidatorSet)
  std::string api = {};  // "http://host:port" of the node's HTTP API; empty when it serves none
  bool operator==(const RegistryEntry&) const = default;
};

class Registry {
 public:
  virtual ~Registry() = default;
  virtual Result<std::vector<RegistryEntry>> Read() = 0;
  virtual Status Upsert(const RegistryEntry& own) = 0;
};

// The parts a node is made of; the node owns them. BuildNodeParts (parts.h) makes the
// production ones; a test hands it the few it replaces.
struct NodeParts {
  std::unique_ptr<networking::Network> network;
  std::unique_ptr<core::EventStore> events;
  std::unique_ptr<core::KeyStore> keys;
  std::unique_ptr<core::ProtocolFactory> protocols;
  std::unique_ptr<Registry> registry;
  std::unique_ptr<core::BlockSource> blocks;
  std::unique_ptr<core::Clock> clock;
  crypto::Rng* rng = nullptr;  // not owned; SystemRandom() in production
};

// The two duties of a validator over one NodeEnv — coordinating and running sessions — and the
// dispatch of messages between them: what Node runs on its loop, and what the deterministic
// tests step by hand, so both are wired the same way.
class Duties {
 public:
  Duties(const NodeConfig& config, core::NodeEnv env);
  // One decoded message from validator `from`: ACK and NACK to the coordinator, the rest to the
  // session manager.
  void Dispatch(const std::string& from, const core::NodeMessage& message);
  coordinator::Coordinator& coordinator() { return coordinator_; }
  sessionmanager::SessionManager& sessions() { return sessions_; }

 private:
  coordinator::Coordinator coordinator_;
  sessionmanager::SessionManager sessions_;
};

// Counters for `tss status` and tests.
struct NodeStats {
  uint64_t messages_in = 0;
  uint64_t messages_out = 0;
  uint64_t dropped_unknown_peer = 0;  // a peer id the registry does not map to a validator
  uint64_t dropped_undecodable = 0;
  uint64_t sends_failed = 0;  // the network gave up (no acknowledgement within its deadline)
};

// What the node's operators see of it at one moment (api/ serves it as health and metrics).
// Any thread.
struct NodeSnapshot {
  bool running = false;  // started and not stopped
  NodeStats stats;
  networking::NetworkStats network;
  coordinator::CoordinatorStats coordinator;
  sessionmanager::DropCounters drops;  // as of the last poll (the loop owns the live counters)
  size_t validators = 0;               // in our registry view, us included
  size_t peers_connected = 0;          // other validators with an open connection
};

class Node {
 public:
  // Seed: NewNode() — builds the node from its configuration and parts; starts nothing.
  static Result<std::unique_ptr<Node>> NewNode(NodeConfig config, NodeParts parts);
  ~Node();

  // Seed: Start() — network, crash recovery, coordinator polling, expiry checker, registry.
  Status Start();
  // Seed: Stop() — stops polling and the network, finishes the loop's queued work. Idempotent.
  void Stop();
  // Seed: Send() — a node message to a validator (ourselves included), via the network.
  void Send(const std::string& validator_address, const core::NodeMessage& message);

  const std::string& validator_address() const { return config_.validator_address; }
  std::string peer_id() const;
  NodeStats stats();
  // What this node's coordinator did (any thread).
  coordinator::CoordinatorStats coordinator_stats() const;
  // The validators as the node's registry view shows them (itself included).
  const core::ValidatorSet& validators() const { return validators_; }
  // The node's own event store (thread-safe) and block source, for its API.
  core::EventStore& events() { return *parts_.events; }
  core::BlockSource& blocks() { return *parts_.blocks; }
  NodeSnapshot Snapshot();

 private:
  class LoopOutbox;
  Node(NodeConfig config, NodeParts parts);
  void RefreshRegistry();
  // The liveness view handed to the coordinator and the session manager (core::NodeEnv):
  // ourselves, or a registered validator whose connection the network does not report lost.
  bool IsLive(const std::string& address) const;
  // Writes this node's heartbeat: now, and its network's view of every other validator.
  void Beat(bool stopped);
  // Logs each change of our liveness view of a validator (loop thread): why a backup
  // coordinates or a signer is left out is then in the log, and a test can wait for it.
  void NoteLiveness();
  void OnNetworkMessage(const std::string& peer_id, Bytes bytes);

  NodeConfig config_;
  NodeParts parts_;
  EventLoop loop_;
  core::ValidatorSet validators_;
  std::unique_ptr<LoopOutbox> outbox_;
  std::unique_ptr<Duties> duties_;
  std::mutex mu_;  // guards stats_ and drops_seen_ (the network's threads count too)
  NodeStats stats_;
  sessionmanager::DropCounters drops_seen_;   // copied from the loop at each poll
  std::vector<RegistryEntry> registry_seen_;  // loop thread: what RefreshRegistry last applied
  int64_t started_at_ms_ = 0;                 // wall clock, for the heartbeat
  std::map<std::string, bool> live_seen_;     // loop thread: NoteLiveness's last view
  std::atomic<bool> started_{false};          // read by Snapshot on any thread
  std::atomic<bool> stopped_{false};
};

}  // namespace tss::node

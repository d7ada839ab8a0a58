// node/node.h — one validator's process: the seed's root `Node` (tss.go).
//
// Owns: wiring the network, event store, key shares, coordinator and session manager
// together; the start-up order of the seed (network, crash recovery, coordinator polling,
// expiry checker, registry entry); routing messages between the network and the session
// manager on one event-loop thread; and clean shutdown. Must not touch: protocol logic,
// storage formats or wire codecs — it only connects the parts through their interfaces.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "coordinator/coordinator.h"
#include "coordinator/ports.h"
#include "node/config.h"
#include "node/event_loop.h"
#include "sessionmanager/session_manager.h"

namespace tss::crypto {
class Rng;
}

namespace tss::node {

// What the node needs from the peer-to-peer layer (networking::Network satisfies it through
// a thin adapter). Handlers are called on the network's threads.
class PeerNetwork {
 public:
  virtual ~PeerNetwork() = default;
  virtual Status Start() = 0;
  virtual void Stop() = 0;
  virtual std::string LocalPeerId() const = 0;
  virtual std::vector<std::string> ListenAddrs() const = 0;  // full multiaddrs
  virtual void AddPeer(const std::string& peer_id, const std::vector<std::string>& multiaddrs) = 0;
  virtual void SetAllowedPeers(const std::set<std::string>& peer_ids) = 0;
  // Asynchronous; `done` runs once, on any thread, with the outcome: OK once the peer's node
  // has the message. The network resends on its own until then; a failure is final.
  virtual void Send(const std::string& peer_id, Bytes message,
                    std::function<void(Status)> done) = 0;
  virtual void SetHandler(
      std::function<void(const std::string& peer_id, Bytes message)> handler) = 0;
};

// One validator as the registry file lists it.
struct RegistryEntry {
  std::string validator_address;
  std::string peer_id;
  std::vector<std::string> multiaddrs;
  std::string database;
  bool operator==(const RegistryEntry&) const = default;
};

class Registry {
 public:
  virtual ~Registry() = default;
  virtual Result<std::vector<RegistryEntry>> Read() = 0;
  virtual Status Upsert(const RegistryEntry& own) = 0;
};

// The parts a node is made of; the node owns them.
struct NodeParts {
  std::unique_ptr<PeerNetwork> network;
  std::unique_ptr<coordinator::EventAccess> events;
  std::unique_ptr<coordinator::KeyAccess> keys;
  std::unique_ptr<coordinator::ProtocolFactory> protocols;
  std::unique_ptr<Registry> registry;
  std::unique_ptr<coordinator::BlockSource> blocks;
  std::unique_ptr<coordinator::Clock> clock;
  crypto::Rng* rng = nullptr;  // not owned; SystemRandom() in production
};

// Counters for `tss status` and tests.
struct NodeStats {
  uint64_t messages_in = 0;
  uint64_t messages_out = 0;
  uint64_t dropped_unknown_peer = 0;  // a peer id the registry does not map to a validator
  uint64_t dropped_undecodable = 0;
  uint64_t sends_failed = 0;  // the network gave up (no acknowledgement within its deadline)
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
  void Send(const std::string& validator_address, const coordinator::NodeMessage& message);

  const std::string& validator_address() const { return config_.validator_address; }
  std::string peer_id() const;
  // Runs `fn` on the event loop and waits for it (for tests and `status`).
  void RunOnLoop(const std::function<void()>& fn);
  NodeStats stats();
  // The validators the node's registry view maps to peers (itself included).
  std::set<std::string> known_validators();

 private:
  class LoopOutbox;
  Node(NodeConfig config, NodeParts parts);
  void RefreshRegistry();
  void OnNetworkMessage(const std::string& peer_id, Bytes bytes);

  NodeConfig config_;
  NodeParts parts_;
  EventLoop loop_;
  std::unique_ptr<LoopOutbox> outbox_;
  std::unique_ptr<coordinator::Coordinator> coordinator_;
  std::unique_ptr<sessionmanager::SessionManager> sessions_;
  // Registry view; written on the loop, read by the network handler under mu_.
  std::mutex mu_;
  std::map<std::string, std::string> address_to_peer_;
  std::map<std::string, std::string> peer_to_address_;
  NodeStats stats_;
  std::vector<RegistryEntry> registry_seen_;  // loop thread: what RefreshRegistry last applied
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace tss::node

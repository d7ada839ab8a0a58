// testing/memory_hub.h — an in-memory network for tests that run several nodes in one process.
//
// Owns: Hub (the switchboard) and Hub::Endpoint (one peer's networking::Network on it). A send
// is delivered at once, on the sender's thread, to the receiver's handler, and completes with
// OK; it fails, as libp2p's does once its send deadline passes, when the receiver is down or
// does not allow the sender. Delivery is exactly once and in order, as the Network contract
// promises; tests that want less wrap an endpoint in networking::FaultNetwork.
//
// Threading: any thread may send. The hub's lock is held while a handler runs, so a handler
// must not send (node handlers only queue work to their loop) and Stop() waits for a delivery
// under way to end.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "networking/network.h"

namespace tss::testing {

class Hub {
 public:
  class Endpoint;
  Status Deliver(const std::string& to, const std::string& from, Bytes bytes);

  std::mutex mu;                               // guards endpoints and tamper
  std::map<std::string, Endpoint*> endpoints;  // the started ones, by peer id
  // Sees (and may change) every message delivered: tests play a malicious node, or watch the
  // traffic, through it.
  std::function<void(const std::string& from, Bytes& bytes)> tamper;
};

class Hub::Endpoint final : public networking::Network {
 public:
  Endpoint(Hub& hub, std::string peer_id) : hub_(hub), peer_(std::move(peer_id)) {}
  Status Start() override;
  void Stop() override;
  std::string LocalPeerId() const override { return peer_; }
  std::vector<std::string> ListenAddrs() const override { return {"/memory/" + peer_}; }
  void AddPeer(const std::string&, const std::vector<std::string>&) override {}
  void SetAllowedPeers(const std::set<std::string>& peer_ids) override;
  void SetHandler(networking::MessageHandler handler) override { handler_ = std::move(handler); }
  void Send(const std::string& to, Bytes message, networking::SendCallback done) override;
  networking::NetworkStats Stats() const override { return {}; }
  // A started endpoint is "connected", a stopped one unreachable: what libp2p's connection
  // state shows of a running and a stopped node.
  networking::PeerLiveness LivenessOf(const std::string& peer_id) const override;

 private:
  friend class Hub;
  Hub& hub_;
  const std::string peer_;
  std::mutex mu_;  // guards allowed_
  std::set<std::string> allowed_;
  networking::MessageHandler handler_;
};

}  // namespace tss::testing

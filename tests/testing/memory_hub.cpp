#include "testing/memory_hub.h"

namespace tss::testing {

Status Hub::Deliver(const std::string& to, const std::string& from, Bytes bytes) {
  std::lock_guard lock(mu);
  auto it = endpoints.find(to);
  if (it == endpoints.end()) return Status(ErrorCode::kUnavailable, "down");
  Endpoint& receiver = *it->second;
  {
    std::lock_guard allowed_lock(receiver.mu_);
    if (!receiver.allowed_.count(from))
      return Status(ErrorCode::kNotFound, "peer does not support protocol /tss/2.0.0");
  }
  if (tamper) tamper(from, bytes);
  receiver.handler_(from, std::move(bytes));
  return Status::Ok();
}

Status Hub::Endpoint::Start() {
  std::lock_guard lock(hub_.mu);
  hub_.endpoints[peer_] = this;
  return Status::Ok();
}

void Hub::Endpoint::Stop() {
  std::lock_guard lock(hub_.mu);
  hub_.endpoints.erase(peer_);
}

networking::PeerLiveness Hub::Endpoint::LivenessOf(const std::string& peer_id) const {
  std::lock_guard lock(hub_.mu);
  return hub_.endpoints.count(peer_id) ? networking::PeerLiveness::kConnected
                                       : networking::PeerLiveness::kUnreachable;
}

void Hub::Endpoint::SetAllowedPeers(const std::set<std::string>& peer_ids) {
  std::lock_guard lock(mu_);
  allowed_ = peer_ids;
}

void Hub::Endpoint::Send(const std::string& to, Bytes message, networking::SendCallback done) {
  Status status = hub_.Deliver(to, peer_, std::move(message));
  if (done) done(status);
}

}  // namespace tss::testing

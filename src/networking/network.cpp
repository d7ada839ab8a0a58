#include "networking/network.h"

#include <future>
#include <memory>

namespace tss::networking {

const char* PeerLivenessName(PeerLiveness liveness) {
  switch (liveness) {
    case PeerLiveness::kConnected:
      return "connected";
    case PeerLiveness::kUnreachable:
      return "unreachable";
    case PeerLiveness::kUnknown:
      break;
  }
  return "unknown";
}

Status SendAndWait(Network& network, const std::string& peer_id, Bytes message) {
  auto done = std::make_shared<std::promise<Status>>();
  auto result = done->get_future();
  network.Send(peer_id, std::move(message),
               [done](const Status& status) { done->set_value(status); });
  return result.get();
}

}  // namespace tss::networking

#include "networking/network.h"

#include <future>
#include <memory>

namespace tss::networking {

Status SendAndWait(Network& network, const std::string& peer_id, Bytes message) {
  auto done = std::make_shared<std::promise<Status>>();
  auto result = done->get_future();
  network.Send(peer_id, std::move(message),
               [done](const Status& status) { done->set_value(status); });
  return result.get();
}

}  // namespace tss::networking

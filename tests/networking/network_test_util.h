// tests/networking/network_test_util.h — helpers for tests that run real libp2p networks over
// loopback TCP: an inbox that collects received messages, and send-and-wait with a deadline.
#pragma once

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "networking/libp2p/libp2p_network.h"
#include "networking/network.h"

// gtest assertions on a Status, printing its message when it is not OK.
#define ASSERT_OK(expr)                                               \
  do {                                                                \
    const ::tss::Status status_ = (expr);                             \
    ASSERT_TRUE(status_.ok()) << #expr << ": " << status_.ToString(); \
  } while (0)

namespace tss::testing {

struct Received {
  std::string from;
  Bytes message;
};

// Collects what a network's handler receives; waits for a count with a deadline.
class Inbox {
 public:
  networking::MessageHandler Handler() {
    return [this](const std::string& from, Bytes message) {
      std::lock_guard lock(mu_);
      received_.push_back({from, std::move(message)});
      cv_.notify_all();
    };
  }
  // True when at least `n` messages arrived within `timeout`.
  bool WaitFor(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return received_.size() >= n; });
  }
  std::vector<Received> Take() {
    std::lock_guard lock(mu_);
    return std::move(received_);
  }
  size_t size() {
    std::lock_guard lock(mu_);
    return received_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Received> received_;
};

inline Bytes Seed(uint8_t b) {
  return Bytes(32, b);
}

// A started network with the given seed on a free loopback port.
inline std::unique_ptr<networking::Network> StartNetwork(
    uint8_t seed, Inbox* inbox, libp2p::Libp2pNetworkOptions options = {}) {
  auto network = libp2p::NewLibp2pNetwork(Seed(seed), std::move(options));
  if (!network.ok()) return nullptr;
  if (inbox) (*network)->SetHandler(inbox->Handler());
  if (!(*network)->Start().ok()) return nullptr;
  return std::move(*network);
}

// Makes `a` and `b` know and allow each other.
inline void Introduce(networking::Network& a, networking::Network& b) {
  a.AddPeer(b.LocalPeerId(), b.ListenAddrs());
  b.AddPeer(a.LocalPeerId(), a.ListenAddrs());
  a.SetAllowedPeers({b.LocalPeerId()});
  b.SetAllowedPeers({a.LocalPeerId()});
}

// Send() and wait for its completion (bounded, so a hang fails the test instead of stalling it).
inline Status SendWithin(networking::Network& from, const std::string& to, Bytes message,
                         std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  auto promise = std::make_shared<std::promise<Status>>();
  auto result = promise->get_future();
  from.Send(to, std::move(message), [promise](Status s) { promise->set_value(std::move(s)); });
  if (result.wait_for(limit) != std::future_status::ready)
    return Status(ErrorCode::kTimeout, "test: Send did not complete");
  return result.get();
}

inline Bytes Pattern(size_t size, uint8_t salt) {
  Bytes b(size);
  for (size_t i = 0; i < size; ++i) b[i] = static_cast<uint8_t>((i * 131 + salt) ^ (i >> 9));
  return b;
}

}  // namespace tss::testing

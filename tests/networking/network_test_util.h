// tests/networking/network_test_util.h — helpers for tests that run real libp2p networks over
// loopback TCP: an inbox that collects received messages, send-and-wait with a deadline, and
// waiting for a condition with a deadline (tests wait for what they need, never a fixed time).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
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

// True once `condition` holds, checked every few milliseconds; false if `limit` passes first.
inline bool Eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

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

// Send(), with its outcome as a future (which outlives the test's locals if the test fails early).
inline std::future<Status> SendAsync(networking::Network& from, const std::string& to,
                                     Bytes message) {
  auto promise = std::make_shared<std::promise<Status>>();
  auto result = promise->get_future();
  from.Send(to, std::move(message), [promise](Status s) { promise->set_value(std::move(s)); });
  return result;
}

// Send() and wait for its completion (bounded, so a hang fails the test instead of stalling it).
inline Status SendWithin(networking::Network& from, const std::string& to, Bytes message,
                         std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  auto result = SendAsync(from, to, std::move(message));
  if (result.wait_for(limit) != std::future_status::ready)
    return Status(ErrorCode::kTimeout, "test: Send did not complete");
  return result.get();
}

// Counts the completions of many sends; shared with the callbacks, so it outlives the test's
// locals if the test fails early.
class Completions {
 public:
  networking::SendCallback Callback() {
    return [self = state_](Status s) {
      std::lock_guard lock(self->mu);
      ++self->completed;
      if (!s.ok()) self->failures.push_back(s.ToString());
      self->cv.notify_all();
    };
  }
  // True when `n` sends completed within `limit`.
  bool WaitFor(size_t n, std::chrono::milliseconds limit) {
    std::unique_lock lock(state_->mu);
    return state_->cv.wait_for(lock, limit, [&] { return state_->completed >= n; });
  }
  size_t completed() {
    std::lock_guard lock(state_->mu);
    return state_->completed;
  }
  std::vector<std::string> failures() {
    std::lock_guard lock(state_->mu);
    return state_->failures;
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    size_t completed = 0;
    std::vector<std::string> failures;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

inline Bytes Pattern(size_t size, uint8_t salt) {
  Bytes b(size);
  for (size_t i = 0; i < size; ++i) b[i] = static_cast<uint8_t>((i * 131 + salt) ^ (i >> 9));
  return b;
}

}  // namespace tss::testing

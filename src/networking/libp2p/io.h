// networking/libp2p/io.h — the asynchronous vocabulary the libp2p session layers share.
//
// Owns: `ByteStream` (an ordered, reliable byte stream: a TCP socket, a Noise channel or a yamux
// stream all are one, so multistream-select and the protocols run over any of them), reading
// helpers with explicit bounds, `AsyncSignal` (wakes coroutines waiting for a condition), and
// `Watchdog` (runs an action when a deadline passes — how every timeout here is enforced: the
// action closes whatever the late operation waits on). Everything runs on one Asio executor;
// nothing here is thread-safe. Internal to networking/libp2p: never include from a public header.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility> (g++ 12).
#include <utility>
//
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <span>

#include "common/bytes.h"
#include "common/status.h"

namespace tss::libp2p {

namespace asio = boost::asio;
template <typename T>
using Task = asio::awaitable<T>;
using Executor = asio::any_io_executor;
using Duration = std::chrono::steady_clock::duration;

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Reads between 1 and out.size() bytes; 0 means the peer finished writing (end of stream).
  virtual Task<Result<size_t>> ReadSome(std::span<uint8_t> out) = 0;
  // Writes all of `data` (or fails).
  virtual Task<Status> Write(ByteSpan data) = 0;
  // Half-close: we write no more; reading continues.
  virtual Task<Status> CloseWrite() = 0;
  // Abort both directions now; pending and later operations fail.
  virtual void Reset() = 0;
};

// Reads exactly out.size() bytes; an early end of stream is an error.
Task<Status> ReadExact(ByteStream& stream, std::span<uint8_t> out);
// Reads one minimal uvarint (at most 9 bytes) a byte at a time (every ByteStream buffers).
Task<Result<uint64_t>> ReadUvarint(ByteStream& stream);
// A uvarint length then that many bytes; refuses lengths above `max_length` without reading
// them (kInvalidArgument with "too large" in the message).
Task<Result<Bytes>> ReadLengthPrefixed(ByteStream& stream, size_t max_length);
Task<Status> WriteLengthPrefixed(ByteStream& stream, ByteSpan data);
// Exactly `length` bytes, buffered in steps of at most 1 MiB as they arrive.
Task<Result<Bytes>> ReadBody(ByteStream& stream, size_t length);

// A condition-variable for coroutines on one executor: Wait() suspends until the next
// Notify(). Waiters re-check their condition in a loop, as with std::condition_variable.
class AsyncSignal {
 public:
  explicit AsyncSignal(const Executor& executor);
  Task<void> Wait();
  void Notify();

 private:
  asio::steady_timer timer_;
};

// Calls `on_expire` once, on the executor, if not cancelled (or destroyed) within `timeout`.
class Watchdog {
 public:
  Watchdog(const Executor& executor, Duration timeout, std::function<void()> on_expire);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  void Cancel();
  bool expired() const { return *state_ == State::kFired; }

 private:
  enum class State { kArmed, kFired, kCancelled };
  std::shared_ptr<asio::steady_timer> timer_;
  std::shared_ptr<State> state_;
};

}  // namespace tss::libp2p

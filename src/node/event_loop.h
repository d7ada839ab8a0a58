// node/event_loop.h — the one thread on which a node's coordinator and session manager run.
//
// Owns: a task queue and periodic timers, so the protocol logic never needs locks: the
// network's threads and the timers only Post() work here. Must not touch: what the tasks do.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tss::node {

class EventLoop {
 public:
  using Task = std::function<void()>;
  EventLoop() = default;
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs `task` every `period`, first after one period. Add timers before Start().
  void Every(std::chrono::milliseconds period, Task task);
  void Start();
  // Thread-safe; tasks posted after Stop() are dropped.
  void Post(Task task);
  // Runs the remaining queued tasks, then joins the thread. Idempotent.
  void Stop();
  bool InLoopThread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  struct Timer {
    std::chrono::milliseconds period;
    std::chrono::steady_clock::time_point next;
    Task task;
  };
  void Run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;
  std::vector<Timer> timers_;
  bool stopping_ = false;
  bool running_ = false;
  std::thread thread_;
};

}  // namespace tss::node

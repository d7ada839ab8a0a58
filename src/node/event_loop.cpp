#include "node/event_loop.h"

namespace tss::node {

EventLoop::~EventLoop() {
  Stop();
}

void EventLoop::Every(std::chrono::milliseconds period, Task task) {
  std::lock_guard lock(mu_);
  timers_.push_back({period, std::chrono::steady_clock::now() + period, std::move(task)});
}

void EventLoop::Start() {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] { Run(); });
}

void EventLoop::Post(Task task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void EventLoop::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable() && !InLoopThread()) thread_.join();
}

void EventLoop::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    auto wake = now + std::chrono::hours(1);
    for (auto& t : timers_) wake = std::min(wake, t.next);
    if (tasks_.empty() && !stopping_)
      cv_.wait_until(lock, wake, [&] { return !tasks_.empty() || stopping_; });
    if (stopping_ && tasks_.empty()) return;
    // Due timers first (in order), then whatever was posted; both run unlocked.
    now = std::chrono::steady_clock::now();
    std::vector<Task*> due;
    for (auto& t : timers_)
      if (t.next <= now) {
        t.next = now + t.period;
        due.push_back(&t.task);
      }
    std::deque<Task> batch;
    batch.swap(tasks_);
    lock.unlock();
    if (!stopping_)
      for (Task* t : due) (*t)();
    for (auto& t : batch) t();
    lock.lock();
  }
}

}  // namespace tss::node

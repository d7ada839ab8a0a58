#include "networking/fault_network.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "common/check.h"

namespace tss::networking {

namespace {
// What the real network reports when no acknowledgement came in time.
Status Dropped() {
  return Status(ErrorCode::kTimeout, "no acknowledgement (dropped by fault injection)");
}
}  // namespace

FaultNetwork::FaultNetwork(std::unique_ptr<Network> inner, FaultPolicy policy, uint64_t seed)
    : inner_(std::move(inner)), self_(inner_->LocalPeerId()), policy_(policy), rng_(seed) {}

FaultNetwork::~FaultNetwork() {
  Stop();
}

Status FaultNetwork::Start() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return Status(ErrorCode::kUnavailable, "the network was stopped");
    if (started_) return Status::Ok();
  }
  TSS_RETURN_IF_ERROR(inner_->Start());
  std::lock_guard lock(mu_);
  started_ = true;
  timer_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void FaultNetwork::Stop() {
  TSS_DCHECK(std::this_thread::get_id() != timer_.get_id());  // not from a callback of ours
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  wake_.notify_all();
  if (timer_.joinable()) timer_.join();
  // The timer thread is gone: what it still had is ours alone to complete.
  std::vector<std::pair<SendCallback, Status>> unfinished;
  {
    std::lock_guard lock(mu_);
    const Status stopped(ErrorCode::kUnavailable, "the network stopped before sending");
    for (auto& [when, timer] : timers_) {
      if (timer.action == Action::kCompleteDropped)
        unfinished.emplace_back(std::move(timer.out.done), Dropped());
      if (timer.action != Action::kSend) continue;  // a kReleaseHeld's message is in held_
      ++stats_.discarded_at_stop;
      unfinished.emplace_back(std::move(timer.out.done), stopped);
    }
    for (auto& [peer, out] : held_) {
      ++stats_.discarded_at_stop;
      unfinished.emplace_back(std::move(out.done), stopped);
    }
    timers_.clear();
    held_.clear();
  }
  for (auto& [done, status] : unfinished)
    if (done) done(status);
  inner_->Stop();
}

std::string FaultNetwork::LocalPeerId() const {
  return self_;
}

std::vector<std::string> FaultNetwork::ListenAddrs() const {
  return inner_->ListenAddrs();
}

void FaultNetwork::AddPeer(const std::string& peer_id, const std::vector<std::string>& addrs) {
  inner_->AddPeer(peer_id, addrs);
}

void FaultNetwork::SetAllowedPeers(const std::set<std::string>& peer_ids) {
  inner_->SetAllowedPeers(peer_ids);
}

void FaultNetwork::SetHandler(MessageHandler handler) {
  inner_->SetHandler([this, handler = std::move(handler)](const std::string& peer, Bytes message) {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      if (CutOff(peer)) {
        ++stats_.cut_off_receives;
        return;
      }
    }
    handler(peer, std::move(message));
  });
}

void FaultNetwork::Send(const std::string& peer_id, Bytes message, SendCallback done) {
  if (peer_id == self_) return inner_->Send(peer_id, std::move(message), std::move(done));
  std::unique_lock lock(mu_);
  if (stopped_) {
    lock.unlock();
    if (done) done(Status(ErrorCode::kUnavailable, "the network was stopped"));
    return;
  }
  Outgoing out{peer_id, std::move(message), std::move(done), next_seq_++};
  // Every draw is made for every message, so one seed gives one sequence of decisions
  // whatever the policy.
  const bool drop = Chance(policy_.drop);
  out.duplicate = Chance(policy_.duplicate);
  const bool hold = Chance(policy_.reorder);
  out.delayed = Chance(policy_.delay);
  const auto max_delay = std::max<int64_t>(policy_.max_delay.count(), 1);
  const auto delay =
      std::chrono::milliseconds(std::uniform_int_distribution<int64_t>(1, max_delay)(rng_));
  const auto now = Clock::now();
  if (drop) {
    ++stats_.dropped;
    return Schedule(now + policy_.drop_completion, {Action::kCompleteDropped, std::move(out)});
  }
  if (hold && !held_.count(peer_id)) {
    out.delayed = false;
    Schedule(now + policy_.max_hold, {Action::kReleaseHeld, {peer_id, {}, nullptr, out.seq}});
    held_.emplace(peer_id, std::move(out));
    return;
  }
  auto at = out.delayed ? now + delay : now;
  auto& last = last_due_[peer_id];
  at = std::max(at, last);
  last = at;
  Schedule(at, {Action::kSend, std::move(out)});
}

NetworkStats FaultNetwork::Stats() const {
  return inner_->Stats();
}

void FaultNetwork::Connect(const std::string& peer_id) {
  {
    std::lock_guard lock(mu_);
    if (CutOff(peer_id)) return;  // a partition lets no dial through either
  }
  inner_->Connect(peer_id);
}

PeerLiveness FaultNetwork::LivenessOf(const std::string& peer_id) const {
  // A partition ends connections (or their pings) in a real network: a cut-off peer is
  // unreachable, whatever the inner network still shows.
  {
    std::lock_guard lock(mu_);
    if (CutOff(peer_id)) return PeerLiveness::kUnreachable;
  }
  return inner_->LivenessOf(peer_id);
}

void FaultNetwork::SetPolicy(const FaultPolicy& policy) {
  std::lock_guard lock(mu_);
  policy_ = policy;
}

void FaultNetwork::Partition(std::set<std::string> peer_ids) {
  std::lock_guard lock(mu_);
  cut_off_ = std::move(peer_ids);
}

FaultStats FaultNetwork::Faults() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool FaultNetwork::CutOff(const std::string& peer) const {
  return cut_off_.count(peer) || cut_off_.count(self_);
}

bool FaultNetwork::Chance(double probability) {
  return std::uniform_real_distribution<double>(0, 1)(rng_) < probability;
}

void FaultNetwork::Schedule(Clock::time_point at, Timer timer) {
  const uint64_t seq = timer.out.seq;
  timers_.emplace(std::make_pair(at, seq), std::move(timer));
  wake_.notify_one();
}

void FaultNetwork::Run() {
  std::unique_lock lock(mu_);
  while (!stopped_) {
    if (timers_.empty()) {
      wake_.wait(lock);
      continue;
    }
    auto first = timers_.begin();
    if (first->first.first > Clock::now()) {
      wake_.wait_until(lock, first->first.first);
      continue;
    }
    Timer timer = std::move(first->second);
    timers_.erase(first);
    Fire(std::move(timer), lock);
  }
}

void FaultNetwork::Fire(Timer timer, std::unique_lock<std::mutex>& lock) {
  Outgoing& out = timer.out;
  std::optional<Outgoing> after;  // a held message that goes right behind `out`
  switch (timer.action) {
    case Action::kCompleteDropped:
      lock.unlock();
      if (out.done) out.done(Dropped());
      lock.lock();
      return;
    case Action::kReleaseHeld: {
      auto it = held_.find(out.peer);
      if (it == held_.end() || it->second.seq != out.seq) return;  // a later message took it
      ++stats_.held_released;
      out = std::move(it->second);
      held_.erase(it);
      break;
    }
    case Action::kSend:
      // A message held back before this one was sent goes after it: the two are reordered.
      if (auto it = held_.find(out.peer); it != held_.end() && it->second.seq < out.seq) {
        ++stats_.reordered;
        after = std::move(it->second);
        held_.erase(it);
      }
      break;
  }
  std::vector<Outgoing> go;
  go.push_back(std::move(out));
  if (after) go.push_back(std::move(*after));
  std::vector<SendCallback> refused;
  std::vector<Outgoing> sent;
  for (auto& o : go) {
    if (CutOff(o.peer)) {
      ++stats_.cut_off_sends;
      refused.push_back(std::move(o.done));
      continue;
    }
    ++stats_.sent;
    stats_.duplicated += o.duplicate;
    stats_.delayed += o.delayed;
    sent.push_back(std::move(o));
  }
  lock.unlock();
  for (auto& done : refused)
    if (done) done(Status(ErrorCode::kUnavailable, "cut off by a partition"));
  for (auto& o : sent) Transmit(std::move(o));
  lock.lock();
}

void FaultNetwork::Transmit(Outgoing out) {
  if (!out.duplicate) return inner_->Send(out.peer, std::move(out.message), std::move(out.done));
  Bytes copy = out.message;
  inner_->Send(out.peer, std::move(out.message), std::move(out.done));
  inner_->Send(out.peer, std::move(copy));  // its outcome is the first copy's
}

}  // namespace tss::networking

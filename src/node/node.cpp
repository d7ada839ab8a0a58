#include "node/node.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "common/crash_point.h"

namespace tss::node {

using core::MessageType;
using core::NodeMessage;

namespace {
// The crash point (common/crash_point.h) that another node's acknowledgement of `m` reaches;
// protocol null when none does. Named at send time, on the loop, where our session of the event
// says which protocol a step or an ACK belongs to.
struct SentPoint {
  const char* protocol = nullptr;
  const char* phase = "";
  int round = 0;
};
SentPoint SentPointOf(Duties& duties, const NodeMessage& m) {
  auto session = [&]() -> const char* {
    auto p = duties.sessions().ProtocolOf(m.event_id);
    return p ? core::ProtocolTypeName(*p) : nullptr;
  };
  switch (m.type) {
    case MessageType::kSetup:
      return {core::ProtocolTypeName(m.setup.protocol), "setup.sent"};
    case MessageType::kAck:
      return {session(), "ack.sent"};
    case MessageType::kBegin:  // the coordinator's own session of the event has its setup
      return {session(), "begin.sent"};
    case MessageType::kStep:
      return {session(), "round.sent", m.step.round};
    case MessageType::kResult:
      return {"sign", "result.sent"};
    case MessageType::kCommit: {
      // The session may be gone (an ask, or activation's notice); a keygen makes generation 0
      // and every refresh a later one (core::NewKey).
      const char* protocol = m.commit.generation == 0 ? "keygen" : "keyrefresh";
      if (m.commit.stage == core::CommitStage::kConfirm) return {protocol, "confirm.sent"};
      if (m.commit.stage == core::CommitStage::kActive) return {protocol, "active.sent"};
      return {};
    }
    case MessageType::kNack:
      return {};
  }
  return {};
}
}  // namespace

// The session manager and coordinator send through this; it runs on the loop thread.
class Node::LoopOutbox final : public core::Outbox {
 public:
  explicit LoopOutbox(Node& node) : node_(node) {}
  void Send(const std::string& to, const NodeMessage& m) override { node_.Send(to, m); }

 private:
  Node& node_;
};

Result<std::unique_ptr<Node>> Node::NewNode(NodeConfig config, NodeParts parts) {
  if (config.validator_address.empty()) return InvalidArgument("a validator address is required");
  if (!parts.network || !parts.events || !parts.keys || !parts.protocols || !parts.registry ||
      !parts.blocks || !parts.clock || !parts.rng)
    return InvalidArgument("node parts are incomplete");
  return std::unique_ptr<Node>(new Node(std::move(config), std::move(parts)));
}

Node::Node(NodeConfig config, NodeParts parts)
    : config_(std::move(config)),
      parts_(std::move(parts)),
      validators_(config_.coordinator_range),
      outbox_(std::make_unique<LoopOutbox>(*this)) {
  duties_ = std::make_unique<Duties>(
      config_, core::NodeEnv{*parts_.events, *parts_.keys, *outbox_, *parts_.blocks, *parts_.clock,
                             *parts_.rng, *parts_.protocols, validators_,
                             [this] { return loop_.InLoopThread(); },
                             [this](const std::string& address) { return IsLive(address); }});
}

namespace {
coordinator::CoordinatorConfig CoordinatorConfigOf(const NodeConfig& c) {
  coordinator::CoordinatorConfig cc;
  cc.my_address = c.validator_address;
  cc.ack_timeout = c.ack_timeout;
  cc.takeover_blocks = c.takeover_blocks;
  return cc;
}
sessionmanager::SessionManagerConfig SessionConfigOf(const NodeConfig& c,
                                                     const coordinator::Coordinator& coordinator) {
  sessionmanager::SessionManagerConfig sc;
  sc.my_address = c.validator_address;
  sc.session_expiry = c.session_expiry;
  sc.retry_delay_blocks = c.retry_delay_blocks;
  sc.takeover_blocks = c.takeover_blocks;
  // Another coordinator's unbegun attempt is held a little longer than that coordinator waits
  // for ACKs, so it has given up before we answer anyone else (session_manager.h).
  sc.setup_hold = c.ack_timeout + std::chrono::milliseconds(500);
  sc.own_attempt_waiting = [&coordinator](const std::string& event_id,
                                          const core::SessionId& session_id) {
    return coordinator.Waiting(event_id, session_id);
  };
  return sc;
}
}  // namespace

Duties::Duties(const NodeConfig& config, core::NodeEnv env)
    : coordinator_(CoordinatorConfigOf(config), env),
      sessions_(SessionConfigOf(config, coordinator_), std::move(env)) {}

void Duties::Dispatch(const std::string& from, const NodeMessage& m) {
  switch (m.type) {
    case MessageType::kAck:
      return coordinator_.OnAck(from, m);
    case MessageType::kNack:
      return coordinator_.OnNack(from, m);
    case MessageType::kSetup:
    case MessageType::kBegin:
    case MessageType::kStep:
    case MessageType::kResult:
    case MessageType::kCommit:
      return sessions_.HandleMessage(from, m);
  }
}

Node::~Node() {
  Stop();
}

std::string Node::peer_id() const {
  return parts_.network->LocalPeerId();
}

Status Node::Start() {
  if (started_) return Status::Ok();
  // 2. The network (messages are queued to the loop, which runs from step 4 on).
  parts_.network->SetHandler(
      [this](const std::string& peer, Bytes bytes) { OnNetworkMessage(peer, std::move(bytes)); });
  TSS_RETURN_IF_ERROR(parts_.network->Start());
  // 3. Crash recovery: sessions died with the previous process; their events go back to PENDING.
  auto reset = parts_.events->ResetInProgressToPending();
  if (!reset.ok()) {
    parts_.network->Stop();
    return reset.status();
  }
  if (*reset) spdlog::info("crash recovery: {} IN_PROGRESS event(s) reset to PENDING", *reset);
  // 6 (before 4 so that the first poll already knows the validators). Registry entry.
  RegistryEntry own{config_.validator_address,
                    parts_.network->LocalPeerId(),
                    parts_.network->ListenAddrs(),
                    config_.db_url,
                    config_.leaving,
                    config_.api_url};
  if (Status st = parts_.registry->Upsert(own); !st.ok()) {
    parts_.network->Stop();
    return st;
  }
  RefreshRegistry();
  // Our peers saw our connections close when we stopped, and count us unreachable until one
  // opens again: a primary they count unreachable is bypassed by its backups, which then
  // contend with it for every event. So we open them now rather than at our first message.
  for (const auto& v : validators_.Known())
    if (v != config_.validator_address)
      if (auto peer = validators_.PeerOf(v)) parts_.network->Connect(*peer);
  // 4. Coordinator polling; 5. session expiry checker; and keeping the registry view fresh.
  // The registry is re-read before every poll, and by a timer of its own each second when polls
  // are rarer than that: a coordinator acting on a stale validator set would start a keygen
  // without the newest validators, and a stale allowed set refuses their messages.
  loop_.Every(config_.poll_interval, [this] {
    RefreshRegistry();
    NoteLiveness();
    duties_->sessions().ReleaseOrphans();  // events a dead coordinator left unbegun
    duties_->coordinator().Poll();
    std::lock_guard lock(mu_);
    drops_seen_ = duties_->sessions().drops();
  });
  auto expiry_period = std::clamp(config_.session_expiry / 4, std::chrono::milliseconds(100),
                                  std::chrono::milliseconds(5000));
  loop_.Every(expiry_period, [this] { duties_->sessions().CheckExpiry(); });
  if (config_.poll_interval > std::chrono::milliseconds(1000))
    loop_.Every(std::chrono::milliseconds(1000), [this] { RefreshRegistry(); });
  // On the loop, so that a loop that is stuck stops beating: a node whose heartbeat is stale
  // is not working events, whatever its process is doing.
  started_at_ms_ = core::UnixMillis();
  Beat(/*stopped=*/false);
  loop_.Every(config_.heartbeat_interval, [this] { Beat(/*stopped=*/false); });
  loop_.Start();
  started_ = true;
  spdlog::info("node {} started: peer id {}, listening on {}", config_.validator_address,
               parts_.network->LocalPeerId(),
               parts_.network->ListenAddrs().empty() ? "?" : parts_.network->ListenAddrs().front());
  return Status::Ok();
}

void Node::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  parts_.network->Stop();
  loop_.Stop();
  Beat(/*stopped=*/true);  // the loop has ended: this is the last beat
  spdlog::info("node {} stopped", config_.validator_address);
}

void Node::RefreshRegistry() {
  auto entries = parts_.registry->Read();
  if (!entries.ok()) {
    spdlog::warn("reading the registry failed: {}", entries.status().ToString());
    return;
  }
  if (*entries == registry_seen_) return;  // the usual case: nothing to re-apply
  registry_seen_ = *entries;
  std::vector<core::Validator> validators;
  std::set<std::string> peers;
  for (const auto& e : *entries) {
    if (e.validator_address.empty() || e.peer_id.empty()) continue;
    validators.push_back({e.validator_address, e.peer_id, e.leaving});
    if (e.validator_address != config_.validator_address) {
      peers.insert(e.peer_id);
      parts_.network->AddPeer(e.peer_id, e.multiaddrs);
    }
  }
  parts_.network->SetAllowedPeers(peers);
  validators_.Replace(std::move(validators));
  // Keys whose holders are not the validators registered now want a quorum change: said once
  // per registry change.
  if (auto ids = parts_.keys->List(); ids.ok())
    for (const auto& id : *ids)
      if (auto record = parts_.keys->Load(id); record.ok() && record->Active())
        sessionmanager::LogHoldersDiffer(*record, validators_.Addresses());
  // The heartbeat lists our view of every validator: a validator set that grew would otherwise
  // be missing from `tss status` until the next beat (an e2e test read it in between).
  if (started_at_ms_ != 0) Beat(/*stopped=*/false);
}

void Node::OnNetworkMessage(const std::string& peer_id, Bytes bytes) {
  // The one sender check: the network authenticated the peer id, the registry names its
  // validator, and that address is the sender every later check uses.
  auto from = validators_.AddressOf(peer_id);
  if (!from) {
    std::lock_guard lock(mu_);
    ++stats_.dropped_unknown_peer;
    spdlog::warn("dropped a message from {}: not a registered validator", peer_id);
    return;
  }
  auto message = NodeMessage::Decode(bytes);
  Wipe(bytes.data(), bytes.size());  // a step may carry secret share evaluations
  {
    std::lock_guard lock(mu_);
    ++stats_.messages_in;
    if (!message.ok()) ++stats_.dropped_undecodable;
  }
  if (!message.ok()) {
    spdlog::warn("dropped a message from {}: {}", *from, message.status().message());
    return;
  }
  loop_.Post([this, from = std::move(*from), m = std::move(*message)]() mutable {
    duties_->Dispatch(from, m);
    Wipe(m.step.payload.data(), m.step.payload.size());
  });
}

void Node::Send(const std::string& to, const NodeMessage& message) {
  if (to == config_.validator_address) {
    // Our own share of the work goes through the same checks as everyone else's.
    loop_.Post([this, m = message] { duties_->Dispatch(config_.validator_address, m); });
    return;
  }
  auto peer = validators_.PeerOf(to);
  if (!peer) {
    spdlog::warn("cannot send {} to {}: not in the registry", core::MessageTypeName(message.type),
                 to);
    return;
  }
  {
    std::lock_guard lock(mu_);
    ++stats_.messages_out;
  }
  const SentPoint sent =
      crash::Armed() && loop_.InLoopThread() ? SentPointOf(*duties_, message) : SentPoint{};
  // The network resends until the peer acknowledges the message or the send deadline passes
  // (libp2p_network.h); a failure here is final, and the sessions' own timeouts take over.
  parts_.network->Send(*peer, message.Encode(), [this, peer = *peer, sent](const Status& st) {
    if (st.ok()) {
      if (sent.protocol) crash::At(sent.protocol, sent.phase, sent.round);
      return;
    }
    std::lock_guard lock(mu_);
    ++stats_.sends_failed;
    spdlog::warn("send to {} failed: {}", peer, st.ToString());
  });
}

bool Node::IsLive(const std::string& address) const {
  if (address == config_.validator_address) return true;
  auto peer = validators_.PeerOf(address);
  if (!peer) return false;
  return parts_.network->LivenessOf(*peer) != networking::PeerLiveness::kUnreachable;
}

void Node::Beat(bool stopped) {
  core::Heartbeat beat;
  beat.validator = config_.validator_address;
  beat.beat_at = core::UnixMillis();
  beat.started_at = started_at_ms_;
  beat.interval_ms = config_.heartbeat_interval.count();
  beat.stopped = stopped;
  for (const auto& address : validators_.Known()) {
    if (address == config_.validator_address) continue;
    auto peer = validators_.PeerOf(address);
    beat.peers[address] = networking::PeerLivenessName(peer ? parts_.network->LivenessOf(*peer)
                                                            : networking::PeerLiveness::kUnknown);
  }
  // A missed beat only makes the node look stopped for a while; the events are unaffected.
  if (Status st = parts_.events->SaveHeartbeat(beat); !st.ok())
    spdlog::warn("writing the heartbeat failed: {}", st.ToString());
}

void Node::NoteLiveness() {
  for (const auto& v : validators_.Known()) {
    if (v == config_.validator_address) continue;
    const bool live = IsLive(v);
    auto [seen, first] = live_seen_.try_emplace(v, live);
    if (first && live) continue;  // the usual start: nothing to report
    if (!first && seen->second == live) continue;
    seen->second = live;
    if (live)
      spdlog::info("validator {} is reachable again", v);
    else
      spdlog::warn("validator {} is unreachable (our connection to it closed, or a dial failed)",
                   v);
  }
}

coordinator::CoordinatorStats Node::coordinator_stats() const {
  return duties_->coordinator().stats();
}

NodeSnapshot Node::Snapshot() {
  NodeSnapshot s;
  s.running = started_ && !stopped_;
  s.network = parts_.network->Stats();
  s.coordinator = duties_->coordinator().stats();
  const auto addresses = validators_.Addresses();
  s.validators = addresses.size();
  for (const auto& v : addresses) {
    if (v == config_.validator_address) continue;
    auto peer = validators_.PeerOf(v);
    if (peer && parts_.network->LivenessOf(*peer) == networking::PeerLiveness::kConnected)
      ++s.peers_connected;
  }
  std::lock_guard lock(mu_);
  s.stats = stats_;
  s.drops = drops_seen_;
  return s;
}

NodeStats Node::stats() {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace tss::node

#include "sessionmanager/session_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "coordinator/selection.h"

namespace tss::sessionmanager {

using namespace coordinator;

struct SessionManager::Session {
  std::string event_id;
  SessionId session_id{};
  SetupBody setup;
  std::string coordinator;
  int my_party = 0;                          // 0: observer (a key holder not signing this time)
  std::map<int, std::string> party_address;  // protocol party index -> validator
  std::map<std::string, int> address_party;
  std::optional<KeyRecord> key;
  std::unique_ptr<ProtocolSession> protocol;
  bool started = false;
  std::vector<std::pair<int, Bytes>> early_steps;
  std::chrono::steady_clock::time_point last_activity;
};

SessionManager::SessionManager(SessionManagerConfig config, EventAccess& events, KeyAccess& keys,
                               Outbox& outbox, BlockSource& blocks, Clock& clock,
                               ProtocolFactory& protocols, Coordinator& coordinator)
    : config_(std::move(config)),
      events_(events),
      keys_(keys),
      outbox_(outbox),
      blocks_(blocks),
      clock_(clock),
      protocols_(protocols),
      coordinator_(coordinator) {}

SessionManager::~SessionManager() = default;

void SessionManager::HandleIncomingMessage(const std::string& from, const NodeMessage& m) {
  switch (m.type) {
    case MessageType::kSetup:
      return HandleSetup(from, m);
    case MessageType::kAck:
      return coordinator_.OnAck(from, m);
    case MessageType::kNack:
      return coordinator_.OnNack(from, m);
    case MessageType::kBegin:
      return HandleBegin(from, m);
    case MessageType::kStep:
      return HandleStep(from, m);
    case MessageType::kResult:
      return HandleResult(from, m);
  }
}

void SessionManager::Drop(uint64_t& counter, const std::string& from, const NodeMessage& m,
                          const std::string& why) {
  ++counter;
  spdlog::warn("dropped {} for event {} from {}: {}", MessageTypeName(m.type), m.event_id, from,
               why);
}

void SessionManager::Nack(const std::string& to, const NodeMessage& m, const std::string& reason) {
  spdlog::info("event {}: declining setup from {}: {}", m.event_id, to, reason);
  NodeMessage nack;
  nack.type = MessageType::kNack;
  nack.event_id = m.event_id;
  nack.session_id = m.session_id;
  nack.reason = reason;
  outbox_.Send(to, nack);
}

SessionManager::Session* SessionManager::Find(const NodeMessage& m) {
  auto it = sessions_.find(m.event_id);
  if (it == sessions_.end() || it->second->session_id != m.session_id) return nullptr;
  return it->second.get();
}

Status SessionManager::ValidateSetup(const std::string& from, const NodeMessage& m,
                                     const EventView& event, std::optional<KeyRecord>& key) {
  const SetupBody& s = m.setup;
  auto expected = coordinator_.CoordinatorAt(s.block_number);
  if (!expected || *expected != from)
    return InvalidArgument("the coordinator at block " + std::to_string(s.block_number) + " is " +
                           expected.value_or("nobody") + ", not " + from);
  uint64_t block = blocks_.CurrentBlock();
  if (s.block_number + config_.max_block_skew < block ||
      s.block_number > block + config_.max_block_skew)
    return InvalidArgument("setup block " + std::to_string(s.block_number) +
                           " is too far from ours (" + std::to_string(block) + ")");
  if (DeriveSessionId(m.event_id, s) != m.session_id)
    return InvalidArgument("session id does not match the setup");
  // Our own copy of the event decides what we agree to do: a coordinator cannot make us sign a
  // hash, or use a key, that our database did not ask for.
  if (event.protocol != s.protocol)
    return InvalidArgument(std::string("our event is ") + ProtocolTypeName(event.protocol) +
                           ", the setup says " + ProtocolTypeName(s.protocol));
  if (event.key_id != s.key_id) return InvalidArgument("key id differs from our event's");
  if (event.message_hash != s.message_hash)
    return InvalidArgument("message hash differs from our event's");
  if (event.chain_path != s.chain_path)
    return InvalidArgument("chain path differs from our event's");
  const auto& validators = coordinator_.validators();
  for (const auto& p : s.participants)
    if (!std::binary_search(validators.begin(), validators.end(), p))
      return InvalidArgument("participant " + p + " is not a registered validator");
  if (s.protocol == ProtocolType::kKeygen) {
    // Seed: all eligible validators take part. A coordinator whose registry view lags ours
    // would otherwise make a key that the newest validators hold no share of.
    std::vector<std::string> sorted = s.participants;
    std::sort(sorted.begin(), sorted.end());
    if (sorted != validators)
      return InvalidArgument("keygen must include every registered validator (we see " +
                             std::to_string(validators.size()) + ", the setup has " +
                             std::to_string(s.participants.size()) + ")");
    if (s.threshold != Threshold(static_cast<int>(s.participants.size())))
      return InvalidArgument("threshold is not floor(2n/3)+1");
    if (!event.key_id.empty() && keys_.Exists(event.key_id))
      return InvalidArgument("key " + event.key_id + " exists");
    return Status::Ok();
  }
  auto loaded = keys_.Load(s.key_id);
  if (!loaded.ok())
    return InvalidArgument("cannot load key " + s.key_id + ": " + loaded.status().message());
  key = std::move(*loaded);
  if (s.threshold != key->threshold) return InvalidArgument("threshold differs from the key's");
  if (s.protocol == ProtocolType::kKeyrefresh) {
    if (s.participants != key->participants)
      return InvalidArgument("keyrefresh must include every key holder");
    return Status::Ok();
  }
  if (s.participants.size() != key->threshold)
    return InvalidArgument("sign needs exactly threshold participants");
  for (const auto& p : s.participants)
    if (!std::count(key->participants.begin(), key->participants.end(), p))
      return InvalidArgument("signer " + p + " holds no share of this key");
  return Status::Ok();
}

void SessionManager::HandleSetup(const std::string& from, const NodeMessage& m) {
  auto event = events_.Get(m.event_id);
  if (!event.ok()) {
    spdlog::error("event {}: reading it failed: {}", m.event_id, event.status().ToString());
    return Nack(from, m, "cannot read the event");
  }
  if (!event->has_value())
    return Nack(from, m, "unknown event");  // the CLI may not have reached us yet
  const EventView& ev = **event;
  if (ev.status != EventStatus::kPending && ev.status != EventStatus::kInProgress)
    return Nack(from, m, std::string("event is ") + EventStatusName(ev.status));
  if (auto it = sessions_.find(m.event_id); it != sessions_.end()) {
    const Session& held = *it->second;
    if (held.session_id == m.session_id) return;  // duplicate setup
    // A new attempt may replace one that never began (the coordinator gave up on it), but
    // never a protocol run under way: parties of one run switching to another at different
    // moments is how a keygen ends with some holding a share and others not. That run ends
    // by itself (done, failed, or expired); the coordinator retries after it.
    if (held.started) return Nack(from, m, "a session of this event is running");
    // Nor may an older attempt's setup, arriving late (a retried send), replace a newer one.
    if (m.setup.block_number < held.setup.block_number)
      return Drop(drops_.unknown_session, from, m, "setup of an older attempt than ours");
  }
  std::optional<KeyRecord> key;
  if (Status st = ValidateSetup(from, m, ev, key); !st.ok()) {
    Drop(drops_.invalid_setup, from, m, st.message());
    return Nack(from, m, st.message());
  }

  auto s = std::make_unique<Session>();
  s->event_id = m.event_id;
  s->session_id = m.session_id;
  s->setup = m.setup;
  s->coordinator = from;
  s->last_activity = clock_.Now();
  // Party indices are fixed at keygen: position in the key's holder list, plus one.
  const auto& holders = key ? key->participants : m.setup.participants;
  for (size_t i = 0; i < holders.size(); ++i) {
    if (!std::count(m.setup.participants.begin(), m.setup.participants.end(), holders[i])) continue;
    s->party_address[static_cast<int>(i + 1)] = holders[i];
    s->address_party[holders[i]] = static_cast<int>(i + 1);
  }
  bool observer = !s->address_party.count(config_.my_address);
  if (observer && !(key && std::count(key->participants.begin(), key->participants.end(),
                                      config_.my_address))) {
    return Drop(drops_.invalid_setup, from, m, "we are neither a participant nor a key holder");
  }
  if (!observer) {
    s->my_party = s->address_party[config_.my_address];
    auto protocol =
        protocols_.Create(m.event_id, m.setup, m.session_id, s->my_party, key ? &*key : nullptr);
    if (!protocol.ok())
      return Nack(from, m, "cannot start the protocol: " + protocol.status().message());
    s->protocol = std::move(*protocol);
  }
  s->key = std::move(key);
  if (ev.status == EventStatus::kPending) {
    auto moved = events_.Move(m.event_id, EventStatus::kPending, EventStatus::kInProgress, {});
    if (!moved.ok() || !*moved) return Nack(from, m, "event changed state meanwhile");
  }
  // A new attempt replaces an unbegun older one of the same event (see above).
  sessions_[m.event_id] = std::move(s);
  spdlog::info("event {}: session created ({} as {})", m.event_id,
               ProtocolTypeName(m.setup.protocol),
               observer ? "observer" : "party " + std::to_string(sessions_[m.event_id]->my_party));
  if (observer) return;
  NodeMessage ack;
  ack.type = MessageType::kAck;
  ack.event_id = m.event_id;
  ack.session_id = m.session_id;
  outbox_.Send(from, ack);
}

void SessionManager::HandleBegin(const std::string& from, const NodeMessage& m) {
  Session* s = Find(m);
  if (!s) return Drop(drops_.unknown_session, from, m, "no such session");
  if (from != s->coordinator)
    return Drop(drops_.bad_sender, from, m, "begin must come from the coordinator");
  if (s->started || !s->protocol) return;
  s->started = true;
  s->last_activity = clock_.Now();
  auto out = s->protocol->Start();
  if (!out.ok()) return Fail(*s, out.status());
  std::string event_id = s->event_id;
  Route(*s, std::move(*out));
  // Steps that raced ahead of our begin.
  auto early = std::move(s->early_steps);
  for (auto& [party, payload] : early) {
    auto it = sessions_.find(event_id);
    if (it == sessions_.end() || it->second.get() != s) return;  // finished or failed meanwhile
    Deliver(*s, party, payload);
  }
}

void SessionManager::HandleStep(const std::string& from, const NodeMessage& m) {
  Session* s = Find(m);
  if (!s) return Drop(drops_.unknown_session, from, m, "no such session");
  auto party = s->address_party.find(from);
  if (party == s->address_party.end() || !s->protocol)
    return Drop(drops_.bad_sender, from, m, "sender is not a participant of this session");
  s->last_activity = clock_.Now();
  if (!s->started) {
    if (s->early_steps.size() >= config_.max_early_steps)
      return Drop(drops_.buffer_full, from, m, "buffer full");
    s->early_steps.emplace_back(party->second, m.payload);
    return;
  }
  Deliver(*s, party->second, m.payload);
}

void SessionManager::Deliver(Session& s, int from_party, ByteSpan payload) {
  auto out = s.protocol->Handle(from_party, payload);
  if (!out.ok()) return Fail(s, out.status());
  Route(s, std::move(*out));
  if (s.protocol->Done()) Finish(s);
}

void SessionManager::Route(Session& s, std::vector<ProtocolSession::Outgoing> out) {
  for (auto& o : out) {
    NodeMessage step;
    step.type = MessageType::kStep;
    step.event_id = s.event_id;
    step.session_id = s.session_id;
    step.payload = std::move(o.payload);
    if (o.to_party) {
      auto it = s.party_address.find(*o.to_party);
      if (it != s.party_address.end()) outbox_.Send(it->second, step);
      continue;
    }
    for (const auto& [party, address] : s.party_address)
      if (party != s.my_party) outbox_.Send(address, step);
  }
}

void SessionManager::Finish(Session& s) {
  auto outcome = s.protocol->Finish();
  if (!outcome.ok()) return Fail(s, outcome.status());
  if (outcome->key) {
    bool replace = s.setup.protocol == ProtocolType::kKeyrefresh;
    if (Status st = keys_.Save(*outcome->key, replace); !st.ok()) return Fail(s, st);
  }
  auto moved = events_.Move(s.event_id, EventStatus::kInProgress, EventStatus::kSuccess,
                            Transition{std::nullopt, outcome->result_json, ""});
  if (!moved.ok() || !*moved)
    spdlog::error("event {}: finished but could not record SUCCESS: {}", s.event_id,
                  moved.ok() ? "event was no longer IN_PROGRESS" : moved.status().ToString());
  else
    spdlog::info("event {}: SUCCESS", s.event_id);
  if (s.setup.protocol == ProtocolType::kSign) SaveSignature(s.event_id, outcome->result_json);
  if (s.setup.protocol == ProtocolType::kSign && s.key) {
    NodeMessage result;
    result.type = MessageType::kResult;
    result.event_id = s.event_id;
    result.session_id = s.session_id;
    result.payload.assign(outcome->result_json.begin(), outcome->result_json.end());
    for (const auto& holder : s.key->participants)
      if (!s.address_party.count(holder)) outbox_.Send(holder, result);
  }
  std::string event_id = s.event_id;  // erasing destroys s
  sessions_.erase(event_id);
}

void SessionManager::SaveSignature(const std::string& event_id, const std::string& result_json) {
  // The event row already holds the result, so a failure here is logged, not fatal.
  if (Status st = keys_.SaveSignature(event_id, result_json); !st.ok())
    spdlog::error("event {}: could not file the signature: {}", event_id, st.ToString());
}

void SessionManager::Fail(Session& s, const Status& why) {
  std::string culprit;
  if (why.culprit()) {
    auto it = s.party_address.find(*why.culprit());
    culprit = it != s.party_address.end() ? it->second : "party " + std::to_string(*why.culprit());
  }
  std::string error = culprit.empty() ? why.message() : "culprit " + culprit + ": " + why.message();
  spdlog::error("event {}: protocol failed: {}", s.event_id, error);
  auto moved = events_.Move(s.event_id, EventStatus::kInProgress, EventStatus::kFailed,
                            Transition{std::nullopt, "", error});
  if (!moved.ok())
    spdlog::error("event {}: could not record FAILED: {}", s.event_id, moved.status().ToString());
  std::string event_id = s.event_id;  // erasing destroys s
  sessions_.erase(event_id);
}

void SessionManager::HandleResult(const std::string& from, const NodeMessage& m) {
  Session* s = Find(m);
  if (!s) return HandleResultWithoutSession(from, m);
  if (s->protocol || !s->key) return Drop(drops_.bad_sender, from, m, "we take part ourselves");
  if (!s->address_party.count(from))
    return Drop(drops_.bad_sender, from, m, "sender is not a signer");
  std::string result(m.payload.begin(), m.payload.end());
  if (Status st = protocols_.VerifyResult(s->setup, *s->key, result); !st.ok())
    return Drop(drops_.bad_sender, from, m, "result does not verify: " + st.message());
  auto moved = events_.Move(s->event_id, EventStatus::kInProgress, EventStatus::kSuccess,
                            Transition{std::nullopt, result, ""});
  if (moved.ok() && *moved) {
    spdlog::info("event {}: SUCCESS (observed, signature verified)", s->event_id);
    SaveSignature(s->event_id, result);
  }
  sessions_.erase(m.event_id);
}

// A key holder that never took part in the signing run has no session when the signers report:
// the setup reached it before its own copy of the event did (it declined; the coordinator does
// not wait for observers), or the setup was lost. Its copy would stay PENDING for good. It
// checks the signature against its own copy of the event and its own key, as an observer does.
void SessionManager::HandleResultWithoutSession(const std::string& from, const NodeMessage& m) {
  auto event = events_.Get(m.event_id);
  if (!event.ok() || !event->has_value() || (*event)->status != EventStatus::kPending ||
      (*event)->protocol != ProtocolType::kSign)
    return Drop(drops_.unknown_session, from, m, "no such session");
  const EventView& ev = **event;
  auto key = keys_.Load(ev.key_id);
  if (!key.ok()) return Drop(drops_.unknown_session, from, m, "no such session, nor its key");
  if (!std::count(key->participants.begin(), key->participants.end(), from))
    return Drop(drops_.bad_sender, from, m, "sender holds no share of this key");
  SetupBody ours;
  ours.protocol = ProtocolType::kSign;
  ours.key_id = ev.key_id;
  ours.message_hash = ev.message_hash;
  ours.chain_path = ev.chain_path;
  std::string result(m.payload.begin(), m.payload.end());
  if (Status st = protocols_.VerifyResult(ours, *key, result); !st.ok())
    return Drop(drops_.bad_sender, from, m, "result does not verify: " + st.message());
  auto moved = events_.Move(ev.event_id, EventStatus::kPending, EventStatus::kSuccess,
                            Transition{std::nullopt, result, ""});
  if (moved.ok() && *moved) {
    spdlog::info("event {}: SUCCESS (reported by {} after we missed the setup; signature verified)",
                 ev.event_id, from);
    SaveSignature(ev.event_id, result);
  }
}

void SessionManager::CheckExpiry() {
  auto now = clock_.Now();
  uint64_t block = blocks_.CurrentBlock();
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (now - it->second->last_activity <= config_.session_expiry) {
      ++it;
      continue;
    }
    // Seed: "Session is cleaned up from memory; event status is reset to PENDING; event block
    // number is updated (current block + delay) for retry".
    spdlog::warn("event {}: session expired after inactivity; retrying at block {}", it->first,
                 block + config_.retry_delay_blocks);
    auto moved = events_.Move(it->first, EventStatus::kInProgress, EventStatus::kPending,
                              Transition{block + config_.retry_delay_blocks, "", ""});
    if (!moved.ok())
      spdlog::error("event {}: could not reset: {}", it->first, moved.status().ToString());
    it = sessions_.erase(it);
  }
  auto expired = events_.ExpirePending(block);
  if (!expired.ok())
    spdlog::error("expiring events failed: {}", expired.status().ToString());
  else if (*expired)
    spdlog::info("{} pending event(s) passed their expiry height: EXPIRED", *expired);
}

}  // namespace tss::sessionmanager

#include "sessionmanager/session_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "coordinator/selection.h"
#include "crypto/rng.h"

namespace tss::sessionmanager {

using namespace coordinator;

namespace {
constexpr size_t kSweepLimit = 1024;     // pending events read per expiry pass
constexpr size_t kMaxLateResults = 4096;  // events with signatures but not yet in our database
constexpr size_t kMaxLatePerEvent = 8;
}

struct SessionManager::Session {
  std::string event_id;
  SessionId session_id{};
  SetupBody setup;
  std::string coordinator;
  int my_party = 0;                          // 0: observer (a key holder not signing this time)
  Contribution contribution{};               // ours, sent in our ACK
  std::map<int, std::string> party_address;  // protocol party index -> validator
  std::map<std::string, int> address_party;
  std::optional<KeyRecord> key;
  std::unique_ptr<ProtocolSession> protocol;  // created on begin, under the run id
  bool started = false;
  std::vector<std::pair<int, Bytes>> early_steps;
  std::chrono::steady_clock::time_point last_activity;

  Session() = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() {
    for (auto& [party, payload] : early_steps) Wipe(payload.data(), payload.size());
  }
};

SessionManager::SessionManager(SessionManagerConfig config, EventAccess& events, KeyAccess& keys,
                               Outbox& outbox, BlockSource& blocks, Clock& clock,
                               ProtocolFactory& protocols, Coordinator& coordinator,
                               crypto::Rng& rng)
    : config_(std::move(config)),
      events_(events),
      keys_(keys),
      outbox_(outbox),
      blocks_(blocks),
      clock_(clock),
      protocols_(protocols),
      coordinator_(coordinator),
      rng_(rng) {}

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

void SessionManager::Nack(const std::string& to, const NodeMessage& m, const std::string& reason,
                          std::vector<std::string> refused) {
  spdlog::info("event {}: declining setup from {}: {}", m.event_id, to, reason);
  NodeMessage nack;
  nack.type = MessageType::kNack;
  nack.event_id = m.event_id;
  nack.session_id = m.session_id;
  nack.reason = reason.substr(0, 1024);
  nack.refused = std::move(refused);
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
  if (!s.chain_path.empty())
    return InvalidArgument(
        "chain_path asks for a derived key; key derivation is not supported yet");
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
  for (const auto& p : s.excluded)
    if (!std::count(key->participants.begin(), key->participants.end(), p))
      return InvalidArgument("excluded " + p + " holds no share of this key");
  // The coordinator may not pick the signers: they are the rule's draw over the holders it
  // did not exclude, which every participant recomputes.
  auto signers = SignersFor(key->participants, validators, s.excluded, key->threshold, m.event_id,
                            s.block_number);
  if (!signers.ok()) return signers.status();
  if (*signers != s.participants)
    return InvalidArgument("the signer set is not the one the selection rule draws");
  return Status::Ok();
}

std::vector<std::string> SessionManager::Refused(const SetupBody& setup,
                                                 const KeyRecord& key) const {
  std::vector<std::string> refused;
  for (const auto& p : setup.participants)
    if (std::count(key.culprits.begin(), key.culprits.end(), p)) refused.push_back(p);
  return refused;
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
    if (key && m.setup.protocol == ProtocolType::kSign) {
      if (unsigned_keys_.count(key->key_id))
        return Nack(from, m, "a blame on this key could not be stored; it needs a refresh");
      auto refused = Refused(m.setup, *key);
      if (!refused.empty()) {
        std::string reason = "we do not sign with " + refused.front() + " (blamed on this key)";
        return Nack(from, m, reason, std::move(refused));
      }
    }
    if (Status st = protocols_.CanRun(m.setup, s->my_party, key ? &*key : nullptr); !st.ok())
      return Nack(from, m, "cannot run the protocol: " + st.message());
    rng_.Fill(s->contribution);
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
  ack.contribution = sessions_[m.event_id]->contribution;
  outbox_.Send(from, ack);
}

void SessionManager::HandleBegin(const std::string& from, const NodeMessage& m) {
  Session* s = Find(m);
  if (!s) return Drop(drops_.unknown_session, from, m, "no such session");
  if (from != s->coordinator)
    return Drop(drops_.bad_sender, from, m, "begin must come from the coordinator");
  if (s->started || s->my_party == 0) return;
  // The run id binds every participant's contribution; ours must be in it, so no coordinator
  // can make us run under an id we ran before (our contribution is fresh for every setup).
  const auto& parties = s->setup.participants;
  auto me = std::find(parties.begin(), parties.end(), config_.my_address) - parties.begin();
  if (m.contributions.size() != parties.size() ||
      m.contributions[static_cast<size_t>(me)] != s->contribution)
    return Drop(drops_.bad_sender, from, m, "begin does not carry our contribution");
  SessionId run_id = RunId(s->session_id, m.contributions);
  // Durable before our first protocol message: a run id is refused forever, across restarts.
  auto recorded = events_.RecordRun(run_id, s->event_id);
  if (!recorded.ok()) {
    spdlog::error("event {}: could not record the run: {}", s->event_id,
                  recorded.status().ToString());
    return;  // not started: the session expires and the event is retried
  }
  if (!*recorded)
    return Drop(drops_.reused_run, from, m, "run id " + ToHex(run_id) + " was run before");
  auto protocol =
      protocols_.Create(s->event_id, s->setup, run_id, s->my_party, s->key ? &*s->key : nullptr);
  if (!protocol.ok()) return Fail(*s, protocol.status());
  s->protocol = std::move(*protocol);
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
    if (it != sessions_.end() && it->second.get() == s) Deliver(*s, party, payload);
    Wipe(payload.data(), payload.size());  // buffered steps may hold secret share evaluations
  }
}

void SessionManager::HandleStep(const std::string& from, const NodeMessage& m) {
  Session* s = Find(m);
  if (!s) return Drop(drops_.unknown_session, from, m, "no such session");
  auto party = s->address_party.find(from);
  if (party == s->address_party.end() || s->my_party == 0)
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
  if (!out.ok() && out.status().code() == ErrorCode::kNotFound) {
    ++drops_.unknown_session;
    spdlog::warn("event {}: dropped a step from party {}: {}", s.event_id, from_party,
                 out.status().message());
    return;
  }
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
  if (outcome->signature && s.key) {
    NodeMessage result;
    result.type = MessageType::kResult;
    result.event_id = s.event_id;
    result.session_id = s.session_id;
    result.signature = *outcome->signature;
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
  Blame(s, why, culprit);
  std::string error = culprit.empty() ? why.message() : "culprit " + culprit + ": " + why.message();
  spdlog::error("event {}: protocol failed: {}", s.event_id, error);
  auto moved = events_.Move(s.event_id, EventStatus::kInProgress, EventStatus::kFailed,
                            Transition{std::nullopt, "", error});
  if (!moved.ok())
    spdlog::error("event {}: could not record FAILED: {}", s.event_id, moved.status().ToString());
  std::string event_id = s.event_id;  // erasing destroys s
  sessions_.erase(event_id);
}

void SessionManager::Blame(Session& s, const Status& why, const std::string& culprit) {
  if (culprit.empty() || !s.key || s.setup.protocol == ProtocolType::kKeygen) return;
  std::optional<int> burned = s.protocol ? s.protocol->BurnedPeer() : std::nullopt;
  // Re-read the key: other sessions of it may have blamed someone since this one loaded it.
  auto record = keys_.Load(s.key->key_id);
  Status saved = record.status();
  if (record.ok()) {
    if (burned) saved = protocols_.Burn(*record, *burned);
    if (saved.ok()) {
      auto& list = record->culprits;
      if (!std::count(list.begin(), list.end(), culprit)) list.push_back(culprit);
      std::sort(list.begin(), list.end());
      saved = keys_.Save(*record, /*replace=*/true);
    }
  }
  if (saved.ok()) {
    spdlog::warn("key {}: {} blamed ({}){}; it signs with us no more until the key is refreshed",
                 s.key->key_id, culprit, why.message(),
                 burned ? ", our OT material with it burned" : "");
    return;
  }
  // The key file could not be rewritten (a disk failure): the burn is not durable, so this
  // process signs with the key no more at all (dkls/sign.h's contract); operators must mend
  // the disk and refresh the key.
  unsigned_keys_.insert(s.key->key_id);
  spdlog::critical(
      "key {}: could not record {} as culprit{}: {}; this node signs with the key "
      "no more until it restarts, refresh the key",
      s.key->key_id, culprit, burned ? " (nor burn its OT pair)" : "", saved.ToString());
}

SessionManager::LateOutcome SessionManager::AcceptLateResult(const std::string& event_id,
                                                             const SignatureBody& sig) {
  auto event = events_.Get(event_id);
  if (event.ok() && !event->has_value()) return LateOutcome::kNoEventYet;
  if (!event.ok() || (*event)->protocol != ProtocolType::kSign ||
      ((*event)->status != EventStatus::kPending && (*event)->status != EventStatus::kInProgress))
    return LateOutcome::kRefused;
  const EventView& ev = **event;
  auto key = keys_.Load(ev.key_id);
  if (!key.ok()) return LateOutcome::kRefused;  // not a holder of this key: not ours to record
  // What our database asked for decides what the signature must verify against.
  SetupBody setup;
  setup.protocol = ProtocolType::kSign;
  setup.key_id = ev.key_id;
  setup.message_hash = ev.message_hash;
  auto result = protocols_.AcceptSignature(setup, *key, sig);
  if (!result.ok()) {
    spdlog::warn("event {}: a reported signature does not verify: {}", event_id,
                 result.status().message());
    return LateOutcome::kRefused;
  }
  if (ev.status == EventStatus::kPending)
    (void)events_.Move(event_id, EventStatus::kPending, EventStatus::kInProgress, {});
  auto moved = events_.Move(event_id, EventStatus::kInProgress, EventStatus::kSuccess,
                            Transition{std::nullopt, *result, ""});
  if (!moved.ok() || !*moved) return LateOutcome::kRefused;
  spdlog::info("event {}: SUCCESS (observed late, signature verified)", event_id);
  SaveSignature(event_id, *result);
  return LateOutcome::kRecorded;
}

void SessionManager::HandleResult(const std::string& from, const NodeMessage& m) {
  Session* s = Find(m);
  if (!s) {
    // No session of that attempt: its setup reached us before our copy of the event (declined
    // as unknown), or was lost. The signers' result is then our only news of the event; without
    // it our copy would stay PENDING until it expired.
    switch (AcceptLateResult(m.event_id, m.signature)) {
      case LateOutcome::kRecorded:
        if (auto it = sessions_.find(m.event_id);
            it != sessions_.end() && it->second->my_party == 0)
          sessions_.erase(it);  // an observer session of another attempt has nothing left to do
        return;
      case LateOutcome::kNoEventYet:
        // Kept (bounded) until the event arrives; a forged one only fails then.
        if (late_results_.size() < kMaxLateResults || late_results_.count(m.event_id)) {
          auto& late = late_results_[m.event_id];
          if (late.signatures.empty()) late.received = clock_.Now();
          if (late.signatures.size() < kMaxLatePerEvent) late.signatures.push_back(m.signature);
        }
        return;
      case LateOutcome::kRefused:
        return Drop(drops_.bad_sender, from, m, "no session, and the result is not for our event");
    }
    return;
  }
  if (s->my_party != 0 || !s->key)
    return Drop(drops_.bad_sender, from, m, "we take part ourselves");
  if (!s->address_party.count(from))
    return Drop(drops_.bad_sender, from, m, "sender is not a signer");
  auto result = protocols_.AcceptSignature(s->setup, *s->key, m.signature);
  if (!result.ok())
    return Drop(drops_.bad_sender, from, m, "result does not verify: " + result.status().message());
  auto moved = events_.Move(s->event_id, EventStatus::kInProgress, EventStatus::kSuccess,
                            Transition{std::nullopt, *result, ""});
  if (moved.ok() && *moved) {
    spdlog::info("event {}: SUCCESS (observed, signature verified)", s->event_id);
    SaveSignature(s->event_id, *result);
  }
  sessions_.erase(m.event_id);
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
  // Reading the pending events fails those that no node can ever process (malformed, or asking
  // for what this version does not do), at every node, not only at the coordinator.
  if (auto pending = events_.Pending(block, kSweepLimit); !pending.ok())
    spdlog::error("reading pending events failed: {}", pending.status().ToString());
  // Signatures that came before their event: recorded once the event is here, forgotten after
  // a session expiry's time.
  for (auto it = late_results_.begin(); it != late_results_.end();) {
    bool waiting = false;
    for (const auto& sig : it->second.signatures) {
      auto outcome = AcceptLateResult(it->first, sig);
      waiting = outcome == LateOutcome::kNoEventYet;
      if (outcome != LateOutcome::kRefused) break;  // recorded, or the event is not here yet
    }
    bool stale = now - it->second.received > config_.session_expiry;
    it = !waiting || stale ? late_results_.erase(it) : std::next(it);
  }
  auto expired = events_.ExpirePending(block);
  if (!expired.ok())
    spdlog::error("expiring events failed: {}", expired.status().ToString());
  else if (*expired)
    spdlog::info("{} pending event(s) passed their expiry height: EXPIRED", *expired);
}

}  // namespace tss::sessionmanager

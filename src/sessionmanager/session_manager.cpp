#include "sessionmanager/session_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/check.h"
#include "common/crash_point.h"
#include "core/selection.h"
#include "crypto/rng.h"

namespace tss::sessionmanager {

using core::CommitBody;
using core::CommitStage;
using core::Contribution;
using core::Event;
using core::EventChange;
using core::EventStatus;
using core::KeyRecord;
using core::MessageType;
using core::ProtocolType;
using core::SessionId;
using core::SetupBody;
using core::SignatureBody;
using core::Step;

namespace {
constexpr size_t kSweepLimit = 1024;      // pending events read per expiry pass
constexpr size_t kMaxLateResults = 4096;  // events with signatures but not yet in our database
constexpr size_t kMaxLatePerEvent = 8;

bool Contains(const std::vector<std::string>& list, const std::string& x) {
  return std::find(list.begin(), list.end(), x) != list.end();
}
std::string Short(const core::KeyFingerprint& f) {
  return ToHex(ByteSpan(f.data(), 8));
}
}  // namespace

struct SessionManager::Session {
  // A step that arrived before our begin: its run is not known yet, so it waits with the run id
  // it names.
  struct EarlyStep {
    SessionId run_id{};
    int from_party = 0;
    Step step;
  };

  std::string event_id;
  SessionId session_id{};  // the attempt's
  SessionId run_id{};      // set at begin
  SetupBody setup;
  std::string coordinator;
  core::Roster roster;
  Contribution contribution{};  // ours, sent in our ACK
  // Sign: the generations of the key we offered in our ACK (newest first), and the one BEGIN
  // named, which we sign with.
  std::vector<core::GenerationId> offered;
  std::optional<core::GenerationId> generation;
  std::optional<KeyRecord> key;
  std::unique_ptr<core::ProtocolSession> protocol;  // created on begin, under the run id
  bool started = false;
  // Keygen / keyrefresh: the run finished and its share is stored pending; the session stays
  // (so that no new attempt replaces it) until the confirmation round resolves or it expires.
  bool committing = false;
  // Confirmations of our run that came before we finished it, by holder.
  std::map<std::string, CommitBody> early_commits;
  std::vector<EarlyStep> early_steps;
  std::chrono::steady_clock::time_point last_activity;

  explicit Session(core::Roster r) : roster(std::move(r)) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() {
    for (auto& e : early_steps) Wipe(e.step.payload.data(), e.step.payload.size());
  }
};

SessionManager::SessionManager(SessionManagerConfig config, core::NodeEnv env)
    : config_(std::move(config)), env_(std::move(env)) {}

SessionManager::~SessionManager() = default;

void SessionManager::HandleMessage(const std::string& from, const NodeMessage& m) {
  TSS_DCHECK(env_.in_loop());
  LoadCommits();
  switch (m.type) {
    case MessageType::kSetup:
      return HandleSetup(from, m);
    case MessageType::kAck:
    case MessageType::kNack:
      return Drop(drops_.bad_sender, from, m, "acknowledgements are the coordinator's");
    case MessageType::kBegin:
      return HandleBegin(from, m);
    case MessageType::kStep:
      return HandleStep(from, m);
    case MessageType::kResult:
      return HandleResult(from, m);
    case MessageType::kCommit:
      return HandleCommit(from, m);
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
  env_.outbox.Send(to, nack);
}

std::optional<ProtocolType> SessionManager::ProtocolOf(const std::string& event_id) const {
  auto it = sessions_.find(event_id);
  if (it == sessions_.end()) return std::nullopt;
  return it->second->setup.protocol;
}

SessionManager::Session* SessionManager::Find(const NodeMessage& m) {
  auto it = sessions_.find(m.event_id);
  if (it == sessions_.end() || it->second->session_id != m.session_id) return nullptr;
  return it->second.get();
}

Status SessionManager::ValidateSetup(const std::string& from, const NodeMessage& m,
                                     const Event& event, std::optional<KeyRecord>& key) {
  const SetupBody& s = m.setup;
  uint64_t block = env_.blocks.CurrentBlock();
  if (s.block_number + config_.max_block_skew < block ||
      s.block_number > block + config_.max_block_skew)
    return InvalidArgument("setup block " + std::to_string(s.block_number) +
                           " is too far from ours (" + std::to_string(block) + ")");
  // The primary at the setup's block, or a backup the failover rule lets act in our own view.
  // The window is measured on our clock (one block of slack for a coordinator slightly ahead),
  // not on the setup's block, which its sender chose.
  const auto order = env_.validators.CoordinatorOrderAt(s.block_number);
  if (!core::CoordinatorRank(order, from, event.block_number, std::min(s.block_number, block + 1),
                             config_.takeover_blocks, env_.is_live))
    return InvalidArgument("the coordinator at block " + std::to_string(s.block_number) + " is " +
                           (order.empty() ? std::string("nobody") : order.front()) + ", not " +
                           from +
                           " (no takeover: its window has not passed and the ones ahead "
                           "of it are live here)");
  if (core::DeriveSessionId(m.event_id, s) != m.session_id)
    return InvalidArgument("session id does not match the setup");
  // Our own copy of the event decides what we agree to do: a coordinator cannot make us sign a
  // hash, or use a key, that our database did not ask for.
  TSS_RETURN_IF_ERROR(core::CheckEvent(event));
  if (event.protocol != s.protocol)
    return InvalidArgument(std::string("our event is ") + ProtocolTypeName(event.protocol) +
                           ", the setup says " + ProtocolTypeName(s.protocol));
  if (event.key_id != s.key_id) return InvalidArgument("key id differs from our event's");
  if (event.message_hash != s.message_hash)
    return InvalidArgument("message hash differs from our event's");
  if (event.chain_path != s.chain_path)
    return InvalidArgument("chain path differs from our event's");
  // Registered now (the set thresholds and draws use), and known (leaving ones too: a leaver
  // still deals in a quorum change and still refreshes with the key's other holders).
  const std::vector<std::string> validators = env_.validators.Addresses();
  const std::vector<std::string> known = env_.validators.Known();
  for (const auto& p : s.participants)
    if (!std::binary_search(known.begin(), known.end(), p))
      return InvalidArgument("participant " + p + " is not a registered validator");
  if (s.protocol != ProtocolType::kSign)
    for (const auto& [key_id, c] : commits_)
      if (c.event_id == m.event_id || key_id == s.key_id)
        return InvalidArgument("generation " + std::to_string(c.generation) + " of key " + key_id +
                               " (event " + c.event_id +
                               ") awaits its holders' confirmations; retry once it is resolved");
  if (s.protocol == ProtocolType::kKeygen) {
    // Seed: all eligible validators take part. A coordinator whose registry view lags ours
    // would otherwise make a key that the newest validators hold no share of.
    std::vector<std::string> sorted = s.participants;
    std::sort(sorted.begin(), sorted.end());
    if (sorted != validators)
      return InvalidArgument("keygen must include every registered validator (we see " +
                             std::to_string(validators.size()) + ", the setup has " +
                             std::to_string(s.participants.size()) + ")");
    if (s.threshold != core::Threshold(static_cast<int>(s.participants.size())))
      return InvalidArgument("threshold is not floor(2n/3)+1");
    if (!event.key_id.empty() && env_.keys.Exists(event.key_id))
      return InvalidArgument("key " + event.key_id + " exists");
    return Status::Ok();
  }
  if (s.protocol == ProtocolType::kQuorumChange) return ValidateQuorumChange(s, validators, key);
  auto loaded = env_.keys.Load(s.key_id);
  if (!loaded.ok())
    return InvalidArgument("cannot load key " + s.key_id + ": " + loaded.status().message());
  key = std::move(*loaded);
  if (!key->Active())
    return InvalidArgument("key " + s.key_id +
                           " is not active yet (its keygen awaits confirmations)");
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
  auto signers = core::SignersFor(key->participants, validators, s.excluded, key->threshold,
                                  m.event_id, s.block_number);
  if (!signers.ok()) return signers.status();
  if (*signers != s.participants)
    return InvalidArgument("the signer set is not the one the selection rule draws");
  return Status::Ok();
}

Status SessionManager::ValidateQuorumChange(const SetupBody& s,
                                            const std::vector<std::string>& validators,
                                            std::optional<KeyRecord>& key) {
  const core::QuorumChangeLayout& q = *s.quorum;  // the decoder requires it
  const bool holder = Contains(q.old_holders, config_.my_address);
  int t_old = 0;
  auto loaded = env_.keys.Load(s.key_id);
  if (loaded.ok()) {
    if (!loaded->Active())
      return InvalidArgument("key " + s.key_id +
                             " is not active yet (its keygen awaits confirmations)");
    if (q.old_holders != loaded->participants)
      return InvalidArgument("the setup's old holders are not the key's holders");
    auto digest = env_.protocols.ProtocolKeyId(*loaded);
    if (!digest.ok()) return digest.status();
    if (*digest != q.key_digest) return InvalidArgument("the setup names another protocol key id");
    t_old = loaded->threshold;
    key = std::move(*loaded);
  } else if (loaded.status().code() == ErrorCode::kNotFound && !holder) {
    // We join: we know nothing of the key but its id. The dealers must show us a valid sharing
    // of it, the same to every member, from at least its threshold of them (the session's checks).
  } else {
    return InvalidArgument("cannot load key " + s.key_id + ": " + loaded.status().message());
  }
  // The new holders: every validator registered now, in order; then the leaving dealers. The
  // rule (core::QuorumChangeMembersFor) from our own view: only whether a leaver is reachable
  // is the coordinator's to judge.
  std::vector<std::string> leavers(s.participants.begin() + q.new_n, s.participants.end());
  if (!std::equal(s.participants.begin(), s.participants.begin() + q.new_n, validators.begin(),
                  validators.end()))
    return InvalidArgument("the new holders must be every registered validator (we see " +
                           std::to_string(validators.size()) + ", the setup has " +
                           std::to_string(q.new_n) + ")");
  auto members = core::QuorumChangeMembersFor(q.old_holders, t_old, validators, leavers);
  if (!members.ok()) return members.status();
  if (members->participants != s.participants) return InvalidArgument("leavers out of order");
  if (s.threshold != members->new_t) return InvalidArgument("threshold is not floor(2n'/3)+1");
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
  auto event = env_.events.Get(m.event_id);
  if (!event.ok()) {
    spdlog::error("event {}: reading it failed: {}", m.event_id, event.status().ToString());
    return Nack(from, m, "cannot read the event");
  }
  if (!event->has_value())
    return Nack(from, m, "unknown event");  // the CLI may not have reached us yet
  const Event& ev = **event;
  if (ev.status != EventStatus::kPending && ev.status != EventStatus::kInProgress) {
    // A sign we finished that the coordinator runs again: it missed the signers' results (down
    // longer than their resends lasted), and no other news of the event will come. It checks
    // the signature against its own event (AcceptLateResult: no session has a zero id).
    if (ev.status == EventStatus::kSuccess && ev.protocol == ProtocolType::kSign)
      if (auto signature = core::SignatureOfResultJson(ev.result); signature.ok()) {
        NodeMessage result;
        result.type = MessageType::kResult;
        result.event_id = m.event_id;
        result.signature = *signature;
        env_.outbox.Send(from, result);
      }
    return Nack(from, m, std::string("event is ") + EventStatusName(ev.status));
  }
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
    // Nor, for a while, may another coordinator's (failover): the holder of our ACK may still
    // begin with it, and we would not be in that run (see setup_hold).
    const bool ours_given_up = held.coordinator == config_.my_address &&
                               config_.own_attempt_waiting &&
                               !config_.own_attempt_waiting(m.event_id, held.session_id);
    if (held.coordinator != from && !ours_given_up &&
        env_.clock.Now() - held.last_activity < config_.setup_hold)
      return Nack(from, m, "holding " + held.coordinator + "'s attempt of this event");
  }
  std::optional<KeyRecord> key;
  if (Status st = ValidateSetup(from, m, ev, key); !st.ok()) {
    Drop(drops_.invalid_setup, from, m, st.message());
    return Nack(from, m, st.message());
  }

  auto roster = core::Roster::ForSetup(m.setup, key ? &*key : nullptr, config_.my_address);
  if (!roster.ok()) return Drop(drops_.invalid_setup, from, m, roster.status().message());
  auto s = std::make_unique<Session>(std::move(*roster));
  s->event_id = m.event_id;
  s->session_id = m.session_id;
  s->setup = m.setup;
  s->coordinator = from;
  s->last_activity = env_.clock.Now();
  const bool observer = s->roster.observer();
  if (!observer) {
    if (key && m.setup.protocol == ProtocolType::kSign) {
      if (unsigned_keys_.count(key->key_id))
        return Nack(from, m, "a blame on this key could not be stored; it needs a refresh");
      // Declined too while the key's next generation is in its confirmation round here: we would
      // sign with generation g while a holder that activated g+1 just before the setup reached it
      // signs with g+1, and the run fails with honest holders blamed for "a different key
      // share" (found by tests/faults/soak.py --seed 2: a sign set up during a refresh's
      // confirmations). Every holder stores g+1 pending before any activates it, so while
      // the round lasts the holders that accept a sign are all on g or all on g+1. Only while
      // the refresh's session is here: a pending share whose run expired (a holder silent for
      // good) must not stop signing.
      if (auto c = commits_.find(key->key_id);
          c != commits_.end() && sessions_.count(c->second.event_id))
        return Nack(from, m,
                    "generation " + std::to_string(c->second.generation) + " of this key is " +
                        "being confirmed; retry once it is resolved");
      auto refused = Refused(m.setup, *key);
      if (!refused.empty()) {
        std::string reason = "we do not sign with " + refused.front() + " (blamed on this key)";
        return Nack(from, m, reason, std::move(refused));
      }
    }
    if (Status st = env_.protocols.CanRun(m.setup, s->roster, key ? &*key : nullptr); !st.ok())
      return Nack(from, m, "cannot run the protocol: " + st.message());
    // A sign offers the generations we can sign with among these signers: the active one (just
    // checked) and the retained previous one, if it can run too. The coordinator names one that
    // every signer offered.
    if (key && m.setup.protocol == ProtocolType::kSign) {
      const auto held = key->SigningGenerations();  // the active one first
      for (size_t i = 0; i < held.size(); ++i) {
        auto at = key->AtGeneration(held[i]);
        if (i == 0 || (at && env_.protocols.CanRun(m.setup, s->roster, &*at).ok()))
          s->offered.push_back(held[i]);
      }
    }
    env_.rng.Fill(s->contribution);
  }
  s->key = std::move(key);
  if (ev.status == EventStatus::kPending) {
    auto moved = env_.events.Move(m.event_id, EventStatus::kPending, EventStatus::kInProgress);
    if (!moved.ok()) {
      // Said, not folded into "changed state": a database locked past its busy timeout or
      // unreachable is the operator's to fix (tests/faults/storage_faults.py, sqlite-locked).
      spdlog::error("event {}: cannot take it up: {}", m.event_id, moved.status().ToString());
      return Nack(from, m, "cannot record the event: " + moved.status().message());
    }
    if (!*moved) return Nack(from, m, "event changed state meanwhile");
  }
  spdlog::info("event {}: session created ({} as {})", m.event_id,
               ProtocolTypeName(m.setup.protocol),
               observer ? "observer" : "party " + std::to_string(s->roster.me()));
  NodeMessage ack;
  ack.type = MessageType::kAck;
  ack.event_id = m.event_id;
  ack.session_id = m.session_id;
  ack.contribution = s->contribution;
  ack.generations = s->offered;
  // A new attempt replaces an unbegun older one of the same event (see above).
  sessions_[m.event_id] = std::move(s);
  crash::At(ProtocolTypeName(m.setup.protocol), "setup.received");
  if (!observer) env_.outbox.Send(from, ack);
}

void SessionManager::HandleBegin(const std::string& from, const NodeMessage& m) {
  Session* s = Find(m);
  if (!s) return Drop(drops_.unknown_session, from, m, "no such session");
  if (from != s->coordinator)
    return Drop(drops_.bad_sender, from, m, "begin must come from the coordinator");
  if (s->started || s->roster.observer()) return;
  // The run id binds every participant's contribution; ours must be in it, so no coordinator
  // can make us run under an id we ran before (our contribution is fresh for every setup).
  const auto& parties = s->setup.participants;
  auto me = std::find(parties.begin(), parties.end(), config_.my_address) - parties.begin();
  if (m.contributions.size() != parties.size() ||
      m.contributions[static_cast<size_t>(me)] != s->contribution)
    return Drop(drops_.bad_sender, from, m, "begin does not carry our contribution");
  // A sign runs with the generation BEGIN names, one we offered in our ACK; anything else is
  // dropped like a begin without our contribution (the session stays unbegun: a new attempt
  // replaces it, or it expires and the event is retried).
  std::optional<KeyRecord> at;
  if (s->setup.protocol == ProtocolType::kSign) {
    if (!m.generation)
      return Drop(drops_.bad_generation, from, m, "a sign's begin names no generation");
    if (std::find(s->offered.begin(), s->offered.end(), *m.generation) == s->offered.end() ||
        !(at = s->key->AtGeneration(*m.generation)))
      return Drop(drops_.bad_generation, from, m,
                  "begin names generation " + std::to_string(m.generation->generation) + " (" +
                      Short(m.generation->fingerprint) + "), which we did not offer");
  } else if (m.generation) {
    return Drop(drops_.bad_generation, from, m, "only a sign's begin names a generation");
  }
  const SessionId run_id = core::RunId(s->session_id, m.contributions);
  // Durable before our first protocol message: a run id is refused forever, across restarts.
  auto recorded = env_.events.RecordRun(run_id, s->event_id);
  if (!recorded.ok()) {
    spdlog::error("event {}: could not record the run: {}", s->event_id,
                  recorded.status().ToString());
    return;  // not started: the session expires and the event is retried
  }
  if (!*recorded)
    return Drop(drops_.reused_run, from, m, "run id " + ToHex(run_id) + " was run before");
  crash::At(ProtocolTypeName(s->setup.protocol), "begin.received");
  const KeyRecord* key = at ? &*at : (s->key ? &*s->key : nullptr);
  auto protocol = env_.protocols.Create(s->setup, s->roster, run_id, key);
  at.reset();  // Create kept what it needs of the share
  if (!protocol.ok()) return Fail(*s, protocol.status());
  if (m.generation) {
    s->generation = m.generation;
    if (m.generation->generation != s->key->generation)
      spdlog::info(
          "event {}: signing with the retained generation {} of key {} (the signers "
          "share no newer one)",
          s->event_id, m.generation->generation, s->key->key_id);
  }
  s->protocol = std::move(*protocol);
  s->run_id = run_id;
  s->started = true;
  s->last_activity = env_.clock.Now();
  auto out = s->protocol->Start();
  if (!out.ok()) return Fail(*s, out.status());
  std::string event_id = s->event_id;
  Route(*s, std::move(*out));
  // Steps that raced ahead of our begin. Those of another run are dropped, nobody blamed: a
  // coordinator that sent different participants different contributions in BEGIN puts honest
  // parties in different runs, and blaming each other is what it would want.
  auto early = std::move(s->early_steps);
  for (auto& e : early) {
    auto it = sessions_.find(event_id);
    const bool live = it != sessions_.end() && it->second.get() == s;
    if (live && e.run_id == run_id)
      Deliver(*s, e.from_party, e.step);
    else if (live)
      ++drops_.unknown_session;
    Wipe(e.step.payload.data(), e.step.payload.size());  // may hold secret share evaluations
  }
}

void SessionManager::HandleStep(const std::string& from, const NodeMessage& m) {
  // A step names its run, not the attempt: the run id is known from our begin on.
  auto it = sessions_.find(m.event_id);
  if (it == sessions_.end()) return Drop(drops_.unknown_session, from, m, "no such session");
  Session* s = it->second.get();
  if (s->started && s->run_id != m.session_id)
    return Drop(drops_.unknown_session, from, m, "a step of another run");
  if (s->committing) return;  // a late copy: our run is over
  auto party = s->roster.PartyOf(from);
  if (!party || s->roster.observer())
    return Drop(drops_.bad_sender, from, m, "sender is not a participant of this session");
  s->last_activity = env_.clock.Now();
  crash::At(ProtocolTypeName(s->setup.protocol), "round.received", m.step.round);
  if (!s->started) {
    if (s->early_steps.size() >= config_.max_early_steps)
      return Drop(drops_.buffer_full, from, m, "buffer full");
    s->early_steps.push_back({m.session_id, *party, m.step});
    return;
  }
  Deliver(*s, *party, m.step);
}

void SessionManager::Deliver(Session& s, int from_party, const Step& step) {
  if (s.committing) return;  // our run is over; its share awaits confirmations
  if (!s.protocol->OfThisRun(from_party, step)) {
    // A signer on another generation of the key (ports.h: OfThisRun): dropped, nobody blamed.
    ++drops_.unknown_session;
    const std::string* address = s.roster.AddressOf(from_party);
    spdlog::warn(
        "event {}: dropped a step from {}: it signs with another generation of the key than "
        "the one our begin named",
        s.event_id, address ? *address : "party " + std::to_string(from_party));
    return;
  }
  auto out = s.protocol->Handle(from_party, step);
  if (!out.ok()) return Fail(s, out.status());
  Route(s, std::move(*out));
  if (s.protocol->Done()) Finish(s);
}

void SessionManager::Route(Session& s, std::vector<Step> out) {
  for (auto& o : out) {
    NodeMessage m;
    m.type = MessageType::kStep;
    m.event_id = s.event_id;
    m.session_id = s.run_id;
    m.step = std::move(o);
    if (m.step.to != 0) {
      if (const std::string* to = s.roster.AddressOf(m.step.to)) env_.outbox.Send(*to, m);
    } else {
      for (const auto& [party, address] : s.roster.members())
        if (party != s.roster.me()) env_.outbox.Send(address, m);
    }
    Wipe(m.step.payload.data(), m.step.payload.size());  // the outbox encoded its own copy
  }
}

void SessionManager::Finish(Session& s) {
  auto outcome = s.protocol->Finish();
  if (!outcome.ok()) return Fail(s, outcome.status());
  const std::string event_id = s.event_id;
  if (auto* key = std::get_if<core::NewKey>(&*outcome)) {
    if (key->record.share.empty()) return AwaitLeaving(s, *key);  // a quorum change's leaver
    return StorePending(s, std::move(*key));  // the session lives on, committing
  } else {
    const auto& signature = std::get<SignatureBody>(*outcome);
    auto json = VerifiedSignatureJson(*s.key, s.setup.chain_path, s.setup.message_hash, signature);
    if (!json.ok()) return Fail(s, json.status());
    RecordSignature(event_id, *json, /*from_pending=*/false, "signed");
    // Every other holder of the key learns the outcome from us, and verifies it whole: those
    // that only observed, and signers whose run cannot end because a last-round message to
    // them was lost (no coordinator runs the event again once its own copy is SUCCESS).
    NodeMessage result;
    result.type = MessageType::kResult;
    result.event_id = event_id;
    result.session_id = s.session_id;
    result.signature = signature;
    for (const auto& holder : s.roster.holders())
      if (holder != config_.my_address) env_.outbox.Send(holder, result);
  }
  sessions_.erase(event_id);  // destroys s
}

void SessionManager::RecordSignature(const std::string& event_id, const std::string& result_json,
                                     bool from_pending, const char* how) {
  if (from_pending)
    (void)env_.events.Move(event_id, EventStatus::kPending, EventStatus::kInProgress);
  auto moved = env_.events.Move(event_id, EventStatus::kInProgress, EventStatus::kSuccess,
                                EventChange::WithResult(result_json));
  if (!moved.ok() || !*moved) {
    spdlog::error("event {}: signature {} but could not record SUCCESS: {}", event_id, how,
                  moved.ok() ? "event was no longer IN_PROGRESS" : moved.status().ToString());
    return;
  }
  spdlog::info("event {}: SUCCESS ({}, signature verified)", event_id, how);
  // The event row already holds the result, so failing to file it is logged, not fatal.
  if (Status st = env_.keys.SaveSignature(event_id, result_json); !st.ok())
    spdlog::error("event {}: could not file the signature: {}", event_id, st.ToString());
  crash::At("sign", "result.stored");
}

void SessionManager::Fail(Session& s, const Status& why) {
  std::string culprit;
  if (why.culprit()) {
    const std::string* address = s.roster.AddressOf(*why.culprit());
    culprit = address ? *address : "party " + std::to_string(*why.culprit());
  }
  Blame(s, why, culprit);
  std::string error = culprit.empty() ? why.message() : "culprit " + culprit + ": " + why.message();
  spdlog::error("event {}: protocol failed: {}", s.event_id, error);
  SendAbort(s, /*failed=*/true);
  auto moved = env_.events.Move(s.event_id, EventStatus::kInProgress, EventStatus::kFailed,
                                EventChange::WithError(error));
  if (!moved.ok())
    spdlog::error("event {}: could not record FAILED: {}", s.event_id, moved.status().ToString());
  std::string event_id = s.event_id;  // erasing destroys s
  sessions_.erase(event_id);
}

void SessionManager::Blame(Session& s, const Status& why, const std::string& culprit) {
  if (culprit.empty() || !s.key || s.setup.protocol == ProtocolType::kKeygen) return;
  std::optional<int> burned = s.protocol ? s.protocol->BurnedPeer() : std::nullopt;
  // Re-read the key: other sessions of it may have blamed someone since this one loaded it.
  auto record = env_.keys.Load(s.key->key_id);
  Status saved = record.status();
  if (record.ok()) {
    if (burned) saved = BurnPair(*record, s.generation, *burned);
    if (saved.ok()) {
      auto& list = record->culprits;
      if (!std::count(list.begin(), list.end(), culprit)) list.push_back(culprit);
      std::sort(list.begin(), list.end());
      saved = env_.keys.Save(*record, /*replace=*/true);
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

Status SessionManager::BurnPair(KeyRecord& record, const std::optional<core::GenerationId>& used,
                                int party) {
  // The pair's OT material of the generation the run used: the active one, or the retained one
  // (a sign with it, or one that began before an activation). A generation no longer held has
  // nothing left to burn.
  if (!used ||
      (record.Active() && *used == core::GenerationId{record.generation, record.fingerprint}))
    return env_.protocols.Burn(record, party);
  auto at = record.AtGeneration(*used);
  if (!at || !record.previous) return Status::Ok();
  TSS_RETURN_IF_ERROR(env_.protocols.Burn(*at, party));
  record.previous->share = std::move(at->share);
  return Status::Ok();
}

SessionManager::LateOutcome SessionManager::AcceptLateResult(const std::string& event_id,
                                                             const SignatureBody& sig) {
  auto event = env_.events.Get(event_id);
  if (event.ok() && !event->has_value()) return LateOutcome::kNoEventYet;
  // Every signer reports to every other holder, so the ones that finished hear it again.
  if (event.ok() && (*event)->status == EventStatus::kSuccess) return LateOutcome::kAlreadyRecorded;
  if (!event.ok() || !core::CheckEvent(**event).ok() || (*event)->protocol != ProtocolType::kSign ||
      ((*event)->status != EventStatus::kPending && (*event)->status != EventStatus::kInProgress))
    return LateOutcome::kRefused;
  const Event& ev = **event;
  auto key = env_.keys.Load(ev.key_id);
  if (!key.ok()) return LateOutcome::kRefused;  // not a holder of this key: not ours to record
  // What our database asked for decides what the signature must verify against.
  auto json = VerifiedSignatureJson(*key, ev.chain_path, ev.message_hash, sig);
  if (!json.ok()) {
    spdlog::warn("event {}: a reported signature does not verify: {}", event_id,
                 json.status().message());
    return LateOutcome::kRefused;
  }
  RecordSignature(event_id, *json, ev.status == EventStatus::kPending, "observed late");
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
            it != sessions_.end() && it->second->roster.observer())
          sessions_.erase(it);  // an observer session of another attempt has nothing left to do
        return;
      case LateOutcome::kNoEventYet:
        // Kept (bounded) until the event arrives; a forged one only fails then.
        if (late_results_.size() < kMaxLateResults || late_results_.count(m.event_id)) {
          auto& late = late_results_[m.event_id];
          if (late.signatures.empty()) late.received = env_.clock.Now();
          if (late.signatures.size() < kMaxLatePerEvent) late.signatures.push_back(m.signature);
        }
        return;
      case LateOutcome::kAlreadyRecorded:
        return;
      case LateOutcome::kRefused:
        return Drop(drops_.bad_sender, from, m, "no session, and the result is not for our event");
    }
    return;
  }
  if (s->setup.protocol != ProtocolType::kSign || !s->key)
    return Drop(drops_.bad_sender, from, m, "not a sign session");
  if (!s->roster.PartyOf(from)) return Drop(drops_.bad_sender, from, m, "sender is not a signer");
  auto json =
      VerifiedSignatureJson(*s->key, s->setup.chain_path, s->setup.message_hash, m.signature);
  if (!json.ok())
    return Drop(drops_.bad_sender, from, m, "result does not verify: " + json.status().message());
  // A signer of our own run has the signature: our run is over, whether it would have ended
  // (a message on its way) or not (a message lost). Our nonce dies with the session unused.
  RecordSignature(m.event_id, *json, /*from_pending=*/false,
                  s->roster.observer() ? "observed" : "reported by a signer");
  sessions_.erase(m.event_id);
}

Result<std::string> SessionManager::VerifiedSignatureJson(const KeyRecord& key,
                                                          const std::string& chain_path,
                                                          ByteSpan message_hash,
                                                          const SignatureBody& signature) {
  TSS_ASSIGN_OR_RETURN(Bytes public_key, env_.protocols.SigningKey(key, chain_path));
  TSS_RETURN_IF_ERROR(env_.protocols.VerifySignature(public_key, message_hash, signature));
  return core::SignatureResultJson(key, public_key, chain_path, message_hash, signature);
}

void SessionManager::FailUnprocessable(uint64_t block) {
  // Events that no node can ever process (malformed, or asking for what this version does not
  // do) are failed at every node, not only at the coordinator, rather than polled forever.
  auto pending = env_.events.Pending(block, kSweepLimit);
  if (!pending.ok()) {
    spdlog::error("reading pending events failed: {}", pending.status().ToString());
    return;
  }
  for (const Event& e : *pending) {
    Status usable = core::CheckEvent(e);
    // A chain path our share of the key cannot derive (the key was made before keygen gave keys
    // a chain code) fails too: every holder's share says the same.
    if (usable.ok() && !e.chain_path.empty())
      if (auto key = env_.keys.Load(e.key_id); key.ok() && key->Active())
        if (auto child = env_.protocols.SigningKey(*key, e.chain_path); !child.ok())
          usable = InvalidArgument("event " + e.event_id + ": " + child.status().message() +
                                   "; the event was not signed");
    if (usable.ok()) continue;
    spdlog::warn("{}", usable.message());
    (void)env_.events.Move(e.event_id, EventStatus::kPending, EventStatus::kInProgress);
    (void)env_.events.Move(e.event_id, EventStatus::kInProgress, EventStatus::kFailed,
                           EventChange::WithError(usable.message()));
  }
}

void SessionManager::ReleaseUnheld(uint64_t block) {
  // A session that ends (result, failure, expiry, a run given up) moves its event out of
  // IN_PROGRESS; when that write fails — the database locked past its busy timeout, or the
  // PostgreSQL server gone — the session is gone from memory and its row stays IN_PROGRESS,
  // where nothing moved it again (start-up recovery runs once): the event was stuck for good at
  // this node (tests/faults/storage_faults.py, postgres-restart). Such a row, still for longer
  // than a session expiry with no session or pending generation of ours behind it, goes back
  // to PENDING to be retried, as start-up recovery would put it.
  auto rows = env_.events.WithStatus(EventStatus::kInProgress, kSweepLimit);
  if (!rows.ok()) return;  // the database is still unusable; the reads above said so
  const int64_t now_ms = core::UnixMillis();
  for (const Event& e : *rows) {
    if (sessions_.count(e.event_id) ||
        now_ms - e.updated_at <= static_cast<int64_t>(config_.session_expiry.count()))
      continue;
    bool committing = false;
    for (const auto& [key_id, c] : commits_) committing = committing || c.event_id == e.event_id;
    if (committing) continue;
    spdlog::warn(
        "event {}: IN_PROGRESS here with no session (a write failed as its session ended); "
        "retrying at block {}",
        e.event_id, block + config_.retry_delay_blocks);
    auto moved = env_.events.Move(e.event_id, EventStatus::kInProgress, EventStatus::kPending,
                                  EventChange::RetryAt(block + config_.retry_delay_blocks));
    if (!moved.ok())
      spdlog::error("event {}: could not reset: {}", e.event_id, moved.status().ToString());
  }
}

void SessionManager::ReleaseOrphans() {
  TSS_DCHECK(env_.in_loop());
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    const Session& s = *it->second;
    if (s.started || env_.is_live(s.coordinator)) {
      ++it;
      continue;
    }
    // An observer cannot tell whether the run began elsewhere; if it did, the signers' result
    // still reaches us and is recorded from PENDING (AcceptLateResult).
    spdlog::info(
        "event {}: coordinator {} is unreachable and the session never began; the "
        "event is free for a backup",
        it->first, s.coordinator);
    auto moved = env_.events.Move(it->first, EventStatus::kInProgress, EventStatus::kPending);
    if (!moved.ok())
      spdlog::error("event {}: could not reset: {}", it->first, moved.status().ToString());
    it = sessions_.erase(it);
  }
}

void SessionManager::CheckExpiry() {
  TSS_DCHECK(env_.in_loop());
  LoadCommits();
  auto now = env_.clock.Now();
  uint64_t block = env_.blocks.CurrentBlock();
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (now - it->second->last_activity <= config_.session_expiry) {
      ++it;
      continue;
    }
    // Seed: "Session is cleaned up from memory; event status is reset to PENDING; event block
    // number is updated (current block + delay) for retry".
    spdlog::warn("event {}: session expired after inactivity; retrying at block {}", it->first,
                 block + config_.retry_delay_blocks);
    auto moved = env_.events.Move(it->first, EventStatus::kInProgress, EventStatus::kPending,
                                  EventChange::RetryAt(block + config_.retry_delay_blocks));
    if (!moved.ok())
      spdlog::error("event {}: could not reset: {}", it->first, moved.status().ToString());
    if (!it->second->committing)  // a committing one keeps its share
      SendAbort(*it->second, /*failed=*/false);
    it = sessions_.erase(it);
  }
  AskPending();
  FailUnprocessable(block);
  ReleaseUnheld(block);
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
  auto expired = env_.events.ExpirePending(block);
  if (!expired.ok())
    spdlog::error("expiring events failed: {}", expired.status().ToString());
  else if (*expired)
    spdlog::info("{} pending event(s) passed their expiry height: EXPIRED", *expired);
}

// ---- The confirmation round (see session_manager.h) ----

void SessionManager::SendCommit(const std::string& to, const std::string& event_id,
                                const SessionId& run, CommitStage stage, bool ask,
                                const std::string& key_id, uint32_t generation,
                                const core::KeyFingerprint& fingerprint) {
  NodeMessage m;
  m.type = MessageType::kCommit;
  m.event_id = event_id;
  m.session_id = run;
  m.commit.stage = stage;
  m.commit.ask = ask;
  m.commit.key_id = key_id;
  m.commit.generation = generation;
  m.commit.fingerprint = fingerprint;
  env_.outbox.Send(to, m);
}

void SessionManager::SendAbort(const Session& s, bool failed) {
  if (!s.started || s.committing || s.setup.protocol == ProtocolType::kSign) return;
  if (s.roster.observer()) return;
  const CommitStage stage = failed ? CommitStage::kFailed : CommitStage::kAbort;
  for (const auto& holder : s.roster.holders())
    if (holder != config_.my_address)
      SendCommit(holder, s.event_id, s.run_id, stage, false, s.setup.key_id, 0, {});
}

void SessionManager::EndRun(Session& s, bool failed, const std::string& why) {
  SendAbort(s, failed);  // the other holders may not have heard it from the one that gave up
  const std::string event_id = s.event_id;
  spdlog::warn("event {}: run given up before it finished here: {}", event_id, why);
  auto moved = failed ? env_.events.Move(event_id, EventStatus::kInProgress, EventStatus::kFailed,
                                         EventChange::WithError(why))
                      : env_.events.Move(event_id, EventStatus::kInProgress, EventStatus::kPending,
                                         EventChange::RetryAt(env_.blocks.CurrentBlock() +
                                                              config_.retry_delay_blocks));
  if (!moved.ok())
    spdlog::error("event {}: could not record the outcome: {}", event_id,
                  moved.status().ToString());
  sessions_.erase(event_id);  // destroys s
}

void SessionManager::LoadCommits() {
  if (commits_loaded_) return;
  commits_loaded_ = true;
  auto ids = env_.keys.List();
  if (!ids.ok()) {
    spdlog::error("listing key records failed: {}", ids.status().ToString());
    return;
  }
  for (const auto& id : *ids) {
    auto record = env_.keys.Load(id);
    if (!record.ok()) {
      spdlog::error("key {}: cannot read its record: {}", id, record.status().ToString());
      continue;
    }
    if (Status st = env_.keys.Mirror(*record); !st.ok())
      spdlog::warn("key {}: cannot mirror its public state: {}", id, st.ToString());
    if (!record->pending) {
      RecordActivated(*record);
      continue;
    }
    Commit c;
    c.key_id = id;
    c.event_id = record->pending->event_id;
    c.run_id = record->pending->run_id;
    c.generation = record->pending->generation;
    c.fingerprint = record->pending->fingerprint;
    c.holders = record->PendingHolders();
    c.keygen = !record->Active();
    c.quorum = !record->pending->participants.empty();
    // A quorum change we only dealt in (AwaitLeaving): we wait for a new holder's report.
    c.leaving = c.quorum && !Contains(c.holders, config_.my_address);
    c.threshold = record->pending->threshold;
    spdlog::warn(
        "key {}: generation {} (event {}) was left pending; asking its holders whether it "
        "became active",
        id, c.generation, c.event_id);
    commits_[id] = std::move(c);
  }
}

std::string SessionManager::KeyResult(const KeyRecord& record) {
  return core::KeyResultJson(KeyResultOf(record));
}

core::NewKey SessionManager::KeyResultOf(const KeyRecord& record) {
  core::NewKey result;
  result.record.key_id = record.key_id;
  result.record.public_key = record.public_key;
  result.record.participants = record.participants;
  result.record.threshold = record.threshold;
  result.generation = record.generation;
  auto chain_code = env_.protocols.ChainCode(record);
  if (chain_code.ok()) {
    result.chain_code = std::move(*chain_code);
  } else {
    spdlog::warn("key {}: its chain code is unreadable, the result goes without it: {}",
                 record.key_id, chain_code.status().message());
  }
  return result;
}

void SessionManager::AwaitLeaving(Session& s, const core::NewKey& key) {
  // A quorum change's leaving dealer: it dealt and holds no share of the new sharing. Its own
  // share stays until a new holder reports the new generation active (Leave): deleting it
  // sooner could leave the key with neither t old nor all new holders.
  const std::string key_id = key.record.key_id;
  if (commits_.count(key_id))
    return Fail(s, InternalError("key " + key_id + " already has a pending generation"));
  // Durably, so that a restart keeps waiting (LoadCommits): the record's pending entry names the
  // run and the new holders, which do not include us. Its share is a copy of our active one —
  // a pending entry must hold one, and this one is never activated (only deleted with the
  // record, or dropped when the change fails).
  auto record = env_.keys.Load(key_id);
  if (!record.ok()) return Fail(s, record.status());
  if (!record->Active()) return Fail(s, InternalError("key " + key_id + " is not active here"));
  core::PendingShare& p = record->pending.emplace();
  p.share = record->share.Clone();
  p.generation = key.generation;
  p.event_id = s.event_id;
  p.run_id = s.run_id;
  p.participants = key.record.participants;
  p.threshold = key.record.threshold;
  if (Status st = env_.keys.Save(*record, /*replace=*/true); !st.ok()) return Fail(s, st);
  Commit c;
  c.key_id = key_id;
  c.event_id = s.event_id;
  c.run_id = s.run_id;
  c.generation = key.generation;
  c.holders = key.record.participants;
  c.threshold = key.record.threshold;
  c.quorum = true;
  c.leaving = true;
  commits_[key_id] = c;
  s.committing = true;
  s.last_activity = env_.clock.Now();
  spdlog::info(
      "event {}: dealt our share of key {} to its {} new holders; we keep it until they "
      "report generation {} active",
      s.event_id, key_id, c.holders.size(), c.generation);
  auto early = std::move(s.early_commits);
  for (const auto& [from, body] : early) {
    Commit* mine = CommitOfRun(c.event_id, c.run_id);
    if (!mine) return;  // resolved by an earlier one (s is gone then)
    CountConfirmation(*mine, from, body);
  }
}

void SessionManager::Leave(const std::string& key_id, const std::string& how) {
  auto found = commits_.find(key_id);
  if (found == commits_.end()) return;
  Commit c = std::move(found->second);
  commits_.erase(found);
  auto record = env_.keys.Load(key_id);
  if (!record.ok()) {
    spdlog::error("key {}: cannot read the record we leave: {}", key_id,
                  record.status().ToString());
    return;
  }
  // The event's result as the new holders record it (the chain code is our old share's: a
  // quorum change keeps it).
  core::NewKey result = KeyResultOf(*record);
  result.record.participants = c.holders;
  result.record.threshold = c.threshold;
  result.generation = c.generation;
  if (Status st = env_.keys.Remove(key_id); !st.ok()) {
    spdlog::critical("key {}: could not delete our share after leaving: {}", key_id, st.ToString());
    return;
  }
  spdlog::info(
      "event {}: key {} generation {} active at its new holders ({}); our share is deleted",
      c.event_id, key_id, c.generation, how);
  auto session = sessions_.find(c.event_id);
  const bool live = session != sessions_.end() && session->second->run_id == c.run_id;
  if (!live) (void)env_.events.Move(c.event_id, EventStatus::kPending, EventStatus::kInProgress);
  auto moved = env_.events.Move(c.event_id, EventStatus::kInProgress, EventStatus::kSuccess,
                                EventChange::WithResult(core::KeyResultJson(result)));
  if (!moved.ok() || !*moved)
    spdlog::error("event {}: left the key but could not record SUCCESS: {}", c.event_id,
                  moved.ok() ? "event was not PENDING or IN_PROGRESS" : moved.status().ToString());
  if (live) sessions_.erase(session);
}

void SessionManager::LogHolderChange(const KeyRecord& record) {
  LogHoldersDiffer(record, env_.validators.Addresses());
}

void LogHoldersDiffer(const KeyRecord& record, const std::vector<std::string>& registered) {
  const core::HolderChange change = core::CompareHolders(record.participants, registered);
  if (change.empty()) return;
  auto list = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& a : v) out += (out.empty() ? "" : ", ") + a;
    return out.empty() ? std::string("none") : out;
  };
  spdlog::warn(
      "key {}: its holders are not the registered validators (registered without a share: {}; "
      "holding without being registered: {}); tss quorumchange --key-id {} moves it to them",
      record.key_id, list(change.joining), list(change.leaving), record.key_id);
}

void SessionManager::RecordActivated(const KeyRecord& record) {
  // A previous process activated this generation but stopped before its event said so (start-up
  // put the event back to PENDING): the event is SUCCESS, as it is at the other holders.
  if (!record.Active() || record.event_id.empty()) return;
  auto event = env_.events.Get(record.event_id);
  if (!event.ok() || !event->has_value() || (*event)->status != EventStatus::kPending) return;
  (void)env_.events.Move(record.event_id, EventStatus::kPending, EventStatus::kInProgress);
  auto moved = env_.events.Move(record.event_id, EventStatus::kInProgress, EventStatus::kSuccess,
                                EventChange::WithResult(KeyResult(record)));
  if (moved.ok() && *moved)
    spdlog::info("event {}: SUCCESS (key {} generation {} was activated before a restart)",
                 record.event_id, record.key_id, record.generation);
}

SessionManager::Commit* SessionManager::CommitOfRun(const std::string& event_id,
                                                    const SessionId& run_id) {
  for (auto& [key_id, c] : commits_)
    if (c.run_id == run_id && c.event_id == event_id) return &c;
  return nullptr;
}

void SessionManager::StorePending(Session& s, core::NewKey key) {
  const bool quorum = s.setup.protocol == ProtocolType::kQuorumChange;
  // A quorum change at a validator that holds the key now is stored beside its active share as
  // a refresh is; at one that joins, it makes a record that is only pending, as a keygen does.
  const bool holder = quorum && s.roster.OldIndexOf(s.roster.me()) != 0;
  const bool refresh = s.setup.protocol == ProtocolType::kKeyrefresh || holder;
  const std::string key_id = key.record.key_id;
  if (commits_.count(key_id))
    return Fail(s, InternalError("key " + key_id + " already has a pending generation"));
  KeyRecord record;
  if (refresh) {
    auto current = env_.keys.Load(key_id);
    if (!current.ok()) return Fail(s, current.status());
    if (!current->Active() || current->public_key != key.record.public_key)
      return Fail(s, InternalError("key " + key_id + " changed under its " +
                                   (quorum ? "quorum change" : "refresh")));
    record = std::move(*current);
  } else {
    record.key_id = key_id;
    record.participants = key.record.participants;
    record.threshold = key.record.threshold;
    record.public_key = key.record.public_key;
  }
  core::PendingShare& p = record.pending.emplace();
  p.share = std::move(key.record.share);
  p.generation = key.generation;
  p.fingerprint = key.fingerprint;
  p.event_id = s.event_id;
  p.run_id = s.run_id;
  if (quorum) {
    p.participants = key.record.participants;
    p.threshold = key.record.threshold;
  }
  // Durable before we confirm: a holder that sees every confirmation may activate at once.
  if (Status st = env_.keys.Save(record, /*replace=*/refresh); !st.ok()) return Fail(s, st);
  crash::At(ProtocolTypeName(s.setup.protocol), "pending.stored");
  Commit c;
  c.key_id = key_id;
  c.event_id = s.event_id;
  c.run_id = s.run_id;
  c.generation = key.generation;
  c.fingerprint = key.fingerprint;
  c.holders = record.PendingHolders();
  c.keygen = !refresh;
  c.quorum = quorum;
  // A quorum change's leaving dealers wait for our news of it (AwaitLeaving).
  if (quorum)
    for (const auto& [party, address] : s.roster.members())
      if (party > s.roster.new_n()) c.watchers.push_back(address);
  commits_[key_id] = c;
  s.committing = true;
  s.last_activity = env_.clock.Now();
  spdlog::info("event {}: key {} generation {} stored pending (fingerprint {}); confirming",
               s.event_id, key_id, c.generation, Short(c.fingerprint));
  for (const auto& holder : c.holders)
    if (holder != config_.my_address)
      SendCommit(holder, c.event_id, c.run_id, CommitStage::kConfirm, false, key_id, c.generation,
                 c.fingerprint);
  // Holders that finished before us already told us.
  auto early = std::move(s.early_commits);
  for (const auto& [from, body] : early) {
    Commit* mine = CommitOfRun(c.event_id, c.run_id);
    if (!mine) return;  // resolved by an earlier one (s is gone then)
    CountConfirmation(*mine, from, body);
  }
}

void SessionManager::CountConfirmation(Commit& c, const std::string& from, const CommitBody& body) {
  const std::string key_id = c.key_id;
  if (body.stage == CommitStage::kAbort)
    return Discard(key_id,
                   "holder " + from +
                       " holds no share of this run and never will (its run expired or died with "
                       "a restart, or another holder gave it up)",
                   /*failed=*/false);
  if (body.stage == CommitStage::kFailed)
    return Discard(key_id,
                   "holder " + from +
                       " reports the run failed (a protocol check, or holders that disagree; its "
                       "own error names the culprit)",
                   /*failed=*/true);
  if (c.leaving) {
    // We hold no share of the new sharing, so we cannot compare fingerprints: a new holder that
    // reports the generation active saw every new holder's confirmation.
    if (body.stage == CommitStage::kActive && body.key_id == c.key_id &&
        body.generation == c.generation)
      Leave(key_id, from + " reports generation " + std::to_string(c.generation) + " active");
    return;
  }
  if (body.key_id != c.key_id || body.generation != c.generation ||
      body.fingerprint != c.fingerprint)
    // Round 3 of the run is an echo of every commitment, from which the public sharing follows:
    // every holder that finished it honestly computed our fingerprint. Named, not recorded
    // against the key (the evidence is not transferable).
    return Discard(key_id,
                   "culprit " + from + ": the holders disagree on the new sharing: " + from +
                       " confirmed key " + body.key_id + " generation " +
                       std::to_string(body.generation) + " fingerprint " + Short(body.fingerprint) +
                       ", we have key " + c.key_id + " generation " + std::to_string(c.generation) +
                       " fingerprint " + Short(c.fingerprint),
                   /*failed=*/true);
  c.confirmed[from] = body.stage;
  if (body.stage == CommitStage::kActive)
    return Activate(key_id, from + " reports it active, so every holder had confirmed it");
  if (c.confirmed.size() + 1 >= c.holders.size())
    return Activate(key_id, "every holder confirmed it");
}

void SessionManager::HandleCommit(const std::string& from, const NodeMessage& m) {
  const CommitBody& body = m.commit;
  if (Commit* mine = CommitOfRun(m.event_id, m.session_id)) {
    const bool watcher = Contains(mine->watchers, from);
    if (from == config_.my_address || (!Contains(mine->holders, from) && !watcher))
      return Drop(drops_.bad_commit, from, m, "not a holder of key " + mine->key_id);
    if (body.stage == CommitStage::kConfirm)
      crash::At(mine->keygen ? "keygen" : "keyrefresh", "confirm.received");
    if (body.ask)  // before we act: it wants our stage
      SendCommit(from, mine->event_id, mine->run_id, CommitStage::kConfirm, false, mine->key_id,
                 mine->generation, mine->fingerprint);
    // A leaving dealer confirms nothing (it holds no new share); its abort or failure counts.
    if (watcher && body.stage != CommitStage::kAbort && body.stage != CommitStage::kFailed) return;
    return CountConfirmation(*mine, from, body);
  }
  // Our run of it has not finished yet: kept for when it has.
  if (auto it = sessions_.find(m.event_id); it != sessions_.end()) {
    Session& s = *it->second;
    if (s.started && !s.committing && s.run_id == m.session_id &&
        s.setup.protocol != ProtocolType::kSign) {
      if (!s.roster.PartyOf(from) || s.roster.observer())
        return Drop(drops_.bad_commit, from, m, "not a party of this run");
      // A holder gave the run up: it can never be confirmed by every holder, so ours ends now
      // (nothing stored), as the giver's did.
      if (body.stage == CommitStage::kAbort)
        return EndRun(s, /*failed=*/false, from + " gave the run up; retrying");
      if (body.stage == CommitStage::kFailed)
        return EndRun(s, /*failed=*/true,
                      "holder " + from +
                          " reports the run failed (a protocol check, or holders that disagree; "
                          "its own error names the culprit)");
      if (body.stage == CommitStage::kConfirm)
        crash::At(ProtocolTypeName(s.setup.protocol), "confirm.received");
      s.early_commits[from] = body;  // one per holder: bounded
      return;
    }
  }
  if (body.stage == CommitStage::kActive) NoteActivated(from, body);
  if (!body.ask) return;
  // A holder asks about a run we hold nothing pending of: we activated it, or we never will.
  if (!body.key_id.empty()) {
    auto record = env_.keys.Load(body.key_id);
    if (record.ok()) {
      // A quorum change's leaving dealer asks whether the generation that event made is active
      // (it knows the number, not the fingerprint). Public news; answered to anyone.
      if (record->Active() && record->event_id == m.event_id &&
          record->generation == body.generation && !Contains(record->participants, from))
        return SendCommit(from, m.event_id, m.session_id, CommitStage::kActive, false, body.key_id,
                          record->generation, record->fingerprint);
      if (!Contains(record->participants, from))
        return Drop(drops_.bad_commit, from, m, "not a holder of key " + body.key_id);
      const bool active = record->Active() && record->generation == body.generation &&
                          record->fingerprint == body.fingerprint;
      const bool retained = record->previous && record->previous->generation == body.generation &&
                            record->previous->fingerprint == body.fingerprint;
      if (active || retained)
        return SendCommit(from, m.event_id, m.session_id, CommitStage::kActive, false, body.key_id,
                          body.generation, body.fingerprint);
      if (record->Active() && record->generation > body.generation) return;  // superseded
    } else if (record.status().code() != ErrorCode::kNotFound) {
      // Unreadable is not absent: an abort now could make the others discard a generation we
      // hold. Silence; they ask again.
      spdlog::error("key {}: cannot read its record to answer {}: {}", body.key_id, from,
                    record.status().ToString());
      return;
    }
  }
  SendCommit(from, m.event_id, m.session_id, CommitStage::kAbort, false, body.key_id,
             body.generation, body.fingerprint);
}

void SessionManager::Activate(const std::string& key_id, const std::string& how) {
  auto found = commits_.find(key_id);
  if (found == commits_.end()) return;
  Commit c = std::move(found->second);
  commits_.erase(found);
  auto record = env_.keys.Load(key_id);
  Status saved = record.status();
  if (record.ok() && (!record->pending || record->pending->run_id != c.run_id))
    saved = InternalError("the record holds no pending share of this run");
  if (saved.ok()) {
    if (c.quorum) {
      // Another sharing: other holders, other party indices, another threshold. The generation
      // it replaces is not retained (see the header: a retained share would sign with the old
      // holders' indices under the new holder list).
      record->participants = record->pending->participants;
      record->threshold = record->pending->threshold;
      record->previous.reset();
    } else if (record->Active()) {
      record->previous =
          core::RetainedShare{std::move(record->share), record->generation, record->fingerprint};
    }
    record->share = std::move(record->pending->share);
    record->generation = c.generation;
    record->fingerprint = c.fingerprint;
    record->event_id = c.event_id;
    record->pending.reset();
    if (!c.keygen) record->culprits.clear();  // fresh OT material with every pair
    saved = env_.keys.Save(*record, /*replace=*/true);
  }
  if (!saved.ok()) {
    // Still pending on disk, never used; kept here (it still blocks new runs of the key) and
    // tried again at the next expiry pass.
    spdlog::critical("key {}: could not activate generation {}: {}", key_id, c.generation,
                     saved.ToString());
    commits_[key_id] = std::move(c);
    return;
  }
  const char* protocol = c.quorum ? "quorumchange" : c.keygen ? "keygen" : "keyrefresh";
  crash::At(protocol, "activated");
  spdlog::info("event {}: key {} generation {} active ({})", c.event_id, key_id, c.generation, how);
  if (c.quorum) LogHolderChange(*record);
  for (const auto& holder : c.Told())
    if (holder != config_.my_address)
      SendCommit(holder, c.event_id, c.run_id, CommitStage::kActive, false, key_id, c.generation,
                 c.fingerprint);
  auto& seen = activated_[key_id];
  seen.first = c.fingerprint;
  seen.second = {config_.my_address};
  for (const auto& [holder, stage] : c.confirmed)
    if (stage == CommitStage::kActive) seen.second.insert(holder);
  // The event: SUCCESS, with the public key, only now.
  auto session = sessions_.find(c.event_id);
  const bool live = session != sessions_.end() && session->second->run_id == c.run_id;
  if (!live) (void)env_.events.Move(c.event_id, EventStatus::kPending, EventStatus::kInProgress);
  auto moved = env_.events.Move(c.event_id, EventStatus::kInProgress, EventStatus::kSuccess,
                                EventChange::WithResult(KeyResult(*record)));
  if (!moved.ok() || !*moved)
    spdlog::error("event {}: key active but could not record SUCCESS: {}", c.event_id,
                  moved.ok() ? "event was not PENDING or IN_PROGRESS" : moved.status().ToString());
  else
    spdlog::info("event {}: SUCCESS", c.event_id);
  crash::At(protocol, "result.stored");
  if (live) sessions_.erase(session);
  NoteActivated(config_.my_address,
                CommitBody{CommitStage::kActive, false, key_id, c.generation, c.fingerprint});
}

void SessionManager::NoteActivated(const std::string& from, const CommitBody& body) {
  auto it = activated_.find(body.key_id);
  if (it == activated_.end() || it->second.first != body.fingerprint) return;
  it->second.second.insert(from);
  auto record = env_.keys.Load(body.key_id);
  if (!record.ok() || !Contains(record->participants, from)) return;
  for (const auto& holder : record->participants)
    if (!it->second.second.count(holder)) return;
  activated_.erase(it);
  if (!record->previous || record->fingerprint != body.fingerprint) return;
  const uint32_t old = record->previous->generation;
  record->previous.reset();
  if (Status st = env_.keys.Save(*record, /*replace=*/true); !st.ok())
    spdlog::error("key {}: could not drop retained generation {}: {}", body.key_id, old,
                  st.ToString());
  else
    spdlog::info("key {}: generation {} active at every holder; generation {} deleted", body.key_id,
                 body.generation, old);
}

void SessionManager::Discard(const std::string& key_id, const std::string& why, bool failed) {
  auto found = commits_.find(key_id);
  if (found == commits_.end()) return;
  Commit c = std::move(found->second);
  commits_.erase(found);
  auto record = env_.keys.Load(key_id);
  Status removed = record.status();
  if (record.ok() && record->pending && record->pending->run_id == c.run_id) {
    if (record->Active()) {
      record->pending.reset();
      removed = env_.keys.Save(*record, /*replace=*/true);
    } else {
      removed = env_.keys.Remove(key_id);
    }
  }
  if (!removed.ok())
    spdlog::critical("key {}: could not delete discarded generation {}: {}", key_id, c.generation,
                     removed.ToString());
  spdlog::warn("event {}: key {} generation {} discarded unused{}: {}", c.event_id, key_id,
               c.generation, c.keygen ? " (no key)" : ", the active generation stays", why);
  for (const auto& holder : c.Told())
    if (holder != config_.my_address)
      SendCommit(holder, c.event_id, c.run_id, failed ? CommitStage::kFailed : CommitStage::kAbort,
                 false, key_id, c.generation, c.fingerprint);
  auto session = sessions_.find(c.event_id);
  const bool live = session != sessions_.end() && session->second->run_id == c.run_id;
  if (failed) {
    if (!live) (void)env_.events.Move(c.event_id, EventStatus::kPending, EventStatus::kInProgress);
    auto moved = env_.events.Move(c.event_id, EventStatus::kInProgress, EventStatus::kFailed,
                                  EventChange::WithError(why));
    if (!moved.ok())
      spdlog::error("event {}: could not record FAILED: {}", c.event_id, moved.status().ToString());
  } else if (live) {
    const uint64_t block = env_.blocks.CurrentBlock() + config_.retry_delay_blocks;
    auto moved = env_.events.Move(c.event_id, EventStatus::kInProgress, EventStatus::kPending,
                                  EventChange::RetryAt(block));
    if (!moved.ok())
      spdlog::error("event {}: could not reset: {}", c.event_id, moved.status().ToString());
  }
  if (live) sessions_.erase(session);
}

void SessionManager::AskPending() {
  std::vector<std::string> ready;  // every holder confirmed, but activating failed before
  for (const auto& [key_id, c] : commits_) {
    if (c.leaving) continue;  // activated by a new holder's report only
    bool reported_active = false;
    for (const auto& [holder, stage] : c.confirmed)
      reported_active |= stage == CommitStage::kActive;
    if (reported_active || c.confirmed.size() + 1 >= c.holders.size()) ready.push_back(key_id);
  }
  for (const auto& key_id : ready) Activate(key_id, "every holder confirmed it (retried)");
  for (const auto& [key_id, c] : commits_)
    for (const auto& holder : c.holders)
      if (holder != config_.my_address && !c.confirmed.count(holder))
        SendCommit(holder, c.event_id, c.run_id, CommitStage::kConfirm, /*ask=*/true, key_id,
                   c.generation, c.fingerprint);
}

}  // namespace tss::sessionmanager

#include "coordinator/coordinator.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/check.h"
#include "core/selection.h"
#include "crypto/rng.h"

namespace tss::coordinator {

using core::Event;
using core::EventStatus;
using core::KeyRecord;
using core::MessageType;
using core::ProtocolType;
using core::SetupBody;

Coordinator::Coordinator(CoordinatorConfig config, core::NodeEnv env)
    : config_(std::move(config)), env_(std::move(env)) {}

Result<SetupBody> Coordinator::BuildSetup(const Event& event, uint64_t block,
                                          const std::vector<std::string>& validators) {
  SetupBody setup;
  setup.protocol = event.protocol;
  setup.block_number = block;
  env_.rng.Fill({reinterpret_cast<uint8_t*>(&setup.nonce), sizeof setup.nonce});
  setup.key_id = event.key_id;
  setup.message_hash = event.message_hash;
  setup.chain_path = event.chain_path;
  if (event.protocol == ProtocolType::kKeygen) {
    // Seed: "Keygen/Keyrefresh: All eligible validators participate".
    if (validators.size() < 2) return InvalidArgument("keygen needs at least 2 validators");
    setup.participants = validators;
    setup.threshold = static_cast<uint16_t>(core::Threshold(static_cast<int>(validators.size())));
    return setup;
  }
  TSS_ASSIGN_OR_RETURN(KeyRecord key, env_.keys.Load(event.key_id));
  setup.threshold = key.threshold;
  if (event.protocol == ProtocolType::kKeyrefresh) {
    setup.participants = key.participants;
    return setup;
  }
  // Seed: "Sign: Exactly threshold participants are selected (deterministically based on
  // event/block)" — from the key holders that are validators now, less those we blamed and
  // those another holder refused to sign with. Participants recompute the draw.
  std::set<std::string> excluded(key.culprits.begin(), key.culprits.end());
  if (auto it = refused_.find(event.key_id); it != refused_.end()) {
    auto now = env_.clock.Now();
    std::erase_if(it->second, [&](const auto& kv) { return kv.second <= now; });
    for (const auto& [address, until] : it->second) excluded.insert(address);
  }
  for (const auto& p : excluded)
    if (std::count(key.participants.begin(), key.participants.end(), p))
      setup.excluded.push_back(p);  // sorted: a std::set
  auto signers = core::SignersFor(key.participants, validators, setup.excluded, key.threshold,
                                  event.event_id, block);
  if (!signers.ok())
    return InvalidArgument(signers.status().message() +
                           (setup.excluded.empty() ? "" : "; refresh the key (tss keyrefresh)"));
  setup.participants = std::move(*signers);
  return setup;
}

void Coordinator::Poll() {
  TSS_DCHECK(env_.in_loop());
  auto now = env_.clock.Now();
  for (auto it = attempts_.begin(); it != attempts_.end();) {
    if (now - it->second.started > config_.ack_timeout) {
      spdlog::warn(
          "event {}: only {}/{} participants acknowledged the setup in time; retrying later",
          it->first, it->second.acked.size(), it->second.participants.size());
      std::string event_id = it->first;
      it = attempts_.erase(it);
      GiveUp(event_id);
    } else {
      ++it;
    }
  }
  std::erase_if(backoff_until_, [&](const auto& kv) { return kv.second <= now; });

  uint64_t block = env_.blocks.CurrentBlock();
  if (env_.validators.CoordinatorAt(block) != config_.my_address) return;
  const std::vector<std::string> validators = env_.validators.Addresses();
  auto pending = env_.events.Pending(block, config_.max_events_per_poll);
  if (!pending.ok()) {
    spdlog::error("polling events failed: {}", pending.status().ToString());
    return;
  }
  AddStranded(block, *pending);
  for (const Event& event : *pending) {
    if (attempts_.count(event.event_id) || backoff_until_.count(event.event_id)) continue;
    // Events no node can process are failed by every node's expiry sweep, not coordinated.
    if (!core::CheckEvent(event).ok()) continue;
    stranded_.erase(event.event_id);
    auto setup = BuildSetup(event, block, validators);
    if (!setup.ok()) {
      spdlog::warn("event {}: cannot coordinate: {}", event.event_id, setup.status().message());
      backoff_until_[event.event_id] = now + config_.retry_backoff;
      continue;
    }
    NodeMessage msg;
    msg.type = MessageType::kSetup;
    msg.event_id = event.event_id;
    msg.setup = std::move(*setup);
    msg.session_id = core::DeriveSessionId(msg.event_id, msg.setup);
    Attempt attempt{msg.session_id, event.key_id, msg.setup.participants, {}, now};
    spdlog::info("event {}: coordinating {} with {} participants", event.event_id,
                 ProtocolTypeName(event.protocol), msg.setup.participants.size());
    // Signers get the setup to take part; the key's other holders get it to observe, so their
    // copy of the event ends with the same verified result.
    std::vector<std::string> recipients = msg.setup.participants;
    if (event.protocol == ProtocolType::kSign) {
      auto key = env_.keys.Load(event.key_id);
      if (key.ok())
        for (const auto& p : key->participants)
          if (!std::count(recipients.begin(), recipients.end(), p)) recipients.push_back(p);
    }
    attempts_[event.event_id] = std::move(attempt);
    for (const auto& r : recipients) env_.outbox.Send(r, msg);
  }
}

void Coordinator::OnAck(const std::string& from, const NodeMessage& message) {
  TSS_DCHECK(env_.in_loop());
  auto it = attempts_.find(message.event_id);
  if (it == attempts_.end() || it->second.session_id != message.session_id) return;  // stale
  Attempt& a = it->second;
  if (!std::count(a.participants.begin(), a.participants.end(), from)) {
    spdlog::warn("event {}: ack from non-participant {} dropped", message.event_id, from);
    return;
  }
  a.acked[from] = message.contribution;
  if (a.acked.size() < a.participants.size()) return;
  NodeMessage begin;
  begin.type = MessageType::kBegin;
  begin.event_id = message.event_id;
  begin.session_id = a.session_id;
  for (const auto& p : a.participants) begin.contributions.push_back(a.acked[p]);
  std::vector<std::string> participants = std::move(a.participants);
  attempts_.erase(it);  // from here on the participants' sessions own the event
  stranded_.erase(message.event_id);
  failures_.erase(message.event_id);
  for (const auto& p : participants) env_.outbox.Send(p, begin);
}

void Coordinator::OnNack(const std::string& from, const NodeMessage& message) {
  TSS_DCHECK(env_.in_loop());
  auto it = attempts_.find(message.event_id);
  if (it == attempts_.end() || it->second.session_id != message.session_id) return;
  if (!std::count(it->second.participants.begin(), it->second.participants.end(), from)) return;
  // A holder that will not sign with some signers (it blamed them on this key) leaves them out
  // of our next draws for the key. A lying holder can only shrink the draw; the rule stays the
  // one participants check.
  for (const auto& r : message.refused)
    if (r != from) refused_[it->second.key_id][r] = env_.clock.Now() + config_.refusal_memory;
  Abandon(message.event_id, from + " declined: " + message.reason);
}

void Coordinator::Abandon(const std::string& event_id, const std::string& why) {
  spdlog::info("event {}: attempt abandoned ({}); retrying later", event_id, why);
  attempts_.erase(event_id);
  GiveUp(event_id);
}

void Coordinator::GiveUp(const std::string& event_id) {
  // Back off 1, 2, 4 … 64 × retry_backoff over consecutive failed attempts: a participant that
  // keeps declining (still busy with a run, or done with the event already) is not hammered.
  const int failures = std::min(++failures_[event_id], 7);
  backoff_until_[event_id] = env_.clock.Now() + config_.retry_backoff * (1 << (failures - 1));
  stranded_.insert(event_id);
}

void Coordinator::AddStranded(uint64_t block, std::vector<Event>& pending) {
  // Our own session manager accepted the abandoned attempt's setup like every participant did,
  // so our copy of the event is IN_PROGRESS and would wait out the whole session expiry before
  // the PENDING query showed it again. No begin was sent for it, so no protocol ran: a new
  // attempt (new nonce, new session id) replaces those unbegun sessions everywhere.
  for (auto it = stranded_.begin(); it != stranded_.end();) {
    if (backoff_until_.count(*it)) {
      ++it;
      continue;
    }
    auto event = env_.events.Get(*it);
    if (!event.ok()) {
      ++it;  // a database hiccup: try again next poll
      continue;
    }
    // Past its expiry height it is left to our session's expiry, which puts it back to PENDING
    // where it expires.
    const bool retry = event->has_value() && (*event)->status == EventStatus::kInProgress &&
                       (*event)->block_number <= block &&
                       !((*event)->expiry_height && (*event)->expiry_height < block);
    const bool over = !event->has_value() || ((*event)->status != EventStatus::kPending &&
                                              (*event)->status != EventStatus::kInProgress);
    if (over) failures_.erase(*it);
    if (retry) pending.push_back(std::move(**event));
    // PENDING copies come back through the query; finished or vanished ones need nothing more.
    it = retry ? std::next(it) : stranded_.erase(it);
  }
}

}  // namespace tss::coordinator

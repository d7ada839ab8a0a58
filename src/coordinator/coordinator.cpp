#include "coordinator/coordinator.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/check.h"
#include "common/crash_point.h"
#include "core/selection.h"
#include "crypto/rng.h"

namespace tss::coordinator {

using core::Event;
using core::EventStatus;
using core::KeyRecord;
using core::MessageType;
using core::ProtocolType;
using core::SetupBody;

GenerationChoice ChooseGeneration(
    const std::map<std::string, std::vector<core::GenerationId>>& offered) {
  GenerationChoice choice;
  std::map<core::GenerationId, size_t> holders;  // how many signers offered each
  for (const auto& [signer, generations] : offered) {
    std::set<core::GenerationId> distinct(generations.begin(), generations.end());
    for (const auto& g : distinct) ++holders[g];
  }
  // Newest first: the first one every signer offered is the choice.
  for (auto it = holders.rbegin(); it != holders.rend(); ++it)
    if (it->second == offered.size()) {
      choice.generation = it->first;
      return choice;
    }
  const core::GenerationId* most = nullptr;
  size_t count = 0;
  for (auto it = holders.rbegin(); it != holders.rend(); ++it)
    if (it->second > count) {
      most = &it->first;
      count = it->second;
    }
  for (const auto& [signer, generations] : offered)
    if (!most || std::find(generations.begin(), generations.end(), *most) == generations.end())
      choice.lacking.push_back(signer);
  return choice;
}

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
  if (event.protocol == ProtocolType::kQuorumChange) {
    // The key moves to every validator registered now; its holders that are leaving (known, not
    // registered) and reachable in our view deal beside the registered ones (core::
    // QuorumChangeMembersFor, which every participant re-checks).
    if (!key.Active()) return InvalidArgument("key " + key.key_id + " is not active yet");
    const std::vector<std::string> known = env_.validators.Known();
    std::vector<std::string> leavers;
    for (const auto& p : key.participants)
      if (!std::binary_search(validators.begin(), validators.end(), p) &&
          std::binary_search(known.begin(), known.end(), p) && env_.is_live(p))
        leavers.push_back(p);
    TSS_ASSIGN_OR_RETURN(auto members, core::QuorumChangeMembersFor(key.participants, key.threshold,
                                                                    validators, leavers));
    setup.participants = std::move(members.participants);
    setup.threshold = members.new_t;
    core::QuorumChangeLayout& layout = setup.quorum.emplace();
    layout.old_holders = key.participants;
    layout.new_n = members.new_n;
    TSS_ASSIGN_OR_RETURN(layout.key_digest, env_.protocols.ProtocolKeyId(key));
    return setup;
  }
  setup.threshold = key.threshold;
  if (event.protocol == ProtocolType::kKeyrefresh) {
    setup.participants = key.participants;
    return setup;
  }
  // Seed: "Sign: Exactly threshold participants are selected (deterministically based on
  // event/block)" — from the key holders that are validators now, less those we blamed and
  // those another holder refused to sign with, and, while t others remain, less those that are
  // not live in our view and those that let one of this event's attempts down. Participants
  // recompute the draw from `excluded`; why each is excluded is ours to judge (a coordinator
  // can already choose whom to wait for, so this gives it no new power).
  std::set<std::string> blamed(key.culprits.begin(), key.culprits.end());
  if (auto it = refused_.find(event.key_id); it != refused_.end()) {
    auto now = env_.clock.Now();
    std::erase_if(it->second, [&](const auto& kv) { return kv.second <= now; });
    for (const auto& [address, until] : it->second) blamed.insert(address);
  }
  std::set<std::string> down;
  std::vector<std::string> skipped;
  for (const auto& p : key.participants)
    if (!env_.is_live(p)) down.insert(p);
  if (auto it = skipped_.find(event.event_id); it != skipped_.end()) skipped = it->second;
  // Most exclusions first; fewer when they leave less than t (a liveness view can be wrong,
  // and a decliner may accept now): trying beats stalling. The skipped go back one at a time,
  // the one that let an attempt down longest ago first. Why not all at once: a holder that
  // declined only because the event had not reached it yet, followed by a signer gone silent
  // with its connection still open (a partition the liveness view has not noticed), would
  // bring the silent one back into every draw at that block (tests/faults/failover_test.cpp,
  // ALateDeclinerDoesNotBringASilentSignerBackIntoTheDraw).
  Result<std::vector<std::string>> signers = InvalidArgument("no draw");
  const int skip_steps = static_cast<int>(skipped.size());
  for (int widen = 0; widen <= skip_steps + 1; ++widen) {
    std::set<std::string> excluded = blamed;
    if (widen <= skip_steps) {
      excluded.insert(down.begin(), down.end());
      excluded.insert(skipped.begin() + widen, skipped.end());
    }
    setup.excluded.clear();
    for (const auto& p : excluded)
      if (std::count(key.participants.begin(), key.participants.end(), p))
        setup.excluded.push_back(p);  // sorted: a std::set
    signers = core::SignersFor(key.participants, validators, setup.excluded, key.threshold,
                               event.event_id, block);
    if (signers.ok()) break;
  }
  if (!signers.ok())
    return InvalidArgument(signers.status().message() +
                           (setup.excluded.empty() ? "" : "; refresh the key (tss keyrefresh)"));
  setup.participants = std::move(*signers);
  return setup;
}

CoordinatorStats Coordinator::stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

bool Coordinator::Acting(const std::vector<std::string>& order, size_t my_rank, const Event& event,
                         uint64_t block) const {
  if (my_rank == 0) return true;
  return core::CoordinatorRank(order, config_.my_address, event.block_number, block,
                               config_.takeover_blocks, env_.is_live)
      .has_value();
}

void Coordinator::Poll() {
  TSS_DCHECK(env_.in_loop());
  auto now = env_.clock.Now();
  for (auto it = attempts_.begin(); it != attempts_.end();) {
    if (now - it->second.started > config_.ack_timeout) {
      spdlog::warn(
          "event {}: only {}/{} participants acknowledged the setup in time; retrying without the "
          "rest",
          it->first, it->second.acked.size(), it->second.participants.size());
      std::string event_id = it->first;
      std::vector<std::string> silent;
      for (const auto& p : it->second.participants)
        if (!it->second.acked.count(p)) silent.push_back(p);
      it = attempts_.erase(it);
      {
        std::lock_guard lock(stats_mu_);
        ++stats_.timed_out;
      }
      GiveUp(event_id, silent);
    } else {
      ++it;
    }
  }
  std::erase_if(backoff_until_, [&](const auto& kv) { return kv.second <= now; });

  uint64_t block = env_.blocks.CurrentBlock();
  // Primary or backup: every validator polls, and acts on the events the failover rule gives
  // it (Acting). The primary's setup moves a backup's own copy to IN_PROGRESS, so a backup
  // that holds a share stops seeing an event the primary started.
  const std::vector<std::string> order = env_.validators.CoordinatorOrderAt(block);
  auto mine = std::find(order.begin(), order.end(), config_.my_address);
  if (mine == order.end()) return;
  const size_t my_rank = static_cast<size_t>(mine - order.begin());
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
    if (!Acting(order, my_rank, event, block)) continue;
    stranded_.erase(event.event_id);
    // A retry within the block of the previous attempt goes one block later: participants
    // order attempts by block (a late setup of an older one must not replace a newer one), and
    // the draw is fresh. Never across a turn boundary, where the order would change.
    uint64_t at = block;
    if (auto last = last_block_.find(event.event_id);
        last != last_block_.end() && last->second >= block &&
        env_.validators.CoordinatorOrderAt(block + 1) == order)
      at = block + 1;
    auto setup = BuildSetup(event, at, validators);
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
    Attempt attempt{
        msg.session_id, event.protocol, event.key_id, msg.setup.participants, {}, now, {}};
    spdlog::info("event {}: coordinating {} with {} participants{}", event.event_id,
                 ProtocolTypeName(event.protocol), msg.setup.participants.size(),
                 my_rank ? " as backup " + std::to_string(my_rank) : std::string());
    {
      std::lock_guard lock(stats_mu_);
      ++stats_.attempts;
      if (my_rank) ++stats_.as_backup;
    }
    ++tries_[event.event_id];
    last_block_[event.event_id] = at;
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
  if (a.protocol == ProtocolType::kSign) a.offered[from] = message.generations;
  crash::At(ProtocolTypeName(a.protocol), "ack.received");
  if (a.acked.size() < a.participants.size()) return;
  NodeMessage begin;
  begin.type = MessageType::kBegin;
  begin.event_id = message.event_id;
  begin.session_id = a.session_id;
  for (const auto& p : a.participants) begin.contributions.push_back(a.acked[p]);
  if (a.protocol == ProtocolType::kSign) {
    GenerationChoice choice = ChooseGeneration(a.offered);
    if (!choice.generation) {
      std::string lacking;
      for (const auto& p : choice.lacking) lacking += (lacking.empty() ? "" : ", ") + p;
      {
        std::lock_guard lock(stats_mu_);
        ++stats_.no_common_generation;
      }
      return Abandon(message.event_id,
                     "the signers hold no common generation of key " + a.key_id + "; " + lacking +
                         " lack the one most of them hold",
                     choice.lacking);
    }
    begin.generation = choice.generation;
    for (const auto& [signer, generations] : a.offered)
      if (!generations.empty() && generations.front() != *choice.generation) {
        spdlog::info(
            "event {}: signing with generation {} of key {}, which {} holds only as its "
            "retained one",
            message.event_id, choice.generation->generation, a.key_id, signer);
        std::lock_guard lock(stats_mu_);
        ++stats_.begun_previous;
        break;
      }
  }
  std::vector<std::string> participants = std::move(a.participants);
  attempts_.erase(it);  // from here on the participants' sessions own the event
  stranded_.erase(message.event_id);
  failures_.erase(message.event_id);
  skipped_.erase(message.event_id);
  last_block_.erase(message.event_id);
  {
    std::lock_guard lock(stats_mu_);
    ++stats_.begun;
    stats_.most_retries = std::max(stats_.most_retries, tries_[message.event_id] - 1);
  }
  tries_.erase(message.event_id);
  for (const auto& p : participants) env_.outbox.Send(p, begin);
}

bool Coordinator::Waiting(const std::string& event_id, const SessionId& session_id) const {
  auto it = attempts_.find(event_id);
  return it != attempts_.end() && it->second.session_id == session_id;
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
  {
    std::lock_guard lock(stats_mu_);
    ++stats_.declined;
  }
  Abandon(message.event_id, from + " declined: " + message.reason, {from});
}

void Coordinator::Abandon(const std::string& event_id, const std::string& why,
                          const std::vector<std::string>& skip) {
  spdlog::info("event {}: attempt abandoned ({}); retrying", event_id, why);
  attempts_.erase(event_id);
  GiveUp(event_id, skip);
}

void Coordinator::GiveUp(const std::string& event_id, const std::vector<std::string>& skip) {
  auto& skipped = skipped_[event_id];
  for (const auto& p : skip) {
    std::erase(skipped, p);
    skipped.push_back(p);  // the most recent last (see BuildSetup)
  }
  // The first failure retries at the next poll, without `skip`: one dead or busy signer costs
  // one ACK timeout at most. Later ones back off 1, 2, 4 … 64 × retry_backoff: a participant
  // that keeps declining (still busy with a run, or done with the event already) is not
  // hammered.
  const int failures = std::min(++failures_[event_id], 8);
  if (failures > 1)
    backoff_until_[event_id] = env_.clock.Now() + config_.retry_backoff * (1 << (failures - 2));
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
    if (over) {
      failures_.erase(*it);
      skipped_.erase(*it);
      tries_.erase(*it);
      last_block_.erase(*it);
    }
    if (retry) pending.push_back(std::move(**event));
    // PENDING copies come back through the query; finished or vanished ones need nothing more.
    it = retry ? std::next(it) : stranded_.erase(it);
  }
}

}  // namespace tss::coordinator

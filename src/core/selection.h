// core/selection.h — the deterministic rules every node computes identically:
// threshold, which validator coordinates at a block, which validators sign an event, and the
// session id of an attempt. Pure functions; no state.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/messages.h"

namespace tss::core {

// floor(2n/3) + 1: more than two thirds (seed: "Threshold Calculation").
int Threshold(int n);

// (block / range) % n — the index, in the address-sorted validator list, of the coordinator.
size_t CoordinatorIndex(uint64_t block, uint64_t range, size_t n);

// Coordinator failover: who may coordinate an event at a block.
//
// The order: rank 0 is the seed's primary, (block / range) % n in the address-sorted list, and
// rank k is the validator k places after it (wrapping). Every node computes it identically from
// the block alone.
//
// The rule (CoordinatorRank): the validator at rank k may coordinate an event that became
// eligible at `event_block` when
//   (a) k == 0, or
//   (b) the takeover window has passed for it: block >= event_block + k * takeover_blocks, or
//   (c) every validator ranked ahead of it is not live in the deciding node's view.
// A backup acts by this rule in its own view; a participant accepts its setup by the same rule
// in the participant's view. (b) alone would make a dead primary cost takeover_blocks seconds
// (1 block = 1 s on ClockBlockSource) per dead rank; (c) lets a backup act at its first poll
// once the ones ahead are known down — a stopped node's connections close, which every live
// node sees within about a second — and (b) still bounds the wait when views disagree (a
// participant that never connected to the dead primary counts it live). Being accepted is not
// being alone: two coordinators may act at once when views differ or a window passes; what
// keeps one event from running twice is the session manager's (one session per event, a begun
// run is never replaced, run ids single-use), not this rule.
std::vector<std::string> CoordinatorOrder(const std::vector<std::string>& sorted_validators,
                                          uint64_t block, uint64_t range);
// The rank of `candidate` if the rule lets it coordinate, else nullopt (also when it is not a
// validator). `live` is the deciding node's view.
std::optional<size_t> CoordinatorRank(const std::vector<std::string>& order,
                                      const std::string& candidate, uint64_t event_block,
                                      uint64_t block, uint64_t takeover_blocks,
                                      const std::function<bool(const std::string&)>& live);

// Exactly t of the (sorted, distinct) validators, chosen by a Fisher–Yates shuffle driven by
// SHA-256(event_id, block) — every node gets the same set, and a retry at a later block gets a
// fresh draw, so one unresponsive signer does not block an event forever. Returned sorted.
std::vector<std::string> SelectSignParticipants(const std::vector<std::string>& sorted_validators,
                                                int t, const std::string& event_id, uint64_t block);

// The signer set of a sign attempt, by the rule every participant re-checks: the key's holders
// that are registered validators and not excluded by the setup, then SelectSignParticipants.
// Fails when fewer than t remain.
Result<std::vector<std::string>> SignersFor(const std::vector<std::string>& key_holders,
                                            const std::vector<std::string>& sorted_validators,
                                            const std::vector<std::string>& excluded, int t,
                                            const std::string& event_id, uint64_t block);

// A quorum change's participants by the rule every participant re-checks: the new holders are
// `registered` (the validators registered now, sorted; new index = position + 1), followed by
// `leavers` (sorted): key holders that are not registered but still known and reachable, which
// take part only to deal. The dealers are the key's holders among them; fewer than `t_old`
// fail, and so does a new set of fewer than 2. The new threshold is Threshold(new n).
struct QuorumChangeMembers {
  std::vector<std::string> participants;
  uint16_t new_n = 0;
  uint16_t new_t = 0;
  size_t dealers = 0;
};
Result<QuorumChangeMembers> QuorumChangeMembersFor(const std::vector<std::string>& key_holders,
                                                   int t_old,
                                                   const std::vector<std::string>& registered,
                                                   std::vector<std::string> leavers);

// How a key's holders differ from the validators registered now (both any order): registered
// validators that hold no share (joining), and holders that are not registered (leaving or
// gone). Both empty when a quorum change would not change the set. Sorted.
struct HolderChange {
  std::vector<std::string> joining;
  std::vector<std::string> leaving;
  bool empty() const { return joining.empty() && leaving.empty(); }
};
HolderChange CompareHolders(std::vector<std::string> holders, std::vector<std::string> registered);

// The session id of one attempt: a hash of everything the setup fixes, so every participant
// derives it independently and a message from another attempt or event never matches.
SessionId DeriveSessionId(const std::string& event_id, const SetupBody& setup);

}  // namespace tss::core

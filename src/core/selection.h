// core/selection.h — the deterministic rules every node computes identically:
// threshold, which validator coordinates at a block, which validators sign an event, and the
// session id of an attempt. Pure functions; no state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/messages.h"

namespace tss::core {

// floor(2n/3) + 1: more than two thirds (seed: "Threshold Calculation").
int Threshold(int n);

// (block / range) % n — the index, in the address-sorted validator list, of the coordinator.
size_t CoordinatorIndex(uint64_t block, uint64_t range, size_t n);

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

// The session id of one attempt: a hash of everything the setup fixes, so every participant
// derives it independently and a message from another attempt or event never matches.
SessionId DeriveSessionId(const std::string& event_id, const SetupBody& setup);

}  // namespace tss::core

// core/validator_set.h — the validators as the registry shows them now, shared by the parts of
// one node.
//
// Owns: validator address <-> peer id, the sorted address list every node computes identically,
// and which validator coordinates at a block.
//
// Leaving validators. A registry entry may say `"leaving": true` (tss node --leaving): the
// validator is on its way out. It stays known here — its peer id maps to its address, so its
// messages are accepted and it can deal its share in the quorum change that moves its keys to the
// others — but it is not registered in the sense every rule uses: Addresses() (thresholds, the
// coordinator order, keygen's participants, sign draws, a quorum change's new set) leaves it out.
// The node owns one and replaces its contents when the registry changes; the coordinator and the
// session manager read it. Thread-safe (the network's threads map peer ids while the loop reads).
// Must not touch: the registry file, the network.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tss::core {

struct Validator {
  std::string address;
  std::string peer_id;
  bool leaving = false;  // registered as leaving: known, but not of the registered set
  bool operator==(const Validator&) const = default;
};

class ValidatorSet {
 public:
  // `coordinator_range`: blocks per coordinator turn (seed default 1000).
  explicit ValidatorSet(uint64_t coordinator_range = 1000) : range_(coordinator_range) {}

  // Replaces the set (any order; entries without address or peer id are ignored; a repeated
  // address keeps its last entry).
  void Replace(std::vector<Validator> validators);
  // The registered validators, sorted: every known one that is not leaving.
  std::vector<std::string> Addresses() const;
  // Every known validator, leaving ones included, sorted.
  std::vector<std::string> Known() const;
  bool Leaving(const std::string& address) const;
  size_t size() const;  // of Addresses()
  std::optional<std::string> PeerOf(const std::string& address) const;
  std::optional<std::string> AddressOf(const std::string& peer_id) const;
  // The validator that coordinates at `block`: (block / range) % n in Addresses().
  std::optional<std::string> CoordinatorAt(uint64_t block) const;
  // Every validator in coordinator failover order at `block`: the primary (CoordinatorAt)
  // first, then its backups (core::CoordinatorOrder).
  std::vector<std::string> CoordinatorOrderAt(uint64_t block) const;

 private:
  const uint64_t range_;
  mutable std::mutex mu_;
  std::vector<Validator> sorted_;  // by address, distinct
};

}  // namespace tss::core

#include "core/validator_set.h"

#include <algorithm>

#include "core/selection.h"

namespace tss::core {

void ValidatorSet::Replace(std::vector<Validator> validators) {
  std::erase_if(validators,
                [](const Validator& v) { return v.address.empty() || v.peer_id.empty(); });
  // Stable, so that among entries of one address the last one given is kept below.
  std::stable_sort(validators.begin(), validators.end(),
                   [](const Validator& a, const Validator& b) { return a.address < b.address; });
  std::vector<Validator> distinct;
  for (auto& v : validators) {
    if (!distinct.empty() && distinct.back().address == v.address)
      distinct.back() = std::move(v);
    else
      distinct.push_back(std::move(v));
  }
  std::lock_guard lock(mu_);
  sorted_ = std::move(distinct);
}

std::vector<std::string> ValidatorSet::Addresses() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  out.reserve(sorted_.size());
  for (const auto& v : sorted_)
    if (!v.leaving) out.push_back(v.address);
  return out;
}

std::vector<std::string> ValidatorSet::Known() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  out.reserve(sorted_.size());
  for (const auto& v : sorted_) out.push_back(v.address);
  return out;
}

bool ValidatorSet::Leaving(const std::string& address) const {
  std::lock_guard lock(mu_);
  for (const auto& v : sorted_)
    if (v.address == address) return v.leaving;
  return false;
}

size_t ValidatorSet::size() const {
  return Addresses().size();
}

std::optional<std::string> ValidatorSet::PeerOf(const std::string& address) const {
  std::lock_guard lock(mu_);
  auto it =
      std::lower_bound(sorted_.begin(), sorted_.end(), address,
                       [](const Validator& v, const std::string& a) { return v.address < a; });
  if (it == sorted_.end() || it->address != address) return std::nullopt;
  return it->peer_id;
}

std::optional<std::string> ValidatorSet::AddressOf(const std::string& peer_id) const {
  std::lock_guard lock(mu_);
  for (const auto& v : sorted_)
    if (v.peer_id == peer_id) return v.address;
  return std::nullopt;
}

std::optional<std::string> ValidatorSet::CoordinatorAt(uint64_t block) const {
  const auto registered = Addresses();
  if (registered.empty()) return std::nullopt;
  return registered[CoordinatorIndex(block, range_, registered.size())];
}

std::vector<std::string> ValidatorSet::CoordinatorOrderAt(uint64_t block) const {
  return CoordinatorOrder(Addresses(), block, range_);
}

}  // namespace tss::core

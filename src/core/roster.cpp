#include "core/roster.h"

#include <algorithm>

namespace tss::core {

Result<Roster> Roster::ForSetup(const SetupBody& setup, const KeyRecord* key,
                                const std::string& me) {
  Roster r;
  r.holders_ = key ? key->participants : setup.participants;
  for (const auto& p : setup.participants) {
    auto it = std::find(r.holders_.begin(), r.holders_.end(), p);
    if (it == r.holders_.end()) return InvalidArgument("participant " + p + " holds no share");
    const int party = static_cast<int>(it - r.holders_.begin()) + 1;
    r.members_[party] = p;
    r.parties_[p] = party;
  }
  if (auto mine = r.parties_.find(me); mine != r.parties_.end())
    r.me_ = mine->second;
  else if (std::find(r.holders_.begin(), r.holders_.end(), me) == r.holders_.end())
    return InvalidArgument("we are neither a participant nor a key holder");
  return r;
}

std::optional<int> Roster::PartyOf(const std::string& address) const {
  auto it = parties_.find(address);
  return it == parties_.end() ? std::nullopt : std::optional<int>(it->second);
}

const std::string* Roster::AddressOf(int party) const {
  auto it = members_.find(party);
  return it == members_.end() ? nullptr : &it->second;
}

std::vector<uint16_t> Roster::Parties() const {
  std::vector<uint16_t> out;
  for (const auto& [party, address] : members_) out.push_back(static_cast<uint16_t>(party));
  return out;
}

}  // namespace tss::core

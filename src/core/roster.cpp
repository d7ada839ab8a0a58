#include "core/roster.h"

#include <algorithm>

namespace tss::core {

Result<Roster> Roster::ForSetup(const SetupBody& setup, const KeyRecord* key,
                                const std::string& me) {
  Roster r;
  if (setup.protocol == ProtocolType::kQuorumChange) {
    if (!setup.quorum) return InvalidArgument("a quorum change's setup without its layout");
    const auto& old = setup.quorum->old_holders;
    r.holders_ = setup.participants;
    r.new_n_ = setup.quorum->new_n;
    for (size_t i = 0; i < setup.participants.size(); ++i) {
      const int party = static_cast<int>(i) + 1;
      r.members_[party] = setup.participants[i];
      r.parties_[setup.participants[i]] = party;
      if (auto it = std::find(old.begin(), old.end(), setup.participants[i]); it != old.end())
        r.old_index_[party] = static_cast<int>(it - old.begin()) + 1;
    }
    auto mine = r.parties_.find(me);
    if (mine == r.parties_.end())
      return InvalidArgument("we are not a member of the quorum change");
    r.me_ = mine->second;
    return r;
  }
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

int Roster::OldIndexOf(int party) const {
  auto it = old_index_.find(party);
  return it == old_index_.end() ? 0 : it->second;
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

// core/roster.h — who is who in one session: party index <-> validator address.
//
// Owns: the one mapping between the protocol's party indices and validator addresses, built
// once per session from the setup and the key. Party indices are fixed at keygen (a holder's
// position in the key's holder list plus one, its Shamir evaluation point); a session's members
// are the setup's participants. Must not touch: peer ids (the node's ValidatorSet maps those),
// storage, messages.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "core/key_record.h"
#include "core/messages.h"

namespace tss::core {

class Roster {
 public:
  // Keygen (no key): the holders are the setup's participants, in setup order. Otherwise the
  // key's holders; every participant must be one. `me` is our address: a participant, a holder
  // that observes (me() == 0), or neither (refused).
  static Result<Roster> ForSetup(const SetupBody& setup, const KeyRecord* key,
                                 const std::string& me);

  int me() const { return me_; }  // our party index; 0 when we only observe
  bool observer() const { return me_ == 0; }
  std::optional<int> PartyOf(const std::string& address) const;  // members only
  const std::string* AddressOf(int party) const;                 // members only
  // Party index -> address, for every member of the session.
  const std::map<int, std::string>& members() const { return members_; }
  std::vector<uint16_t> Parties() const;  // the members' indices, ascending
  const std::vector<std::string>& holders() const { return holders_; }

 private:
  std::vector<std::string> holders_;
  std::map<int, std::string> members_;
  std::map<std::string, int> parties_;
  int me_ = 0;
};

}  // namespace tss::core

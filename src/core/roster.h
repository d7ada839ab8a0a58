// core/roster.h — who is who in one session: party index <-> validator address.
//
// Owns: the one mapping between the protocol's party indices and validator addresses, built
// once per session from the setup and the key. Party indices are fixed at keygen (a holder's
// position in the key's holder list plus one, its Shamir evaluation point); a session's members
// are the setup's participants. A quorum change numbers its members as its setup lays them out
// (QuorumChangeLayout): a new holder by its new index, a leaving dealer above new_n, and each
// member also has its old index (its position among the key's holders now plus one, 0 for a
// joiner): what dkls::QuorumChangePlan needs. Must not touch: peer ids (the node's ValidatorSet
// maps those), storage, messages.
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
  // Keygen (no key): the holders are the setup's participants, in setup order. Quorum change:
  // the members are the participants in setup order, `key` is not consulted (a joiner has
  // none; the session manager checks the layout against it), and we must be a member. Otherwise
  // the key's holders; every participant must be one. `me` is our address: a participant, a
  // holder that observes (me() == 0), or neither (refused).
  static Result<Roster> ForSetup(const SetupBody& setup, const KeyRecord* key,
                                 const std::string& me);

  int me() const { return me_; }  // our party index; 0 when we only observe
  bool observer() const { return me_ == 0; }
  std::optional<int> PartyOf(const std::string& address) const;  // members only
  const std::string* AddressOf(int party) const;                 // members only
  // Party index -> address, for every member of the session.
  const std::map<int, std::string>& members() const { return members_; }
  std::vector<uint16_t> Parties() const;  // the members' indices, ascending
  // Who holds (or, in a quorum change, is to hold or deals) a share of the run: the key's
  // holders; a quorum change's members.
  const std::vector<std::string>& holders() const { return holders_; }
  // Quorum change: how many members hold the new sharing (parties 1..new_n), and a member's
  // index in the old sharing (0: a joiner, or not a member). 0 for the other protocols.
  int new_n() const { return new_n_; }
  int OldIndexOf(int party) const;

 private:
  std::vector<std::string> holders_;
  std::map<int, std::string> members_;
  std::map<std::string, int> parties_;
  int me_ = 0;
  int new_n_ = 0;
  std::map<int, int> old_index_;  // quorum change: party -> old index (dealers only)
};

}  // namespace tss::core

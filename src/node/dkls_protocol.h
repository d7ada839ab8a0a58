// node/dkls_protocol.h — DKLs23 sessions behind the session manager's ProtocolFactory port.
//
// Owns: creating keygen / keyrefresh / sign sessions from a validated setup, carrying their
// messages as opaque step payloads (checking that a message's claimed sender is the party
// whose authenticated peer delivered it), turning finished sessions into key records and
// result JSON, verifying reported signatures whole for observers, and burning a key share's
// pairwise OT material after a failed check. Must not touch: protocol
// internals (dkls/) or transport.
#pragma once

#include "coordinator/ports.h"

namespace tss::crypto {
class Rng;
}

namespace tss::node {

class DklsProtocolFactory final : public coordinator::ProtocolFactory {
 public:
  explicit DklsProtocolFactory(crypto::Rng& rng) : rng_(rng) {}
  Result<std::unique_ptr<coordinator::ProtocolSession>> Create(
      const std::string& event_id, const coordinator::SetupBody& setup,
      const coordinator::SessionId& run_id, int my_party,
      const coordinator::KeyRecord* key) override;
  Status CanRun(const coordinator::SetupBody& setup, int my_party,
                const coordinator::KeyRecord* key) override;
  Status Burn(coordinator::KeyRecord& key, int party) override;
  Result<std::string> AcceptSignature(const coordinator::SetupBody& setup,
                                      const coordinator::KeyRecord& key,
                                      const coordinator::SignatureBody& signature) override;

 private:
  crypto::Rng& rng_;
};

}  // namespace tss::node

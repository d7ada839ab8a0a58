// node/dkls_protocol.h — DKLs23 sessions behind the session manager's ProtocolFactory port.
//
// Owns: creating keygen / keyrefresh / sign sessions from a validated setup and its roster,
// turning steps into dkls::Messages of the run (the sender is the authenticated party the
// session manager names) and back, turning finished sessions into typed outcomes, verifying
// reported signatures whole for observers, and burning a key share's pairwise OT material after
// a failed check. Must not touch: protocol internals (dkls/), transport, storage.
#pragma once

#include "core/ports.h"

namespace tss::crypto {
class Rng;
}

namespace tss::node {

class DklsProtocolFactory final : public core::ProtocolFactory {
 public:
  explicit DklsProtocolFactory(crypto::Rng& rng) : rng_(rng) {}
  Result<std::unique_ptr<core::ProtocolSession>> Create(const core::SetupBody& setup,
                                                        const core::Roster& roster,
                                                        const core::SessionId& run_id,
                                                        const core::KeyRecord* key) override;
  Status CanRun(const core::SetupBody& setup, const core::Roster& roster,
                const core::KeyRecord* key) override;
  Status Burn(core::KeyRecord& key, int party) override;
  Status VerifySignature(const core::KeyRecord& key, ByteSpan message_hash,
                         const core::SignatureBody& signature) override;

 private:
  crypto::Rng& rng_;
};

}  // namespace tss::node

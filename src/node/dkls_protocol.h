// node/dkls_protocol.h — DKLs23 sessions behind the session manager's ProtocolFactory port.
//
// Owns: creating keygen / keyrefresh / sign / quorum change sessions from a validated setup and its
// roster, turning steps into dkls::Messages of the run (the sender is the authenticated party the
// session manager names) and back, turning finished sessions into typed outcomes, the key a
// sign is for (the BIP32 child at the event's chain path), verifying signatures whole against
// it, and burning a key share's pairwise OT material after
// a failed check. Must not touch: protocol internals (dkls/), transport, storage.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "core/ports.h"
#include "dkls/key_share.h"

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
  Result<Bytes> SigningKey(const core::KeyRecord& key, const std::string& chain_path) override;
  Result<Bytes> ChainCode(const core::KeyRecord& key) override;
  Result<std::array<uint8_t, 32>> ProtocolKeyId(const core::KeyRecord& key) override;
  Status VerifySignature(ByteSpan public_key, ByteSpan message_hash,
                         const core::SignatureBody& signature) override;

 private:
  // Our share of `key` (its active share: for a sign, the record at the generation BEGIN named),
  // decoded and checked (KeyShare::Decode validates it: a scalar and several point
  // multiplications), and refused unless it is the generation, with the fingerprint, that the
  // record names. A sign decodes it twice (CanRun, Create) on every signer, so the last decoding
  // of each generation of each key (two at most: the active and the retained one) is kept and
  // reused while the stored bytes are the same ones; a burn, a refresh or a different key
  // replaces it, and a share is only ever looked up under its own generation. Holding the decoded
  // share adds no exposure: the process keeps the key that unseals the share file for its whole
  // life anyway.
  Result<dkls::KeyShare> OurShare(const core::KeyRecord& key, const core::Roster& roster);
  Result<dkls::KeyShare> Decoded(const core::KeyRecord& key);  // OurShare without the checks
  // A quorum change: the plan from the roster (new index, old index of every member), our old
  // share when we deal.
  Result<std::unique_ptr<core::ProtocolSession>> CreateQuorumChange(const core::SetupBody& setup,
                                                                    const core::Roster& roster,
                                                                    ByteSpan sid,
                                                                    const core::KeyRecord* key);
  // The BIP32 tweak δ of `chain_path` (zero for an empty one) from the share's group key and
  // chain code: the child key is PK + δ·G.
  static Result<crypto::Scalar> Tweak(const dkls::KeyShare& share, const std::string& chain_path);

  struct DecodedShare {
    SecureBytes encoded;
    dkls::KeyShare share;
    crypto::Digest fingerprint{};  // share.Fingerprint()
  };
  crypto::Rng& rng_;
  std::mutex mu_;
  std::map<std::string, std::map<uint32_t, DecodedShare>> decoded_;  // by key id, generation
};

}  // namespace tss::node

// dkls/local.h — runs every party of a protocol in one thread, delivering messages in memory.
//
// Owns: the in-memory router used by `tss simulate`, `tss bench dkls` and the tests (each message
// is encoded and decoded on the way, so the wire format is exercised and its bytes counted).
// Must not touch: clocks (callers time it), threads, the network.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "common/status.h"
#include "crypto/rng.h"
#include "dkls/dkg.h"
#include "dkls/key_share.h"
#include "dkls/message.h"
#include "dkls/quorum_change.h"
#include "dkls/session.h"
#include "dkls/sign.h"

namespace tss::dkls {

struct Traffic {
  size_t messages = 0;
  size_t bytes = 0;  // encoded size; a broadcast counts once, as it does for the peer we bench
};

// Sees every message before delivery; may change it, return false to drop it, or append extra
// messages to deliver (tests play malicious parties through this).
using Interceptor = std::function<bool(Message& message, std::vector<Message>& extra)>;

// Starts every session and routes messages until no more are due. OK when every session is
// Done(); otherwise the first failed session's status, or an error naming who is still waited on.
Status RunLocal(std::span<Session* const> sessions, Traffic* traffic = nullptr,
                const Interceptor& intercept = {});

// Conveniences over RunLocal: keygen among 1..n; refresh of a full set of shares; signing by
// the holders of `shares` (exactly t of one key), for the root key or, with a tweak δ
// (KeyShare::Derive), for the child key PK + δ·G. All parties share `rng`.
Result<std::vector<KeyShare>> LocalKeygen(uint16_t n, uint16_t t, ByteSpan session_id,
                                          crypto::Rng& rng, Traffic* traffic = nullptr);
Result<std::vector<KeyShare>> LocalKeyrefresh(std::span<const KeyShare> shares, ByteSpan session_id,
                                              crypto::Rng& rng, Traffic* traffic = nullptr);
Result<Signature> LocalSign(std::span<const KeyShare* const> shares, ByteSpan message_hash,
                            ByteSpan session_id, crypto::Rng& rng, Traffic* traffic = nullptr,
                            const crypto::Scalar& tweak = {});

// One dealer of a local quorum change: its old share, and its index in the new sharing
// (nullopt: it leaves once it has dealt).
struct QuorumChangeDealer {
  const KeyShare* old_share = nullptr;
  std::optional<uint16_t> new_index;
};

// The plan that moves the key of `dealers` (old shares of one key, at least its t) to new_n
// holders with threshold new_t: each dealer at its new index, the leaving ones after new_n in
// the order given, and joiners (no old share) at the new indices left over.
Result<QuorumChangePlan> PlanQuorumChange(std::span<const QuorumChangeDealer> dealers,
                                          uint16_t new_n, uint16_t new_t);
// Runs that plan with every member in memory: the new shares of 1..new_n, in index order.
Result<std::vector<KeyShare>> LocalQuorumChange(std::span<const QuorumChangeDealer> dealers,
                                                uint16_t new_n, uint16_t new_t, ByteSpan session_id,
                                                crypto::Rng& rng, Traffic* traffic = nullptr);

// t distinct party indices of 1..n, chosen uniformly (rejection sampling, no index favoured),
// ascending: a signer set for LocalSign.
std::vector<uint16_t> RandomSigners(uint16_t n, uint16_t t, crypto::Rng& rng);

}  // namespace tss::dkls

// crypto/ot/rvole_testing.h — a hook that lets tests play a cheating multiplication sender.
//
// Owns: nothing of the protocol; RvoleSend is RvoleSendWithTweak without a tweak. Must not be
// used outside tests and fuzzers.
#pragma once

#include <functional>
#include <span>

#include "crypto/ot/ot.h"

namespace tss::crypto::ot::testing {

// Called for every OT j < kMulBatch with Alice's correlation (a, â) for that OT; whatever it
// leaves there goes into τ_j. Everything else (χ̂, r, u, c) is computed honestly from the true
// a and â, exactly as a sender who is inconsistent across OTs would do.
using CorrelationTweak = std::function<void(size_t j, std::span<Scalar> alpha)>;

Result<RvoleSenderOutput> RvoleSendWithTweak(const OteSenderSetup& setup, ByteSpan session_id,
                                             std::span<const Scalar> a, ByteSpan m1, Rng& rng,
                                             const CorrelationTweak& tweak);

}  // namespace tss::crypto::ot::testing

// crypto/ecdsa.h — standard ECDSA verification over secp256k1 (libsecp256k1's verifier).
//
// Owns: checking an (r, s) signature on a 32-byte message hash against a public key, and
// recovering the signer's key from (r, s, v). Threshold signing verifies its own output with
// this before reporting success; observers verify results they are told about. Must not
// touch: signing (no single party ever holds a whole key).
#pragma once

#include <span>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/point.h"
#include "crypto/scalar.h"

namespace tss::crypto {

// OK when (r, s) is a valid low-s signature of `hash` (32 bytes) under `public_key`.
Status VerifyEcdsa(const Point& public_key, ByteSpan hash, const Scalar& r, const Scalar& s);
// Same, from encodings (33/65-byte key, 32-byte r and s).
Status VerifyEcdsa(ByteSpan public_key, ByteSpan hash, ByteSpan r, ByteSpan s);
// The public key that (r, s) with recovery id v (0..3) verifies under, for `hash`.
Result<Point> RecoverEcdsa(ByteSpan hash, const Scalar& r, const Scalar& s, int v);
// A signature checked whole, as chains use it: (r, s) verifies under `public_key` (33/65 bytes)
// and recovery id v recovers that same key. What every holder and the `tss` command check.
Status VerifyRecoverableEcdsa(ByteSpan public_key, ByteSpan hash, ByteSpan r, ByteSpan s, int v);

}  // namespace tss::crypto

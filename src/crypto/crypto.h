// crypto/crypto.h — the cryptographic layer of tss, in one include.
//
// Owns: secp256k1 scalars (scalar.h) and points (point.h), randomness (rng.h), SHA-256,
// transcripts, hash-to-scalar and commitments (hash.h), BIP32 public derivation (bip32.h),
// Schnorr proofs of knowledge (schnorr.h), and the oblivious-transfer stack the DKLs23
// multiplication is built from (ot/…). Must not touch: networking, storage, logging, clocks —
// everything here is pure computation over explicit inputs and an injected Rng.
#pragma once

#include "crypto/bip32.h"
#include "crypto/ecdsa.h"
#include "crypto/hash.h"
#include "crypto/point.h"
#include "crypto/rng.h"
#include "crypto/scalar.h"
#include "crypto/schnorr.h"

// crypto/bip32.h — BIP32 public (non-hardened) derivation over secp256k1.
//
// Owns: chain paths ("m/0/7"), CKDpub (a child public key and chain code from a parent's), the
// additive tweak a path adds to the parent's secret, key fingerprints, and the `xpub` Base58Check
// serialisation (encode and a strict decoder). Must not touch: sessions, storage, networking.
//
// Why public derivation only: a threshold key has no single private key, so the hardened step
// (HMAC over the parent's *private* key) cannot be computed by anyone. A non-hardened step needs
// only the parent's public key and chain code, and moves the secret by a public tweak
// IL (child secret = parent secret + IL), which the signers can apply to the key they sign for
// without anyone learning more than they knew. Everything here is public data and runs in
// variable time.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/point.h"
#include "crypto/scalar.h"

namespace tss::crypto::bip32 {

using ChainCode = std::array<uint8_t, 32>;
using KeyFingerprint = std::array<uint8_t, 4>;

constexpr uint32_t kHardenedBit = 0x80000000u;
// BIP32 keeps the depth in one byte.
constexpr size_t kMaxDepth = 255;

// The parts of an extended public key (BIP32 "Serialization format").
struct ExtendedPublicKey {
  uint8_t depth = 0;
  KeyFingerprint parent_fingerprint{};  // zero at depth 0
  uint32_t child_number = 0;            // zero at depth 0
  ChainCode chain_code{};
  Point key;

  bool operator==(const ExtendedPublicKey&) const = default;
};

// Parses "m" or "m/i/j/…" with decimal indices below 2^31, without leading zeros, at most
// kMaxDepth steps. Hardened steps ("0'", "0h", "0H") are refused with an error that says why;
// so is anything else that is not exactly this form. Returns the indices in order.
Result<std::vector<uint32_t>> ParsePath(std::string_view path);
// The canonical text of `path` ("m" when empty); ParsePath(FormatPath(p)) == p.
std::string FormatPath(std::span<const uint32_t> path);

// HASH160 (RIPEMD-160 of SHA-256) of the compressed key, first 4 bytes: how a child names its
// parent.
KeyFingerprint FingerprintOf(const Point& key);

// One CKDpub step, and the tweak IL it adds to the parent's secret. Fails for a hardened index,
// and in the two cases BIP32 declares a child invalid (IL >= n, or the child key is the point at
// infinity; each has probability below 2^-127): the caller picks another index.
struct ChildStep {
  ExtendedPublicKey child;
  Scalar tweak;
};
Result<ChildStep> DeriveChild(const ExtendedPublicKey& parent, uint32_t index);

// Every step of `path` from `root`. `tweak` is the sum of the steps' IL, so that the child's
// secret is the root's secret plus `tweak` and child.key == root.key + tweak·G.
struct Derivation {
  ExtendedPublicKey child;
  Scalar tweak;
};
Result<Derivation> Derive(const ExtendedPublicKey& root, std::span<const uint32_t> path);

// The mainnet `xpub…` string (version 0x0488B21E) and its strict decoder: Base58Check with a
// valid checksum, exactly 78 bytes, that version, a valid compressed point, and a depth-0 key
// with zero parent fingerprint and child number.
std::string EncodeXpub(const ExtendedPublicKey& key);
Result<ExtendedPublicKey> DecodeXpub(std::string_view text);

// Base58 (Bitcoin alphabet) with a 4-byte double-SHA-256 checksum; the decoder refuses input
// longer than `max_bytes` decoded bytes, any character outside the alphabet, and a wrong checksum.
std::string EncodeBase58Check(std::span<const uint8_t> payload);
Result<std::vector<uint8_t>> DecodeBase58Check(std::string_view text, size_t max_bytes);

}  // namespace tss::crypto::bip32

// testing/ecdsa_verify.h — independent ECDSA verifiers for tests: libsecp256k1's public API and
// OpenSSL, neither going through our own crypto/ wrappers, so a test that checks a signature
// with both never trusts our code alone.
//
// All inputs are raw bytes: a 33- or 65-byte SEC1 public key, a 32-byte hash, 32-byte r and s.
// Each returns an empty string when the signature verifies and the reason otherwise (so tests
// can print it). libsecp256k1 refuses high s (as Bitcoin does); OpenSSL accepts either.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace tss::testing {

using Bytes32 = std::span<const uint8_t>;

std::string VerifyWithLibsecp256k1(std::span<const uint8_t> public_key, Bytes32 hash, Bytes32 r,
                                   Bytes32 s);
std::string VerifyWithOpenSsl(std::span<const uint8_t> public_key, Bytes32 hash, Bytes32 r,
                              Bytes32 s);
// Both of the above; the first failure's reason, prefixed by which verifier refused.
std::string VerifyWithBoth(std::span<const uint8_t> public_key, Bytes32 hash, Bytes32 r, Bytes32 s);
// The public key recovered by libsecp256k1 from (r, s, recovery id), compressed; empty when none.
std::string RecoverWithLibsecp256k1Hex(Bytes32 hash, Bytes32 r, Bytes32 s, int recovery_id);

}  // namespace tss::testing

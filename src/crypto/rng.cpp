#include "crypto/rng.h"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

namespace tss::crypto {

namespace {
struct SodiumInit {
  SodiumInit() {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  }
};
void EnsureSodium() {
  static SodiumInit init;
}
}  // namespace

void SystemRng::Fill(std::span<uint8_t> out) {
  EnsureSodium();
  if (out.empty()) return;
  randombytes_buf(out.data(), out.size());
}

DeterministicRng::DeterministicRng(uint64_t seed) {
  for (int i = 0; i < 8; ++i) key_[i] = static_cast<uint8_t>(seed >> (8 * i));
  key_[31] = 0x5a;  // keeps seed 0 from being the all-zero key
}

DeterministicRng::DeterministicRng(std::span<const uint8_t, 32> key) {
  std::memcpy(key_.data(), key.data(), 32);
}

DeterministicRng::~DeterministicRng() {
  sodium_memzero(key_.data(), key_.size());
}

void DeterministicRng::Fill(std::span<uint8_t> out) {
  // Each call takes a fresh 64-byte-block range of the stream so calls never overlap.
  if (out.empty()) return;
  uint8_t nonce[crypto_stream_chacha20_NONCEBYTES] = {0};
  std::memset(out.data(), 0, out.size());
  crypto_stream_chacha20_xor_ic(out.data(), out.data(), out.size(), nonce, block_counter_,
                                key_.data());
  block_counter_ += (out.size() + 63) / 64;
}

Rng& SystemRandom() {
  static SystemRng rng;
  return rng;
}

}  // namespace tss::crypto

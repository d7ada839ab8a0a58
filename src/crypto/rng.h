// crypto/rng.h — where randomness comes from.
//
// Owns: the Rng interface, SystemRng (libsodium's CSPRNG, for production) and DeterministicRng
// (ChaCha20 keystream from a seed, for reproducible tests and benchmarks only). Protocol code
// takes an Rng& so tests can replay a run exactly. Must not touch: anything stateful beyond its
// own stream.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace tss::crypto {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual void Fill(std::span<uint8_t> out) = 0;
};

// libsodium randombytes_buf: the OS CSPRNG. Thread-safe.
class SystemRng final : public Rng {
 public:
  void Fill(std::span<uint8_t> out) override;
};

// Deterministic ChaCha20 stream. NOT for production secrets: anyone with the seed can replay it.
class DeterministicRng final : public Rng {
 public:
  explicit DeterministicRng(uint64_t seed);
  explicit DeterministicRng(std::span<const uint8_t, 32> key);
  ~DeterministicRng() override;
  void Fill(std::span<uint8_t> out) override;

 private:
  std::array<uint8_t, 32> key_{};
  uint64_t block_counter_ = 0;
};

// The process-wide production generator.
Rng& SystemRandom();

}  // namespace tss::crypto

// crypto/ot/primitives.h — the symmetric building blocks of the OT stack (internal to crypto/ot).
//
// Owns: 128-bit blocks, wiping vectors for secret rows, the AES-128 PRG (keyed by a base-OT seed,
// CTR mode) and the fixed-key AES permutation used as a tweakable correlation-robust hash
// (Guo–Katz–Wang–Yu, eprint 2019/074, "TMMO"), GF(2^128) arithmetic for the KOS check (PCLMUL
// when the CPU has it, a constant-time portable loop otherwise), the bit-matrix transpose, and
// length-framed SHA-256. Must not touch: protocol state or message formats.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/secure.h"
#include "crypto/hash.h"

using EVP_CIPHER_CTX = struct evp_cipher_ctx_st;

namespace tss::crypto::ot {

static_assert(std::endian::native == std::endian::little, "OT code assumes a little-endian host");

// 128 bits; bit i of the block is bit (i % 64) of w[i / 64], and byte k of its 16-byte
// encoding holds bits 8k..8k+7 (least significant first).
struct Block {
  uint64_t w[2] = {0, 0};

  static Block Load(const uint8_t* p) {
    Block b;
    std::memcpy(b.w, p, 16);
    return b;
  }
  void Store(uint8_t* p) const { std::memcpy(p, w, 16); }
  bool Bit(size_t i) const { return (w[i / 64] >> (i % 64)) & 1; }
  Block operator^(const Block& o) const { return Block{{w[0] ^ o.w[0], w[1] ^ o.w[1]}}; }
  Block& operator^=(const Block& o) { return *this = *this ^ o; }
  Block operator&(uint64_t mask) const { return Block{{w[0] & mask, w[1] & mask}}; }
};
static_assert(sizeof(Block) == 16);

// All-ones when bit is 1, zero otherwise: selection without branches.
inline uint64_t MaskOf(uint64_t bit) {
  return 0 - (bit & 1);
}

// A vector of trivially copyable values that are wiped when the vector dies. Fixed size after
// construction, so no reallocation leaves an unwiped copy behind.
template <typename T>
class WipedVector {
 public:
  WipedVector() = default;
  explicit WipedVector(size_t n) : v_(n) {}
  WipedVector(const WipedVector&) = delete;
  WipedVector& operator=(const WipedVector&) = delete;
  WipedVector(WipedVector&& o) noexcept = default;
  WipedVector& operator=(WipedVector&& o) noexcept {
    Clear();
    v_ = std::move(o.v_);
    return *this;
  }
  ~WipedVector() { Clear(); }
  void Reset(size_t n) {
    Clear();
    v_.assign(n, T{});
  }
  void Clear() {
    if (!v_.empty()) Wipe(v_.data(), v_.size() * sizeof(T));
    v_.clear();
  }
  T* data() { return v_.data(); }
  const T* data() const { return v_.data(); }
  size_t size() const { return v_.size(); }
  T& operator[](size_t i) { return v_[i]; }
  const T& operator[](size_t i) const { return v_[i]; }
  std::span<T> span() { return v_; }
  std::span<const T> span() const { return v_; }

 private:
  std::vector<T> v_;
};

// AES-128. CTR mode runs on AES-NI directly when the CPU has it: the OT extension re-keys the
// PRG once per base-OT seed (128 or 256 times per multiplication) for only 80 bytes of output
// each, and OpenSSL's per-init overhead (provider dispatch, OSSL_PARAM lookups by name) cost
// more than the AES itself. ECB (bulk, one key per extension) and CPUs without AES-NI use
// OpenSSL EVP. Both paths give the same bytes (128-bit big-endian counter, as OpenSSL's CTR).
class Aes128 {
 public:
  enum class Mode { kCtr, kEcb };
  explicit Aes128(Mode mode);
  ~Aes128();
  Aes128(const Aes128&) = delete;
  Aes128& operator=(const Aes128&) = delete;

  void SetKey(const uint8_t key[16], const uint8_t iv[16] = nullptr);
  // CTR: `len` bytes of key stream starting at the counter block given to SetKey.
  void KeyStream(uint8_t* out, size_t len);
  // ECB: out[i] = AES_k(in[i]); in and out may be the same array.
  void Encrypt(const Block* in, Block* out, size_t n);

 private:
  EVP_CIPHER_CTX* ctx_;
  Mode mode_;
  bool native_ = false;  // CTR on AES-NI (round_keys_, counter_, stream_)
  alignas(16) uint8_t round_keys_[11 * 16] = {};
  uint8_t counter_[16] = {};  // the next counter block, big-endian
  uint8_t stream_[16] = {};   // key stream of the previous block, stream_[used_..16) unused
  size_t used_ = 16;
};

// TMMO^π(x, t) = π(π(x) ⊕ t) ⊕ π(x) with π = AES-128 under a public per-extension key: a tweakable
// correlation-robust hash in the random-permutation model. For each input x_j (XORed with
// `mask`) writes `per_row` output blocks out[j·per_row + k] = TMMO(x_j ⊕ mask, (first + j, k)).
class CorrelationRobustHash {
 public:
  explicit CorrelationRobustHash(const uint8_t key[16]);
  void Hash(std::span<const Block> in, const Block& mask, size_t per_row, Block* out,
            size_t first = 0);

 private:
  Aes128 aes_;
};

// GF(2^128) with the polynomial x^128 + x^7 + x^2 + x + 1, bit i of a Block = coefficient of x^i.
Block Gf128Mul(const Block& a, const Block& b);
// The constant-time portable multiplication (what Gf128Mul falls back to without PCLMUL).
Block Gf128MulPortable(const Block& a, const Block& b);
// For each of `count` bit columns (column c starts at columns + c·stride and has chunks·16
// bytes): out[c] = chunk[chunks−1] ⊕ Σ_{k < chunks−1} chi[k] · chunk[k]. A universal linear hash
// whose last chunk enters unmultiplied, so uniformly random padding in that chunk hides the rest.
void HashColumns(const Block* chi, size_t chunks, const uint8_t* columns, size_t stride,
                 size_t count, Block* out);

// Transposes 128 bit columns (column i starts at columns + i·stride, bit j = row j) into rows
// (rows[j] bit i = column i bit j) for j < rows_count; rows_count must be a multiple of 128 and
// each column must hold at least rows_count bits.
void TransposeColumns(const uint8_t* columns, size_t stride, size_t rows_count, Block* rows);

// SHA-256 over a domain label and length-framed parts (as crypto::Transcript frames them), so no
// two different part lists collide.
class FramedHash {
 public:
  explicit FramedHash(std::string_view domain);
  FramedHash& Add(ByteSpan part);
  FramedHash& Add(uint64_t v);
  Digest Final() { return h_.Final(); }
  Sha256Hasher& raw() { return h_; }

 private:
  Sha256Hasher h_;
};

}  // namespace tss::crypto::ot

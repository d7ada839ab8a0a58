#include "crypto/ot/primitives.h"

#include <immintrin.h>
#include <openssl/evp.h>

#include <cstdlib>

namespace tss::crypto::ot {

namespace {

void Check(int ok) {
  if (ok != 1) std::abort();  // EVP cipher calls fail only on allocation failure
}

// Fetched once: implicit fetching on every init costs a lock and a lookup.
const EVP_CIPHER* Cipher(Aes128::Mode mode) {
  static EVP_CIPHER* ctr = EVP_CIPHER_fetch(nullptr, "AES-128-CTR", nullptr);
  static EVP_CIPHER* ecb = EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr);
  EVP_CIPHER* c = mode == Aes128::Mode::kCtr ? ctr : ecb;
  if (c == nullptr) std::abort();
  return c;
}

bool HaveAesNi() {
  static const bool have = __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1");
  return have;
}

// ---- AES-128 on AES-NI (constant time: no table lookups, no branch on key or data)

// One step of the AES-128 key schedule, `assist` = aeskeygenassist(previous, rcon).
__attribute__((target("aes,sse4.1"))) inline __m128i ExpandStep(__m128i key, __m128i assist) {
  assist = _mm_shuffle_epi32(assist, 0xff);
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  return _mm_xor_si128(key, assist);
}

// Writes the 11 round keys straight into `out` (the Aes128 member, wiped with it), so no stack
// copy of the schedule is left behind to wipe.
__attribute__((target("aes,sse4.1"))) void ExpandKeyNi(const uint8_t key[16], uint8_t out[176]) {
  __m128i* rk = reinterpret_cast<__m128i*>(out);
  __m128i k = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
  _mm_store_si128(rk, k);
  // aeskeygenassist takes its round constant as an immediate: hence the unrolled list.
#define TSS_AES_ROUND_KEY(i, rcon)                       \
  k = ExpandStep(k, _mm_aeskeygenassist_si128(k, rcon)); \
  _mm_store_si128(rk + (i), k)
  TSS_AES_ROUND_KEY(1, 0x01);
  TSS_AES_ROUND_KEY(2, 0x02);
  TSS_AES_ROUND_KEY(3, 0x04);
  TSS_AES_ROUND_KEY(4, 0x08);
  TSS_AES_ROUND_KEY(5, 0x10);
  TSS_AES_ROUND_KEY(6, 0x20);
  TSS_AES_ROUND_KEY(7, 0x40);
  TSS_AES_ROUND_KEY(8, 0x80);
  TSS_AES_ROUND_KEY(9, 0x1b);
  TSS_AES_ROUND_KEY(10, 0x36);
#undef TSS_AES_ROUND_KEY
}

// `blocks` whole blocks of key stream from `counter` (a 128-bit big-endian integer, public: it
// starts at the extension's public IV), advanced past them. Four blocks at a time so the AES
// rounds of independent blocks overlap in the pipeline; the round keys are read in place.
__attribute__((target("aes,sse4.1"))) void CtrBlocksNi(const uint8_t rk_bytes[176],
                                                       uint8_t counter[16], uint8_t* out,
                                                       size_t blocks) {
  const __m128i* rk = reinterpret_cast<const __m128i*>(rk_bytes);
  uint64_t hi = LoadBe64(counter), lo = LoadBe64(counter + 8);
  // The next counter block XOR the first round key; the block's bytes are hi then lo, each
  // big-endian.
  const auto next = [&] {
    const __m128i c = _mm_set_epi64x(static_cast<long long>(__builtin_bswap64(lo)),
                                     static_cast<long long>(__builtin_bswap64(hi)));
    lo += 1;
    hi += lo == 0 ? 1 : 0;
    return _mm_xor_si128(c, rk[0]);
  };
  __m128i* dst = reinterpret_cast<__m128i*>(out);
  size_t b = 0;
  for (; b + 4 <= blocks; b += 4) {
    __m128i x0 = next(), x1 = next(), x2 = next(), x3 = next();
    for (int r = 1; r < 10; ++r) {
      x0 = _mm_aesenc_si128(x0, rk[r]);
      x1 = _mm_aesenc_si128(x1, rk[r]);
      x2 = _mm_aesenc_si128(x2, rk[r]);
      x3 = _mm_aesenc_si128(x3, rk[r]);
    }
    _mm_storeu_si128(dst + b, _mm_aesenclast_si128(x0, rk[10]));
    _mm_storeu_si128(dst + b + 1, _mm_aesenclast_si128(x1, rk[10]));
    _mm_storeu_si128(dst + b + 2, _mm_aesenclast_si128(x2, rk[10]));
    _mm_storeu_si128(dst + b + 3, _mm_aesenclast_si128(x3, rk[10]));
  }
  for (; b < blocks; ++b) {
    __m128i x = next();
    for (int r = 1; r < 10; ++r) x = _mm_aesenc_si128(x, rk[r]);
    _mm_storeu_si128(dst + b, _mm_aesenclast_si128(x, rk[10]));
  }
  StoreBe64(counter, hi);
  StoreBe64(counter + 8, lo);
}

}  // namespace

Aes128::Aes128(Mode mode)
    : ctx_(EVP_CIPHER_CTX_new()), mode_(mode), native_(mode == Mode::kCtr && HaveAesNi()) {
  if (ctx_ == nullptr) std::abort();
  Check(EVP_EncryptInit_ex(ctx_, Cipher(mode), nullptr, nullptr, nullptr));
  if (mode == Mode::kEcb) Check(EVP_CIPHER_CTX_set_padding(ctx_, 0));
}

Aes128::~Aes128() {
  EVP_CIPHER_CTX_free(ctx_);  // also cleanses the key schedule
  Wipe(round_keys_, sizeof round_keys_);
  Wipe(stream_, sizeof stream_);
}

void Aes128::SetKey(const uint8_t key[16], const uint8_t iv[16]) {
  if (native_) {
    ExpandKeyNi(key, round_keys_);
    if (iv != nullptr)
      std::memcpy(counter_, iv, 16);
    else
      std::memset(counter_, 0, 16);  // as OpenSSL: no IV means an all-zero one
    used_ = 16;
    return;
  }
  Check(EVP_EncryptInit_ex(ctx_, nullptr, nullptr, key, mode_ == Mode::kCtr ? iv : nullptr));
}

void Aes128::KeyStream(uint8_t* out, size_t len) {
  if (native_) {
    // The rest of a block a previous call started, then whole blocks, then a partial one.
    while (len > 0 && used_ < 16) *out++ = stream_[used_++], --len;
    const size_t whole = len / 16;
    CtrBlocksNi(round_keys_, counter_, out, whole);
    out += 16 * whole;
    len -= 16 * whole;
    if (len > 0) {
      CtrBlocksNi(round_keys_, counter_, stream_, 1);
      used_ = 0;
      while (len > 0) *out++ = stream_[used_++], --len;
    }
    return;
  }
  std::memset(out, 0, len);
  int outl = 0;
  Check(EVP_EncryptUpdate(ctx_, out, &outl, out, static_cast<int>(len)));
}

void Aes128::Encrypt(const Block* in, Block* out, size_t n) {
  if (n == 0) return;
  int outl = 0;
  Check(EVP_EncryptUpdate(ctx_, reinterpret_cast<uint8_t*>(out), &outl,
                          reinterpret_cast<const uint8_t*>(in), static_cast<int>(n * 16)));
}

CorrelationRobustHash::CorrelationRobustHash(const uint8_t key[16]) : aes_(Aes128::Mode::kEcb) {
  aes_.SetKey(key);
}

void CorrelationRobustHash::Hash(std::span<const Block> in, const Block& mask, size_t per_row,
                                 Block* out, size_t first) {
  WipedVector<Block> y(in.size());
  for (size_t j = 0; j < in.size(); ++j) y[j] = in[j] ^ mask;
  aes_.Encrypt(y.data(), y.data(), y.size());  // y_j = π(x_j)
  for (size_t j = 0; j < in.size(); ++j) {
    for (size_t k = 0; k < per_row; ++k) {
      const Block tweak{{first + j, k}};
      out[j * per_row + k] = y[j] ^ tweak;
    }
  }
  aes_.Encrypt(out, out, in.size() * per_row);
  for (size_t j = 0; j < in.size(); ++j)
    for (size_t k = 0; k < per_row; ++k) out[j * per_row + k] ^= y[j];
}

// ---- GF(2^128)

namespace {

// A 256-bit carry-less product, words least significant first.
struct Wide {
  uint64_t w[4] = {0, 0, 0, 0};
  Wide& operator^=(const Wide& o) {
    for (int i = 0; i < 4; ++i) w[i] ^= o.w[i];
    return *this;
  }
};

void Clmul64Portable(uint64_t a, uint64_t b, uint64_t& lo, uint64_t& hi) {
  lo = a & MaskOf(b);
  hi = 0;
  for (int i = 1; i < 64; ++i) {
    uint64_t m = MaskOf(b >> i);
    lo ^= (a << i) & m;
    hi ^= (a >> (64 - i)) & m;
  }
}

Wide MulPortable(const Block& a, const Block& b) {
  Wide r;
  uint64_t lo, hi;
  Clmul64Portable(a.w[0], b.w[0], lo, hi);
  r.w[0] ^= lo, r.w[1] ^= hi;
  Clmul64Portable(a.w[1], b.w[1], lo, hi);
  r.w[2] ^= lo, r.w[3] ^= hi;
  Clmul64Portable(a.w[0], b.w[1], lo, hi);
  r.w[1] ^= lo, r.w[2] ^= hi;
  Clmul64Portable(a.w[1], b.w[0], lo, hi);
  r.w[1] ^= lo, r.w[2] ^= hi;
  return r;
}

__attribute__((target("pclmul,sse4.1"))) Wide MulPclmul(const Block& a, const Block& b) {
  __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a.w));
  __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.w));
  __m128i lo = _mm_clmulepi64_si128(x, y, 0x00);
  __m128i hi = _mm_clmulepi64_si128(x, y, 0x11);
  __m128i mid = _mm_xor_si128(_mm_clmulepi64_si128(x, y, 0x01), _mm_clmulepi64_si128(x, y, 0x10));
  lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
  hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
  Wide r;
  _mm_storeu_si128(reinterpret_cast<__m128i*>(r.w), lo);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(r.w + 2), hi);
  return r;
}

bool HavePclmul() {
  static const bool have = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return have;
}

// x^128 ≡ x^7 + x^2 + x + 1: fold the high half down twice (the second fold has < 2^7 to move).
Block Reduce(const Wide& p) {
  uint64_t h0 = p.w[2], h1 = p.w[3];
  // h · (x^7 + x^2 + x + 1) as 192 bits t0, t1, t2.
  uint64_t t0 = h0 ^ (h0 << 1) ^ (h0 << 2) ^ (h0 << 7);
  uint64_t t1 = h1 ^ (h1 << 1) ^ (h1 << 2) ^ (h1 << 7) ^ (h0 >> 63) ^ (h0 >> 62) ^ (h0 >> 57);
  uint64_t t2 = (h1 >> 63) ^ (h1 >> 62) ^ (h1 >> 57);
  t0 ^= t2 ^ (t2 << 1) ^ (t2 << 2) ^ (t2 << 7);
  return Block{{p.w[0] ^ t0, p.w[1] ^ t1}};
}

template <Wide (*Mul)(const Block&, const Block&)>
void HashColumnsWith(const Block* chi, size_t chunks, const uint8_t* columns, size_t stride,
                     size_t count, Block* out) {
  for (size_t c = 0; c < count; ++c) {
    const uint8_t* col = columns + c * stride;
    Wide acc;
    for (size_t k = 0; k + 1 < chunks; ++k) acc ^= Mul(chi[k], Block::Load(col + 16 * k));
    out[c] = Reduce(acc) ^ Block::Load(col + 16 * (chunks - 1));
  }
}

}  // namespace

Block Gf128Mul(const Block& a, const Block& b) {
  return Reduce(HavePclmul() ? MulPclmul(a, b) : MulPortable(a, b));
}

Block Gf128MulPortable(const Block& a, const Block& b) {
  return Reduce(MulPortable(a, b));
}

void HashColumns(const Block* chi, size_t chunks, const uint8_t* columns, size_t stride,
                 size_t count, Block* out) {
  if (HavePclmul())
    HashColumnsWith<MulPclmul>(chi, chunks, columns, stride, count, out);
  else
    HashColumnsWith<MulPortable>(chi, chunks, columns, stride, count, out);
}

// ---- transpose

namespace {

// In place: afterwards bit r of a[c] is what bit c of a[r] was. Swaps ever smaller off-diagonal
// blocks (32×32, 16×16, …); fixed work, no data-dependent branches.
void Transpose64(uint64_t a[64]) {
  uint64_t m = 0x00000000FFFFFFFFULL;
  for (int j = 32; j != 0; j >>= 1, m ^= (m << j)) {
    for (int k = 0; k < 64; k = ((k | j) + 1) & ~j) {
      uint64_t t = ((a[k] >> j) ^ a[k | j]) & m;
      a[k] ^= t << j;
      a[k | j] ^= t;
    }
  }
}

}  // namespace

void TransposeColumns(const uint8_t* columns, size_t stride, size_t rows_count, Block* rows) {
  uint64_t a[64];
  for (size_t base = 0; base < rows_count; base += 64) {
    for (size_t half = 0; half < 2; ++half) {
      for (size_t r = 0; r < 64; ++r)
        std::memcpy(&a[r], columns + (64 * half + r) * stride + base / 8, 8);
      Transpose64(a);
      for (size_t c = 0; c < 64; ++c) rows[base + c].w[half] = a[c];
    }
  }
  Wipe(a, sizeof a);
}

// ---- hashing

FramedHash::FramedHash(std::string_view domain) {
  Add(AsBytes(domain));
}

FramedHash& FramedHash::Add(ByteSpan part) {
  uint8_t len[10];
  size_t n = 0;
  uint64_t v = part.size();
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    len[n++] = static_cast<uint8_t>(b | (v ? 0x80 : 0));
  } while (v);
  h_.Update(ByteSpan(len, n));
  h_.Update(part);
  return *this;
}

FramedHash& FramedHash::Add(uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
  return Add(ByteSpan(b, 8));
}

}  // namespace tss::crypto::ot

// Random VOLE: DKLs19 Protocol 1 (eprint 2019/523) in the two-message form of DKLs23 §5.1
// (eprint 2023/765), over the KOS extension of ote.h.
//
// Bob samples β ∈ {0,1}^ξ; his random input is b = ⟨g, β⟩ with the gadget g = (2^0, …, 2^255,
// g_256, …, g_415), the last 2s entries pseudorandom per multiplication. One extension of ξ OTs
// with choices β gives Alice, per OT j, two pseudorandom vectors s0_j, s1_j ∈ Z_q^{L+1} (hashes
// of q_j and q_j ⊕ Δ) and Bob s_{β_j, j}. Alice's correlation is α = (a_0, …, a_{L−1}, â) with â
// a random check value:
//   m1 (B→A): tag, Bob's nonce, KOS extension message
//   m2 (A→B): tag, Alice's nonce, τ_j = s1_j − s0_j + α (j < ξ), H(r), u
// Freshness from both sides: Bob's nonce keys the extension (its PRG streams and challenges),
// Alice's nonce keys the hash that turns rows into s0_j, s1_j (and the check's challenges). The
// rows are fixed by m1 alone, so without Alice's nonce a Bob who gets two answers to one m1 (the
// same session id run twice) would get τ_j − τ'_j = α − α' in every OT: the difference of
// Alice's inputs, i.e. of her instance keys in signing. With it, the two answers use unrelated
// pads and the second τ' tells him nothing the first did not.
// z_A[j] = s0_j, z_B[j] = β_j·τ_j − s_{β_j, j}, so z_A[j] + z_B[j] = β_j·α.
// Check (catches an Alice whose α differs between OTs, which would otherwise let her learn bits
// of β from whether Bob aborts): χ ∈ Z_q^L hashes the transcript including τ, so it is fixed only
// after Alice's correlations are; r_j = Σ_i χ_i·z_A[j]_i + z_A[j]_L and u = Σ_i χ_i·a_i + â
// (uniform: â hides a); Bob recomputes r_j = β_j·u − Σ_i χ_i·z_B[j]_i − z_B[j]_L and compares
// H(r). With e_j Alice's deviation in OT j, Bob's r_j moves by β_j·(δ − ⟨(χ, 1), e_j⟩), which a
// non-constant e cannot cancel except with probability 1/q per challenge. This is DKLs19's check
// (one challenge pair per input) with the L checks batched by the random χ, so a single â and
// L + 1 scalars per OT suffice instead of 2L.
// Outputs: c_i = Σ_j g_j·z_A[j]_i, d_i = Σ_j g_j·z_B[j]_i, so c_i + d_i = a_i·⟨g, β⟩ = a_i·b.
#include <sodium.h>

#include <algorithm>

#include "crypto/ctime.h"
#include "crypto/ot/ot.h"
#include "crypto/ot/ote.h"
#include "crypto/ot/primitives.h"
#include "crypto/ot/rvole_testing.h"
#include "crypto/ot/wide_sum.h"
#include "crypto/rng.h"

namespace tss::crypto::ot {

namespace {

constexpr size_t kTagSize = 16;
constexpr size_t kNonceSize = 32;
constexpr size_t kPowerBits = 256;                        // gadget entries 2^0..2^255
constexpr size_t kRandomGadget = kMulBatch - kPowerBits;  // 2s pseudorandom entries
constexpr size_t kChoiceBytes = kMulBatch / 8;
constexpr size_t kChunk = 32;  // OT rows hashed at a time (bounds the scratch memory)
static_assert(kMulBatch % 8 == 0 && kMulBatch % kChunk == 0);

using Tag = std::array<uint8_t, kTagSize>;

Tag Message1Tag(const Digest& setup_id, ByteSpan sid) {
  Digest d = FramedHash("tss/ot/rvole/m1-tag").Add(setup_id).Add(sid).Final();
  Tag t;
  std::copy_n(d.begin(), kTagSize, t.begin());
  return t;
}

// m2's tag names the m1 it answers, so an m2 of an earlier multiplication is refused by name.
Tag Message2Tag(const Digest& setup_id, ByteSpan sid, const Digest& m1_digest) {
  Digest d = FramedHash("tss/ot/rvole/m2-tag").Add(setup_id).Add(sid).Add(m1_digest).Final();
  Tag t;
  std::copy_n(d.begin(), kTagSize, t.begin());
  return t;
}

// g_256..g_415: AES-CTR under a key derived from the extension keys, reduced mod q.
std::vector<Scalar> RandomGadget(const ExtensionKeys& keys) {
  Digest k = FramedHash("tss/ot/rvole/gadget").Add(keys.challenge).Final();
  Aes128 aes(Aes128::Mode::kCtr);
  aes.SetKey(k.data(), k.data() + 16);
  std::vector<uint8_t> bytes(kRandomGadget * 32);
  aes.KeyStream(bytes.data(), bytes.size());
  std::vector<Scalar> g;
  g.reserve(kRandomGadget);
  for (size_t e = 0; e < kRandomGadget; ++e)
    g.push_back(Scalar::FromBytesReduce(ByteSpan(bytes.data() + 32 * e, 32)));
  return g;
}

// What one answer (m2) to an extension is keyed by: the extension's keys and Alice's nonce.
struct ReplyKeys {
  std::array<uint8_t, 16> hash_key{};  // of the random-OT hash (see RandomOtHashKey)
  Digest challenge{};                  // seeds χ and the hash of r
};

ReplyKeys DeriveReplyKeys(const ExtensionKeys& keys, ByteSpan sender_nonce) {
  ReplyKeys k;
  k.hash_key = RandomOtHashKey(keys, sender_nonce);
  k.challenge = FramedHash("tss/ot/rvole/reply").Add(keys.challenge).Add(sender_nonce).Final();
  return k;
}

// χ_0..χ_{L−1} from the transcript: both nonces (through the reply keys), m1, and Alice's τ.
std::vector<Scalar> CheckChallenges(const ReplyKeys& keys, const Digest& m1_digest, ByteSpan tau,
                                    size_t count) {
  Digest seed = FramedHash("tss/ot/rvole/chi").Add(keys.challenge).Add(m1_digest).Add(tau).Final();
  std::vector<Scalar> chi;
  for (size_t i = 0; i < count; ++i) {
    uint8_t wide[64];
    Digest d0 = FramedHash("tss/ot/rvole/chi-expand").Add(seed).Add(2 * i).Final();
    Digest d1 = FramedHash("tss/ot/rvole/chi-expand").Add(seed).Add(2 * i + 1).Final();
    std::copy(d0.begin(), d0.end(), wide);
    std::copy(d1.begin(), d1.end(), wide + 32);
    chi.push_back(Scalar::FromBytesReduce(wide));
  }
  return chi;
}

// Σ_j g_j·z[j·stride + offset] over the gadget, reduced once: the powers of two as shifts, one
// product per pseudorandom entry.
Scalar GadgetSum(const std::vector<Scalar>& z, size_t stride, size_t offset,
                 const std::vector<Scalar>& random_gadget) {
  WideSum acc;
  for (size_t j = 0; j < kPowerBits; ++j) acc.AddShifted(z[j * stride + offset], j);
  for (size_t e = 0; e < kRandomGadget; ++e)
    acc.AddProduct(random_gadget[e], z[(kPowerBits + e) * stride + offset]);
  return acc.Reduce();
}

// Row j's pseudorandom vector (width scalars) from its hash blocks: 32 bytes per scalar.
Scalar BlockScalar(const Block* blocks, size_t c) {
  return Scalar::FromBytesReduce(ByteSpan(reinterpret_cast<const uint8_t*>(blocks + 2 * c), 32));
}

// H(r): Alice hashes r_j = Σ_i χ_i·z_A[j]_i + z_A[j]_L (beta == nullptr), Bob hashes what it must
// equal, r_j = β_j·u − (Σ_i χ_i·z_B[j]_i + z_B[j]_L).
Digest CheckDigest(const ReplyKeys& keys, const std::vector<Scalar>& z, size_t L,
                   const std::vector<Scalar>& chi, const WipedVector<uint8_t>* beta,
                   const Scalar& u) {
  const size_t width = L + 1;
  WipedVector<uint8_t> rb(kMulBatch * 32);
  for (size_t j = 0; j < kMulBatch; ++j) {
    WideSum acc;
    acc.Add(z[j * width + L]);
    for (size_t i = 0; i < L; ++i) acc.AddProduct(chi[i], z[j * width + i]);
    Scalar r = acc.Reduce();
    if (beta != nullptr) r = Scalar::Select(Scalar(), u, (*beta)[j / 8] >> (j % 8)) - r;
    r.ToBytes(rb.data() + 32 * j);
  }
  return FramedHash("tss/ot/rvole/r").Add(keys.challenge).Add(rb.span()).Final();
}

size_t Message2Size(size_t count) {
  return kTagSize + kNonceSize + kMulBatch * (count + 1) * 32 + 32 + 32;
}

}  // namespace

size_t RvoleMessage1Size() {
  return kTagSize + kNonceSize + OteMessageSize(kMulBatch);
}

size_t RvoleMessage2Size(size_t count) {
  return Message2Size(count);
}

// ---- Bob

struct RvoleReceiver::State {
  State(const OteReceiverSetup& st, ByteSpan session_id, Rng& r, size_t n)
      : setup(st.Clone()), sid(session_id.begin(), session_id.end()), rng(r), count(n) {}
  OteReceiverSetup setup;
  Bytes sid;
  Rng& rng;
  size_t count;
  enum class Step { kNew, kStarted, kFinished, kFailed } step = Step::kNew;
  ExtensionKeys keys;
  Digest m1_digest{};
  WipedVector<uint8_t> beta;  // β, kChoiceBytes bytes
  WipedVector<Block> rows;    // t_j
  std::vector<Scalar> random_gadget;
  Scalar b;
};

RvoleReceiver::RvoleReceiver(const OteReceiverSetup& setup, ByteSpan session_id, Rng& rng,
                             size_t count)
    : s_(std::make_unique<State>(setup, session_id, rng, count)) {}
RvoleReceiver::~RvoleReceiver() = default;

Bytes RvoleReceiver::Start() {
  State& s = *s_;
  if (s.step != State::Step::kNew) return {};  // a second Start changes nothing
  if (s.count == 0 || s.count > kMaxInputs) {
    s.step = State::Step::kFailed;
    return {};
  }
  Tag tag = Message1Tag(s.setup.setup_id(), s.sid);
  Bytes m1(tag.begin(), tag.end());
  m1.reserve(RvoleMessage1Size());
  uint8_t nonce[kNonceSize];
  s.rng.Fill(nonce);
  m1.insert(m1.end(), nonce, nonce + kNonceSize);
  s.keys = DeriveExtensionKeys(s.setup.setup_id(), s.sid, ByteSpan(nonce, kNonceSize));

  s.beta.Reset(kChoiceBytes);
  s.rng.Fill(s.beta.span());
  OteReceiverExtend(s.setup, s.keys, kMulBatch, s.beta.span(), s.rng, m1, s.rows);

  // b = Σ_{j<256} 2^j·β_j + Σ_e g_{256+e}·β_{256+e}.
  uint8_t be[32];
  for (size_t k = 0; k < 32; ++k) be[k] = s.beta[31 - k];  // bits 0..255 as a big-endian integer
  s.b = Scalar::FromBytesReduce(ByteSpan(be, 32));
  Wipe(be, sizeof be);
  s.random_gadget = RandomGadget(s.keys);
  for (size_t e = 0; e < kRandomGadget; ++e) {
    size_t j = kPowerBits + e;
    s.b += Scalar::Select(Scalar(), s.random_gadget[e], s.beta[j / 8] >> (j % 8));
  }
  Declassify(m1.data(), m1.size());  // what goes on the wire is public
  s.m1_digest = FramedHash("tss/ot/rvole/m1").Add(m1).Final();
  s.step = State::Step::kStarted;
  return m1;
}

const Scalar& RvoleReceiver::Input() const {
  return s_->b;
}

Result<std::vector<Scalar>> RvoleReceiver::Finish(ByteSpan m2) {
  State& s = *s_;
  if (s.step != State::Step::kStarted)
    return Status(ErrorCode::kInternal, "RvoleReceiver::Finish called before Start or twice");
  s.step = State::Step::kFailed;
  const size_t L = s.count;
  const size_t width = L + 1;
  if (m2.size() != Message2Size(L))
    return InvalidArgument("multiplication message m2 must be " + std::to_string(Message2Size(L)) +
                           " bytes, got " + std::to_string(m2.size()));
  ByteReader r(m2);
  ByteSpan tag, nonce, tau_bytes, r_digest, u_bytes;
  r.Raw(kTagSize, tag);
  r.Raw(kNonceSize, nonce);
  r.Raw(kMulBatch * width * 32, tau_bytes);
  r.Raw(32, r_digest);
  r.Raw(32, u_bytes);
  if (!r.done()) return InvalidArgument("multiplication message m2 is malformed");
  Tag want = Message2Tag(s.setup.setup_id(), s.sid, s.m1_digest);
  if (sodium_memcmp(tag.data(), want.data(), kTagSize) != 0)
    return InvalidArgument("multiplication message m2 answers another multiplication or session");
  auto u = Scalar::FromBytes(u_bytes);
  if (!u.ok()) return InvalidArgument("multiplication message m2: u is not below n");

  // z_B[j] = β_j·τ_j − s_{β_j, j}, row chunk by row chunk, with the pads of Alice's nonce.
  const ReplyKeys reply = DeriveReplyKeys(s.keys, nonce);
  CorrelationRobustHash h(reply.hash_key.data());
  std::vector<Scalar> z;
  z.reserve(kMulBatch * width);
  WipedVector<Block> blocks(kChunk * 2 * width);
  for (size_t j0 = 0; j0 < kMulBatch; j0 += kChunk) {
    h.Hash(s.rows.span().subspan(j0, kChunk), Block{}, 2 * width, blocks.data(), j0);
    for (size_t j = j0; j < j0 + kChunk; ++j) {
      const uint64_t bit = s.beta[j / 8] >> (j % 8);
      for (size_t c = 0; c < width; ++c) {
        auto tau = Scalar::FromBytes(tau_bytes.subspan(32 * (j * width + c), 32));
        if (!tau.ok()) return InvalidArgument("multiplication message m2: τ entry is not below n");
        z.push_back(Scalar::Select(Scalar(), *tau, bit) -
                    BlockScalar(blocks.data() + (j - j0) * 2 * width, c));
      }
    }
  }

  std::vector<Scalar> chi = CheckChallenges(reply, s.m1_digest, tau_bytes, L);
  Digest got = CheckDigest(reply, z, L, chi, &s.beta, *u);
  if (Declassified(sodium_memcmp(got.data(), r_digest.data(), 32)) != 0)
    return Status(ErrorCode::kProtocolAbort,
                  "multiplication consistency check failed: the sender's inputs disagree");

  std::vector<Scalar> d;
  for (size_t i = 0; i < L; ++i) d.push_back(GadgetSum(z, width, i, s.random_gadget));
  s.rows.Clear();
  s.beta.Clear();
  s.step = State::Step::kFinished;
  return d;
}

// ---- Alice

Result<RvoleSenderOutput> RvoleSend(const OteSenderSetup& setup, ByteSpan session_id,
                                    std::span<const Scalar> a, ByteSpan m1, Rng& rng) {
  return testing::RvoleSendWithTweak(setup, session_id, a, m1, rng, {});
}

Result<RvoleSenderOutput> testing::RvoleSendWithTweak(const OteSenderSetup& setup,
                                                      ByteSpan session_id,
                                                      std::span<const Scalar> a, ByteSpan m1,
                                                      Rng& rng, const CorrelationTweak& tweak) {
  const size_t L = a.size();
  if (L == 0 || L > kMaxInputs)
    return InvalidArgument("multiplication needs 1.." + std::to_string(kMaxInputs) +
                           " inputs, got " + std::to_string(L));
  const size_t width = L + 1;
  if (m1.size() != RvoleMessage1Size())
    return InvalidArgument("multiplication message m1 must be " +
                           std::to_string(RvoleMessage1Size()) + " bytes, got " +
                           std::to_string(m1.size()));
  ByteReader r(m1);
  ByteSpan tag, nonce, extension;
  r.Raw(kTagSize, tag);
  r.Raw(kNonceSize, nonce);
  r.Raw(OteMessageSize(kMulBatch), extension);
  if (!r.done()) return InvalidArgument("multiplication message m1 is malformed");
  Tag want = Message1Tag(setup.setup_id(), session_id);
  if (sodium_memcmp(tag.data(), want.data(), kTagSize) != 0)
    return InvalidArgument("multiplication message m1 belongs to another session or setup");

  const ExtensionKeys keys = DeriveExtensionKeys(setup.setup_id(), session_id, nonce);
  WipedVector<Block> rows;
  TSS_RETURN_IF_ERROR(OteSenderExtend(setup, keys, kMulBatch, extension, rows));

  std::vector<Scalar> alpha(a.begin(), a.end());  // (a, â)
  alpha.push_back(Scalar::Random(rng));

  const Digest m1_digest = FramedHash("tss/ot/rvole/m1").Add(m1).Final();
  RvoleSenderOutput out;
  Tag tag2 = Message2Tag(setup.setup_id(), session_id, m1_digest);
  out.message.resize(Message2Size(L));
  std::copy(tag2.begin(), tag2.end(), out.message.begin());
  // Alice's own fresh nonce: this answer's pads are new even if this m1 was answered before.
  uint8_t* my_nonce = out.message.data() + kTagSize;
  rng.Fill(std::span<uint8_t>(my_nonce, kNonceSize));
  Declassify(my_nonce, kNonceSize);  // public: it goes on the wire
  const ReplyKeys reply = DeriveReplyKeys(keys, ByteSpan(my_nonce, kNonceSize));
  uint8_t* tau_out = my_nonce + kNonceSize;

  // z_A[j] = s0_j and τ_j = s1_j − s0_j + α, row chunk by row chunk.
  CorrelationRobustHash h(reply.hash_key.data());
  const Block delta = DeltaBlock(setup);
  std::vector<Scalar> z;
  z.reserve(kMulBatch * width);
  WipedVector<Block> b0(kChunk * 2 * width), b1(kChunk * 2 * width);
  std::vector<Scalar> alpha_j = alpha;
  for (size_t j0 = 0; j0 < kMulBatch; j0 += kChunk) {
    h.Hash(rows.span().subspan(j0, kChunk), Block{}, 2 * width, b0.data(), j0);
    h.Hash(rows.span().subspan(j0, kChunk), delta, 2 * width, b1.data(), j0);
    for (size_t j = j0; j < j0 + kChunk; ++j) {
      if (tweak) {
        alpha_j = alpha;
        tweak(j, alpha_j);
      }
      const Block* row0 = b0.data() + (j - j0) * 2 * width;
      const Block* row1 = b1.data() + (j - j0) * 2 * width;
      for (size_t c = 0; c < width; ++c) {
        Scalar s0 = BlockScalar(row0, c);
        (BlockScalar(row1, c) - s0 + alpha_j[c]).ToBytes(tau_out + 32 * (j * width + c));
        z.push_back(s0);
      }
    }
  }
  rows.Clear();
  const ByteSpan tau_bytes(tau_out, kMulBatch * width * 32);
  Declassify(tau_bytes.data(), tau_bytes.size());  // sent to Bob

  std::vector<Scalar> chi = CheckChallenges(reply, m1_digest, tau_bytes, L);
  Digest rd = CheckDigest(reply, z, L, chi, nullptr, Scalar());
  Scalar u = alpha[L];
  for (size_t i = 0; i < L; ++i) u += chi[i] * a[i];
  uint8_t* tail = tau_out + tau_bytes.size();
  std::copy(rd.begin(), rd.end(), tail);
  u.ToBytes(tail + 32);

  const std::vector<Scalar> random_gadget = RandomGadget(keys);
  for (size_t i = 0; i < L; ++i) out.c.push_back(GadgetSum(z, width, i, random_gadget));
  return out;
}

}  // namespace tss::crypto::ot

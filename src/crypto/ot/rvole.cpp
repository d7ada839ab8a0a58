// Random VOLE: DKLs19 Protocol 1 (eprint 2019/523) in the two-message form of DKLs23 §5.1
// (eprint 2023/765), over the KOS extension of ote.h.
//
// Bob samples β ∈ {0,1}^ξ; his random input is b = ⟨g, β⟩ with the gadget g = (2^0, …, 2^255,
// g_256, …, g_415), the last 2s entries pseudorandom per multiplication. One extension of ξ OTs
// with choices β gives Alice, per OT j, two pseudorandom vectors s0_j, s1_j ∈ Z_q^{2L} (the hashes
// of q_j and q_j ⊕ Δ) and Bob s_{β_j, j}. Alice's correlation is α = (a_0..a_{L−1}, â_0..â_{L−1})
// with â her random check vector:
//   m1 (B→A): tag, nonce, KOS extension message
//   m2 (A→B): tag, τ_j = s1_j − s0_j + α (j < ξ), H(r), u
// z_A[j] = s0_j, z_B[j] = β_j·τ_j − s_{β_j, j}, so z_A[j] + z_B[j] = β_j·α.
// Check (catches an Alice whose α differs between OTs, which would otherwise let her learn bits
// of β from whether Bob later aborts): χ̂ ∈ Z_q^L hashes the transcript including τ;
// r_{i,j} = z_A[j]_i + χ̂_i·z_A[j]_{L+i}, u_i = a_i + χ̂_i·â_i (uniform: â hides a); Bob recomputes
// r_{i,j} = β_j·u_i − z_B[j]_i − χ̂_i·z_B[j]_{L+i} and compares the hash. (DKLs19 weights the first
// term by a second challenge χ̃_i; dividing the check through by it shows the weight adds nothing.)
// Outputs: c_i = Σ_j g_j·z_A[j]_i, d_i = Σ_j g_j·z_B[j]_i, so c_i + d_i = a_i·⟨g, β⟩ = a_i·b.
#include <sodium.h>

#include <algorithm>

#include "crypto/ot/ot.h"
#include "crypto/ot/ote.h"
#include "crypto/ot/primitives.h"
#include "crypto/ot/rvole_testing.h"
#include "crypto/rng.h"

namespace tss::crypto::ot {

namespace {

constexpr size_t kTagSize = 16;
constexpr size_t kNonceSize = 32;
constexpr size_t kPowerBits = 256;                        // gadget entries 2^0..2^255
constexpr size_t kRandomGadget = kMulBatch - kPowerBits;  // 2s pseudorandom entries
constexpr size_t kChoiceBytes = kMulBatch / 8;
static_assert(kMulBatch % 8 == 0);

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
  std::vector<Scalar> g(kRandomGadget);
  for (size_t k2 = 0; k2 < kRandomGadget; ++k2)
    g[k2] = Scalar::FromBytesReduce(ByteSpan(bytes.data() + 32 * k2, 32));
  return g;
}

// χ̂_0..χ̂_{L−1} from the transcript: extension keys, m1, and Alice's τ.
std::vector<Scalar> CheckChallenges(const ExtensionKeys& keys, const Digest& m1_digest,
                                    ByteSpan tau, size_t count) {
  Digest seed = FramedHash("tss/ot/rvole/chi").Add(keys.challenge).Add(m1_digest).Add(tau).Final();
  std::vector<Scalar> chi(count);
  for (size_t i = 0; i < count; ++i) {
    uint8_t wide[64];
    Digest d0 = FramedHash("tss/ot/rvole/chi-expand").Add(seed).Add(2 * i).Final();
    Digest d1 = FramedHash("tss/ot/rvole/chi-expand").Add(seed).Add(2 * i + 1).Final();
    std::copy(d0.begin(), d0.end(), wide);
    std::copy(d1.begin(), d1.end(), wide + 32);
    chi[i] = Scalar::FromBytesReduce(wide);
  }
  return chi;
}

// Σ_j g_j·z[j·stride + offset] over the gadget: Horner's rule for the powers of two (additions
// only), one multiplication per pseudorandom entry.
Scalar GadgetSum(const std::vector<Scalar>& z, size_t stride, size_t offset,
                 const std::vector<Scalar>& random_gadget) {
  Scalar acc;
  for (size_t j = kPowerBits; j-- > 0;) acc = acc + acc + z[j * stride + offset];
  for (size_t k = 0; k < kRandomGadget; ++k)
    acc += random_gadget[k] * z[(kPowerBits + k) * stride + offset];
  return acc;
}

// The pseudorandom vectors of the OTs: 2L scalars per row, each from 32 bytes of hash output.
void ExpandRows(CorrelationRobustHash& h, const WipedVector<Block>& rows, const Block& mask,
                size_t width, std::vector<Scalar>& out) {
  WipedVector<Block> blocks(kMulBatch * 2 * width);
  h.Hash(rows.span().first(kMulBatch), mask, 2 * width, blocks.data());
  const uint8_t* p = reinterpret_cast<const uint8_t*>(blocks.data());
  out.resize(kMulBatch * width);
  for (size_t k = 0; k < out.size(); ++k)
    out[k] = Scalar::FromBytesReduce(ByteSpan(p + 32 * k, 32));
}

Digest RDigest(const ExtensionKeys& keys, ByteSpan r) {
  return FramedHash("tss/ot/rvole/r").Add(keys.challenge).Add(r).Final();
}

size_t Message2Size(size_t count) {
  return kTagSize + kMulBatch * 2 * count * 32 + 32 + count * 32;
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

  // b = Σ_{j<256} 2^j·β_j + Σ_k g_{256+k}·β_{256+k}.
  uint8_t be[32];
  for (size_t k = 0; k < 32; ++k) be[k] = s.beta[31 - k];  // bits 0..255 as a big-endian integer
  s.b = Scalar::FromBytesReduce(ByteSpan(be, 32));
  Wipe(be, sizeof be);
  s.random_gadget = RandomGadget(s.keys);
  for (size_t k = 0; k < kRandomGadget; ++k) {
    size_t j = kPowerBits + k;
    s.b += Scalar::Select(Scalar(), s.random_gadget[k], s.beta[j / 8] >> (j % 8));
  }
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
  const size_t width = 2 * L;
  if (m2.size() != Message2Size(L))
    return InvalidArgument("multiplication message m2 must be " + std::to_string(Message2Size(L)) +
                           " bytes, got " + std::to_string(m2.size()));
  ByteReader r(m2);
  ByteSpan tag, tau_bytes, r_digest, u_bytes;
  r.Raw(kTagSize, tag);
  r.Raw(kMulBatch * width * 32, tau_bytes);
  r.Raw(32, r_digest);
  r.Raw(L * 32, u_bytes);
  if (!r.done()) return InvalidArgument("multiplication message m2 is malformed");
  Tag want = Message2Tag(s.setup.setup_id(), s.sid, s.m1_digest);
  if (sodium_memcmp(tag.data(), want.data(), kTagSize) != 0)
    return InvalidArgument("multiplication message m2 answers another multiplication or session");

  std::vector<Scalar> tau(kMulBatch * width);
  for (size_t k = 0; k < tau.size(); ++k) {
    auto v = Scalar::FromBytes(tau_bytes.subspan(32 * k, 32));
    if (!v.ok()) return InvalidArgument("multiplication message m2: τ entry is not below n");
    tau[k] = *v;
  }
  std::vector<Scalar> u(L);
  for (size_t i = 0; i < L; ++i) {
    auto v = Scalar::FromBytes(u_bytes.subspan(32 * i, 32));
    if (!v.ok()) return InvalidArgument("multiplication message m2: u entry is not below n");
    u[i] = *v;
  }

  CorrelationRobustHash h(s.keys.hash_key.data());
  std::vector<Scalar> z;  // z_B, then overwritten in place
  ExpandRows(h, s.rows, Block{}, width, z);
  for (size_t j = 0; j < kMulBatch; ++j) {
    const uint64_t bit = s.beta[j / 8] >> (j % 8);
    for (size_t c = 0; c < width; ++c) {
      Scalar& zj = z[j * width + c];
      zj = Scalar::Select(Scalar(), tau[j * width + c], bit) - zj;
    }
  }

  std::vector<Scalar> chi = CheckChallenges(s.keys, s.m1_digest, tau_bytes, L);
  WipedVector<uint8_t> rb(kMulBatch * L * 32);
  for (size_t i = 0; i < L; ++i) {
    for (size_t j = 0; j < kMulBatch; ++j) {
      const uint64_t bit = s.beta[j / 8] >> (j % 8);
      Scalar rij =
          Scalar::Select(Scalar(), u[i], bit) - z[j * width + i] - chi[i] * z[j * width + L + i];
      rij.ToBytes(rb.data() + 32 * (i * kMulBatch + j));
    }
  }
  Digest got = RDigest(s.keys, rb.span());
  if (sodium_memcmp(got.data(), r_digest.data(), 32) != 0)
    return Status(ErrorCode::kProtocolAbort,
                  "multiplication consistency check failed: the sender's inputs disagree");

  std::vector<Scalar> d(L);
  for (size_t i = 0; i < L; ++i) d[i] = GadgetSum(z, width, i, s.random_gadget);
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
  const size_t width = 2 * L;
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

  std::vector<Scalar> alpha(width);  // (a, â)
  for (size_t i = 0; i < L; ++i) {
    alpha[i] = a[i];
    alpha[L + i] = Scalar::Random(rng);
  }

  CorrelationRobustHash h(keys.hash_key.data());
  std::vector<Scalar> z, s1;  // z_A = s0
  ExpandRows(h, rows, Block{}, width, z);
  ExpandRows(h, rows, DeltaBlock(setup), width, s1);
  rows.Clear();

  const Digest m1_digest = FramedHash("tss/ot/rvole/m1").Add(m1).Final();
  RvoleSenderOutput out;
  Tag tag2 = Message2Tag(setup.setup_id(), session_id, m1_digest);
  out.message.resize(Message2Size(L));
  std::copy(tag2.begin(), tag2.end(), out.message.begin());
  uint8_t* tau_out = out.message.data() + kTagSize;
  std::vector<Scalar> alpha_j = alpha;
  for (size_t j = 0; j < kMulBatch; ++j) {
    if (tweak) {
      alpha_j = alpha;
      tweak(j, alpha_j);
    }
    for (size_t c = 0; c < width; ++c) {
      const size_t k = j * width + c;
      Scalar tau = s1[k] - z[k] + alpha_j[c];
      tau.ToBytes(tau_out + 32 * k);
    }
  }
  s1.clear();
  const ByteSpan tau_bytes(tau_out, kMulBatch * width * 32);

  std::vector<Scalar> chi = CheckChallenges(keys, m1_digest, tau_bytes, L);
  WipedVector<uint8_t> rb(kMulBatch * L * 32);
  for (size_t i = 0; i < L; ++i) {
    for (size_t j = 0; j < kMulBatch; ++j) {
      Scalar rij = z[j * width + i] + chi[i] * z[j * width + L + i];
      rij.ToBytes(rb.data() + 32 * (i * kMulBatch + j));
    }
  }
  Digest rd = RDigest(keys, rb.span());
  uint8_t* tail = tau_out + tau_bytes.size();
  std::copy(rd.begin(), rd.end(), tail);
  for (size_t i = 0; i < L; ++i) (a[i] + chi[i] * alpha[L + i]).ToBytes(tail + 32 + 32 * i);

  const std::vector<Scalar> random_gadget = RandomGadget(keys);
  out.c.resize(L);
  for (size_t i = 0; i < L; ++i) out.c[i] = GadgetSum(z, width, i, random_gadget);
  return out;
}

}  // namespace tss::crypto::ot

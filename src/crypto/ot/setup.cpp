// The pairwise setup: 128 base OTs ("Simplest OT", Chou–Orlandi eprint 2015/267, with the
// sender's proof of knowledge as in DKLs19's verified variant) in which Bob is the OT sender and
// Alice the receiver with choice bits Δ, followed by Bob's key confirmation.
//
//   m1 (B→A): tag, A = a·G, Schnorr proof of a
//   m2 (A→B): tag, B_i = b_i·G + Δ_i·A                       (i < 128)
//   m3 (B→A): tag, H(k_{i,0}), H(k_{i,1}) truncated to 16 bytes
// with k_{i,0} = H(sid, i, A, B_i, a·B_i), k_{i,1} = H(sid, i, A, B_i, a·(B_i − A)); Alice knows
// k_{i,Δ_i} = H(sid, i, A, B_i, b_i·A) and nothing about the other key (CDH in the ROM).
// Side channels: the secret points come from libsecp256k1's ECDH module (constant time in the
// scalar, and never serialised by a variable-time routine) or from the constant-time field
// arithmetic of crypto/field.h: Bob's a·B_i by ECDH and a·(B_i − A) as a·B_i + (−a·A); Alice's
// b_i·A by ECDH, and B_i = b_i·G + Δ_i·A from b_i·G (ECDH on G) and A, selected by a mask, so
// nothing she computes before B_i is sent depends on Δ_i or on b_i·G in time. Only public
// points (A, B_i) go through libsecp256k1's variable-time point code.
#include <sodium.h>

#include <algorithm>
#include <vector>

#include "crypto/ctime.h"
#include "crypto/field.h"
#include "crypto/ot/ot.h"
#include "crypto/ot/primitives.h"
#include "crypto/point.h"
#include "crypto/rng.h"
#include "crypto/schnorr.h"

namespace tss::crypto::ot {

namespace {

constexpr uint8_t kSetupVersion = 1;
constexpr size_t kTagSize = 16;
constexpr size_t kM1Size = kTagSize + Point::kCompressedSize + SchnorrProof::kEncodedSize;
constexpr size_t kM2Size = kTagSize + kKappa * Point::kCompressedSize;
constexpr size_t kM3Size = kTagSize + kKappa * 2 * 16;

using Tag = std::array<uint8_t, kTagSize>;
using Key16 = std::array<uint8_t, 16>;

// Binds a message to its session and position, so a message of another session or flow is
// refused by name before any heavier check.
Tag MessageTag(std::string_view flow, ByteSpan session_id) {
  Digest d = FramedHash("tss/ot/setup/tag").Add(AsBytes(flow)).Add(session_id).Final();
  Tag t;
  std::copy_n(d.begin(), kTagSize, t.begin());
  return t;
}

Status CheckTag(ByteReader& r, std::string_view flow, ByteSpan session_id) {
  ByteSpan tag;
  if (!r.Raw(kTagSize, tag)) return InvalidArgument("OT setup message too short");
  Tag want = MessageTag(flow, session_id);
  if (sodium_memcmp(tag.data(), want.data(), kTagSize) != 0)
    return InvalidArgument("OT setup message " + std::string(flow) +
                           " belongs to another session or flow");
  return Status::Ok();
}

Status CheckLength(ByteSpan m, size_t want, std::string_view flow) {
  if (m.size() != want)
    return InvalidArgument("OT setup message " + std::string(flow) + " must be " +
                           std::to_string(want) + " bytes, got " + std::to_string(m.size()));
  return Status::Ok();
}

ByteSpan PokContext(ByteSpan session_id, Bytes& storage) {
  Digest d = FramedHash("tss/ot/setup/pok").Add(session_id).Final();
  storage.assign(d.begin(), d.end());
  return storage;
}

// `shared`: the compressed encoding of the Diffie–Hellman value (secret; the caller wipes it).
Key16 BaseOtKey(ByteSpan session_id, size_t i, ByteSpan a_point, ByteSpan b_point,
                ByteSpan shared) {
  Digest d = FramedHash("tss/ot/base/key")
                 .Add(session_id)
                 .Add(i)
                 .Add(a_point)
                 .Add(b_point)
                 .Add(shared)
                 .Final();
  Key16 k;
  std::copy_n(d.begin(), 16, k.begin());
  Wipe(d.data(), d.size());
  return k;
}

Key16 ConfirmTag(const Digest& setup_id, size_t i, const Key16& key) {
  Digest d = FramedHash("tss/ot/setup/confirm").Add(setup_id).Add(i).Add(key).Final();
  Key16 t;
  std::copy_n(d.begin(), 16, t.begin());
  return t;
}

Digest SetupId(ByteSpan session_id, ByteSpan m1, ByteSpan m2) {
  return FramedHash("tss/ot/setup/id").Add(session_id).Add(m1).Add(m2).Final();
}

}  // namespace

// ---- stored setups

OteSenderSetup::~OteSenderSetup() {
  Wipe(delta_.data(), delta_.size());
  Wipe(seeds_.data(), sizeof seeds_);
}

OteSenderSetup OteSenderSetup::Clone() const {
  OteSenderSetup c;
  c.setup_id_ = setup_id_;
  c.delta_ = delta_;
  c.seeds_ = seeds_;
  return c;
}

Bytes OteSenderSetup::Encode() const {
  Bytes out;
  out.reserve(kEncodedSize);
  out.push_back(kSetupVersion);
  out.insert(out.end(), setup_id_.begin(), setup_id_.end());
  out.insert(out.end(), delta_.begin(), delta_.end());
  for (const auto& s : seeds_) out.insert(out.end(), s.begin(), s.end());
  return out;
}

Result<OteSenderSetup> OteSenderSetup::Decode(ByteSpan bytes) {
  if (bytes.size() != kEncodedSize)
    return InvalidArgument("OT-extension sender setup must be " + std::to_string(kEncodedSize) +
                           " bytes, got " + std::to_string(bytes.size()));
  ByteReader r(bytes);
  uint8_t version = 0;
  r.U8(version);
  if (version != kSetupVersion)
    return InvalidArgument("unknown OT-extension sender setup version " + std::to_string(version));
  OteSenderSetup s;
  r.Raw(32, s.setup_id_.data());
  r.Raw(16, s.delta_.data());
  for (auto& seed : s.seeds_) r.Raw(16, seed.data());
  if (!r.done()) return InvalidArgument("OT-extension sender setup is malformed");
  return s;
}

OteReceiverSetup::~OteReceiverSetup() {
  Wipe(seeds_.data(), sizeof seeds_);
}

OteReceiverSetup OteReceiverSetup::Clone() const {
  OteReceiverSetup c;
  c.setup_id_ = setup_id_;
  c.seeds_ = seeds_;
  return c;
}

Bytes OteReceiverSetup::Encode() const {
  Bytes out;
  out.reserve(kEncodedSize);
  out.push_back(kSetupVersion);
  out.insert(out.end(), setup_id_.begin(), setup_id_.end());
  for (const auto& pair : seeds_)
    for (const auto& s : pair) out.insert(out.end(), s.begin(), s.end());
  return out;
}

Result<OteReceiverSetup> OteReceiverSetup::Decode(ByteSpan bytes) {
  if (bytes.size() != kEncodedSize)
    return InvalidArgument("OT-extension receiver setup must be " + std::to_string(kEncodedSize) +
                           " bytes, got " + std::to_string(bytes.size()));
  ByteReader r(bytes);
  uint8_t version = 0;
  r.U8(version);
  if (version != kSetupVersion)
    return InvalidArgument("unknown OT-extension receiver setup version " +
                           std::to_string(version));
  OteReceiverSetup s;
  r.Raw(32, s.setup_id_.data());
  for (auto& pair : s.seeds_)
    for (auto& seed : pair) r.Raw(16, seed.data());
  if (!r.done()) return InvalidArgument("OT-extension receiver setup is malformed");
  return s;
}

// ---- Bob: base-OT sender

struct SetupReceiver::State {
  State(ByteSpan session_id, Rng& r) : sid(session_id.begin(), session_id.end()), rng(r) {}
  Bytes sid;
  Rng& rng;
  enum class Step { kNew, kStarted, kResponded, kFinished, kFailed } step = Step::kNew;
  Scalar a;
  Point A;
  Bytes m1;
  OteReceiverSetup setup;
};

SetupReceiver::SetupReceiver(ByteSpan session_id, Rng& rng)
    : s_(std::make_unique<State>(session_id, rng)) {}
SetupReceiver::~SetupReceiver() = default;

Bytes SetupReceiver::Start() {
  if (s_->step != State::Step::kNew) return {};  // a second Start changes nothing
  s_->a = Scalar::RandomNonZero(s_->rng);
  s_->A = Point::BaseMul(s_->a);
  Declassify(&s_->A, sizeof s_->A);  // A is public: it goes on the wire
  Bytes ctx;
  SchnorrProof proof = SchnorrProve(PokContext(s_->sid, ctx), s_->a, s_->A, s_->rng);
  Tag tag = MessageTag("m1", s_->sid);
  Bytes m(tag.begin(), tag.end());
  auto A = s_->A.ToBytes();
  m.insert(m.end(), A.begin(), A.end());
  Bytes p = proof.Encode();
  m.insert(m.end(), p.begin(), p.end());
  Declassify(m.data(), m.size());  // what goes on the wire is public
  s_->m1 = m;
  s_->step = State::Step::kStarted;
  return m;
}

Result<Bytes> SetupReceiver::Respond(ByteSpan m2) {
  if (s_->step != State::Step::kStarted)
    return Status(ErrorCode::kInternal, "SetupReceiver::Respond called out of order");
  s_->step = State::Step::kFailed;  // until proven otherwise
  TSS_RETURN_IF_ERROR(CheckLength(m2, kM2Size, "m2"));
  ByteReader r(m2);
  TSS_RETURN_IF_ERROR(CheckTag(r, "m2", s_->sid));

  const Digest setup_id = SetupId(s_->sid, s_->m1, m2);
  const auto a_bytes = s_->A.ToBytes();
  const Point minus_a = -s_->A;
  // The Diffie–Hellman values a·B_i, and a·(B_i − A) = a·B_i + (−a·A), are as secret as the
  // keys: the first from ECDH, the second by adding −a·A to it in constant time, for all i at
  // once (one field inversion per setup).
  std::vector<AffinePoint> dh0(kKappa), dh1(kKappa);
  for (size_t i = 0; i < kKappa; ++i) {
    ByteSpan b_bytes;
    r.Raw(Point::kCompressedSize, b_bytes);
    auto B = Point::FromBytes(b_bytes);
    if (!B.ok())
      return InvalidArgument("OT setup message m2: point " + std::to_string(i) + ": " +
                             B.status().message());
    // B_i = A would make k_{i,1} the hash of a·∞, which anyone knows. B_i = −A (an honest Alice
    // sends it with probability 2^-255) would make a·B_i = −a·A, which the chord rule below
    // cannot add. Both are facts about public points: refused.
    if (*B == s_->A)
      return Status(ErrorCode::kProtocolAbort,
                    "OT setup message m2: point " + std::to_string(i) + " equals Bob's key");
    if (*B == minus_a)
      return Status(ErrorCode::kProtocolAbort,
                    "OT setup message m2: point " + std::to_string(i) + " is minus Bob's key");
    std::array<uint8_t, 64> xy = B->SecretMulCoordinates(s_->a);
    dh0[i] = AffinePoint::FromCoordinates(xy.data());
    Wipe(xy.data(), xy.size());
  }
  if (!r.done()) return InvalidArgument("OT setup message m2 is malformed");
  std::array<uint8_t, 64> xy = s_->A.SecretMulCoordinates(s_->a);  // a·A
  const AffinePoint minus_aa = AffinePoint::FromCoordinates(xy.data()).Negated();
  Wipe(xy.data(), xy.size());
  AddToEach(dh0, minus_aa, dh1);  // x differs: a·B_i = ±a·A only for B_i = ±A, refused above

  auto& seeds = s_->setup.seeds_;
  Tag tag = MessageTag("m3", s_->sid);
  Bytes m3(tag.begin(), tag.end());
  m3.reserve(kM3Size);
  for (size_t i = 0; i < kKappa; ++i) {
    const ByteSpan b_bytes =
        m2.subspan(kTagSize + i * Point::kCompressedSize, Point::kCompressedSize);
    std::array<uint8_t, Point::kCompressedSize> shared;
    dh0[i].ToCompressed(shared.data());
    seeds[i][0] = BaseOtKey(s_->sid, i, a_bytes, b_bytes, shared);
    dh1[i].ToCompressed(shared.data());
    seeds[i][1] = BaseOtKey(s_->sid, i, a_bytes, b_bytes, shared);
    Wipe(shared.data(), shared.size());
    for (int b = 0; b < 2; ++b) {
      Key16 t = ConfirmTag(setup_id, i, seeds[i][b]);
      m3.insert(m3.end(), t.begin(), t.end());
    }
  }
  Declassify(m3.data(), m3.size());  // hashes of the keys, public by design
  s_->setup.setup_id_ = setup_id;
  s_->a = Scalar();
  s_->step = State::Step::kResponded;
  return m3;
}

Result<OteReceiverSetup> SetupReceiver::Finish() {
  if (s_->step != State::Step::kResponded)
    return Status(ErrorCode::kInternal, "SetupReceiver::Finish called before a successful Respond");
  s_->step = State::Step::kFinished;
  return std::move(s_->setup);
}

// ---- Alice: base-OT receiver

struct SetupSender::State {
  State(ByteSpan session_id, Rng& r) : sid(session_id.begin(), session_id.end()), rng(r) {}
  Bytes sid;
  Rng& rng;
  enum class Step { kNew, kResponded, kFinished, kFailed } step = Step::kNew;
  OteSenderSetup setup;
};

SetupSender::SetupSender(ByteSpan session_id, Rng& rng)
    : s_(std::make_unique<State>(session_id, rng)) {}
SetupSender::~SetupSender() = default;

Result<Bytes> SetupSender::Respond(ByteSpan m1) {
  if (s_->step != State::Step::kNew)
    return Status(ErrorCode::kInternal, "SetupSender::Respond called twice");
  s_->step = State::Step::kFailed;
  TSS_RETURN_IF_ERROR(CheckLength(m1, kM1Size, "m1"));
  ByteReader r(m1);
  TSS_RETURN_IF_ERROR(CheckTag(r, "m1", s_->sid));
  ByteSpan a_bytes, proof_bytes;
  r.Raw(Point::kCompressedSize, a_bytes);
  r.Raw(SchnorrProof::kEncodedSize, proof_bytes);
  if (!r.done()) return InvalidArgument("OT setup message m1 is malformed");
  auto A = Point::FromBytes(a_bytes);
  if (!A.ok()) return InvalidArgument("OT setup message m1: key: " + A.status().message());
  auto proof = SchnorrProof::Decode(proof_bytes);
  if (!proof.ok())
    return InvalidArgument("OT setup message m1: proof: " + proof.status().message());
  Bytes ctx;
  if (!SchnorrVerify(PokContext(s_->sid, ctx), *A, *proof))
    return Status(ErrorCode::kProtocolAbort,
                  "OT setup message m1: invalid proof of knowledge of the base-OT key");

  auto& delta = s_->setup.delta_;
  auto& seeds = s_->setup.seeds_;
  s_->rng.Fill(delta);
  Tag tag = MessageTag("m2", s_->sid);
  Bytes m2(tag.begin(), tag.end());
  m2.resize(kM2Size);
  // B_i = b_i·G + Δ_i·A: b_i·G from ECDH on G, then A added to every one of them in constant
  // time (one field inversion for all 128), and one of the two kept by a mask.
  const auto a_xy = A->ToUncompressedBytes();  // public
  const AffinePoint a_point = AffinePoint::FromCoordinates(a_xy.data() + 1);
  std::vector<Scalar> b(kKappa);
  std::vector<AffinePoint> t(kKappa), t_plus_a(kKappa);
  for (size_t i = 0; i < kKappa; ++i) {
    for (;;) {
      b[i] = Scalar::RandomNonZero(s_->rng);
      std::array<uint8_t, 64> xy = Point::Generator().SecretMulCoordinates(b[i]);
      t[i] = AffinePoint::FromCoordinates(xy.data());
      Wipe(xy.data(), xy.size());
      // b_i·G = ±A has probability 2^-255 (the chord rule needs x coordinates that differ);
      // resampling only reveals that this happened.
      if (!Declassified((t[i].x - a_point.x).IsZero())) break;
    }
  }
  AddToEach(t, a_point, t_plus_a);
  for (size_t i = 0; i < kKappa; ++i) {
    const uint64_t bit = delta[i / 8] >> (i % 8);
    const AffinePoint chosen{FieldElement::Select(t[i].x, t_plus_a[i].x, bit),
                             FieldElement::Select(t[i].y, t_plus_a[i].y, bit)};
    uint8_t* out = m2.data() + kTagSize + i * Point::kCompressedSize;
    chosen.ToCompressed(out);
    Declassify(out, Point::kCompressedSize);  // B_i is public: uniform whatever Δ_i is
    auto shared = A->SecretMulToBytes(b[i]);
    seeds[i] = BaseOtKey(s_->sid, i, a_bytes, ByteSpan(out, Point::kCompressedSize), shared);
    Wipe(shared.data(), shared.size());
  }
  s_->setup.setup_id_ = SetupId(s_->sid, m1, m2);
  s_->step = State::Step::kResponded;
  return m2;
}

Result<OteSenderSetup> SetupSender::Finish(ByteSpan m3) {
  if (s_->step != State::Step::kResponded)
    return Status(ErrorCode::kInternal, "SetupSender::Finish called before a successful Respond");
  s_->step = State::Step::kFailed;
  TSS_RETURN_IF_ERROR(CheckLength(m3, kM3Size, "m3"));
  ByteReader r(m3);
  TSS_RETURN_IF_ERROR(CheckTag(r, "m3", s_->sid));
  const auto& delta = s_->setup.delta_;
  uint8_t diff = 0;
  for (size_t i = 0; i < kKappa; ++i) {
    ByteSpan pair;
    r.Raw(32, pair);
    const uint8_t mask = static_cast<uint8_t>(MaskOf(delta[i / 8] >> (i % 8)));
    Key16 want = ConfirmTag(s_->setup.setup_id_, i, s_->setup.seeds_[i]);
    for (size_t k = 0; k < 16; ++k) {
      uint8_t got = static_cast<uint8_t>((pair[16 + k] & mask) | (pair[k] & ~mask));
      diff |= static_cast<uint8_t>(got ^ want[k]);
    }
  }
  if (!r.done()) return InvalidArgument("OT setup message m3 is malformed");
  if (Declassified(diff) != 0)
    return Status(ErrorCode::kProtocolAbort,
                  "OT setup message m3: key confirmation failed (Bob's keys do not match)");
  s_->step = State::Step::kFinished;
  return std::move(s_->setup);
}

size_t SetupMessage1Size() {
  return kM1Size;
}
size_t SetupMessage2Size() {
  return kM2Size;
}
size_t SetupMessage3Size() {
  return kM3Size;
}

}  // namespace tss::crypto::ot

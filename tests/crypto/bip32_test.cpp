#include "crypto/bip32.h"

#include <gtest/gtest.h>

#include <string>

namespace tss::crypto::bip32 {
namespace {

// The published BIP32 test vectors (bip-0032.mediawiki, "Test Vectors"): pairs of an extended
// public key and its non-hardened child, which CKDpub must reproduce exactly.
struct PublicStep {
  const char* parent;
  uint32_t index;
  const char* child;
};
const PublicStep kVectors[] = {
    // Vector 1: m/0H -> m/0H/1
    {"xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5"
     "ski8PX9rL2dZXvgGDnw",
     1,
     "xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq527Hqck2"
     "AxYysAA7xmALppuCkwQ"},
    // Vector 1: m/0H/1/2H -> m/0H/1/2H/2
    {"xpub6D4BDPcP2GT577Vvch3R8wDkScZWzQzMMUm3PWbmWvVJrZwQY4VUNgqFJPMM3No2dFDFGTsxxpG5uJh7n7epu4tr"
     "krX7x7DogT5Uv6fcLW5",
     2,
     "xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR62cfN7"
     "fe5JnJ7dh8zL4fiyLHV"},
    // Vector 1: m/0H/1/2H/2 -> m/0H/1/2H/2/1000000000
    {"xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR62cfN7"
     "fe5JnJ7dh8zL4fiyLHV",
     1000000000,
     "xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXE"
     "YBVPamhGW6cFJodrTHy"},
    // Vector 2: m -> m/0
    {"xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJ"
     "Y47LJhkJ8UB7WEGuduB",
     0,
     "xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXUbC6wb7ERfvrnKZjXoUmmDznezpbZb7a"
     "p6r1D3tgFxHmwMkQTPH"},
    // Vector 2: m/0/2147483647H -> m/0/2147483647H/1
    {"xpub6ASAVgeehLbnwdqV6UKMHVzgqAG8Gr6riv3Fxxpj8ksbH9ebxaEyBLZ85ySDhKiLDBrQSARLq1uNRts8RuJiHjaD"
     "MBU4Zn9h8LZNnBC5y4a",
     1,
     "xpub6DF8uhdarytz3FWdA8TvFSvvAh8dP3283MY7p2V4SeE2wyWmG5mg5EwVvmdMVCQcoNJxGoWaU9DCWh89LojfZ537"
     "wTfunKau47EL2dhHKon"},
    // Vector 2: m/0/2147483647H/1/2147483646H -> …/2
    {"xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRja"
     "DMzQLcgJvLJuZZvRcEL",
     2,
     "xpub6FnCn6nSzZAw5Tw7cgR9bi15UV96gLZhjDstkXXxvCLsUXBGXPdSnLFbdpq8p9HmGsApME5hQTZ3emM2rnY5agb9"
     "rXpVGyy3bdW6EEgAtqt"},
};

TEST(Bip32, PublishedVectorsRoundTripAndDeriveByCkdPub) {
  for (const auto& v : kVectors) {
    SCOPED_TRACE(v.child);
    auto parent = DecodeXpub(v.parent);
    ASSERT_TRUE(parent.ok()) << parent.status().ToString();
    EXPECT_EQ(EncodeXpub(*parent), v.parent);
    auto step = DeriveChild(*parent, v.index);
    ASSERT_TRUE(step.ok()) << step.status().ToString();
    EXPECT_EQ(EncodeXpub(step->child), v.child);
    // The tweak moves the key exactly as the child's secret moves.
    EXPECT_EQ(step->child.key, parent->key + Point::BaseMul(step->tweak));
  }
}

TEST(Bip32, DeriveAlongAPathSumsTheTweaks) {
  // Vector 1: m/0H/1/2H --2--> --1000000000--> m/0H/1/2H/2/1000000000.
  auto root = DecodeXpub(kVectors[1].parent);
  ASSERT_TRUE(root.ok());
  const std::vector<uint32_t> path = {2, 1000000000};
  auto d = Derive(*root, path);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(EncodeXpub(d->child), kVectors[2].child);
  EXPECT_EQ(d->child.key, root->key + Point::BaseMul(d->tweak));
  auto empty = Derive(*root, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->child, *root);
  EXPECT_TRUE(empty->tweak.IsZero());
}

// The secret side, from the published private keys: child secret = parent secret + tweak.
TEST(Bip32, TweakMatchesThePublishedPrivateKeys) {
  // Vector 1, m/0H/1/2H and m/0H/1/2H/2 as xprv.
  const char* parent_xprv =
      "xprv9z4pot5VBttmtdRTWfWQmoH1taj2axGVzFqSb8C9xaxKymcFzXBDptWmT7FwuEzG3ryjH4ktypQSAewRiNMjA"
      "NTtpgP4mLTj34bhnZX7UiM";
  const char* child_xprv =
      "xprvA2JDeKCSNNZky6uBCviVfJSKyQ1mDYahRjijr5idH2WwLsEd4Hsb2Tyh8RfQMuPh7f7RtyzTtdrbdqqsunu5M"
      "m3wDvUAKRHSC34sJ7in334";
  auto secret_of = [](const char* xprv) {
    auto bytes = DecodeBase58Check(xprv, 78);
    EXPECT_TRUE(bytes.ok());
    EXPECT_EQ(bytes->size(), 78u);
    EXPECT_EQ((*bytes)[45], 0);  // private keys are serialised as 0x00 || k
    auto k = Scalar::FromBytes(std::span<const uint8_t>(bytes->data() + 46, 32));
    EXPECT_TRUE(k.ok());
    return *k;
  };
  auto parent = DecodeXpub(kVectors[1].parent);
  ASSERT_TRUE(parent.ok());
  auto step = DeriveChild(*parent, 2);
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(secret_of(parent_xprv) + step->tweak, secret_of(child_xprv));
  EXPECT_EQ(Point::BaseMul(secret_of(child_xprv)), step->child.key);
}

TEST(Bip32, FingerprintOfThePublishedMasterKey) {
  // Vector 1's m/0H names its parent m by fingerprint 3442193e.
  auto m = DecodeXpub(
      "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265"
      "TMg7usUDFdp6W1EGMcet8");
  ASSERT_TRUE(m.ok());
  const auto fp = FingerprintOf(m->key);
  EXPECT_EQ(ToHex(fp), "3442193e");
  auto child = DecodeXpub(kVectors[0].parent);
  ASSERT_TRUE(child.ok());
  EXPECT_EQ(child->parent_fingerprint, fp);
}

TEST(Bip32, ParsesNonHardenedPathsOnly) {
  auto p = ParsePath("m/0/7/2147483647");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (std::vector<uint32_t>{0, 7, 2147483647u}));
  EXPECT_EQ(FormatPath(*p), "m/0/7/2147483647");
  auto root = ParsePath("m");
  ASSERT_TRUE(root.ok());
  EXPECT_TRUE(root->empty());
  EXPECT_EQ(FormatPath({}), "m");

  for (const char* hardened : {"m/0'", "m/1/2h", "m/3H/4"}) {
    auto r = ParsePath(hardened);
    ASSERT_FALSE(r.ok()) << hardened;
    EXPECT_NE(r.status().message().find("hardened"), std::string::npos) << r.status().message();
  }
  for (const char* bad : {"", "M/1", "0/1", "m/", "m//1", "m/1/", "m/01", "m/-1", "m/+1", "m/1a",
                          "m/2147483648", "m/99999999999999999999", "m 1", "n/1"}) {
    EXPECT_FALSE(ParsePath(bad).ok()) << bad;
  }
  std::string deepest = "m";
  for (size_t i = 0; i < kMaxDepth; ++i) deepest += "/1";
  EXPECT_TRUE(ParsePath(deepest).ok());
  EXPECT_FALSE(ParsePath(deepest + "/1").ok());
}

TEST(Bip32, RefusesHardenedIndicesAndTheDepthLimit) {
  auto parent = DecodeXpub(kVectors[3].parent);
  ASSERT_TRUE(parent.ok());
  EXPECT_FALSE(DeriveChild(*parent, kHardenedBit).ok());
  ExtendedPublicKey deep = *parent;
  deep.depth = 255;
  EXPECT_FALSE(DeriveChild(deep, 0).ok());
}

TEST(Bip32, DecoderRefusesWhatIsNotAnXpub) {
  const std::string good = kVectors[3].parent;
  ASSERT_TRUE(DecodeXpub(good).ok());
  // A changed character breaks the checksum.
  std::string flipped = good;
  flipped[20] = flipped[20] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(DecodeXpub(flipped).ok());
  // Characters outside the alphabet, truncation, extension, an xprv, nothing at all.
  EXPECT_FALSE(DecodeXpub(good.substr(0, 50) + "0" + good.substr(51)).ok());
  EXPECT_FALSE(DecodeXpub(good.substr(0, good.size() - 1)).ok());
  EXPECT_FALSE(DecodeXpub(good + "1").ok());
  EXPECT_FALSE(DecodeXpub("xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPG"
                          "JxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi")
                   .ok());
  EXPECT_FALSE(DecodeXpub("").ok());
  EXPECT_FALSE(DecodeXpub(std::string(10000, 'z')).ok());
  // A depth-0 key that names a parent.
  auto key = DecodeXpub(good);
  ASSERT_TRUE(key.ok());
  key->child_number = 5;
  EXPECT_FALSE(DecodeXpub(EncodeXpub(*key)).ok());
}

TEST(Bip32, Base58CheckKeepsLeadingZeros) {
  const std::vector<uint8_t> payload = {0, 0, 1, 2, 3};
  const std::string text = EncodeBase58Check(payload);
  EXPECT_EQ(text.substr(0, 2), "11");
  auto back = DecodeBase58Check(text, 16);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, payload);
  EXPECT_FALSE(DecodeBase58Check(text, 2).ok());  // longer than the caller allows
}

}  // namespace
}  // namespace tss::crypto::bip32

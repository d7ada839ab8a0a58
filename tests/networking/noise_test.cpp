// Noise XX against the cacophony test vectors (Noise_XX_25519_ChaChaPoly_SHA256), and the
// libp2p handshake payload against bytes produced by @chainsafe/libp2p-noise 17.
#include <gtest/gtest.h>

#include "common/bytes.h"
#include "networking/libp2p/noise_handshake.h"

namespace tss::libp2p {
namespace {

Bytes Hex(std::string_view h) {
  return FromHex(h).value();
}
X25519Keypair Key(std::string_view h) {
  return std::move(X25519Keypair::FromPrivate(Hex(h)).value());
}

// From cacophony.txt (as shipped in mcginty/snow's tests/vectors).
struct CacophonyMessage {
  std::string_view payload, ciphertext;
};
constexpr std::string_view kPrologue = "4a6f686e2047616c74";
constexpr std::string_view kInitStatic =
    "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1";
constexpr std::string_view kInitEphemeral =
    "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a";
constexpr std::string_view kRespStatic =
    "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893";
constexpr std::string_view kRespEphemeral =
    "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b";
constexpr std::string_view kHandshakeHash =
    "c8e5f64e846193be2a834104c2a009868d6c9f3bd3c186299888b488b2f1f58e";
constexpr CacophonyMessage kMessages[] = {
    {"4c756477696720766f6e204d69736573",
     "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c79444c756477696720766f6e204d69"
     "736573"},
    {"4d757272617920526f746862617264",
     "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f14480884381cbad1f276e038c48378ffce2"
     "b65285e08d6b68aaa3629a5a8639392490e5b9bd5269c2f1e4f488ed8831161f19b7815528f8982ffe09be9b5c"
     "412f8a0db50f8814c7194e83f23dbd8d162c9326ad"},
    {"462e20412e20486179656b",
     "c7195ffacac1307ff99046f219750fc47693e23c3cb08b89c2af808b444850a80ae475b9df0f169ae80a89be08"
     "65b57f58c9fea0d4ec82a286427402f113e4b6ae769a1d95941d49b25030"},
    {"4361726c204d656e676572", "96763ed773f8e47bb3712f0e29b3060ffc956ffc146cee53d5e1df"},
    {"4a65616e2d426170746973746520536179",
     "3e40f15f6f3a46ae446b253bf8b1d9ffb6ed9b174d272328ff91a7e2e5c79c07f5"},
    {"457567656e2042f6686d20766f6e2042617765726b",
     "eb3f3515110702e047a6c9da4478b6ead94873c11c0f2d710ddb3f09fce024b3a58502ae3f"},
};

TEST(Noise, CacophonyVectors) {
  NoiseHandshake init(NoiseHandshake::Role::kInitiator, Key(kInitStatic), Hex(kPrologue));
  NoiseHandshake resp(NoiseHandshake::Role::kResponder, Key(kRespStatic), Hex(kPrologue));
  init.SetEphemeralForTesting(Key(kInitEphemeral));
  resp.SetEphemeralForTesting(Key(kRespEphemeral));

  for (int i = 0; i < 3; ++i) {
    NoiseHandshake& writer = i % 2 == 0 ? init : resp;
    NoiseHandshake& reader = i % 2 == 0 ? resp : init;
    ASSERT_TRUE(writer.IsMyTurnToWrite());
    auto msg = writer.WriteMessage(Hex(kMessages[i].payload));
    ASSERT_TRUE(msg.ok()) << msg.status().ToString();
    EXPECT_EQ(ToHex(*msg), kMessages[i].ciphertext) << "message " << i;
    auto payload = reader.ReadMessage(*msg);
    ASSERT_TRUE(payload.ok()) << payload.status().ToString();
    EXPECT_EQ(ToHex(*payload), kMessages[i].payload);
  }
  ASSERT_TRUE(init.complete() && resp.complete());
  EXPECT_EQ(ToHex(init.handshake_hash()), kHandshakeHash);
  EXPECT_EQ(ToHex(resp.handshake_hash()), kHandshakeHash);
  EXPECT_EQ(init.remote_static(), Key(kRespStatic).public_key);
  EXPECT_EQ(resp.remote_static(), Key(kInitStatic).public_key);

  auto ic = init.Split();
  auto rc = resp.Split();
  for (int i = 3; i < 6; ++i) {  // transport messages keep alternating, initiator on even
    CipherState& send = i % 2 == 0 ? ic.send : rc.send;
    CipherState& recv = i % 2 == 0 ? rc.receive : ic.receive;
    Bytes ct, pt;
    ASSERT_TRUE(send.EncryptWithAd({}, Hex(kMessages[i].payload), ct).ok());
    EXPECT_EQ(ToHex(ct), kMessages[i].ciphertext) << "message " << i;
    ASSERT_TRUE(recv.DecryptWithAd({}, ct, pt).ok());
    EXPECT_EQ(ToHex(pt), kMessages[i].payload);
  }
}

TEST(Noise, TamperingIsDetected) {
  NoiseHandshake init(NoiseHandshake::Role::kInitiator, X25519Keypair::Generate());
  NoiseHandshake resp(NoiseHandshake::Role::kResponder, X25519Keypair::Generate());
  auto m1 = init.WriteMessage({});
  ASSERT_TRUE(resp.ReadMessage(*m1).ok());
  auto m2 = resp.WriteMessage(AsBytes("payload"));
  Bytes bad = *m2;
  bad[40] ^= 1;  // inside the encrypted static key
  EXPECT_FALSE(init.ReadMessage(bad).ok());
  EXPECT_FALSE(init.WriteMessage({}).ok());  // out of turn
}

TEST(Noise, RefusesShortMessagesAndLowOrderKeys) {
  NoiseHandshake resp(NoiseHandshake::Role::kResponder, X25519Keypair::Generate());
  EXPECT_FALSE(resp.ReadMessage(Bytes(31, 7)).ok());
  NoiseHandshake resp2(NoiseHandshake::Role::kResponder, X25519Keypair::Generate());
  ASSERT_TRUE(resp2.ReadMessage(Bytes(32, 0)).ok());  // e is only hashed in message 1
  EXPECT_FALSE(resp2.WriteMessage({}).ok());          // ee with the all-zero point fails
  NoiseHandshake init(NoiseHandshake::Role::kInitiator, X25519Keypair::Generate());
  ASSERT_TRUE(init.WriteMessage({}).ok());
  EXPECT_FALSE(init.ReadMessage(Bytes(32 + 48 + 15, 1)).ok());
}

TEST(Noise, TransportRefusesReplayAndShortCiphertext) {
  CipherState a, b;
  Bytes key(32, 9);
  a.InitializeKey(key);
  b.InitializeKey(key);
  Bytes ct, pt;
  ASSERT_TRUE(a.EncryptWithAd({}, AsBytes("one"), ct).ok());
  ASSERT_TRUE(b.DecryptWithAd({}, ct, pt).ok());
  EXPECT_FALSE(b.DecryptWithAd({}, ct, pt).ok());  // nonce moved on: a replay fails
  EXPECT_FALSE(b.DecryptWithAd({}, Bytes(15, 0), pt).ok());
}

constexpr std::string_view kJsPayload =
    "0a24080112208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c1240130334abd187"
    "7f20e0de02e45e7a23e3d1c450c9b4fc02b1f004ad0059e0985d7dfc323c6a323b8aa8b831f079a01c5af06ead20"
    "a404d72824bf8e0f96681209220e120c2f79616d75782f312e302e30";

TEST(NoisePayload, MatchesJsLibp2p) {
  auto id = Identity::FromSeed(Bytes(32, 1)).value();
  Key32 static_key;
  for (int i = 0; i < 32; ++i) static_key[i] = static_cast<uint8_t>(i);
  NoisePayload p = MakeNoisePayload(id, static_key);
  p.stream_muxers = {"/yamux/1.0.0"};
  EXPECT_EQ(ToHex(p.Encode()), kJsPayload);

  auto decoded = NoisePayload::Decode(Hex(kJsPayload));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->stream_muxers, std::vector<std::string>{"/yamux/1.0.0"});
  auto peer = VerifyNoisePayload(*decoded, static_key);
  ASSERT_TRUE(peer.ok()) << peer.status().ToString();
  EXPECT_EQ(peer->ToString(), "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5");

  Key32 other = static_key;
  other[0] ^= 1;
  EXPECT_FALSE(VerifyNoisePayload(*decoded, other).ok());  // signed a different static key
  NoisePayload no_sig = *decoded;
  no_sig.identity_sig.clear();
  EXPECT_FALSE(VerifyNoisePayload(no_sig, static_key).ok());
  EXPECT_FALSE(NoisePayload::Decode(Hex("0a25080112")).ok());
}

TEST(NoisePayload, FullHandshakeBindsIdentities) {
  auto alice = Identity::Generate();
  auto bob = Identity::Generate();
  auto as = X25519Keypair::Generate();
  auto bs = X25519Keypair::Generate();
  Key32 as_pub = as.public_key, bs_pub = bs.public_key;
  NoiseHandshake init(NoiseHandshake::Role::kInitiator, std::move(as));
  NoiseHandshake resp(NoiseHandshake::Role::kResponder, std::move(bs));
  auto m1 = init.WriteMessage({});
  ASSERT_TRUE(resp.ReadMessage(*m1).ok());
  auto m2 = resp.WriteMessage(MakeNoisePayload(bob, bs_pub).Encode());
  auto p2 = init.ReadMessage(*m2);
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(VerifyNoisePayload(NoisePayload::Decode(*p2).value(), init.remote_static()).value(),
            bob.peer_id());
  auto m3 = init.WriteMessage(MakeNoisePayload(alice, as_pub).Encode());
  auto p3 = resp.ReadMessage(*m3);
  ASSERT_TRUE(p3.ok());
  EXPECT_EQ(VerifyNoisePayload(NoisePayload::Decode(*p3).value(), resp.remote_static()).value(),
            alice.peer_id());
}

}  // namespace
}  // namespace tss::libp2p

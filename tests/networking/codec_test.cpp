// Byte-exact vectors for the libp2p codecs: varints, multibase, protobuf, public keys, peer ids,
// multiaddrs, multistream messages, yamux headers and /tss/2.0.0 frames. Vectors marked "js-libp2p"
// were produced with @libp2p/crypto 5, @libp2p/peer-id 6 and @multiformats/multiaddr 13.
#include <gtest/gtest.h>

#include <string>

#include "common/bytes.h"
#include "networking/libp2p/identity.h"
#include "networking/libp2p/multiaddr.h"
#include "networking/libp2p/multibase.h"
#include "networking/libp2p/multistream_codec.h"
#include "networking/libp2p/protobuf.h"
#include "networking/libp2p/tss_frame.h"
#include "networking/libp2p/varint.h"
#include "networking/libp2p/yamux_frame.h"

namespace tss::libp2p {
namespace {

Bytes Hex(std::string_view h) {
  return FromHex(h).value();
}

constexpr std::string_view kSeed01PeerId = "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5";
constexpr std::string_view kSeed01PublicKeyPb =
    "080112208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";

Identity Seed01() {
  return std::move(Identity::FromSeed(Bytes(32, 0x01)).value());
}

TEST(Varint, Vectors) {
  struct {
    uint64_t value;
    std::string_view hex;
  } cases[] = {
      {0, "00"},     {1, "01"},     {127, "7f"},       {128, "8001"},
      {255, "ff01"}, {300, "ac02"}, {16384, "808001"}, {(1ull << 63) - 1, "ffffffffffffffff7f"}};
  for (const auto& c : cases) {
    EXPECT_EQ(ToHex(EncodeUvarint(c.value)), c.hex);
    uint64_t v;
    size_t n;
    Bytes b = Hex(c.hex);
    ASSERT_EQ(DecodeUvarint(b, v, n), VarintStatus::kOk) << c.hex;
    EXPECT_EQ(v, c.value);
    EXPECT_EQ(n, b.size());
  }
}

TEST(Varint, RefusesBadEncodings) {
  uint64_t v;
  size_t n;
  EXPECT_EQ(DecodeUvarint(Hex(""), v, n), VarintStatus::kNeedMore);
  EXPECT_EQ(DecodeUvarint(Hex("80"), v, n), VarintStatus::kNeedMore);
  EXPECT_EQ(DecodeUvarint(Hex("8000"), v, n), VarintStatus::kInvalid);  // not minimal
  EXPECT_EQ(DecodeUvarint(Hex("ff80"), v, n), VarintStatus::kNeedMore);
  EXPECT_EQ(DecodeUvarint(Hex("ffffffffffffffffff01"), v, n), VarintStatus::kInvalid);  // 10 bytes
}

TEST(Multibase, Base58Vectors) {
  EXPECT_EQ(Base58Encode(AsBytes("hello world")), "StV1DL6CwTryKyV");
  EXPECT_EQ(Base58Encode(Hex("00000102")), "115T");
  EXPECT_EQ(Base58Encode({}), "");
  EXPECT_EQ(Base58Decode("115T").value(), Hex("00000102"));
  EXPECT_EQ(ToHex(Base58Decode("StV1DL6CwTryKyV").value()), ToHex(AsBytes("hello world")));
  EXPECT_FALSE(Base58Decode("0OIl").ok());  // not in the alphabet
  EXPECT_FALSE(Base58Decode(std::string(kMaxEncodedText + 1, '2')).ok());
}

TEST(Multibase, Base32Vectors) {
  // RFC 4648 test vectors, lowercase and unpadded.
  EXPECT_EQ(Base32Encode(AsBytes("f")), "my");
  EXPECT_EQ(Base32Encode(AsBytes("foobar")), "mzxw6ytboi");
  EXPECT_EQ(Base32Decode("mzxw6ytboi").value(), Hex("666f6f626172"));
  EXPECT_FALSE(Base32Decode("m").ok());   // 5 bits: not a byte
  EXPECT_FALSE(Base32Decode("mz").ok());  // non-zero padding bits ("my" is canonical)
  EXPECT_FALSE(Base32Decode("MY").ok());  // uppercase is another multibase
}

TEST(Protobuf, SkipsUnknownAndRefusesMalformed) {
  pb::Writer w;
  w.Varint(1, 150);
  w.String(2, "testing");
  EXPECT_EQ(ToHex(w.Take()),
            "08960112077465737469"
            "6e67");
  // An unknown fixed32 field (5), a fixed64 (6), then field 1 again.
  Bytes msg =
      Hex("2d01020304"
          "310102030405060708"
          "0801");
  pb::Reader r(msg);
  int seen = 0;
  while (r.Next()) ++seen;
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(seen, 3);
  for (std::string_view bad : {"0a05616263",                 // length past the end
                               "0b",                         // group start
                               "00",                         // field number 0
                               "08ffffffffffffffffff7f"}) {  // varint over 64 bits
    Bytes data = Hex(bad);
    pb::Reader rb(data);
    while (rb.Next()) {
    }
    EXPECT_FALSE(rb.ok()) << bad;
  }
}

TEST(PeerId, SeedVectorFromTheIssue) {
  Identity id = Seed01();
  EXPECT_EQ(ToHex(id.public_key().Encode()), kSeed01PublicKeyPb);  // js-libp2p
  EXPECT_EQ(id.peer_id().ToString(), kSeed01PeerId);
  EXPECT_EQ(ToHex(id.peer_id().bytes()), "0024" + std::string(kSeed01PublicKeyPb));  // js-libp2p
  EXPECT_EQ(id.peer_id().ExtractPublicKey().value(), id.public_key());
}

TEST(PeerId, ParsesBothTextForms) {
  auto a = PeerId::FromString(kSeed01PeerId);
  ASSERT_TRUE(a.ok());
  // The CIDv1 form printed by js-libp2p's peerId.toCID().
  auto b = PeerId::FromString("bafzaajaiaejcbcui4poxicprsx6vfwznhs5f24wkm4e36hmucin7g5eiag2a6324");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(*a, *b);
  // A SHA-256 (RSA-style) peer id parses but inlines no key.
  auto q = PeerId::FromString("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N");
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->ExtractPublicKey().ok());
}

TEST(PeerId, RefusesBadIds) {
  for (std::string_view bad :
       {"", "12D3KooW", "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH6x", "zQ3sh", "Qm",
        "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"}) {
    EXPECT_FALSE(PeerId::FromString(bad).ok()) << bad;
  }
  // Identity multihash holding a key of unknown type 9; holding 31-byte Ed25519 data; a
  // non-canonical key encoding (fields in reverse order); an unknown hash function.
  for (std::string_view bad :
       {"0024080912208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c",
        "00230801121f8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f",
        "002412208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c0801",
        "1320"
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0025080112208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"}) {
    EXPECT_FALSE(PeerId::FromBytes(Hex(bad)).ok()) << bad;
  }
}

TEST(PublicKey, RefusesMalformed) {
  EXPECT_TRUE(PublicKey::Decode(Hex(kSeed01PublicKeyPb)).ok());
  for (std::string_view bad : {"", "0801",
                               "1220"
                               "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c",
                               "0801120100", "08011220"}) {
    EXPECT_FALSE(PublicKey::Decode(Hex(bad)).ok()) << bad;
  }
}

TEST(Identity, SignsAndVerifies) {
  Identity id = Seed01();
  auto sig = id.Sign(AsBytes("msg"));
  EXPECT_TRUE(id.public_key().Verify(AsBytes("msg"), sig));
  EXPECT_FALSE(id.public_key().Verify(AsBytes("msh"), sig));
  EXPECT_FALSE(Identity::FromSeed(Bytes(31, 1)).ok());
  EXPECT_NE(Identity::Generate().peer_id(), id.peer_id());
}

TEST(Multiaddr, VectorsFromJsLibp2p) {
  struct {
    std::string text;
    std::string_view hex;
  } cases[] = {
      {"/ip4/127.0.0.1/tcp/4001", "047f000001060fa1"},
      {"/ip6/::1/tcp/443/p2p/" + std::string(kSeed01PeerId),
       "29000000000000000000000000000000010601bba50326"
       "0024080112208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"},
      {"/dns4/example.com/tcp/80", "360b6578616d706c652e636f6d060050"},
      {"/ip4/1.2.3.4/udp/9/quic-v1", "040102030491020009cd03"},
      {"/ip6/2001:db8::ff00:42:8329/tcp/1/ws", "2920010db8000000000000ff0000428329060001dd03"},
      {"/dnsaddr/bootstrap.libp2p.io/p2p-circuit",
       "3813626f6f7473747261702e6c69627032702e696fa202"},
  };
  for (const auto& c : cases) {
    auto m = Multiaddr::Parse(c.text);
    ASSERT_TRUE(m.ok()) << c.text << ": " << m.status().ToString();
    EXPECT_EQ(ToHex(m->ToBytes()), c.hex) << c.text;
    EXPECT_EQ(m->ToString(), c.text);
    auto back = Multiaddr::FromBytes(Hex(c.hex));
    ASSERT_TRUE(back.ok()) << c.hex;
    EXPECT_EQ(*back, *m);
  }
}

TEST(Multiaddr, PeerIdAndTcpTarget) {
  auto m = Multiaddr::Parse("/ip4/10.1.2.3/tcp/39001/ipfs/" + std::string(kSeed01PeerId)).value();
  EXPECT_EQ(m.ToString(), "/ip4/10.1.2.3/tcp/39001/p2p/" + std::string(kSeed01PeerId));
  ASSERT_TRUE(m.GetPeerId().has_value());
  EXPECT_EQ(m.GetPeerId()->ToString(), kSeed01PeerId);
  EXPECT_EQ(m.WithoutPeerId().ToString(), "/ip4/10.1.2.3/tcp/39001");
  EXPECT_EQ(m.WithoutPeerId().WithPeerId(*m.GetPeerId()), m);
  auto t = m.AsTcp();
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->host, "10.1.2.3");
  EXPECT_EQ(t->port, 39001);
  EXPECT_FALSE(Multiaddr::Parse("/ip4/1.2.3.4/udp/9/quic-v1").value().AsTcp().has_value());
  EXPECT_EQ(Multiaddr::FromIpTcp(Hex("7f000001"), 80).ToString(), "/ip4/127.0.0.1/tcp/80");
}

TEST(Multiaddr, RefusesBadText) {
  for (std::string_view bad :
       {"", "/", "ip4/1.2.3.4", "/ip4", "/ip4/1.2.3", "/ip4/1.2.3.256", "/ip4/01.2.3.4",
        "/ip4/1.2.3.4/tcp", "/ip4/1.2.3.4/tcp/65536", "/ip4/1.2.3.4/tcp/-1", "/ip4/1.2.3.4/tcp/x",
        "/ip6/1:2", "/foo/1", "/p2p/notapeerid", "/ip4/1.2.3.4//tcp/1", "/dns4//tcp/1"}) {
    EXPECT_FALSE(Multiaddr::Parse(bad).ok()) << bad;
  }
}

TEST(Multiaddr, RefusesBadBinary) {
  for (std::string_view bad : {"",
                               "04",                  // truncated ip4
                               "047f00000106",        // truncated port
                               "ff7f",                // unknown code
                               "360b6578616d706c65",  // name shorter than its length
                               "3600",                // empty name
                               "36012f",              // '/' in a name
                               "a5030401020304"}) {   // p2p value that is no peer id
    EXPECT_FALSE(Multiaddr::FromBytes(Hex(bad)).ok()) << bad;
  }
}

TEST(Multistream, Vectors) {
  EXPECT_EQ(ToHex(EncodeMultistreamMessage(kMultistreamHeader)),
            "13" + ToHex(AsBytes("/multistream/1.0.0\n")));
  EXPECT_EQ(ToHex(EncodeMultistreamMessage("/noise")), "07" + ToHex(AsBytes("/noise\n")));
  EXPECT_EQ(ToHex(EncodeMultistreamMessage("na")), "036e610a");

  Bytes two = EncodeMultistreamMessage(kMultistreamHeader);
  Bytes yamux = EncodeMultistreamMessage("/yamux/1.0.0");
  two.insert(two.end(), yamux.begin(), yamux.end());
  size_t used = 0;
  auto first = DecodeMultistreamMessage(two, used);
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ(**first, kMultistreamHeader);
  auto second = DecodeMultistreamMessage(ByteSpan(two).subspan(used), used);
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ(**second, "/yamux/1.0.0");
  // Every strict prefix asks for more bytes.
  for (size_t n = 0; n < yamux.size(); ++n) {
    auto partial = DecodeMultistreamMessage(ByteSpan(yamux).first(n), used);
    ASSERT_TRUE(partial.ok());
    EXPECT_FALSE(partial->has_value());
  }
}

TEST(Multistream, RefusesBadMessages) {
  size_t used;
  for (std::string_view bad : {"00",       // empty
                               "026e61",   // no newline
                               "8108",     // 1025 bytes announced, 1024 allowed
                               "8000"}) {  // non-minimal length
    EXPECT_FALSE(DecodeMultistreamMessage(Hex(bad), used).ok()) << bad;
  }
  Bytes max(2 + 1024, 'a');
  max[0] = 0x80;
  max[1] = 0x08;
  max.back() = '\n';
  EXPECT_TRUE(DecodeMultistreamMessage(max, used).ok());
}

TEST(Yamux, HeaderVectors) {
  // Spec layout: version, type, flags (BE16), stream id (BE32), length (BE32).
  YamuxHeader open{YamuxType::kWindowUpdate, yamux_flag::kSyn, 1, 0};
  EXPECT_EQ(ToHex(EncodeYamuxHeader(open)), "000100010000000100000000");
  YamuxHeader data{YamuxType::kData, yamux_flag::kAck | yamux_flag::kFin, 0x01020304, 0x00100000};
  EXPECT_EQ(ToHex(EncodeYamuxHeader(data)), "000000060102030400100000");
  YamuxHeader ping{YamuxType::kPing, yamux_flag::kSyn, 0, 0xdeadbeef};
  EXPECT_EQ(ToHex(EncodeYamuxHeader(ping)),
            "00020001"
            "00000000deadbeef");
  YamuxHeader away{YamuxType::kGoAway, 0, 0, static_cast<uint32_t>(YamuxGoAway::kProtocolError)};
  EXPECT_EQ(ToHex(EncodeYamuxHeader(away)), "000300000000000000000001");
  for (const auto& h : {open, data, ping, away}) {
    auto enc = EncodeYamuxHeader(h);
    EXPECT_EQ(DecodeYamuxHeader(enc).value(), h);
  }
  EXPECT_FALSE(DecodeYamuxHeader(Hex("010000000000000000000000")).ok());  // version 1
  EXPECT_FALSE(DecodeYamuxHeader(Hex("000400000000000000000000")).ok());  // type 4
  EXPECT_FALSE(DecodeYamuxHeader(Hex("0000000000000000000000")).ok());    // 11 bytes
  EXPECT_TRUE(DecodeYamuxHeader(Hex("0000ff000000000100000000")).ok());   // unknown flags
}

TEST(TssFrame, Vectors) {
  uint64_t epoch = 0;
  EXPECT_EQ(ToHex(EncodeTssHello(0x0102030405060708)), "0102030405060708");
  ASSERT_EQ(DecodeTssHello(Hex("0102030405060708ff"), epoch), TssDecode::kOk);
  EXPECT_EQ(epoch, 0x0102030405060708u);

  struct {
    uint64_t seq;
    Bytes body;
    std::string_view hex;
  } messages[] = {{1, Hex("aabb"), "0102aabb"}, {300, {}, "ac0200"}, {127, Bytes(128, 7), ""}};
  for (const auto& m : messages) {
    Bytes frame = EncodeTssMessage(m.seq, m.body);
    if (!m.hex.empty()) {
      EXPECT_EQ(ToHex(frame), m.hex);
    }
    TssMessageHeader header;
    size_t used = 0;
    ASSERT_EQ(DecodeTssMessageHeader(frame, header, used), TssDecode::kOk);
    EXPECT_EQ(header, (TssMessageHeader{m.seq, m.body.size()}));
    EXPECT_EQ(Bytes(frame.begin() + static_cast<ptrdiff_t>(used), frame.end()), m.body);
  }

  struct {
    TssReply reply;
    std::string_view hex;
  } replies[] = {{{TssReplyType::kAck, 1, 0}, "0001"},
                 {{TssReplyType::kAck, 128, 0}, "008001"},
                 {{TssReplyType::kRefused, 5, 1000}, "0105e807"},
                 {{TssReplyType::kRefused, 7, 0}, "010700"}};
  for (const auto& r : replies) {
    Bytes frame = EncodeTssReply(r.reply);
    EXPECT_EQ(ToHex(frame), r.hex);
    frame.push_back(0x42);  // whatever follows is not consumed
    TssReply decoded;
    size_t used = 0;
    ASSERT_EQ(DecodeTssReply(frame, decoded, used), TssDecode::kOk) << r.hex;
    EXPECT_EQ(decoded, r.reply);
    EXPECT_EQ(used, frame.size() - 1);
  }
}

TEST(TssFrame, EveryPrefixNeedsMore) {
  uint64_t epoch;
  Bytes hello = EncodeTssHello(9);
  for (size_t n = 0; n < hello.size(); ++n)
    EXPECT_EQ(DecodeTssHello(ByteSpan(hello).first(n), epoch), TssDecode::kNeedMore);
  Bytes header = EncodeTssMessage(1ull << 40, Bytes{});  // 6-byte seq, 1-byte length
  TssMessageHeader h;
  size_t used;
  for (size_t n = 0; n < header.size(); ++n)
    EXPECT_EQ(DecodeTssMessageHeader(ByteSpan(header).first(n), h, used), TssDecode::kNeedMore);
  Bytes refused = EncodeTssReply({TssReplyType::kRefused, 1ull << 40, 1ull << 50});
  TssReply r;
  for (size_t n = 0; n < refused.size(); ++n)
    EXPECT_EQ(DecodeTssReply(ByteSpan(refused).first(n), r, used), TssDecode::kNeedMore);
}

TEST(TssFrame, RefusesBadEncodings) {
  uint64_t epoch;
  EXPECT_EQ(DecodeTssHello(Hex("0000000000000000"), epoch), TssDecode::kInvalid);
  const std::string_view bad_headers[] = {
      "0000",                    // message number 0
      "800101",                  // fine: 128, length 1 (checked below as the control)
      "8000",                    // a non-minimal number
      "01ffffffffffffffffff01",  // a 10-byte length
      "ffffffffffffffffff0100",  // a 10-byte number
      "018000",                  // a non-minimal length
  };
  TssMessageHeader h;
  size_t used;
  for (auto hex : bad_headers) {
    auto expected = hex == "800101" ? TssDecode::kOk : TssDecode::kInvalid;
    EXPECT_EQ(DecodeTssMessageHeader(Hex(hex), h, used), expected) << hex;
  }
  const std::string_view bad_replies[] = {
      "0201",                      // unknown type
      "ff01",                      // unknown type
      "0000",                      // ack of message 0
      "010005",                    // refusal of message 0
      "008000",                    // non-minimal number
      "0101ffffffffffffffffff01",  // a 10-byte limit
  };
  TssReply r;
  for (auto hex : bad_replies)
    EXPECT_EQ(DecodeTssReply(Hex(hex), r, used), TssDecode::kInvalid) << hex;
}

}  // namespace
}  // namespace tss::libp2p

// Fuzzes every libp2p decoder that reads bytes from a peer or text from an operator: uvarints,
// multibase, multiaddrs (binary and text), peer ids, multistream messages, protobuf fields,
// public keys, the Noise handshake payload, Identify, yamux headers and /tss/2.0.0 frames
// (hello, message headers, replies). Accepted inputs must
// re-encode canonically where the format is canonical; nothing may crash or read out of bounds.
#include <cstdlib>
#include <string_view>

#include "common/bytes.h"
#include "networking/libp2p/identify.h"
#include "networking/libp2p/identity.h"
#include "networking/libp2p/multiaddr.h"
#include "networking/libp2p/multibase.h"
#include "networking/libp2p/multistream_codec.h"
#include "networking/libp2p/noise_handshake.h"
#include "networking/libp2p/protobuf.h"
#include "networking/libp2p/tss_frame.h"
#include "networking/libp2p/varint.h"
#include "networking/libp2p/yamux_frame.h"

using namespace tss;
using namespace tss::libp2p;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void Varints(ByteSpan in) {
  uint64_t value = 0;
  size_t length = 0;
  while (!in.empty() && DecodeUvarint(in, value, length) == VarintStatus::kOk) {
    Check(length >= 1 && length <= 9 && length <= in.size());
    Check(EncodeUvarint(value) == Bytes(in.begin(), in.begin() + length));
    in = in.subspan(length);
  }
}

void Text(std::string_view text) {
  if (auto b = Base58Decode(text); b.ok()) Check(Base58Decode(Base58Encode(*b)).ok());
  (void)Base32Decode(text);
  if (auto a = Multiaddr::Parse(text); a.ok()) {
    auto again = Multiaddr::Parse(a->ToString());
    Check(again.ok() && *again == *a);
    auto binary = Multiaddr::FromBytes(a->ToBytes());
    Check(binary.ok() && *binary == *a);
    (void)a->AsTcp();
  }
  if (auto id = PeerId::FromString(text); id.ok()) {
    auto again = PeerId::FromString(id->ToString());
    Check(again.ok() && *again == *id);
    (void)id->ExtractPublicKey();
  }
}

void Binary(ByteSpan in) {
  if (auto a = Multiaddr::FromBytes(in); a.ok()) {
    Check(a->ToBytes() == Bytes(in.begin(), in.end()));
    auto text = Multiaddr::Parse(a->ToString());
    Check(text.ok() && *text == *a);
  }
  if (auto id = PeerId::FromBytes(in); id.ok()) {
    Check(id->bytes() == Bytes(in.begin(), in.end()));
    auto again = PeerId::FromString(id->ToString());
    Check(again.ok() && *again == *id);
  }
  if (auto key = PublicKey::Decode(in); key.ok()) (void)PeerId::FromPublicKey(*key);
  {
    size_t consumed = 0;
    ByteSpan rest = in;
    for (;;) {
      auto m = DecodeMultistreamMessage(rest, consumed);
      if (!m.ok() || !m->has_value()) break;
      Check(consumed >= 1 && consumed <= rest.size());
      rest = rest.subspan(consumed);
    }
    (void)ParseMultistreamBody(in);
  }
  {
    pb::Reader reader(in);
    while (reader.Next()) {
    }
  }
  if (auto payload = NoisePayload::Decode(in); payload.ok()) {
    Check(NoisePayload::Decode(payload->Encode()).ok());
    Key32 key{};
    (void)VerifyNoisePayload(*payload, key);
  }
  if (auto identify = IdentifyMessage::Decode(in); identify.ok()) {
    Check(IdentifyMessage::Decode(identify->Encode()).ok());
  }
  if (in.size() >= kYamuxHeaderSize) {
    if (auto h = DecodeYamuxHeader(in.first(kYamuxHeaderSize)); h.ok()) {
      auto again = DecodeYamuxHeader(EncodeYamuxHeader(*h));
      Check(again.ok() && again->type == h->type && again->stream_id == h->stream_id &&
            again->length == h->length);
    }
  }
}

// Each /tss decoder over the input as a sequence of its frames: what it accepts re-encodes to
// exactly the bytes it consumed, and it never claims more bytes than it was given.
void TssFrames(ByteSpan in) {
  uint64_t epoch = 0;
  if (DecodeTssHello(in, epoch) == TssDecode::kOk)
    Check(EncodeTssHello(epoch) == Bytes(in.begin(), in.begin() + 8));
  size_t used = 0;
  for (ByteSpan rest = in;;) {
    TssMessageHeader h;
    if (DecodeTssMessageHeader(rest, h, used) != TssDecode::kOk) break;
    Check(used >= 2 && used <= rest.size() && h.seq >= 1);
    ByteSpan body = rest.subspan(used);
    if (h.length > body.size()) break;
    body = body.first(static_cast<size_t>(h.length));
    Check(EncodeTssMessage(h.seq, body) == Bytes(rest.begin(), rest.begin() + used + body.size()));
    rest = rest.subspan(used + body.size());
  }
  for (ByteSpan rest = in;;) {
    TssReply r;
    if (DecodeTssReply(rest, r, used) != TssDecode::kOk) break;
    Check(used >= 2 && used <= rest.size() && r.seq >= 1);
    Check(EncodeTssReply(r) == Bytes(rest.begin(), rest.begin() + used));
    rest = rest.subspan(used);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  Varints(in);
  Binary(in);
  TssFrames(in);
  Text(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

#include "networking/libp2p/identify.h"

#include "networking/libp2p/protobuf.h"

namespace tss::libp2p {

Bytes IdentifyMessage::Encode() const {
  pb::Writer w;
  if (!protocol_version.empty()) w.String(5, protocol_version);
  if (!agent_version.empty()) w.String(6, agent_version);
  if (!public_key.empty()) w.Bytes(1, public_key);
  for (const auto& a : listen_addrs) w.Bytes(2, a);
  if (!observed_addr.empty()) w.Bytes(4, observed_addr);
  for (const auto& p : protocols) w.String(3, p);
  if (!signed_peer_record.empty()) w.Bytes(8, signed_peer_record);
  return w.Take();
}

Result<IdentifyMessage> IdentifyMessage::Decode(ByteSpan encoded) {
  if (encoded.size() > kMaxIdentifyMessage) return InvalidArgument("identify: message too long");
  IdentifyMessage m;
  pb::Reader r(encoded);
  while (r.Next()) {
    ByteSpan v;
    if (r.wire_type() != pb::kLengthDelimited) continue;  // no known field is a number
    if (!r.GetBytes(v)) break;
    switch (r.field()) {
      case 1:
        m.public_key.assign(v.begin(), v.end());
        break;
      case 2:
        m.listen_addrs.emplace_back(v.begin(), v.end());
        break;
      case 3:
        m.protocols.emplace_back(v.begin(), v.end());
        break;
      case 4:
        m.observed_addr.assign(v.begin(), v.end());
        break;
      case 5:
        m.protocol_version.assign(v.begin(), v.end());
        break;
      case 6:
        m.agent_version.assign(v.begin(), v.end());
        break;
      case 8:
        m.signed_peer_record.assign(v.begin(), v.end());
        break;
      default:
        break;
    }
  }
  if (!r.ok()) return InvalidArgument("identify: malformed protobuf");
  return m;
}

Task<Status> SendIdentify(ByteStream& stream, const IdentifyMessage& message) {
  Status s = co_await WriteLengthPrefixed(stream, message.Encode());
  if (!s.ok()) co_return s;
  co_return co_await stream.CloseWrite();
}

Task<Result<IdentifyMessage>> ReceiveIdentify(ByteStream& stream) {
  auto bytes = co_await ReadLengthPrefixed(stream, kMaxIdentifyMessage);
  if (!bytes.ok()) co_return bytes.status();
  co_return IdentifyMessage::Decode(*bytes);
}

}  // namespace tss::libp2p

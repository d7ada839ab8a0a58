// networking/libp2p/identify.h — /ipfs/id/1.0.0: what a peer tells about itself.
//
// Owns: the Identify protobuf (protocol and agent versions, public key, listen addresses,
// the address we observe the peer at, supported protocols), written as one uvarint-length-
// prefixed message followed by closing the stream. Spec: libp2p/specs identify/README.md.
// Must not touch: connection management (the host supplies the facts).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "networking/libp2p/io.h"

namespace tss::libp2p {

inline constexpr std::string_view kIdentifyProtocol = "/ipfs/id/1.0.0";
// Identify messages carry a few addresses and protocol names (and perhaps a signed record).
inline constexpr size_t kMaxIdentifyMessage = 64 << 10;

struct IdentifyMessage {
  std::string protocol_version;
  std::string agent_version;
  Bytes public_key;                 // encoded PublicKey
  std::vector<Bytes> listen_addrs;  // binary multiaddrs
  Bytes observed_addr;              // binary multiaddr
  std::vector<std::string> protocols;
  Bytes signed_peer_record;

  // Field order as js-libp2p writes it (5, 6, 1, 2, 4, 3, 8), so vectors compare byte for byte.
  Bytes Encode() const;
  static Result<IdentifyMessage> Decode(ByteSpan encoded);
};

Task<Status> SendIdentify(ByteStream& stream, const IdentifyMessage& message);
Task<Result<IdentifyMessage>> ReceiveIdentify(ByteStream& stream);

}  // namespace tss::libp2p

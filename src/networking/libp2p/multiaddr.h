// networking/libp2p/multiaddr.h — multiaddrs in their text and binary forms.
//
// Owns: the protocol table we understand (ip4, ip6, tcp, udp, dns, dns4, dns6, dnsaddr, p2p,
// and value-less markers such as quic-v1, ws, p2p-circuit), conversion between
// "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…" and the binary form (uvarint code, then a fixed-size
// or uvarint-length-prefixed value), and the few questions a transport asks of an address.
// Spec: multiformats/multiaddr. Must not touch: sockets or name resolution.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "networking/libp2p/identity.h"

namespace tss::libp2p {

namespace proto {
inline constexpr uint32_t kIp4 = 0x04;
inline constexpr uint32_t kTcp = 0x06;
inline constexpr uint32_t kIp6 = 0x29;
inline constexpr uint32_t kDns = 0x35;
inline constexpr uint32_t kDns4 = 0x36;
inline constexpr uint32_t kDns6 = 0x37;
inline constexpr uint32_t kDnsaddr = 0x38;
inline constexpr uint32_t kUdp = 0x0111;
inline constexpr uint32_t kP2pCircuit = 0x0122;
inline constexpr uint32_t kP2p = 0x01a5;
inline constexpr uint32_t kTls = 0x01c0;
inline constexpr uint32_t kNoise = 0x01c6;
inline constexpr uint32_t kQuic = 0x01cc;
inline constexpr uint32_t kQuicV1 = 0x01cd;
inline constexpr uint32_t kWs = 0x01dd;
inline constexpr uint32_t kWss = 0x01de;
}  // namespace proto

// Longest binary multiaddr accepted; real ones are well under 100 bytes.
inline constexpr size_t kMaxMultiaddrBytes = 1024;

struct MultiaddrComponent {
  uint32_t code = 0;
  Bytes value;  // binary value (empty for value-less protocols)
  bool operator==(const MultiaddrComponent&) const = default;
};

class Multiaddr {
 public:
  Multiaddr() = default;
  static Result<Multiaddr> Parse(std::string_view text);
  static Result<Multiaddr> FromBytes(ByteSpan bytes);
  // /ip4/A.B.C.D/tcp/PORT or /ip6/…/tcp/PORT from a raw address (4 or 16 bytes).
  static Multiaddr FromIpTcp(ByteSpan ip, uint16_t port);

  std::string ToString() const;
  Bytes ToBytes() const;
  const std::vector<MultiaddrComponent>& components() const { return components_; }
  bool empty() const { return components_.empty(); }

  // The peer id of a trailing /p2p/… component, if any.
  std::optional<PeerId> GetPeerId() const;
  // This address with /p2p/<id> appended (replacing a trailing one).
  Multiaddr WithPeerId(const PeerId& id) const;
  Multiaddr WithoutPeerId() const;

  // For /ip4|ip6|dns|dns4|dns6/HOST/tcp/PORT[/p2p/ID]: the host text and port.
  struct TcpTarget {
    std::string host;
    uint16_t port = 0;
    uint32_t host_code = 0;  // proto::kIp4, kIp6, kDns, kDns4 or kDns6
  };
  std::optional<TcpTarget> AsTcp() const;

  bool operator==(const Multiaddr&) const = default;

 private:
  std::vector<MultiaddrComponent> components_;
};

}  // namespace tss::libp2p

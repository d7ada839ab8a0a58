#include "networking/libp2p/multiaddr.h"

#include <arpa/inet.h>

#include <charconv>

namespace tss::libp2p {
namespace {

enum class ValueKind { kNone, kIp4, kIp6, kPort, kName, kPeerId };

struct ProtocolInfo {
  uint32_t code;
  std::string_view name;
  ValueKind kind;
};

constexpr ProtocolInfo kProtocols[] = {
    {proto::kIp4, "ip4", ValueKind::kIp4},
    {proto::kTcp, "tcp", ValueKind::kPort},
    {proto::kIp6, "ip6", ValueKind::kIp6},
    {proto::kDns, "dns", ValueKind::kName},
    {proto::kDns4, "dns4", ValueKind::kName},
    {proto::kDns6, "dns6", ValueKind::kName},
    {proto::kDnsaddr, "dnsaddr", ValueKind::kName},
    {proto::kUdp, "udp", ValueKind::kPort},
    {proto::kP2pCircuit, "p2p-circuit", ValueKind::kNone},
    {proto::kP2p, "p2p", ValueKind::kPeerId},
    {proto::kTls, "tls", ValueKind::kNone},
    {proto::kNoise, "noise", ValueKind::kNone},
    {proto::kQuic, "quic", ValueKind::kNone},
    {proto::kQuicV1, "quic-v1", ValueKind::kNone},
    {proto::kWs, "ws", ValueKind::kNone},
    {proto::kWss, "wss", ValueKind::kNone},
};

constexpr size_t kMaxNameLength = 255;

const ProtocolInfo* ByCode(uint64_t code) {
  for (const auto& p : kProtocols) {
    if (p.code == code) return &p;
  }
  return nullptr;
}

const ProtocolInfo* ByName(std::string_view name) {
  if (name == "ipfs") name = "p2p";  // the legacy name of the same protocol
  for (const auto& p : kProtocols) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

// Strict dotted quad: four decimal numbers 0..255 without leading zeros.
bool ParseIp4(std::string_view text, Bytes& out) {
  out.clear();
  for (int i = 0; i < 4; ++i) {
    size_t end = i < 3 ? text.find('.') : text.size();
    if (end == std::string_view::npos || end == 0 || end > 3) return false;
    std::string_view part = text.substr(0, end);
    if (part.size() > 1 && part[0] == '0') return false;
    unsigned v = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc() || p != part.data() + part.size() || v > 255) return false;
    out.push_back(static_cast<uint8_t>(v));
    text.remove_prefix(i < 3 ? end + 1 : end);
  }
  return text.empty();
}

bool ParsePort(std::string_view text, Bytes& out) {
  if (text.empty() || text.size() > 5) return false;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v > 65535) return false;
  out = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v & 0xff)};
  return true;
}

bool ValidName(ByteSpan name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (uint8_t c : name) {
    if (c == '/' || c == 0) return false;
  }
  return true;
}

Result<Bytes> ValueFromText(const ProtocolInfo& p, std::string_view text) {
  Bytes out;
  switch (p.kind) {
    case ValueKind::kNone:
      return out;
    case ValueKind::kIp4:
      if (!ParseIp4(text, out))
        return InvalidArgument("bad ip4 address '" + std::string(text) + "'");
      return out;
    case ValueKind::kIp6: {
      std::string s(text);
      out.resize(16);
      if (inet_pton(AF_INET6, s.c_str(), out.data()) != 1) {
        return InvalidArgument("bad ip6 address '" + s + "'");
      }
      return out;
    }
    case ValueKind::kPort:
      if (!ParsePort(text, out)) return InvalidArgument("bad port '" + std::string(text) + "'");
      return out;
    case ValueKind::kName:
      if (!ValidName(AsBytes(text))) return InvalidArgument("bad host name in multiaddr");
      return Bytes(text.begin(), text.end());
    case ValueKind::kPeerId: {
      TSS_ASSIGN_OR_RETURN(PeerId id, PeerId::FromString(text));
      return id.bytes();
    }
  }
  return InternalError("unreachable");
}

std::string ValueToText(const ProtocolInfo& p, const Bytes& v) {
  switch (p.kind) {
    case ValueKind::kNone:
      return "";
    case ValueKind::kIp4:
      return std::to_string(v[0]) + "." + std::to_string(v[1]) + "." + std::to_string(v[2]) + "." +
             std::to_string(v[3]);
    case ValueKind::kIp6: {
      char buf[INET6_ADDRSTRLEN];
      inet_ntop(AF_INET6, v.data(), buf, sizeof buf);
      return buf;
    }
    case ValueKind::kPort:
      return std::to_string(unsigned{v[0]} << 8 | v[1]);
    case ValueKind::kName:
      return std::string(v.begin(), v.end());
    case ValueKind::kPeerId:
      return PeerId::FromBytes(v).value().ToString();  // validated when decoded
  }
  return "";
}

}  // namespace

Result<Multiaddr> Multiaddr::Parse(std::string_view text) {
  if (text.empty() || text.front() != '/') return InvalidArgument("a multiaddr starts with '/'");
  if (text.size() > 1 && text.back() == '/') text.remove_suffix(1);
  text.remove_prefix(1);
  Multiaddr out;
  while (!text.empty()) {
    size_t slash = text.find('/');
    std::string_view name = text.substr(0, slash);
    text = slash == std::string_view::npos ? std::string_view() : text.substr(slash + 1);
    const ProtocolInfo* p = ByName(name);
    if (!p) return InvalidArgument("unknown multiaddr protocol '" + std::string(name) + "'");
    std::string_view value;
    if (p->kind != ValueKind::kNone) {
      if (text.empty() && slash == std::string_view::npos) {
        return InvalidArgument("multiaddr protocol '" + std::string(name) + "' needs a value");
      }
      size_t next = text.find('/');
      value = text.substr(0, next);
      text = next == std::string_view::npos ? std::string_view() : text.substr(next + 1);
    }
    TSS_ASSIGN_OR_RETURN(Bytes v, ValueFromText(*p, value));
    out.components_.push_back({p->code, std::move(v)});
  }
  if (out.components_.empty()) return InvalidArgument("empty multiaddr");
  if (out.ToBytes().size() > kMaxMultiaddrBytes) return InvalidArgument("multiaddr is too long");
  return out;
}

Result<Multiaddr> Multiaddr::FromBytes(ByteSpan bytes) {
  if (bytes.empty() || bytes.size() > kMaxMultiaddrBytes) {
    return InvalidArgument("binary multiaddr is empty or too long");
  }
  ByteReader r(bytes);
  Multiaddr out;
  while (r.remaining() > 0) {
    uint64_t code;
    if (!r.UVarint(code)) return InvalidArgument("bad multiaddr protocol code");
    const ProtocolInfo* p = ByCode(code);
    if (!p) return InvalidArgument("unknown multiaddr protocol code " + std::to_string(code));
    ByteSpan v;
    bool ok = true;
    switch (p->kind) {
      case ValueKind::kNone:
        break;
      case ValueKind::kIp4:
        ok = r.Raw(4, v);
        break;
      case ValueKind::kIp6:
        ok = r.Raw(16, v);
        break;
      case ValueKind::kPort:
        ok = r.Raw(2, v);
        break;
      case ValueKind::kName:
        ok = r.LengthPrefixed(v, kMaxNameLength) && ValidName(v);
        break;
      case ValueKind::kPeerId:
        ok = r.LengthPrefixed(v, kMaxMultiaddrBytes) && PeerId::FromBytes(v).ok();
        break;
    }
    if (!ok)
      return InvalidArgument(std::string("bad value for multiaddr protocol ") + p->name.data());
    out.components_.push_back({p->code, Bytes(v.begin(), v.end())});
  }
  return out;
}

Multiaddr Multiaddr::FromIpTcp(ByteSpan ip, uint16_t port) {
  Multiaddr out;
  out.components_.push_back(
      {ip.size() == 4 ? proto::kIp4 : proto::kIp6, Bytes(ip.begin(), ip.end())});
  out.components_.push_back(
      {proto::kTcp, Bytes{static_cast<uint8_t>(port >> 8), static_cast<uint8_t>(port & 0xff)}});
  return out;
}

std::string Multiaddr::ToString() const {
  std::string out;
  for (const auto& c : components_) {
    const ProtocolInfo* p = ByCode(c.code);
    out += '/';
    out += p->name;
    if (p->kind != ValueKind::kNone) {
      out += '/';
      out += ValueToText(*p, c.value);
    }
  }
  return out;
}

Bytes Multiaddr::ToBytes() const {
  ByteWriter w;
  for (const auto& c : components_) {
    w.UVarint(c.code);
    switch (ByCode(c.code)->kind) {
      case ValueKind::kName:
      case ValueKind::kPeerId:
        w.LengthPrefixed(c.value);
        break;
      default:
        w.Raw(c.value);
    }
  }
  return w.Take();
}

std::optional<PeerId> Multiaddr::GetPeerId() const {
  if (components_.empty() || components_.back().code != proto::kP2p) return std::nullopt;
  auto id = PeerId::FromBytes(components_.back().value);
  if (!id.ok()) return std::nullopt;
  return *id;
}

Multiaddr Multiaddr::WithoutPeerId() const {
  Multiaddr out = *this;
  if (!out.components_.empty() && out.components_.back().code == proto::kP2p) {
    out.components_.pop_back();
  }
  return out;
}

Multiaddr Multiaddr::WithPeerId(const PeerId& id) const {
  Multiaddr out = WithoutPeerId();
  out.components_.push_back({proto::kP2p, id.bytes()});
  return out;
}

std::optional<Multiaddr::TcpTarget> Multiaddr::AsTcp() const {
  Multiaddr base = WithoutPeerId();
  const auto& c = base.components_;
  if (c.size() != 2 || c[1].code != proto::kTcp) return std::nullopt;
  switch (c[0].code) {
    case proto::kIp4:
    case proto::kIp6:
    case proto::kDns:
    case proto::kDns4:
    case proto::kDns6:
      break;
    default:
      return std::nullopt;
  }
  TcpTarget t;
  t.host_code = c[0].code;
  t.host = ValueToText(*ByCode(c[0].code), c[0].value);
  t.port = static_cast<uint16_t>(c[1].value[0] << 8 | c[1].value[1]);
  return t;
}

}  // namespace tss::libp2p

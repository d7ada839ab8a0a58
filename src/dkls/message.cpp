#include "dkls/message.h"

#include <cstring>

namespace tss::dkls {

namespace {
constexpr uint8_t kMessageVersion = 1;

size_t UVarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
}  // namespace

const char* ProtocolKindName(ProtocolKind kind) {
  switch (kind) {
    case ProtocolKind::kKeygen:
      return "keygen";
    case ProtocolKind::kKeyrefresh:
      return "keyrefresh";
    case ProtocolKind::kSign:
      return "sign";
    case ProtocolKind::kQuorumChange:
      return "quorum-change";
  }
  return "unknown";
}

crypto::Digest SessionTag(ProtocolKind kind, ByteSpan session_id) {
  crypto::Sha256Hasher h;
  h.Update("tss/dkls/session-tag/v1");
  const uint8_t k = static_cast<uint8_t>(kind);
  h.Update(ByteSpan(&k, 1));
  h.Update(session_id);
  return h.Final();
}

Message& Message::operator=(const Message& other) {
  if (this != &other) *this = Message(other);
  return *this;
}

Message& Message::operator=(Message&& other) noexcept {
  if (this != &other) {
    Wipe(payload.data(), payload.size());
    protocol = other.protocol;
    session = other.session;
    from = other.from;
    to = other.to;
    round = other.round;
    payload = std::move(other.payload);
  }
  return *this;
}

Message::~Message() {
  Wipe(payload.data(), payload.size());
}

Bytes Message::Encode() const {
  ByteWriter w;
  w.bytes().reserve(EncodedSize());
  w.U8(kMessageVersion);
  w.U8(static_cast<uint8_t>(protocol));
  w.Raw(session);
  w.U16(from);
  w.U16(to);
  w.U8(round);
  w.LengthPrefixed(payload);
  return w.Take();
}

size_t Message::EncodedSize() const {
  return 1 + 1 + 32 + 2 + 2 + 1 + UVarintSize(payload.size()) + payload.size();
}

Result<Message> Message::Decode(ByteSpan bytes) {
  // The version comes first and is checked first: another version may lay out the rest
  // differently, so nothing after it is read under the wrong rules.
  ByteReader r(bytes);
  uint8_t version = 0, protocol = 0;
  if (!r.U8(version)) return InvalidArgument("dkls message: empty");
  if (version != kMessageVersion)
    return InvalidArgument("dkls message: unsupported version " + std::to_string(version));
  Message m;
  if (!r.U8(protocol) || !r.Raw(m.session.size(), m.session.data()) || !r.U16(m.from) ||
      !r.U16(m.to) || !r.U8(m.round))
    return InvalidArgument("dkls message: truncated header");
  if (protocol < 1 || protocol > 4)
    return InvalidArgument("dkls message: unknown protocol " + std::to_string(protocol));
  m.protocol = static_cast<ProtocolKind>(protocol);
  if (m.from == 0 || m.from > kMaxParties)
    return InvalidArgument("dkls message: sender index out of range");
  if (m.to > kMaxParties) return InvalidArgument("dkls message: recipient index out of range");
  if (m.from == m.to) return InvalidArgument("dkls message: addressed to its own sender");
  if (m.round == 0) return InvalidArgument("dkls message: round 0");
  uint64_t length = 0;
  if (!r.UVarint(length))
    return InvalidArgument("dkls message: payload length truncated, not minimal or over 9 bytes");
  if (length > kMaxPayload)
    return InvalidArgument("dkls message: payload of " + std::to_string(length) +
                           " bytes is over the 1 MiB limit");
  const size_t present = r.remaining();
  ByteSpan payload;
  if (!r.Raw(static_cast<size_t>(length), payload))
    return InvalidArgument("dkls message: truncated payload (" + std::to_string(present) + " of " +
                           std::to_string(length) + " bytes)");
  if (!r.done()) return InvalidArgument("dkls message: trailing bytes");
  m.payload.assign(payload.begin(), payload.end());
  return m;
}

}  // namespace tss::dkls

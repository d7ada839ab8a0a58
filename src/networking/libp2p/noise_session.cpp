#include "networking/libp2p/noise_session.h"

#include <cstring>

namespace tss::libp2p {
namespace {

Task<Status> WriteFrame(ByteStream& transport, ByteSpan message) {
  Bytes out(2 + message.size());
  out[0] = static_cast<uint8_t>(message.size() >> 8);
  out[1] = static_cast<uint8_t>(message.size());
  std::memcpy(out.data() + 2, message.data(), message.size());
  co_return co_await transport.Write(out);
}

Task<Result<Bytes>> ReadFrame(ByteStream& transport) {
  uint8_t len[2];
  Status s = co_await ReadExact(transport, len);
  if (!s.ok()) co_return s;
  Bytes message(size_t{len[0]} << 8 | len[1]);
  s = co_await ReadExact(transport, message);
  if (!s.ok()) co_return s;
  co_return message;
}

Result<PeerId> CheckPayload(const Bytes& payload, const Key32& remote_static,
                            const std::optional<PeerId>& expected, PublicKey& key_out) {
  TSS_ASSIGN_OR_RETURN(NoisePayload p, NoisePayload::Decode(payload));
  TSS_ASSIGN_OR_RETURN(PeerId peer, VerifyNoisePayload(p, remote_static));
  if (expected && *expected != peer) {
    return Status(ErrorCode::kPermissionDenied,
                  "noise: dialed " + expected->ToString() + " but reached " + peer.ToString());
  }
  key_out = PublicKey::Decode(p.identity_key).value();
  return peer;
}

}  // namespace

NoiseChannel::NoiseChannel(std::shared_ptr<ByteStream> transport, NoiseHandshake::Ciphers ciphers,
                           PeerId remote_peer, PublicKey remote_key)
    : transport_(std::move(transport)),
      ciphers_(std::move(ciphers)),
      remote_peer_(std::move(remote_peer)),
      remote_key_(std::move(remote_key)) {}

Task<Result<size_t>> NoiseChannel::ReadSome(std::span<uint8_t> out) {
  if (out.empty()) co_return size_t{0};
  while (plain_pos_ == plain_.size()) {
    uint8_t len[2];
    auto first = co_await transport_->ReadSome(std::span<uint8_t>(len, 1));
    if (!first.ok()) co_return first.status();
    if (*first == 0) co_return size_t{0};  // clean end between frames
    Status s = co_await ReadExact(*transport_, std::span<uint8_t>(len + 1, 1));
    if (!s.ok()) co_return s;
    size_t n = size_t{len[0]} << 8 | len[1];
    if (n < kNoiseTagSize) co_return InvalidArgument("noise: frame shorter than its tag");
    frame_.resize(n);
    s = co_await ReadExact(*transport_, frame_);
    if (!s.ok()) co_return s;
    plain_.clear();
    plain_pos_ = 0;
    s = ciphers_.receive.DecryptWithAd({}, frame_, plain_);
    if (!s.ok()) co_return s;
  }
  size_t n = std::min(out.size(), plain_.size() - plain_pos_);
  std::memcpy(out.data(), plain_.data() + plain_pos_, n);
  plain_pos_ += n;
  co_return n;
}

Task<Status> NoiseChannel::Write(ByteSpan data) {
  out_.clear();
  while (!data.empty()) {
    size_t n = std::min(data.size(), kNoiseMaxPlaintext);
    size_t len = n + kNoiseTagSize;
    out_.push_back(static_cast<uint8_t>(len >> 8));
    out_.push_back(static_cast<uint8_t>(len));
    Status s = ciphers_.send.EncryptWithAd({}, data.first(n), out_);
    if (!s.ok()) co_return s;
    data = data.subspan(n);
  }
  if (out_.empty()) co_return Status::Ok();
  Status s = co_await transport_->Write(out_);
  if (out_.capacity() > 4 * (kNoiseMaxMessage + 2)) Bytes().swap(out_);  // keep idle cost low
  co_return s;
}

Task<Status> NoiseChannel::CloseWrite() {
  co_return co_await transport_->CloseWrite();
}

void NoiseChannel::Reset() {
  transport_->Reset();
}

Task<Result<std::shared_ptr<NoiseChannel>>> NoiseSecure(std::shared_ptr<ByteStream> transport,
                                                        const Identity& identity, bool initiator,
                                                        std::optional<PeerId> expected_peer) {
  X25519Keypair static_key = X25519Keypair::Generate();
  NoisePayload ours = MakeNoisePayload(identity, static_key.public_key);
  NoiseHandshake hs(initiator ? NoiseHandshake::Role::kInitiator : NoiseHandshake::Role::kResponder,
                    std::move(static_key));
  PeerId peer;
  PublicKey key;
  // Straight-line XX: the initiator's first message carries no payload; each side's identity
  // travels with its static key (message 2 for the responder, 3 for the initiator).
  if (initiator) {
    auto m = hs.WriteMessage({});
    if (!m.ok()) co_return m.status();
    Status s = co_await WriteFrame(*transport, *m);
    if (!s.ok()) co_return s;
    auto m2 = co_await ReadFrame(*transport);
    if (!m2.ok()) co_return m2.status();
    auto p2 = hs.ReadMessage(*m2);
    if (!p2.ok()) co_return p2.status();
    auto who = CheckPayload(*p2, hs.remote_static(), expected_peer, key);
    if (!who.ok()) co_return who.status();
    peer = *who;
    auto m3 = hs.WriteMessage(ours.Encode());
    if (!m3.ok()) co_return m3.status();
    s = co_await WriteFrame(*transport, *m3);
    if (!s.ok()) co_return s;
  } else {
    auto m1 = co_await ReadFrame(*transport);
    if (!m1.ok()) co_return m1.status();
    auto p1 = hs.ReadMessage(*m1);
    if (!p1.ok()) co_return p1.status();
    auto m2 = hs.WriteMessage(ours.Encode());
    if (!m2.ok()) co_return m2.status();
    Status s = co_await WriteFrame(*transport, *m2);
    if (!s.ok()) co_return s;
    auto m3 = co_await ReadFrame(*transport);
    if (!m3.ok()) co_return m3.status();
    auto p3 = hs.ReadMessage(*m3);
    if (!p3.ok()) co_return p3.status();
    auto who = CheckPayload(*p3, hs.remote_static(), expected_peer, key);
    if (!who.ok()) co_return who.status();
    peer = *who;
  }
  co_return std::make_shared<NoiseChannel>(std::move(transport), hs.Split(), std::move(peer),
                                           std::move(key));
}

}  // namespace tss::libp2p

#include "networking/libp2p/noise_handshake.h"

#include <sodium.h>

#include <cstring>

#include "networking/libp2p/protobuf.h"

namespace tss::libp2p {
namespace {

constexpr std::string_view kProtocolName = "Noise_XX_25519_ChaChaPoly_SHA256";
static_assert(kProtocolName.size() == 32, "a 32-byte name is used as h directly");

void HmacSha256(ByteSpan key, ByteSpan a, ByteSpan b, uint8_t out[32]) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.data(), key.size());
  crypto_auth_hmacsha256_update(&st, a.data(), a.size());
  crypto_auth_hmacsha256_update(&st, b.data(), b.size());
  crypto_auth_hmacsha256_final(&st, out);
  sodium_memzero(&st, sizeof st);
}

// Noise's HKDF with two outputs: temp = HMAC(ck, ikm); o1 = HMAC(temp, 0x01);
// o2 = HMAC(temp, o1 || 0x02).
void Hkdf2(ByteSpan chaining_key, ByteSpan ikm, SecureBytes& out1, SecureBytes& out2) {
  uint8_t temp[32];
  HmacSha256(chaining_key, ikm, {}, temp);
  out1 = SecureBytes(32);
  out2 = SecureBytes(32);
  const uint8_t one = 1, two = 2;
  HmacSha256(ByteSpan(temp, 32), ByteSpan(&one, 1), {}, out1.data());
  HmacSha256(ByteSpan(temp, 32), out1.span(), ByteSpan(&two, 1), out2.data());
  sodium_memzero(temp, sizeof temp);
}

void MakeNonce(uint64_t n, uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES]) {
  std::memset(nonce, 0, 4);
  for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<uint8_t>(n >> (8 * i));
}

}  // namespace

X25519Keypair X25519Keypair::Generate() {
  if (sodium_init() < 0) std::abort();
  X25519Keypair kp;
  kp.private_key = SecureBytes(32);
  randombytes_buf(kp.private_key.data(), 32);
  crypto_scalarmult_base(kp.public_key.data(), kp.private_key.data());
  return kp;
}

Result<X25519Keypair> X25519Keypair::FromPrivate(ByteSpan private_key) {
  if (private_key.size() != 32) return InvalidArgument("X25519 private key must be 32 bytes");
  if (sodium_init() < 0) return InternalError("libsodium failed to initialise");
  X25519Keypair kp;
  kp.private_key = SecureBytes(private_key);
  crypto_scalarmult_base(kp.public_key.data(), kp.private_key.data());
  return kp;
}

void CipherState::InitializeKey(ByteSpan key) {
  key_ = SecureBytes(key);
  n_ = 0;
}

Status CipherState::EncryptWithAd(ByteSpan ad, ByteSpan plaintext, Bytes& out) {
  if (!has_key()) {
    out.insert(out.end(), plaintext.begin(), plaintext.end());
    return Status::Ok();
  }
  // Noise reserves the last nonce; a connection never gets near it, but refuse rather than wrap.
  if (n_ == UINT64_MAX) return InvalidArgument("noise: nonce exhausted");
  uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
  MakeNonce(n_, nonce);
  size_t start = out.size();
  out.resize(start + plaintext.size() + kNoiseTagSize);
  unsigned long long written = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out.data() + start, &written, plaintext.data(),
                                            plaintext.size(), ad.data(), ad.size(), nullptr, nonce,
                                            key_.data());
  ++n_;
  return Status::Ok();
}

Status CipherState::DecryptWithAd(ByteSpan ad, ByteSpan ciphertext, Bytes& out) {
  if (!has_key()) {
    out.insert(out.end(), ciphertext.begin(), ciphertext.end());
    return Status::Ok();
  }
  if (ciphertext.size() < kNoiseTagSize) return InvalidArgument("noise: ciphertext too short");
  if (n_ == UINT64_MAX) return InvalidArgument("noise: nonce exhausted");
  uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
  MakeNonce(n_, nonce);
  size_t start = out.size();
  out.resize(start + ciphertext.size() - kNoiseTagSize);
  unsigned long long written = 0;
  if (crypto_aead_chacha20poly1305_ietf_decrypt(out.data() + start, &written, nullptr,
                                                ciphertext.data(), ciphertext.size(), ad.data(),
                                                ad.size(), nonce, key_.data()) != 0) {
    out.resize(start);
    return InvalidArgument("noise: message failed authentication");
  }
  ++n_;
  return Status::Ok();
}

NoiseHandshake::NoiseHandshake(Role role, X25519Keypair static_key, ByteSpan prologue)
    : role_(role), s_(std::move(static_key)), ck_(AsBytes(kProtocolName)) {
  if (sodium_init() < 0) std::abort();
  std::memcpy(h_.data(), kProtocolName.data(), 32);
  MixHash(prologue);
}

bool NoiseHandshake::IsMyTurnToWrite() const {
  if (complete()) return false;
  bool initiator_turn = step_ != 1;
  return initiator_turn == (role_ == Role::kInitiator);
}

void NoiseHandshake::MixHash(ByteSpan data) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, h_.data(), h_.size());
  crypto_hash_sha256_update(&st, data.data(), data.size());
  crypto_hash_sha256_final(&st, h_.data());
}

void NoiseHandshake::MixKey(ByteSpan input_key_material) {
  SecureBytes ck, k;
  Hkdf2(ck_.span(), input_key_material, ck, k);
  ck_ = std::move(ck);
  cipher_.InitializeKey(k.span());
}

Status NoiseHandshake::Dh(const X25519Keypair& local, const Key32& remote) {
  uint8_t shared[32];
  // libsodium refuses low-order points (an all-zero result): a peer forcing a known secret.
  if (crypto_scalarmult(shared, local.private_key.data(), remote.data()) != 0) {
    return InvalidArgument("noise: peer sent a low-order Curve25519 key");
  }
  MixKey(ByteSpan(shared, 32));
  sodium_memzero(shared, sizeof shared);
  return Status::Ok();
}

Status NoiseHandshake::EncryptAndHash(ByteSpan plaintext, Bytes& out) {
  size_t start = out.size();
  TSS_RETURN_IF_ERROR(cipher_.EncryptWithAd(h_, plaintext, out));
  MixHash(ByteSpan(out).subspan(start));
  return Status::Ok();
}

Status NoiseHandshake::DecryptAndHash(ByteSpan ciphertext, Bytes& out) {
  TSS_RETURN_IF_ERROR(cipher_.DecryptWithAd(h_, ciphertext, out));
  MixHash(ciphertext);
  return Status::Ok();
}

Result<Bytes> NoiseHandshake::WriteMessage(ByteSpan payload) {
  if (!IsMyTurnToWrite()) return InvalidArgument("noise: not our turn to write");
  Bytes out;
  if (step_ == 0 || step_ == 1) {  // e (and for the responder: ee, s, es)
    if (!e_) e_ = X25519Keypair::Generate();
    out.insert(out.end(), e_->public_key.begin(), e_->public_key.end());
    MixHash(e_->public_key);
    if (step_ == 1) {
      TSS_RETURN_IF_ERROR(Dh(*e_, re_));  // ee
      TSS_RETURN_IF_ERROR(EncryptAndHash(s_.public_key, out));
      TSS_RETURN_IF_ERROR(Dh(s_, re_));  // es (responder side)
    }
  } else {  // s, se (initiator)
    TSS_RETURN_IF_ERROR(EncryptAndHash(s_.public_key, out));
    TSS_RETURN_IF_ERROR(Dh(s_, re_));  // se (initiator side)
  }
  TSS_RETURN_IF_ERROR(EncryptAndHash(payload, out));
  if (out.size() > kNoiseMaxMessage) return InvalidArgument("noise: handshake message too long");
  ++step_;
  return out;
}

Result<Bytes> NoiseHandshake::ReadMessage(ByteSpan message) {
  if (complete() || IsMyTurnToWrite()) return InvalidArgument("noise: not our turn to read");
  if (message.size() > kNoiseMaxMessage) return InvalidArgument("noise: message too long");
  ByteReader r(message);
  ByteSpan field;
  if (step_ == 0 || step_ == 1) {  // e (and from the responder: ee, s, es)
    if (!r.Raw(32, field)) return InvalidArgument("noise: handshake message too short");
    std::memcpy(re_.data(), field.data(), 32);
    MixHash(re_);
    if (step_ == 1) {
      if (!e_) return InternalError("noise: no ephemeral key");
      TSS_RETURN_IF_ERROR(Dh(*e_, re_));  // ee
      if (!r.Raw(32 + kNoiseTagSize, field)) return InvalidArgument("noise: message too short");
      Bytes rs;
      TSS_RETURN_IF_ERROR(DecryptAndHash(field, rs));
      std::memcpy(rs_.data(), rs.data(), 32);
      TSS_RETURN_IF_ERROR(Dh(*e_, rs_));  // es (initiator side)
    }
  } else {  // s, se (from the initiator)
    if (!r.Raw(32 + kNoiseTagSize, field)) return InvalidArgument("noise: message too short");
    Bytes rs;
    TSS_RETURN_IF_ERROR(DecryptAndHash(field, rs));
    std::memcpy(rs_.data(), rs.data(), 32);
    TSS_RETURN_IF_ERROR(Dh(*e_, rs_));  // se (responder side)
  }
  if (cipher_.has_key() && r.remaining() < kNoiseTagSize) {
    return InvalidArgument("noise: message too short");
  }
  Bytes payload;
  r.Raw(r.remaining(), field);
  TSS_RETURN_IF_ERROR(DecryptAndHash(field, payload));
  ++step_;
  return payload;
}

NoiseHandshake::Ciphers NoiseHandshake::Split() {
  SecureBytes k1, k2;
  Hkdf2(ck_.span(), {}, k1, k2);
  Ciphers c;
  bool initiator = role_ == Role::kInitiator;
  c.send.InitializeKey(initiator ? k1.span() : k2.span());
  c.receive.InitializeKey(initiator ? k2.span() : k1.span());
  return c;
}

Bytes NoisePayload::Encode() const {
  pb::Writer w;
  w.Bytes(1, identity_key);
  w.Bytes(2, identity_sig);
  if (!stream_muxers.empty()) {
    pb::Writer ext;
    for (const auto& m : stream_muxers) ext.String(2, m);
    w.Bytes(4, ext.Take());
  }
  return w.Take();
}

Result<NoisePayload> NoisePayload::Decode(ByteSpan encoded) {
  NoisePayload p;
  pb::Reader r(encoded);
  while (r.Next()) {
    ByteSpan v;
    if (r.field() == 1) {
      if (!r.GetBytes(v)) break;
      p.identity_key.assign(v.begin(), v.end());
    } else if (r.field() == 2) {
      if (!r.GetBytes(v)) break;
      p.identity_sig.assign(v.begin(), v.end());
    } else if (r.field() == 4) {
      if (!r.GetBytes(v)) break;
      pb::Reader ext(v);
      while (ext.Next()) {
        ByteSpan m;
        if (ext.field() == 2) {
          if (!ext.GetBytes(m)) break;
          p.stream_muxers.emplace_back(m.begin(), m.end());
        }
      }
      if (!ext.ok()) return InvalidArgument("noise payload: malformed extensions");
    }
  }
  if (!r.ok()) return InvalidArgument("noise payload: malformed protobuf");
  return p;
}

NoisePayload MakeNoisePayload(const Identity& identity, const Key32& noise_static_public) {
  Bytes signed_data(kNoiseSignaturePrefix.begin(), kNoiseSignaturePrefix.end());
  signed_data.insert(signed_data.end(), noise_static_public.begin(), noise_static_public.end());
  auto sig = identity.Sign(signed_data);
  NoisePayload p;
  p.identity_key = identity.public_key().Encode();
  p.identity_sig.assign(sig.begin(), sig.end());
  return p;
}

Result<PeerId> VerifyNoisePayload(const NoisePayload& payload, const Key32& noise_static_public) {
  TSS_ASSIGN_OR_RETURN(PublicKey key, PublicKey::Decode(payload.identity_key));
  if (key.type != KeyType::kEd25519) {
    return InvalidArgument("noise: only Ed25519 identities are supported");
  }
  Bytes signed_data(kNoiseSignaturePrefix.begin(), kNoiseSignaturePrefix.end());
  signed_data.insert(signed_data.end(), noise_static_public.begin(), noise_static_public.end());
  if (!key.Verify(signed_data, payload.identity_sig)) {
    return InvalidArgument("noise: the identity signature over the static key is invalid");
  }
  return PeerId::FromPublicKey(key);
}

}  // namespace tss::libp2p

#include "networking/libp2p/identity.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "networking/libp2p/multibase.h"
#include "networking/libp2p/protobuf.h"

namespace tss::libp2p {
namespace {

constexpr uint64_t kMultihashIdentity = 0x00;
constexpr uint64_t kMultihashSha256 = 0x12;
constexpr size_t kMaxInlineKeyLength = 42;  // longer encoded keys are hashed
constexpr uint64_t kCidVersion1 = 1;
constexpr uint64_t kCodecLibp2pKey = 0x72;
constexpr size_t kEd25519KeySize = 32;
// RSA keys are the largest libp2p allows; nothing legitimate is longer.
constexpr size_t kMaxPublicKeyData = 2048;

}  // namespace

Bytes PublicKey::Encode() const {
  pb::Writer w;
  w.Varint(1, static_cast<uint64_t>(type));
  w.Bytes(2, data);
  return w.Take();
}

Result<PublicKey> PublicKey::Decode(ByteSpan encoded) {
  pb::Reader r(encoded);
  bool have_type = false, have_data = false;
  PublicKey key;
  while (r.Next()) {
    if (r.field() == 1) {
      uint64_t t;
      if (have_type || !r.GetVarint(t)) return InvalidArgument("bad public key type field");
      if (t > static_cast<uint64_t>(KeyType::kEcdsa)) return InvalidArgument("unknown key type");
      key.type = static_cast<KeyType>(t);
      have_type = true;
    } else if (r.field() == 2) {
      ByteSpan d;
      if (have_data || !r.GetBytes(d)) return InvalidArgument("bad public key data field");
      if (d.size() > kMaxPublicKeyData) return InvalidArgument("public key is too long");
      key.data.assign(d.begin(), d.end());
      have_data = true;
    }
  }
  if (!r.ok()) return InvalidArgument("malformed public key protobuf");
  if (!have_type || !have_data) return InvalidArgument("public key lacks its type or data");
  if (key.type == KeyType::kEd25519 && key.data.size() != kEd25519KeySize) {
    return InvalidArgument("Ed25519 public key must be 32 bytes");
  }
  return key;
}

bool PublicKey::Verify(ByteSpan message, ByteSpan signature) const {
  if (type != KeyType::kEd25519 || data.size() != kEd25519KeySize ||
      signature.size() != crypto_sign_BYTES) {
    return false;
  }
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     data.data()) == 0;
}

PeerId PeerId::FromPublicKey(const PublicKey& key) {
  Bytes encoded = key.Encode();
  ByteWriter w;
  if (encoded.size() <= kMaxInlineKeyLength) {
    w.UVarint(kMultihashIdentity);
    w.LengthPrefixed(encoded);
  } else {
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, encoded.data(), encoded.size());
    w.UVarint(kMultihashSha256);
    w.LengthPrefixed(ByteSpan(digest, sizeof digest));
  }
  return PeerId(w.Take());
}

Result<PeerId> PeerId::FromBytes(ByteSpan multihash) {
  ByteReader r(multihash);
  uint64_t code;
  ByteSpan digest;
  if (!r.UVarint(code) || !r.LengthPrefixed(digest, 64) || !r.done()) {
    return InvalidArgument("peer id is not a well-formed multihash");
  }
  if (code == kMultihashIdentity) {
    if (digest.size() > kMaxInlineKeyLength) return InvalidArgument("inlined key is too long");
    TSS_ASSIGN_OR_RETURN(auto key, PublicKey::Decode(digest));
    // Only the deterministic encoding names a peer; anything else would alias an id.
    if (key.Encode() != Bytes(digest.begin(), digest.end())) {
      return InvalidArgument("inlined public key is not deterministically encoded");
    }
  } else if (code == kMultihashSha256) {
    if (digest.size() != 32) return InvalidArgument("SHA-256 peer id must hold 32 bytes");
  } else {
    return InvalidArgument("peer id multihash must be identity or SHA-256");
  }
  return PeerId(Bytes(multihash.begin(), multihash.end()));
}

Result<PeerId> PeerId::FromString(std::string_view text) {
  if (text.empty()) return InvalidArgument("empty peer id");
  if (text.front() == 'b') {  // multibase base32: a CIDv1
    TSS_ASSIGN_OR_RETURN(Bytes cid, Base32Decode(text.substr(1)));
    ByteReader r(cid);
    uint64_t version, codec;
    if (!r.UVarint(version) || !r.UVarint(codec) || version != kCidVersion1 ||
        codec != kCodecLibp2pKey) {
      return InvalidArgument("peer id CID must be version 1 with the libp2p-key codec");
    }
    return FromBytes(ByteSpan(cid).subspan(cid.size() - r.remaining()));
  }
  if (text.starts_with("1") || text.starts_with("Qm")) {
    TSS_ASSIGN_OR_RETURN(Bytes mh, Base58Decode(text));
    return FromBytes(mh);
  }
  return InvalidArgument("peer id must be base58btc (12D3KooW…, Qm…) or a CIDv1 (bafz…)");
}

std::strong_ordering PeerId::operator<=>(const PeerId& other) const {
  size_t common = std::min(multihash_.size(), other.multihash_.size());
  int c = common == 0 ? 0 : std::memcmp(multihash_.data(), other.multihash_.data(), common);
  if (c != 0) return c < 0 ? std::strong_ordering::less : std::strong_ordering::greater;
  return multihash_.size() <=> other.multihash_.size();
}

std::string PeerId::ToString() const {
  return Base58Encode(multihash_);
}

Result<PublicKey> PeerId::ExtractPublicKey() const {
  ByteReader r(multihash_);
  uint64_t code;
  ByteSpan digest;
  if (!r.UVarint(code) || !r.LengthPrefixed(digest, 64) || code != kMultihashIdentity) {
    return NotFound("peer id does not inline its public key");
  }
  return PublicKey::Decode(digest);
}

Result<Identity> Identity::FromSeed(ByteSpan seed) {
  if (seed.size() != kSeedSize) return InvalidArgument("Ed25519 seed must be 32 bytes");
  if (sodium_init() < 0) return InternalError("libsodium failed to initialise");
  Identity id;
  id.secret_key_ = SecureBytes(crypto_sign_SECRETKEYBYTES);
  id.public_key_.type = KeyType::kEd25519;
  id.public_key_.data.resize(crypto_sign_PUBLICKEYBYTES);
  crypto_sign_seed_keypair(id.public_key_.data.data(), id.secret_key_.data(), seed.data());
  id.peer_id_ = PeerId::FromPublicKey(id.public_key_);
  return id;
}

Identity Identity::Generate() {
  SecureBytes seed(kSeedSize);
  if (sodium_init() < 0) std::abort();
  randombytes_buf(seed.data(), seed.size());
  return std::move(FromSeed(seed.span()).value());
}

std::array<uint8_t, Identity::kSignatureSize> Identity::Sign(ByteSpan message) const {
  std::array<uint8_t, kSignatureSize> sig;
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_key_.data());
  return sig;
}

}  // namespace tss::libp2p

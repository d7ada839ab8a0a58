// networking/libp2p/identity.h — libp2p identities: keys, their protobuf form, and peer ids.
//
// Owns: the `PublicKey` protobuf ({Type, Data}, deterministic encoding), peer ids (a multihash
// of the encoded public key: identity hash when it is at most 42 bytes, else SHA-256; text as
// base58btc, and the CIDv1 form on input), and our own Ed25519 identity derived from a 32-byte
// seed. Only Ed25519 keys can verify signatures here; other key types are refused where a
// signature must be checked. Spec: libp2p/specs peer-ids/peer-ids.md. Must not touch: I/O.
#pragma once

#include <array>
#include <compare>
#include <functional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/secure.h"

namespace tss::libp2p {

enum class KeyType : uint8_t { kRsa = 0, kEd25519 = 1, kSecp256k1 = 2, kEcdsa = 3 };

struct PublicKey {
  KeyType type = KeyType::kEd25519;
  Bytes data;

  // The deterministic protobuf encoding (field 1 then field 2).
  Bytes Encode() const;
  // Refuses unknown key types, missing fields, duplicates and (for Ed25519) wrong sizes.
  static Result<PublicKey> Decode(ByteSpan encoded);
  // True when `signature` is this key's valid signature of `message` (Ed25519 only).
  bool Verify(ByteSpan message, ByteSpan signature) const;

  bool operator==(const PublicKey&) const = default;
};

class PeerId {
 public:
  PeerId() = default;
  static PeerId FromPublicKey(const PublicKey& key);
  // A multihash: identity (code 0, at most 42 bytes, holding a decodable public key) or
  // SHA-256 (code 0x12, 32 bytes).
  static Result<PeerId> FromBytes(ByteSpan multihash);
  // base58btc ("12D3KooW…", "Qm…") or CIDv1 with the libp2p-key codec ("bafz…").
  static Result<PeerId> FromString(std::string_view text);

  const Bytes& bytes() const { return multihash_; }
  std::string ToString() const;  // base58btc
  // The public key inlined in an identity multihash; NotFound for hashed ids.
  Result<PublicKey> ExtractPublicKey() const;
  bool empty() const { return multihash_.empty(); }

  // Out of line: GCC 12 warns (falsely) about the inlined memcmp of vector's own <=>.
  std::strong_ordering operator<=>(const PeerId& other) const;
  bool operator==(const PeerId& other) const { return multihash_ == other.multihash_; }

 private:
  explicit PeerId(Bytes multihash) : multihash_(std::move(multihash)) {}
  Bytes multihash_;
};

// Our own Ed25519 key pair.
class Identity {
 public:
  static constexpr size_t kSeedSize = 32;
  static constexpr size_t kSignatureSize = 64;

  // The key pair of a 32-byte Ed25519 seed (what `--private-key` carries, in hex).
  static Result<Identity> FromSeed(ByteSpan seed);
  static Identity Generate();

  const PublicKey& public_key() const { return public_key_; }
  const PeerId& peer_id() const { return peer_id_; }
  std::array<uint8_t, kSignatureSize> Sign(ByteSpan message) const;

 private:
  Identity() = default;
  SecureBytes secret_key_;  // libsodium's 64-byte form: seed || public key
  PublicKey public_key_;
  PeerId peer_id_;
};

}  // namespace tss::libp2p

template <>
struct std::hash<tss::libp2p::PeerId> {
  size_t operator()(const tss::libp2p::PeerId& id) const noexcept {
    return std::hash<std::string_view>()(
        std::string_view(reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size()));
  }
};

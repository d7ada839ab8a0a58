// networking/libp2p/noise_handshake.h — Noise_XX_25519_ChaChaPoly_SHA256 and libp2p's payload.
//
// Owns: the Noise state objects (CipherState, SymmetricState, HandshakeState for the XX pattern
// only) as pure functions of their inputs — the socket side is noise_session.h — and the libp2p
// handshake payload that binds a Noise static key to a libp2p identity (a signature over
// "noise-libp2p-static-key:" || static key). Specs: noiseprotocol.org/noise.html rev 34,
// libp2p/specs noise/README.md. Tested against the cacophony vectors. Must not touch: I/O.
//
//   XX:  -> e
//        <- e, ee, s, es
//        -> s, se
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/secure.h"
#include "networking/libp2p/identity.h"

namespace tss::libp2p {

inline constexpr std::string_view kNoiseProtocolId = "/noise";
inline constexpr size_t kNoiseMaxMessage = 65535;  // a Noise message, tag included
inline constexpr size_t kNoiseTagSize = 16;
inline constexpr size_t kNoiseMaxPlaintext = kNoiseMaxMessage - kNoiseTagSize;
inline constexpr size_t kNoiseKeySize = 32;

using Key32 = std::array<uint8_t, 32>;

struct X25519Keypair {
  SecureBytes private_key;  // 32 bytes
  Key32 public_key{};

  static X25519Keypair Generate();
  static Result<X25519Keypair> FromPrivate(ByteSpan private_key);
};

// A ChaCha20-Poly1305 key and its 64-bit nonce counter (nonce = 4 zero bytes || LE64(n)).
class CipherState {
 public:
  void InitializeKey(ByteSpan key);
  bool has_key() const { return !key_.empty(); }
  // Without a key these copy the input (Noise's rule before the first MixKey).
  // Encrypt appends plaintext.size() + 16 bytes to `out`.
  Status EncryptWithAd(ByteSpan ad, ByteSpan plaintext, Bytes& out);
  // Decrypt appends ciphertext.size() - 16 bytes to `out`; fails on a bad tag.
  Status DecryptWithAd(ByteSpan ad, ByteSpan ciphertext, Bytes& out);
  uint64_t nonce() const { return n_; }

 private:
  SecureBytes key_;
  uint64_t n_ = 0;
};

class NoiseHandshake {
 public:
  enum class Role { kInitiator, kResponder };

  NoiseHandshake(Role role, X25519Keypair static_key, ByteSpan prologue = {});
  // Fixes the ephemeral key (test vectors); otherwise a fresh one is generated.
  void SetEphemeralForTesting(X25519Keypair ephemeral) { e_ = std::move(ephemeral); }

  bool IsMyTurnToWrite() const;
  bool complete() const { return step_ == 3; }
  // The next handshake message carrying `payload`.
  Result<Bytes> WriteMessage(ByteSpan payload);
  // Consumes the peer's next handshake message; returns its payload.
  Result<Bytes> ReadMessage(ByteSpan message);

  // Valid once the peer's static key has been read (after message 2 for the initiator,
  // message 3 for the responder).
  const Key32& remote_static() const { return rs_; }
  const Key32& handshake_hash() const { return h_; }

  struct Ciphers {
    CipherState send;
    CipherState receive;
  };
  // Only when complete(): the transport ciphers for our role.
  Ciphers Split();

 private:
  void MixHash(ByteSpan data);
  void MixKey(ByteSpan input_key_material);
  Status Dh(const X25519Keypair& local, const Key32& remote);
  Status EncryptAndHash(ByteSpan plaintext, Bytes& out);
  Status DecryptAndHash(ByteSpan ciphertext, Bytes& out);

  Role role_;
  int step_ = 0;
  X25519Keypair s_;
  std::optional<X25519Keypair> e_;
  Key32 re_{}, rs_{};
  SecureBytes ck_;
  Key32 h_{};
  CipherState cipher_;
};

// The libp2p handshake payload (protobuf NoiseHandshakePayload).
struct NoisePayload {
  Bytes identity_key;                      // encoded PublicKey
  Bytes identity_sig;                      // over kNoiseSignaturePrefix || Noise static public key
  std::vector<std::string> stream_muxers;  // extensions.stream_muxers (early negotiation)

  Bytes Encode() const;
  static Result<NoisePayload> Decode(ByteSpan encoded);
};

inline constexpr std::string_view kNoiseSignaturePrefix = "noise-libp2p-static-key:";

// Our payload: the identity's public key and its signature of our Noise static key.
NoisePayload MakeNoisePayload(const Identity& identity, const Key32& noise_static_public);
// Checks the peer's payload against the static key it used in the handshake; returns its
// peer id.
Result<PeerId> VerifyNoisePayload(const NoisePayload& payload, const Key32& noise_static_public);

}  // namespace tss::libp2p

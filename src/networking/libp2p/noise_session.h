// networking/libp2p/noise_session.h — the Noise secure channel over a transport ByteStream.
//
// Owns: running the XX handshake (noise_handshake.h) over a stream with libp2p's framing
// (every Noise message behind a 2-byte big-endian length), checking the peer's identity
// payload (and, when dialing, that it is the peer we meant), and then the encrypted channel:
// plaintext split into frames of at most 65519 bytes. One reader and one writer at a time.
// Spec: libp2p/specs noise/README.md. Must not touch: what is multiplexed above it.
#pragma once

#include <memory>
#include <optional>

#include "networking/libp2p/identity.h"
#include "networking/libp2p/io.h"
#include "networking/libp2p/noise_handshake.h"

namespace tss::libp2p {

class NoiseChannel : public ByteStream {
 public:
  NoiseChannel(std::shared_ptr<ByteStream> transport, NoiseHandshake::Ciphers ciphers,
               PeerId remote_peer, PublicKey remote_key);

  Task<Result<size_t>> ReadSome(std::span<uint8_t> out) override;
  Task<Status> Write(ByteSpan data) override;
  Task<Status> CloseWrite() override;
  void Reset() override;

  const PeerId& remote_peer() const { return remote_peer_; }
  const PublicKey& remote_key() const { return remote_key_; }

 private:
  std::shared_ptr<ByteStream> transport_;
  NoiseHandshake::Ciphers ciphers_;
  PeerId remote_peer_;
  PublicKey remote_key_;
  Bytes frame_;  // ciphertext being read
  Bytes plain_;  // decrypted, not yet returned
  size_t plain_pos_ = 0;
  Bytes out_;  // frames being written
};

// Runs the handshake; on success the channel owns `transport`. `expected_peer`, when set, must
// match the identity the peer proves (a dialer always knows whom it meant to reach).
Task<Result<std::shared_ptr<NoiseChannel>>> NoiseSecure(std::shared_ptr<ByteStream> transport,
                                                        const Identity& identity, bool initiator,
                                                        std::optional<PeerId> expected_peer);

}  // namespace tss::libp2p

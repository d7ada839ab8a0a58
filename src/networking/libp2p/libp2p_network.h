// networking/libp2p/libp2p_network.h — the Network interface over libp2p.
//
// Owns: building a libp2p host from an Ed25519 seed and options, running it on its own thread,
// and the /tss/1.0.0 protocol: a stream carries uvarint-length-prefixed messages (each at most
// `max_message_size`, larger ones refused and the stream reset); one long-lived outbound stream
// per peer keeps messages in order; inbound streams are accepted only from allowed peers.
// Asio stays out of this header so the node and the command compile without it. Must not
// touch: what the messages mean.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "networking/network.h"

namespace tss::libp2p {

struct Libp2pNetworkOptions {
  std::vector<std::string> listen_addrs = {"/ip4/127.0.0.1/tcp/0"};
  std::string protocol = "/tss/1.0.0";
  size_t max_message_size = 16 << 20;
  std::chrono::milliseconds dial_timeout{10'000};
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds send_timeout{30'000};  // one message onto the peer's stream
  size_t max_queued_bytes_per_peer = 64 << 20;     // beyond: Send fails at once
  size_t max_connections = 512;
  size_t max_pending_inbound = 64;
  size_t max_streams_per_connection = 256;
  uint32_t yamux_receive_window = 1 << 20;
};

// The network of the identity with this 32-byte Ed25519 seed. Fails on a bad seed or a listen
// address that does not parse (binding happens in Start()).
Result<std::unique_ptr<networking::Network>> NewLibp2pNetwork(ByteSpan identity_seed,
                                                              Libp2pNetworkOptions options = {});

}  // namespace tss::libp2p

// networking/libp2p/libp2p_network.h — the Network interface over libp2p.
//
// Owns: building a libp2p host from an Ed25519 seed and options, running it on its own thread,
// and delivery on /tss/2.0.0 (frames: tss_frame.h): each message reaches the peer's node
// exactly once and in order, or its Send() reports the failure. Asio stays out of this header
// so the node and the command compile without it. Must not touch: what the messages mean.
//
// How (the sender's side). Every message gets the next sequence number for its peer under
// this process's random epoch, and waits in the peer's queue until the peer acknowledges it.
// One long-lived outbound stream per peer carries the hello and then the queued messages,
// written back to back without waiting (pipelined); the peer's cumulative acks come back on
// the same stream and complete the sends they cover. When the stream is reset or its
// connection dies, every message not yet acknowledged is written again, in order and with its
// old number, on a fresh stream (and connection if needed) — immediately after a stream that
// made progress, after a growing pause (0.1 s doubling to 2 s) after one that did not. A send
// fails when `send_timeout` passes without an ack, when the peer refuses the message as too
// large, when the queue is full, or when the network stops. A message whose ack is overdue
// while nothing else was acknowledged since it was written marks the connection as dead: it
// is dropped and the rest go out on a new one.
//
// Why acks on a long-lived stream rather than a stream per message: the cluster sends hundreds
// of messages a second per peer; a stream per message costs a multistream round trip before
// each one, while pipelined writes with cumulative acks cost nothing on the sender's path and
// one small frame per batch the receiver reads at once (a batch: what arrives before the stream
// has been quiet for `ack_delay`), written with the receiver's own next message to us when it
// has one. The network layer, not the node,
// resends: only it knows which numbered message a stream lost, so a resend can never reach
// the peer's node a second time.
//
// The receiver's side. Per sending peer it keeps the epoch and the highest sequence number
// delivered, and delivers a message only when its number is higher: a resend of one already
// delivered is dropped (and counted) and acknowledged again. Messages of one stream arrive in
// order and a fresh stream starts with the oldest unacknowledged message, so every number
// below a delivered one was delivered or given up by the sender (a gap, left by a send that
// failed, is skipped, never filled later). A new epoch from a peer is a restarted process: its
// numbering starts again, and the epoch it replaced is refused from then on (the newest 16 per
// peer are remembered). When this process restarts, its peers resend what it had not
// acknowledged, and it delivers those once. So a message is delivered at most once per
// receiving process; a send reports success only after the peer's node got the message; a
// failed send may still have been delivered (its ack lost) but is never delivered later.
//
// Only allowed peers may open /tss streams; a message over `max_message_size` is refused
// (both sides check) and the refusing receiver resets the stream.
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
  std::string protocol = "/tss/2.0.0";
  size_t max_message_size = 16 << 20;
  std::chrono::milliseconds dial_timeout{10'000};
  std::chrono::milliseconds handshake_timeout{10'000};
  // From Send() until the peer acknowledges the message, resends included.
  std::chrono::milliseconds send_timeout{10'000};
  size_t max_queued_bytes_per_peer = 64 << 20;  // unacknowledged; beyond: Send fails at once
  // How long a receiver may hold its ack once a stream goes quiet: the messages of a burst share
  // one ack frame instead of one each, and a message of ours to that peer within the delay
  // carries the ack along in the same write (nodes talk both ways, so most acks ride free).
  // 0 acks every quiet moment at once. Only a sender's completion waits for it, never a
  // delivery, and it is far below the timeouts that judge a peer dead.
  std::chrono::milliseconds ack_delay{20};
  size_t max_connections = 512;
  size_t max_pending_inbound = 64;
  size_t max_streams_per_connection = 256;
  uint32_t yamux_receive_window = 1 << 20;
  // For `tss p2p serve` (a test echo peer) only: every authenticated peer may open /tss
  // streams. A node never sets it: the validator registry is who may talk to it.
  bool allow_any_peer = false;
};

// The network of the identity with this 32-byte Ed25519 seed. Fails on a bad seed or a listen
// address that does not parse (binding happens in Start()).
Result<std::unique_ptr<networking::Network>> NewLibp2pNetwork(ByteSpan identity_seed,
                                                              Libp2pNetworkOptions options = {});

// Test-only fault injection (tests/networking): breaks what a real network breaks, so tests can
// show that no message is lost or delivered twice. Never used outside tests.
enum class Libp2pFault {
  kResetTssStreams,  // reset every /tss stream, both directions (the peer sees RST)
  kDropConnections,  // close every connection abruptly, with whatever is in flight
};
// Applies `fault` on the network's thread and returns once it is done. `network` must come
// from NewLibp2pNetwork and be running; not callable from its handlers or send completions.
void InjectFaultForTesting(networking::Network& network, Libp2pFault fault);

}  // namespace tss::libp2p

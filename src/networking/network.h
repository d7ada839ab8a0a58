// networking/network.h — the peer-to-peer seam: send bytes to a peer id, receive bytes from one.
//
// Owns: the abstract `Network` a node talks through, and its counters. It knows nothing of TSS
// (messages are opaque bytes) and nothing of libp2p (networking/libp2p/ implements it; tests
// may implement it in memory). Must not touch: message formats, sessions, storage.
//
// Threading: every method may be called from any thread. The message handler and the send
// completions run on the network's own thread(s); they must not block for long, and must not
// call Stop(). Start() and Stop() are not reentrant with each other.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace tss::networking {

// Called once per received message with the sender's peer id (text form, e.g. "12D3KooW…").
// Each message a peer sends arrives once, in the order that peer sent it.
using MessageHandler = std::function<void(const std::string& peer_id, Bytes message)>;
// Called once per Send(): OK when the peer acknowledged the message (its handler has it), an
// error (kUnavailable, kTimeout, kNotFound, kInvalidArgument, …) when that did not happen in
// time. After an error the message may have arrived (its acknowledgement lost), but it never
// arrives later.
using SendCallback = std::function<void(Status)>;

// Counters, for status output and tests. Monotonic except `connections`.
struct NetworkStats {
  uint64_t messages_sent = 0;          // sends completed OK (acknowledged, or to ourselves)
  uint64_t messages_received = 0;      // delivered to the handler
  uint64_t send_failures = 0;          // sends completed with an error
  uint64_t messages_acknowledged = 0;  // sends a peer acknowledged
  uint64_t acks_sent = 0;              // ack frames we wrote as a receiver (each covers a batch)
  uint64_t messages_resent = 0;        // messages written again after their stream was lost
  uint64_t duplicates_dropped = 0;     // received again after delivery (a resend): not delivered
  uint64_t refused_not_allowed = 0;    // /tss streams refused because the peer is not allowed
  uint64_t refused_oversized = 0;      // messages over the size limit (either direction)
  uint64_t handshake_failures = 0;     // connections dropped before or during the secure upgrade
  uint64_t connections_refused = 0;    // over the connection limits
  uint64_t connections = 0;            // currently open, upgraded connections
};

// What the network knows of a peer's reachability, for the node's liveness view (which signers
// and which coordinator to count on). Connection state, not a guess from silence: a peer whose
// process stops closes its connections (the kernel does it for a killed one), which the network
// sees within its mirror period.
enum class PeerLiveness {
  kUnknown,      // no connection yet, and no failed dial: we have never needed the peer
  kConnected,    // an upgraded connection is open
  kUnreachable,  // our connection to it closed, or our last dial of it failed
};
// "unknown", "connected", "unreachable": how a node reports its view to operators.
const char* PeerLivenessName(PeerLiveness liveness);

class Network {
 public:
  virtual ~Network() = default;

  // Opens the listeners and starts the network thread. Fails if a listen address is unusable.
  virtual Status Start() = 0;
  // Closes every connection and joins the network thread; pending sends complete with an
  // error. Idempotent.
  virtual void Stop() = 0;

  // Our peer id (text form); valid before Start().
  virtual std::string LocalPeerId() const = 0;
  // Our full listen multiaddrs, ending in /p2p/<peer id>; real ports once started.
  virtual std::vector<std::string> ListenAddrs() const = 0;

  // Where a peer can be dialed. Replaces what was known for that peer. Addresses that do not
  // parse are ignored (logged).
  virtual void AddPeer(const std::string& peer_id, const std::vector<std::string>& multiaddrs) = 0;
  // The peers whose messages we accept (the validator registry). Streams from anyone else are
  // refused and counted. Replaces the previous set.
  virtual void SetAllowedPeers(const std::set<std::string>& peer_ids) = 0;
  // Where received messages go. Set before Start().
  virtual void SetHandler(MessageHandler handler) = 0;

  // Queues `message` for `peer_id`: dials on demand, reuses the connection, resends on a fresh
  // stream or connection after a loss, and completes `done` (if given) with the outcome within
  // the configured timeouts. Messages to one peer are delivered once and in order. Sending to
  // ourselves delivers locally.
  virtual void Send(const std::string& peer_id, Bytes message, SendCallback done = nullptr) = 0;

  // Opens a connection to the peer now if none is open, sending nothing, so that both sides'
  // liveness views count each other connected: how a restarted node shows it is back before it
  // has anything to send. A failed dial counts the peer unreachable (LivenessOf), as a failed
  // send's does. Never blocks. A network without connections has nothing to do.
  virtual void Connect(const std::string& /*peer_id*/) {}

  virtual NetworkStats Stats() const = 0;

  // The peer's reachability as the network last saw it. Never blocks. A network that tracks
  // nothing says kUnknown, which callers must treat as "may be live" (a peer we can dial but
  // never needed must not be written off).
  virtual PeerLiveness LivenessOf(const std::string& /*peer_id*/) const {
    return PeerLiveness::kUnknown;
  }
};

// Sends and waits for the completion; for tools and tests. Must not be called from the
// network's own thread.
Status SendAndWait(Network& network, const std::string& peer_id, Bytes message);

}  // namespace tss::networking

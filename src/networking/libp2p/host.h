// networking/libp2p/host.h — a libp2p host: listeners, dialing, connection upgrade, protocols.
//
// Owns: TCP listeners and their accept loops; upgrading every TCP connection (multistream →
// /noise → multistream → /yamux/1.0.0) under a handshake deadline; the connections by peer
// (reused, one dial at a time per peer, forgotten when they close); the address book; the
// protocol handlers and who may use each; and the limits that keep a hostile peer from
// exhausting us (connections, handshakes in progress, streams, negotiation deadlines). Serves
// /ipfs/ping/1.0.0 and /ipfs/id/1.0.0 itself. Single-threaded: every call runs on the host's
// executor. Internal to networking/libp2p (Asio types); the thread-safe face is
// libp2p_network.h. Must not touch: message formats above the streams.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/version.h"
#include "networking/libp2p/identify.h"
#include "networking/libp2p/identity.h"
#include "networking/libp2p/io.h"
#include "networking/libp2p/multiaddr.h"
#include "networking/libp2p/yamux_session.h"

namespace tss::libp2p {

struct HostConfig {
  std::vector<Multiaddr> listen_addrs;
  Duration dial_timeout = std::chrono::seconds(10);         // TCP connect
  Duration handshake_timeout = std::chrono::seconds(10);    // connected → yamux running
  Duration negotiation_timeout = std::chrono::seconds(10);  // new stream → protocol agreed
  size_t max_connections = 512;     // upgraded and upgrading, both directions
  size_t max_pending_inbound = 64;  // inbound connections still in their handshake
  YamuxConfig yamux;
  std::string protocol_version = "ipfs/0.1.0";
  std::string agent_version = "tss/" TSS_VERSION;
};

struct HostStats {
  uint64_t handshake_failures = 0;
  uint64_t connections_refused = 0;
  uint64_t streams_refused = 0;  // protocol refused to a peer its allow-check rejected
  uint64_t connections_opened = 0;
};

struct Connection {
  PeerId peer;
  Multiaddr local_addr, remote_addr;
  bool outbound = false;
  std::shared_ptr<YamuxSession> session;
};

class Host : public std::enable_shared_from_this<Host> {
 public:
  using Handler =
      std::function<Task<void>(std::shared_ptr<YamuxStream>, std::shared_ptr<Connection>)>;
  using AllowFn = std::function<bool(const PeerId&)>;

  Host(const Executor& executor, Identity identity, HostConfig config);

  // Binds every listen address and starts accepting. Port 0 picks a free port.
  Status Listen();
  // The bound addresses (real ports), without /p2p.
  std::vector<Multiaddr> ListenAddrs() const { return bound_; }
  const Identity& identity() const { return identity_; }
  const PeerId& peer_id() const { return identity_.peer_id(); }

  // Serve `protocol` with `handler`; when `allow` is set, peers it rejects are refused ("na").
  void SetHandler(const std::string& protocol, Handler handler, AllowFn allow = nullptr);
  std::vector<std::string> Protocols() const;

  void SetAddrs(const PeerId& peer, std::vector<Multiaddr> addrs) {
    addrs_[peer] = std::move(addrs);
  }

  // An open connection to `peer`, or a new one dialed from its known addresses.
  Task<Result<std::shared_ptr<Connection>>> Connect(PeerId peer);
  // Dials one address; `expected` (or the address's /p2p part) must match the peer reached.
  Task<Result<std::shared_ptr<Connection>>> Dial(Multiaddr addr, std::optional<PeerId> expected);
  // Opens a stream and agrees on `protocol`.
  Task<Result<std::shared_ptr<YamuxStream>>> NewStream(std::shared_ptr<Connection> connection,
                                                       std::string protocol);
  // Runs identify against the peer of `connection`.
  Task<Result<IdentifyMessage>> Identify(std::shared_ptr<Connection> connection);

  // Closes listeners, connections and handshakes in progress.
  void Close();
  // Drops every connection to `peer` (after a failure, so the next use redials).
  void Disconnect(const PeerId& peer);
  // Drops every connection, abruptly (tests inject lost connections with it).
  void DisconnectAll();

  const HostStats& stats() const { return stats_; }
  size_t connection_count() const;
  // The peers we have an upgraded connection to now.
  std::set<PeerId> ConnectedPeers() const;
  size_t pending_inbound() const { return pending_inbound_; }
  const Executor& executor() const { return executor_; }

 private:
  struct ProtocolEntry {
    Handler handler;
    AllowFn allow;
  };
  struct PendingDial;

  Task<void> AcceptLoop(std::shared_ptr<Host> self,
                        std::shared_ptr<asio::ip::tcp::acceptor> acceptor);
  Task<void> HandleInbound(std::shared_ptr<Host> self, asio::ip::tcp::socket socket);
  Task<void> HandleStream(std::shared_ptr<Host> self, std::shared_ptr<Connection> connection,
                          std::shared_ptr<YamuxStream> stream);
  Task<void> ServeIdentify(std::shared_ptr<YamuxStream> stream,
                           std::shared_ptr<Connection> connection);
  // Both directions after TCP: security, muxer, registration.
  Task<Result<std::shared_ptr<Connection>>> Upgrade(std::shared_ptr<ByteStream> tcp,
                                                    Multiaddr local, Multiaddr remote,
                                                    bool outbound, std::optional<PeerId> expected);
  std::shared_ptr<Connection> Existing(const PeerId& peer) const;
  void CloseConnections(const std::string& reason);

  Executor executor_;
  Identity identity_;
  HostConfig config_;
  std::vector<std::shared_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::vector<Multiaddr> bound_;
  std::map<std::string, ProtocolEntry> protocols_;
  std::map<PeerId, std::vector<Multiaddr>> addrs_;
  std::multimap<PeerId, std::shared_ptr<Connection>> connections_;
  std::map<PeerId, std::shared_ptr<PendingDial>> dialing_;
  std::set<std::shared_ptr<ByteStream>> upgrading_;
  size_t pending_inbound_ = 0;
  HostStats stats_;
  bool closed_ = false;
};

}  // namespace tss::libp2p

#include "networking/libp2p/host.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "networking/libp2p/multistream.h"
#include "networking/libp2p/noise_session.h"
#include "networking/libp2p/ping.h"
#include "networking/libp2p/tcp_stream.h"

namespace tss::libp2p {

using asio::ip::tcp;

struct Host::PendingDial {
  explicit PendingDial(const Executor& ex) : done_signal(ex) {}
  AsyncSignal done_signal;
  std::optional<Result<std::shared_ptr<Connection>>> result;
};

Host::Host(const Executor& executor, Identity identity, HostConfig config)
    : executor_(executor), identity_(std::move(identity)), config_(std::move(config)) {
  SetHandler(std::string(kPingProtocol),
             [](std::shared_ptr<YamuxStream> s, std::shared_ptr<Connection>) -> Task<void> {
               co_await ServePing(std::move(s));
             });
  SetHandler(std::string(kIdentifyProtocol),
             [this](std::shared_ptr<YamuxStream> s, std::shared_ptr<Connection> c) {
               return ServeIdentify(std::move(s), std::move(c));
             });
}

void Host::SetHandler(const std::string& protocol, Handler handler, AllowFn allow) {
  protocols_[protocol] = {std::move(handler), std::move(allow)};
}

std::vector<std::string> Host::Protocols() const {
  std::vector<std::string> out;
  for (const auto& [name, entry] : protocols_) out.push_back(name);
  return out;
}

size_t Host::connection_count() const {
  return connections_.size();
}

std::set<PeerId> Host::ConnectedPeers() const {
  std::set<PeerId> out;
  for (const auto& [peer, connection] : connections_) out.insert(peer);
  return out;
}

Status Host::Listen() {
  for (const auto& addr : config_.listen_addrs) {
    auto target = addr.AsTcp();
    if (!target || (target->host_code != proto::kIp4 && target->host_code != proto::kIp6)) {
      return InvalidArgument("can only listen on /ip4/…/tcp/… or /ip6/…/tcp/…, not " +
                             addr.ToString());
    }
    boost::system::error_code ec;
    auto ip = asio::ip::make_address(target->host, ec);
    if (ec) return InvalidArgument("bad listen address " + addr.ToString());
    auto acceptor = std::make_shared<tcp::acceptor>(executor_);
    tcp::endpoint endpoint(ip, target->port);
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return IoError("cannot listen on " + addr.ToString() + ": " + ec.message());
    bound_.push_back(EndpointToMultiaddr(acceptor->local_endpoint()));
    acceptors_.push_back(acceptor);
    asio::co_spawn(executor_, AcceptLoop(shared_from_this(), acceptor), asio::detached);
  }
  return Status::Ok();
}

Task<void> Host::AcceptLoop(std::shared_ptr<Host> self, std::shared_ptr<tcp::acceptor> acceptor) {
  while (!closed_) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (closed_ || ec == asio::error::operation_aborted) break;
    if (ec) {
      // Out of descriptors or similar: back off briefly instead of spinning.
      asio::steady_timer pause(executor_, std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (connections_.size() + pending_inbound_ >= config_.max_connections ||
        pending_inbound_ >= config_.max_pending_inbound) {
      ++stats_.connections_refused;
      socket.close(ec);
      continue;
    }
    ++pending_inbound_;
    asio::co_spawn(executor_, HandleInbound(self, std::move(socket)), asio::detached);
  }
}

Task<void> Host::HandleInbound(std::shared_ptr<Host> /*keep_alive*/, tcp::socket socket) {
  auto tcp_stream = std::make_shared<TcpStream>(std::move(socket));
  auto local = tcp_stream->local_multiaddr(), remote = tcp_stream->remote_multiaddr();
  auto connection = co_await Upgrade(tcp_stream, local, remote, false, std::nullopt);
  --pending_inbound_;
  (void)connection;
}

Task<Result<std::shared_ptr<Connection>>> Host::Upgrade(std::shared_ptr<ByteStream> tcp_stream,
                                                        Multiaddr local, Multiaddr remote,
                                                        bool outbound,
                                                        std::optional<PeerId> expected) {
  upgrading_.insert(tcp_stream);
  std::weak_ptr<ByteStream> weak = tcp_stream;
  Watchdog deadline(executor_, config_.handshake_timeout, [weak] {
    if (auto s = weak.lock()) s->Reset();
  });
  auto fail = [&](Status s) -> Result<std::shared_ptr<Connection>> {
    upgrading_.erase(tcp_stream);
    tcp_stream->Reset();
    ++stats_.handshake_failures;
    if (deadline.expired()) {
      return Status(ErrorCode::kTimeout, "handshake with " + remote.ToString() + " timed out");
    }
    return s;
  };

  std::shared_ptr<ByteStream> secure_stream;
  if (outbound) {
    Status s = co_await MultistreamSelect(*tcp_stream, kNoiseProtocolId);
    if (!s.ok()) co_return fail(s);
  } else {
    auto chosen = co_await MultistreamListen(
        *tcp_stream, [](const std::string& p) { return p == kNoiseProtocolId; });
    if (!chosen.ok()) co_return fail(chosen.status());
  }
  auto secure = co_await NoiseSecure(tcp_stream, identity_, outbound, expected);
  if (!secure.ok()) co_return fail(secure.status());
  PeerId peer = (*secure)->remote_peer();
  if (outbound) {
    Status s = co_await MultistreamSelect(**secure, kYamuxProtocolId);
    if (!s.ok()) co_return fail(s);
  } else {
    auto chosen = co_await MultistreamListen(
        **secure, [](const std::string& p) { return p == kYamuxProtocolId; });
    if (!chosen.ok()) co_return fail(chosen.status());
  }
  deadline.Cancel();
  upgrading_.erase(tcp_stream);
  if (closed_ || deadline.expired()) co_return fail(Status(ErrorCode::kUnavailable, "host closed"));

  auto connection = std::make_shared<Connection>();
  connection->peer = peer;
  connection->local_addr = std::move(local);
  connection->remote_addr = std::move(remote);
  connection->outbound = outbound;
  connection->session =
      std::make_shared<YamuxSession>(std::move(*secure), outbound, config_.yamux, executor_);
  connections_.emplace(peer, connection);
  ++stats_.connections_opened;
  std::weak_ptr<Host> weak_host = weak_from_this();
  std::weak_ptr<Connection> weak_conn = connection;
  connection->session->Start(
      [weak_host, weak_conn](std::shared_ptr<YamuxStream> stream) {
        auto host = weak_host.lock();
        auto conn = weak_conn.lock();
        if (!host || !conn) return stream->Reset();
        asio::co_spawn(host->executor_, host->HandleStream(host, conn, std::move(stream)),
                       asio::detached);
      },
      [weak_host, weak_conn](const Status&) {
        auto host = weak_host.lock();
        auto conn = weak_conn.lock();
        if (!host || !conn) return;
        auto range = host->connections_.equal_range(conn->peer);
        for (auto it = range.first; it != range.second; ++it) {
          if (it->second == conn) {
            host->connections_.erase(it);
            break;
          }
        }
      });
  co_return connection;
}

Task<void> Host::HandleStream(std::shared_ptr<Host> /*keep_alive*/,
                              std::shared_ptr<Connection> connection,
                              std::shared_ptr<YamuxStream> stream) {
  Handler handler;
  {
    std::weak_ptr<YamuxStream> weak = stream;
    Watchdog deadline(executor_, config_.negotiation_timeout, [weak] {
      if (auto s = weak.lock()) s->Reset();
    });
    auto chosen = co_await MultistreamListen(*stream, [&](const std::string& p) {
      auto it = protocols_.find(p);
      if (it == protocols_.end()) return false;
      if (it->second.allow && !it->second.allow(connection->peer)) {
        ++stats_.streams_refused;
        return false;
      }
      handler = it->second.handler;
      return true;
    });
    if (!chosen.ok()) {
      stream->Reset();
      co_return;
    }
  }
  co_await handler(stream, connection);
  if (!stream->write_closed()) stream->Reset();
}

Task<void> Host::ServeIdentify(std::shared_ptr<YamuxStream> stream,
                               std::shared_ptr<Connection> connection) {
  IdentifyMessage m;
  m.protocol_version = config_.protocol_version;
  m.agent_version = config_.agent_version;
  m.public_key = identity_.public_key().Encode();
  for (const auto& a : bound_) {
    // A wildcard address tells the peer nothing; the address it reached us on does.
    auto t = a.AsTcp();
    if (t && (t->host == "0.0.0.0" || t->host == "::")) continue;
    m.listen_addrs.push_back(a.ToBytes());
  }
  if (m.listen_addrs.empty() && !connection->local_addr.empty()) {
    m.listen_addrs.push_back(connection->local_addr.ToBytes());
  }
  if (!connection->remote_addr.empty()) m.observed_addr = connection->remote_addr.ToBytes();
  m.protocols = Protocols();
  (void)co_await SendIdentify(*stream, m);
}

std::shared_ptr<Connection> Host::Existing(const PeerId& peer) const {
  auto range = connections_.equal_range(peer);
  for (auto it = range.first; it != range.second; ++it) {
    if (!it->second->session->closed()) return it->second;
  }
  return nullptr;
}

Task<Result<std::shared_ptr<Connection>>> Host::Connect(PeerId peer) {
  if (closed_) co_return Status(ErrorCode::kUnavailable, "host closed");
  if (auto c = Existing(peer)) co_return c;
  if (auto it = dialing_.find(peer); it != dialing_.end()) {
    auto pending = it->second;
    while (!pending->result) co_await pending->done_signal.Wait();
    co_return *pending->result;
  }
  auto it = addrs_.find(peer);
  if (it == addrs_.end() || it->second.empty()) {
    co_return NotFound("no known address for peer " + peer.ToString());
  }
  auto pending = std::make_shared<PendingDial>(executor_);
  dialing_[peer] = pending;
  std::vector<Multiaddr> addrs = it->second;
  Result<std::shared_ptr<Connection>> result = Status(ErrorCode::kUnavailable, "no address worked");
  for (const auto& addr : addrs) {
    result = co_await Dial(addr, peer);
    if (result.ok()) break;
  }
  pending->result = result;
  pending->done_signal.Notify();
  dialing_.erase(peer);
  co_return result;
}

Task<Result<std::shared_ptr<Connection>>> Host::Dial(Multiaddr addr,
                                                     std::optional<PeerId> expected) {
  if (closed_) co_return Status(ErrorCode::kUnavailable, "host closed");
  if (!expected) expected = addr.GetPeerId();
  auto target = addr.AsTcp();
  if (!target) co_return InvalidArgument("cannot dial " + addr.ToString() + ": not a TCP address");
  if (connections_.size() >= config_.max_connections) {
    co_return Status(ErrorCode::kUnavailable, "connection limit reached");
  }

  boost::system::error_code ec;
  tcp::resolver resolver(executor_);
  std::vector<tcp::endpoint> endpoints;
  if (target->host_code == proto::kIp4 || target->host_code == proto::kIp6) {
    endpoints.emplace_back(asio::ip::make_address(target->host), target->port);
  } else {
    Watchdog deadline(executor_, config_.dial_timeout, [&resolver] { resolver.cancel(); });
    auto results = co_await resolver.async_resolve(target->host, std::to_string(target->port),
                                                   asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
      co_return Status(ErrorCode::kUnavailable,
                       "cannot resolve " + target->host + ": " + ec.message());
    for (const auto& r : results) {
      bool v4 = r.endpoint().address().is_v4();
      if ((target->host_code == proto::kDns4 && !v4) || (target->host_code == proto::kDns6 && v4)) {
        continue;
      }
      endpoints.push_back(r.endpoint());
    }
  }
  Status last(ErrorCode::kUnavailable, "no address to dial for " + addr.ToString());
  for (const auto& endpoint : endpoints) {
    auto socket = std::make_shared<tcp::socket>(executor_);
    Watchdog deadline(executor_, config_.dial_timeout, [socket] {
      boost::system::error_code ignored;
      socket->close(ignored);
    });
    co_await socket->async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
    deadline.Cancel();
    if (ec || deadline.expired()) {
      last =
          deadline.expired()
              ? Status(ErrorCode::kTimeout, "dialing " + addr.ToString() + " timed out")
              : Status(ErrorCode::kUnavailable, "dialing " + addr.ToString() + ": " + ec.message());
      continue;
    }
    auto tcp_stream = std::make_shared<TcpStream>(std::move(*socket));
    auto local = tcp_stream->local_multiaddr(), remote = tcp_stream->remote_multiaddr();
    co_return co_await Upgrade(tcp_stream, local, remote, true, expected);
  }
  co_return last;
}

Task<Result<std::shared_ptr<YamuxStream>>> Host::NewStream(std::shared_ptr<Connection> connection,
                                                           std::string protocol) {
  auto stream = connection->session->OpenStream();
  if (!stream.ok()) co_return stream.status();
  std::weak_ptr<YamuxStream> weak = *stream;
  Watchdog deadline(executor_, config_.negotiation_timeout, [weak] {
    if (auto s = weak.lock()) s->Reset();
  });
  Status s = co_await MultistreamSelect(**stream, protocol);
  deadline.Cancel();
  if (!s.ok() || deadline.expired()) {
    (*stream)->Reset();
    if (deadline.expired())
      co_return Status(ErrorCode::kTimeout, "negotiating " + protocol + " timed out");
    co_return s;
  }
  co_return *stream;
}

Task<Result<IdentifyMessage>> Host::Identify(std::shared_ptr<Connection> connection) {
  auto stream = co_await NewStream(connection, std::string(kIdentifyProtocol));
  if (!stream.ok()) co_return stream.status();
  std::weak_ptr<YamuxStream> weak = *stream;
  Watchdog deadline(executor_, config_.negotiation_timeout, [weak] {
    if (auto s = weak.lock()) s->Reset();
  });
  auto message = co_await ReceiveIdentify(**stream);
  (void)co_await (*stream)->CloseWrite();
  co_return message;
}

void Host::Disconnect(const PeerId& peer) {
  auto range = connections_.equal_range(peer);
  std::vector<std::shared_ptr<Connection>> doomed;
  for (auto it = range.first; it != range.second; ++it) doomed.push_back(it->second);
  connections_.erase(peer);
  for (auto& c : doomed) c->session->Close(Status(ErrorCode::kUnavailable, "disconnected"));
}

void Host::DisconnectAll() {
  CloseConnections("disconnected");
}

void Host::CloseConnections(const std::string& reason) {
  auto connections = std::move(connections_);
  connections_.clear();
  for (auto& [peer, c] : connections) c->session->Close(Status(ErrorCode::kUnavailable, reason));
}

void Host::Close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  for (auto& a : acceptors_) a->close(ec);
  auto upgrading = std::move(upgrading_);
  for (auto& s : upgrading) s->Reset();
  CloseConnections("host closed");
  for (auto& [peer, pending] : dialing_) pending->done_signal.Notify();
}

}  // namespace tss::libp2p

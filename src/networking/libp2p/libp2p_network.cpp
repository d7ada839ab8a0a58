#include "networking/libp2p/libp2p_network.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "networking/libp2p/host.h"
#include "networking/libp2p/tss_protocol.h"

namespace tss::libp2p {
namespace {

using networking::MessageHandler;
using networking::NetworkStats;
using networking::SendCallback;

class Libp2pNetwork final : public networking::Network {
 public:
  Libp2pNetwork(Identity identity, std::vector<Multiaddr> listen, Libp2pNetworkOptions options)
      : options_(std::move(options)), local_(identity.peer_id()) {
    HostConfig config;
    config.listen_addrs = std::move(listen);
    config.dial_timeout = options_.dial_timeout;
    config.handshake_timeout = options_.handshake_timeout;
    config.max_connections = options_.max_connections;
    config.max_pending_inbound = options_.max_pending_inbound;
    config.yamux.max_streams = options_.max_streams_per_connection;
    config.yamux.receive_window = options_.yamux_receive_window;
    host_ = std::make_shared<Host>(io_.get_executor(), std::move(identity), std::move(config));
    host_->SetHandler(
        options_.protocol,
        [this](std::shared_ptr<YamuxStream> s, std::shared_ptr<Connection> c) {
          return ServeInbound(std::move(s), std::move(c));
        },
        [this](const PeerId& peer) {
          std::lock_guard lock(mu_);
          bool ok = allowed_.count(peer) > 0;
          if (!ok) {
            ++refused_not_allowed_;
            spdlog::warn("refused {} to {}: not an allowed peer", options_.protocol,
                         peer.ToString());
          }
          return ok;
        });
  }

  ~Libp2pNetwork() override { Stop(); }

  Status Start() override {
    if (started_) return InvalidArgument("network already started");
    TSS_RETURN_IF_ERROR(host_->Listen());
    {
      std::lock_guard lock(mu_);
      for (const auto& a : host_->ListenAddrs()) listen_.push_back(a.WithPeerId(local_).ToString());
    }
    started_ = true;
    work_.emplace(io_.get_executor());
    asio::co_spawn(io_, MirrorLoop(), asio::detached);
    thread_ = std::thread([this] {
      io_.run();
      exited_.set_value();
    });
    return Status::Ok();
  }

  void Stop() override {
    if (!started_ || stopped_) return;
    stopped_ = true;
    asio::post(io_, [this] {
      host_->Close();
      for (auto& [peer, box] : outboxes_) {
        if (box.stream) box.stream->Reset();
      }
    });
    work_.reset();
    // Everything winds down once its sockets close; whatever still waits after a grace period
    // (a peer mid-handshake, say) is abandoned.
    if (exited_.get_future().wait_for(std::chrono::seconds(3)) != std::future_status::ready) {
      io_.stop();
    }
    thread_.join();
    // Sends still queued were never attempted; they fail now, on this thread.
    for (auto& [peer, box] : outboxes_) {
      for (auto& item : box.queue)
        Complete(item.done, Status(ErrorCode::kUnavailable, "network stopped"));
      box.queue.clear();
    }
  }

  std::string LocalPeerId() const override { return local_.ToString(); }

  std::vector<std::string> ListenAddrs() const override {
    std::lock_guard lock(mu_);
    return listen_;
  }

  void AddPeer(const std::string& peer_id, const std::vector<std::string>& multiaddrs) override {
    auto peer = PeerId::FromString(peer_id);
    if (!peer.ok()) {
      spdlog::warn("ignoring peer '{}': {}", peer_id, peer.status().message());
      return;
    }
    std::vector<Multiaddr> addrs;
    for (const auto& text : multiaddrs) {
      auto a = Multiaddr::Parse(text);
      if (!a.ok() || !a->AsTcp() || (a->GetPeerId() && *a->GetPeerId() != *peer)) {
        spdlog::warn("ignoring address '{}' of {}", text, peer_id);
        continue;
      }
      addrs.push_back(a->WithoutPeerId());
    }
    asio::post(io_, [this, p = *peer, addrs = std::move(addrs)]() mutable {
      host_->SetAddrs(p, std::move(addrs));
    });
  }

  void SetAllowedPeers(const std::set<std::string>& peer_ids) override {
    std::set<PeerId> allowed;
    for (const auto& text : peer_ids) {
      auto p = PeerId::FromString(text);
      if (p.ok()) {
        allowed.insert(*p);
      } else {
        spdlog::warn("ignoring allowed peer '{}': {}", text, p.status().message());
      }
    }
    std::lock_guard lock(mu_);
    allowed_ = std::move(allowed);
  }

  void SetHandler(MessageHandler handler) override {
    std::lock_guard lock(mu_);
    handler_ = std::make_shared<const MessageHandler>(std::move(handler));
  }

  void Send(const std::string& peer_id, Bytes message, SendCallback done) override {
    auto peer = PeerId::FromString(peer_id);
    Status refused;
    if (!peer.ok()) refused = InvalidArgument("bad peer id '" + peer_id + "'");
    if (refused.ok() && message.size() > options_.max_message_size) {
      ++refused_oversized_;
      refused = InvalidArgument("message of " + std::to_string(message.size()) +
                                " bytes is over the limit of " +
                                std::to_string(options_.max_message_size));
    }
    if (refused.ok() && (!started_ || stopped_)) {
      refused = Status(ErrorCode::kUnavailable, "network not running");
    }
    if (!refused.ok()) {
      ++send_failures_;
      if (done) done(refused);
      return;
    }
    asio::post(io_,
               [this, p = std::move(*peer), m = std::move(message), d = std::move(done)]() mutable {
                 Enqueue(std::move(p), std::move(m), std::move(d));
               });
  }

  NetworkStats Stats() const override {
    NetworkStats s;
    s.messages_sent = messages_sent_;
    s.messages_received = messages_received_;
    s.send_failures = send_failures_;
    s.refused_not_allowed = refused_not_allowed_;
    s.refused_oversized = refused_oversized_;
    s.handshake_failures = handshake_failures_;
    s.connections_refused = connections_refused_;
    s.connections = connections_;
    return s;
  }

 private:
  struct Pending {
    Bytes message;
    SendCallback done;
  };
  struct Outbox {
    std::deque<Pending> queue;
    size_t queued_bytes = 0;
    bool running = false;
    std::shared_ptr<YamuxStream> stream;
  };

  void Complete(SendCallback& done, const Status& status) {
    if (status.ok()) {
      ++messages_sent_;
    } else {
      ++send_failures_;
    }
    if (done) done(status);
  }

  // Host counters are written on the I/O thread; copy them where Stats() can read them.
  void MirrorHostStats() {
    handshake_failures_ = host_->stats().handshake_failures;
    connections_refused_ = host_->stats().connections_refused;
    connections_ = host_->connection_count();
  }

  Task<void> MirrorLoop() {
    asio::steady_timer timer(io_);
    while (!stopped_) {
      MirrorHostStats();
      timer.expires_after(std::chrono::milliseconds(100));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  void Deliver(const PeerId& from, Bytes message) {
    std::shared_ptr<const MessageHandler> handler;
    {
      std::lock_guard lock(mu_);
      handler = handler_;
    }
    ++messages_received_;
    if (handler && *handler) (*handler)(from.ToString(), std::move(message));
  }

  void Enqueue(PeerId peer, Bytes message, SendCallback done) {
    MirrorHostStats();
    if (stopped_) return Complete(done, Status(ErrorCode::kUnavailable, "network stopped"));
    if (peer == local_) {
      Deliver(local_, std::move(message));
      return Complete(done, Status::Ok());
    }
    Outbox& box = outboxes_[peer];
    if (box.queued_bytes + message.size() > options_.max_queued_bytes_per_peer) {
      return Complete(
          done, Status(ErrorCode::kUnavailable, "send queue to " + peer.ToString() + " is full"));
    }
    box.queued_bytes += message.size();
    box.queue.push_back({std::move(message), std::move(done)});
    if (!box.running) {
      box.running = true;
      asio::co_spawn(io_, SendLoop(peer), asio::detached);
    }
  }

  Task<void> SendLoop(PeerId peer) {
    Outbox& box = outboxes_[peer];  // entries are never erased while the thread runs
    while (!box.queue.empty() && !stopped_) {
      Bytes message = std::move(box.queue.front().message);
      Status status = co_await SendOne(peer, box, message);
      if (box.queue.empty()) break;  // Stop() completed it
      SendCallback done = std::move(box.queue.front().done);
      box.queue.pop_front();
      box.queued_bytes -= message.size();
      if (!status.ok()) {
        spdlog::debug("send to {} failed: {}", peer.ToString(), status.ToString());
      }
      Complete(done, status);
      MirrorHostStats();
    }
    box.running = false;
  }

  // One message onto the peer's stream: reuse it, or open one (dialing if needed); after a
  // failure on a reused stream, try once more on a fresh connection.
  Task<Status> SendOne(const PeerId& peer, Outbox& box, const Bytes& message) {
    Status last;
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool reused = box.stream && !box.stream->write_closed();
      if (!reused) {
        box.stream.reset();
        auto connection = co_await host_->Connect(peer);
        if (!connection.ok()) co_return connection.status();
        auto stream = co_await host_->NewStream(*connection, options_.protocol);
        if (!stream.ok()) {
          last = stream.status();
          host_->Disconnect(peer);
          continue;
        }
        box.stream = *stream;
      }
      auto stream = box.stream;
      std::weak_ptr<YamuxStream> weak = stream;
      Watchdog deadline(io_.get_executor(), options_.send_timeout, [weak] {
        if (auto s = weak.lock()) s->Reset();
      });
      Status s = co_await WriteTssMessage(*stream, message);
      deadline.Cancel();
      if (s.ok() && !deadline.expired()) co_return s;
      stream->Reset();
      box.stream.reset();
      host_->Disconnect(peer);  // a dead or stuck connection: the next attempt redials
      last = deadline.expired()
                 ? Status(ErrorCode::kTimeout, "send to " + peer.ToString() + " timed out")
                 : s;
      if (!reused) break;
    }
    co_return last;
  }

  Task<void> ServeInbound(std::shared_ptr<YamuxStream> stream,
                          std::shared_ptr<Connection> connection) {
    MirrorHostStats();
    for (;;) {
      auto message = co_await ReadTssMessage(*stream, options_.max_message_size);
      if (!message.ok()) {
        if (message.status().code() == ErrorCode::kInvalidArgument) {
          ++refused_oversized_;
          spdlog::warn("dropping a stream from {}: {}", connection->peer.ToString(),
                       message.status().message());
        }
        stream->Reset();
        co_return;
      }
      if (!message->has_value()) break;
      Deliver(connection->peer, std::move(**message));
    }
    (void)co_await stream->CloseWrite();
  }

  // Destroyed last: pending coroutine frames die with it, before the objects they point to.
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  Libp2pNetworkOptions options_;
  PeerId local_;
  std::shared_ptr<Host> host_;
  std::map<PeerId, Outbox> outboxes_;  // I/O thread only
  std::thread thread_;
  std::promise<void> exited_;
  std::atomic<bool> started_{false}, stopped_{false};

  mutable std::mutex mu_;
  std::vector<std::string> listen_;
  std::set<PeerId> allowed_;
  std::shared_ptr<const MessageHandler> handler_;

  std::atomic<uint64_t> messages_sent_{0}, messages_received_{0}, send_failures_{0},
      refused_not_allowed_{0}, refused_oversized_{0}, handshake_failures_{0},
      connections_refused_{0}, connections_{0};
};

}  // namespace

Result<std::unique_ptr<networking::Network>> NewLibp2pNetwork(ByteSpan identity_seed,
                                                              Libp2pNetworkOptions options) {
  TSS_ASSIGN_OR_RETURN(Identity identity, Identity::FromSeed(identity_seed));
  std::vector<Multiaddr> listen;
  for (const auto& text : options.listen_addrs) {
    TSS_ASSIGN_OR_RETURN(Multiaddr a, Multiaddr::Parse(text));
    listen.push_back(a.WithoutPeerId());
  }
  return std::unique_ptr<networking::Network>(
      new Libp2pNetwork(std::move(identity), std::move(listen), std::move(options)));
}

}  // namespace tss::libp2p

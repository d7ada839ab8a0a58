#include "networking/libp2p/libp2p_network.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
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
using Clock = std::chrono::steady_clock;

// Earlier epochs remembered per sending peer (libp2p_network.h: a restarted sender).
constexpr size_t kRememberedEpochs = 16;
// A receiver acks a quiet stream after Libp2pNetworkOptions::ack_delay, and at once after this
// many bytes: a sender that keeps the stream full still hears back every few dozen messages.
constexpr size_t kAckEveryBytes = 64 << 10;

// The pause before the next stream after `failures` streams in a row made no progress.
Clock::duration PauseAfter(int failures) {
  if (failures <= 0) return Clock::duration::zero();
  return std::min<Clock::duration>(std::chrono::milliseconds(100 << std::min(failures - 1, 5)),
                                   std::chrono::seconds(2));
}

// A random, non-zero epoch for this run of the process.
uint64_t NewEpoch() {
  if (sodium_init() < 0) std::abort();
  uint64_t epoch = 0;
  while (epoch == 0) randombytes_buf(&epoch, sizeof epoch);
  return epoch;
}

class Libp2pNetwork final : public networking::Network {
 public:
  Libp2pNetwork(Identity identity, std::vector<Multiaddr> listen, Libp2pNetworkOptions options)
      : options_(std::move(options)), local_(identity.peer_id()), epoch_(NewEpoch()) {
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
          if (options_.allow_any_peer) return true;
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
        if (box->stream) box->stream->Reset();
        box->expiry.reset();
        box->wake.Notify();
      }
    });
    work_.reset();
    // Everything winds down once its sockets close; whatever still waits after a grace period
    // (a peer mid-handshake, say) is abandoned.
    if (exited_.get_future().wait_for(std::chrono::seconds(3)) != std::future_status::ready) {
      io_.stop();
    }
    thread_.join();
    // Sends not yet acknowledged fail now, on this thread.
    for (auto& [peer, box] : outboxes_) {
      box->expiry.reset();
      for (auto& item : box->queue)
        Complete(item.done, Status(ErrorCode::kUnavailable, "network stopped"));
      box->queue.clear();
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
    asio::post(io_, [this, p = std::move(*peer), m = std::move(message),
                     d = std::move(done)]() mutable { Enqueue(p, std::move(m), std::move(d)); });
  }

  void Connect(const std::string& peer_id) override {
    auto peer = PeerId::FromString(peer_id);
    if (!peer.ok() || !started_ || stopped_) return;
    asio::co_spawn(io_, Dial(*peer), asio::detached);
  }

  networking::PeerLiveness LivenessOf(const std::string& peer_id) const override {
    auto peer = PeerId::FromString(peer_id);
    if (!peer.ok()) return networking::PeerLiveness::kUnreachable;
    std::lock_guard lock(mu_);
    auto it = reachable_.find(*peer);
    if (it == reachable_.end()) return networking::PeerLiveness::kUnknown;
    return it->second ? networking::PeerLiveness::kConnected
                      : networking::PeerLiveness::kUnreachable;
  }

  NetworkStats Stats() const override {
    NetworkStats s;
    s.messages_sent = messages_sent_;
    s.messages_received = messages_received_;
    s.send_failures = send_failures_;
    s.messages_acknowledged = messages_acknowledged_;
    s.acks_sent = acks_sent_;
    s.messages_resent = messages_resent_;
    s.duplicates_dropped = duplicates_dropped_;
    s.refused_not_allowed = refused_not_allowed_;
    s.refused_oversized = refused_oversized_;
    s.handshake_failures = handshake_failures_;
    s.connections_refused = connections_refused_;
    s.connections = connections_;
    return s;
  }

  void InjectFault(Libp2pFault fault) {
    if (!started_ || stopped_) return;
    std::promise<void> done;
    asio::post(io_, [&] {
      switch (fault) {
        case Libp2pFault::kResetTssStreams: {
          for (auto& [peer, box] : outboxes_) {
            if (box->stream) box->stream->Reset();
          }
          auto inbound = inbound_streams_;
          for (auto& s : inbound) s->Reset();
          break;
        }
        case Libp2pFault::kDropConnections:
          host_->DisconnectAll();
          break;
      }
      done.set_value();
    });
    done.get_future().wait();
  }

 private:
  // One message not yet acknowledged.
  struct Pending {
    uint64_t seq;
    Bytes message;
    SendCallback done;
    Clock::time_point deadline;
    Clock::time_point written_at{};  // when a stream last carried it; {} if none has
  };

  // Everything about sending to one peer. I/O thread only.
  struct Outbox {
    Outbox(PeerId p, const Executor& executor) : peer(std::move(p)), wake(executor) {}
    const PeerId peer;
    std::deque<Pending> queue;  // oldest (lowest seq) first
    size_t queued_bytes = 0;
    uint64_t next_seq = 1;
    bool running = false;                 // SendLoop is running
    std::shared_ptr<YamuxStream> stream;  // the current stream, its hello written
    uint64_t written_through = 0;         // the highest seq written on `stream`
    int failures = 0;                     // streams in a row that made no progress
    Clock::time_point retry_at{};         // no new stream before this
    Clock::time_point progress_at{};      // the last ack or refusal
    Status last_error;                    // why the last stream failed or could not open
    std::unique_ptr<Watchdog> expiry;     // fires at the oldest message's deadline
    AsyncSignal wake;                     // the queue, the stream or the acks changed
  };

  // What this node knows of one sending peer (the receiving side). I/O thread only.
  // What one inbound stream has acknowledged; shared with its delayed-ack timer.
  struct AckState {
    uint64_t epoch = 0;    // the sender's run this stream belongs to
    uint64_t acked = 0;    // the last ack written on this stream
    bool writing = false;  // an ack write is under way (acks go out one at a time)
    std::optional<Watchdog> timer;
  };

  struct Inbound {
    uint64_t epoch = 0;
    uint64_t delivered = 0;        // the highest seq of `epoch` delivered upward
    std::deque<uint64_t> retired;  // epochs it used before, oldest first
    // The stream whose ack is being held (see Receive), so a message of ours to that peer
    // can carry it along: both frames leave in one write.
    std::weak_ptr<YamuxStream> held_stream;
    std::weak_ptr<AckState> held_ack;

    // Switches to `e` if it is new; false for an epoch the peer has already replaced.
    bool Adopt(uint64_t e) {
      if (e == epoch) return true;
      if (std::find(retired.begin(), retired.end(), e) != retired.end()) return false;
      if (epoch != 0) retired.push_back(epoch);
      if (retired.size() > kRememberedEpochs) retired.pop_front();
      epoch = e;
      delivered = 0;
      return true;
    }
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
    // The liveness view: connected now, or was and is no more. A stopped peer's connection ends
    // (its kernel closes the socket even after a SIGKILL), so it reads kUnreachable within one
    // mirror period; a restarted one is kConnected as soon as either side dials.
    std::set<PeerId> connected = host_->ConnectedPeers();
    std::lock_guard lock(mu_);
    for (auto& [peer, up] : reachable_)
      if (up && !connected.count(peer)) up = false;
    for (const auto& peer : connected) reachable_[peer] = true;
  }

  // Connect(): an open connection is what MirrorHostStats reads; a failed dial counts the peer
  // unreachable, as a failed send's does (OpenStream).
  Task<void> Dial(PeerId peer) {
    auto connection = co_await host_->Connect(peer);
    if (connection.ok()) co_return;
    spdlog::debug("connecting to {} failed: {}", peer.ToString(), connection.status().ToString());
    std::lock_guard lock(mu_);
    reachable_[peer] = false;
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

  // ---- sending

  Outbox& OutboxFor(const PeerId& peer) {
    auto it = outboxes_.find(peer);
    if (it == outboxes_.end())
      it = outboxes_.emplace(peer, std::make_unique<Outbox>(peer, io_.get_executor())).first;
    return *it->second;
  }

  void Enqueue(const PeerId& peer, Bytes message, SendCallback done) {
    MirrorHostStats();
    if (stopped_) return Complete(done, Status(ErrorCode::kUnavailable, "network stopped"));
    if (peer == local_) {
      Deliver(local_, std::move(message));
      return Complete(done, Status::Ok());
    }
    Outbox& box = OutboxFor(peer);
    if (box.queued_bytes + message.size() > options_.max_queued_bytes_per_peer) {
      return Complete(
          done, Status(ErrorCode::kUnavailable, "send queue to " + peer.ToString() + " is full"));
    }
    box.queued_bytes += message.size();
    box.queue.push_back({box.next_seq++, std::move(message), std::move(done),
                         Clock::now() + options_.send_timeout});
    if (box.queue.size() == 1) ArmExpiry(box);
    if (!box.running) {
      box.running = true;
      asio::co_spawn(io_, SendLoop(box), asio::detached);
    } else {
      box.wake.Notify();
    }
  }

  // Writes the queue onto the peer's stream, opening streams as needed, until every message
  // is acknowledged or has failed.
  Task<void> SendLoop(Outbox& box) {  // outboxes are never erased while the thread runs
    while (!stopped_ && !box.queue.empty()) {
      if (!box.stream) {
        if (Clock::now() < box.retry_at) {
          co_await Sleep(box, box.retry_at);
          continue;
        }
        Status opened = co_await OpenStream(box);
        if (!opened.ok()) {
          spdlog::debug("no {} stream to {}: {}", options_.protocol, box.peer.ToString(),
                        opened.ToString());
          box.last_error = opened;
          box.retry_at = Clock::now() + PauseAfter(++box.failures);
        }
        continue;
      }
      auto next = std::partition_point(box.queue.begin(), box.queue.end(), [&](const Pending& p) {
        return p.seq <= box.written_through;
      });
      if (next == box.queue.end()) {
        co_await box.wake.Wait();  // for acks, new messages, a broken stream or Stop()
        continue;
      }
      if (HoldsAckFor(box.peer)) {
        co_await FlushHeldAck(box.peer);
        continue;  // the queue and the stream may have changed meanwhile
      }
      if (next->written_at != Clock::time_point{}) ++messages_resent_;
      next->written_at = Clock::now();
      box.written_through = next->seq;
      // A copy: the message may complete (refused, expired) while the write waits.
      const Bytes frame = EncodeTssMessage(next->seq, next->message);
      auto stream = box.stream;
      Status written = co_await stream->Write(frame);
      if (!written.ok()) DropStream(box, stream, written, false);
    }
    box.running = false;
  }

  bool HoldsAckFor(const PeerId& peer) const {
    auto it = inbound_.find(peer);
    return it != inbound_.end() && !it->second.held_ack.expired();
  }

  // Writes the ack we hold for `peer`'s messages (if any) now, ahead of a message of ours to
  // it: both are queued on the connection before its writer runs, so they share one write.
  Task<void> FlushHeldAck(const PeerId& peer) {
    auto it = inbound_.find(peer);
    if (it == inbound_.end()) co_return;
    Inbound& from = it->second;
    auto state = from.held_ack.lock();
    auto stream = from.held_stream.lock();
    from.held_ack.reset();
    from.held_stream.reset();
    if (!state || !stream) co_return;
    state->timer.reset();
    Status written = co_await WriteAck(*stream, from, *state);
    if (!written.ok()) stream->Reset();
    co_return;
  }

  // Waits for `wake`, or until `until`.
  Task<void> Sleep(Outbox& box, Clock::time_point until) {
    Watchdog alarm(io_.get_executor(), until - Clock::now(), [&box] { box.wake.Notify(); });
    co_await box.wake.Wait();
  }

  // A fresh stream to the peer (dialing if needed) with our hello written, and its reply reader
  // running.
  Task<Status> OpenStream(Outbox& box) {
    auto connection = co_await host_->Connect(box.peer);
    if (!connection.ok()) {
      std::lock_guard lock(mu_);
      reachable_[box.peer] = false;  // a failed dial: not live until a connection opens
      co_return connection.status();
    }
    auto stream = co_await host_->NewStream(*connection, options_.protocol);
    if (!stream.ok()) {
      // A refusal ("na": we are not allowed yet, say) leaves the connection be; anything else
      // may be a stale connection to a peer that restarted.
      if (stream.status().code() != ErrorCode::kNotFound) host_->Disconnect(box.peer);
      co_return stream.status();
    }
    Status s = co_await (*stream)->Write(EncodeTssHello(epoch_));
    if (s.ok() && stopped_) s = Status(ErrorCode::kUnavailable, "network stopped");
    if (!s.ok()) {
      (*stream)->Reset();
      co_return s;
    }
    box.stream = *stream;
    box.written_through = 0;
    asio::co_spawn(io_, ReadReplies(box, *stream), asio::detached);
    co_return Status::Ok();
  }

  // The peer's acks and refusals on one stream, until it ends.
  Task<void> ReadReplies(Outbox& box, std::shared_ptr<YamuxStream> stream) {
    Status why;
    for (;;) {
      auto reply = co_await ReadTssReply(*stream);
      if (!reply.ok()) {
        why = reply.status();
        break;
      }
      if (!reply->has_value()) {
        why = Status(ErrorCode::kIo, "the peer closed the stream");
        break;
      }
      why = OnReply(box, **reply);
      if (!why.ok()) break;
    }
    DropStream(box, stream, why, false);
  }

  Status OnReply(Outbox& box, const TssReply& reply) {
    if (reply.seq >= box.next_seq) return InvalidArgument("tss: a reply for a message never sent");
    bool progress = false;
    if (reply.type == TssReplyType::kAck) {
      while (!box.queue.empty() && box.queue.front().seq <= reply.seq) {
        ++messages_acknowledged_;
        Finish(box, Status::Ok());
        progress = true;
      }
    } else if (!box.queue.empty() && box.queue.front().seq == reply.seq) {
      // Anything else is an old refusal, of a message already completed.
      Finish(box, InvalidArgument("the peer refused a message of " +
                                  std::to_string(box.queue.front().message.size()) +
                                  " bytes: over its limit of " + std::to_string(reply.limit)));
      progress = true;
    }
    if (progress) {
      box.failures = 0;
      box.progress_at = Clock::now();
      box.last_error = Status::Ok();
      ArmExpiry(box);
      box.wake.Notify();
    }
    return Status::Ok();
  }

  // Completes the oldest message.
  void Finish(Outbox& box, const Status& status) {
    Pending p = std::move(box.queue.front());
    box.queue.pop_front();
    box.queued_bytes -= p.message.size();
    if (!status.ok()) {
      spdlog::debug("send to {} failed: {}", box.peer.ToString(), status.ToString());
    }
    Complete(p.done, status);
  }

  // Fails the messages whose deadline has passed. One that a stream carried with nothing
  // acknowledged since then means the connection is dead: it is dropped, and the rest go out
  // on a new one.
  void ExpireOverdue(Outbox& box) {
    const auto now = Clock::now();
    bool expired = false;
    while (!box.queue.empty() && box.queue.front().deadline <= now) {
      const Pending& p = box.queue.front();
      const bool carried =
          box.stream && p.written_at != Clock::time_point{} && p.seq <= box.written_through;
      if (carried && box.progress_at < p.written_at) {
        DropStream(box, box.stream, Status(ErrorCode::kTimeout, "no acknowledgement"), true);
      }
      Status why;
      if (p.written_at == Clock::time_point{} && !box.last_error.ok()) {
        why = Status(box.last_error.code(),
                     "cannot reach " + box.peer.ToString() + ": " + box.last_error.message());
      } else {
        why = Status(ErrorCode::kTimeout,
                     "no acknowledgement from " + box.peer.ToString() + " within " +
                         std::to_string(options_.send_timeout.count()) + " ms" +
                         (box.last_error.ok() ? "" : " (last: " + box.last_error.message() + ")"));
      }
      Finish(box, why);
      expired = true;
    }
    ArmExpiry(box);
    if (expired) box.wake.Notify();
  }

  void ArmExpiry(Outbox& box) {
    if (box.queue.empty() || stopped_) {
      box.expiry.reset();
      return;
    }
    box.expiry =
        std::make_unique<Watchdog>(io_.get_executor(), box.queue.front().deadline - Clock::now(),
                                   [this, &box] { ExpireOverdue(box); });
  }

  // Gives up on `stream` (idempotent); its unacknowledged messages go out again on the next.
  void DropStream(Outbox& box, const std::shared_ptr<YamuxStream>& stream, const Status& why,
                  bool disconnect) {
    stream->Reset();
    if (box.stream != stream) return;  // an older stream, already replaced
    spdlog::debug("{} stream to {} ended: {}", options_.protocol, box.peer.ToString(),
                  why.ToString());
    box.stream.reset();
    box.written_through = 0;
    box.last_error = why;
    box.retry_at = Clock::now() + PauseAfter(box.failures++);
    if (disconnect) host_->Disconnect(box.peer);
    box.wake.Notify();
  }

  // ---- receiving

  Task<void> ServeInbound(std::shared_ptr<YamuxStream> stream,
                          std::shared_ptr<Connection> connection) {
    MirrorHostStats();
    inbound_streams_.insert(stream);
    co_await Receive(stream, connection->peer);
    inbound_streams_.erase(stream);
  }

  // Writes one cumulative ack for everything `from` delivered beyond what `ack` covers.
  Task<Status> WriteAck(YamuxStream& stream, const Inbound& from, AckState& ack) {
    if (ack.writing || from.epoch != ack.epoch || from.delivered <= ack.acked)
      co_return Status::Ok();
    ack.acked = from.delivered;
    ack.writing = true;
    ++acks_sent_;
    Status s = co_await stream.Write(EncodeTssReply({TssReplyType::kAck, ack.acked}));
    ack.writing = false;
    co_return s;
  }

  Task<void> Receive(std::shared_ptr<YamuxStream> stream_ptr, const PeerId& peer) {
    YamuxStream& stream = *stream_ptr;
    auto epoch = co_await ReadTssHello(stream);
    if (!epoch.ok()) co_return stream.Reset();
    Inbound& from = inbound_[peer];  // entries are never erased while the thread runs
    if (!from.Adopt(*epoch)) {
      spdlog::info("refused a {} stream from {}: a run of that peer it has replaced",
                   options_.protocol, peer.ToString());
      co_return stream.Reset();
    }
    auto ack = std::make_shared<AckState>();
    ack->epoch = *epoch;
    size_t unacked_bytes = 0;  // read on this stream since the last ack
    for (;;) {
      auto header = co_await ReadTssMessageHeader(stream);
      if (!header.ok()) co_return stream.Reset();
      if (!header->has_value()) break;
      const TssMessageHeader h = **header;
      if (from.epoch != *epoch) co_return stream.Reset();  // a newer run of the peer took over
      if (h.length > options_.max_message_size) {
        ++refused_oversized_;
        spdlog::warn("refused a message of {} bytes from {}: over the limit of {}", h.length,
                     peer.ToString(), options_.max_message_size);
        ack->timer.reset();
        Bytes reply;
        if (from.delivered > ack->acked) {
          ++acks_sent_;
          reply = EncodeTssReply({TssReplyType::kAck, from.delivered});
        }
        Bytes refusal = EncodeTssReply({TssReplyType::kRefused, h.seq, options_.max_message_size});
        reply.insert(reply.end(), refusal.begin(), refusal.end());
        (void)co_await stream.Write(reply);
        co_return stream.Reset();
      }
      auto body = co_await ReadBody(stream, static_cast<size_t>(h.length));
      if (!body.ok() || from.epoch != *epoch) co_return stream.Reset();
      if (h.seq <= from.delivered) {
        ++duplicates_dropped_;
      } else {
        from.delivered = h.seq;
        Deliver(peer, std::move(*body));
      }
      // One ack for everything read so far: after `ack_delay` of quiet (a burst's messages
      // share it), or at once when enough has been read since the last one.
      unacked_bytes += static_cast<size_t>(h.length);
      if (from.delivered <= ack->acked) continue;
      if (unacked_bytes >= kAckEveryBytes || options_.ack_delay.count() == 0) {
        unacked_bytes = 0;
        ack->timer.reset();
        if (!(co_await WriteAck(stream, from, *ack)).ok()) co_return stream.Reset();
      } else if (stream.buffered() == 0 && !(ack->timer && !ack->timer->expired())) {
        unacked_bytes = 0;
        const uint64_t run = *epoch;
        // Weak: the state owns the timer, the timer must not own the state.
        std::weak_ptr<AckState> weak = ack;
        ack->timer.emplace(io_.get_executor(), options_.ack_delay,
                           [this, stream_ptr, weak, &from, run] {
                             auto state = weak.lock();
                             if (!state || from.epoch != run) return;
                             asio::co_spawn(io_, FlushAck(stream_ptr, from, state), asio::detached);
                           });
        from.held_stream = stream_ptr;
        from.held_ack = ack;
      }
    }
    ack->timer.reset();
    // Written even while a delayed ack is under way: this one may cover more, and it is the
    // last the sender hears on this stream.
    if (from.epoch == *epoch && from.delivered > ack->acked) {
      ++acks_sent_;
      (void)co_await stream.Write(EncodeTssReply({TssReplyType::kAck, from.delivered}));
    }
    (void)co_await stream.CloseWrite();
  }

  // The delayed ack of a quiet stream (see Receive). A failed write resets the stream, which
  // ends its Receive; the sender writes the unacknowledged messages again.
  Task<void> FlushAck(std::shared_ptr<YamuxStream> stream, const Inbound& from,
                      std::shared_ptr<AckState> ack) {
    Status written = co_await WriteAck(*stream, from, *ack);
    if (!written.ok()) stream->Reset();
    co_return;
  }

  // Destroyed last: pending coroutine frames die with it, before the objects they point to.
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  Libp2pNetworkOptions options_;
  PeerId local_;
  const uint64_t epoch_;
  std::shared_ptr<Host> host_;
  std::map<PeerId, std::unique_ptr<Outbox>> outboxes_;      // I/O thread only
  std::map<PeerId, Inbound> inbound_;                       // I/O thread only
  std::set<std::shared_ptr<YamuxStream>> inbound_streams_;  // I/O thread only
  std::thread thread_;
  std::promise<void> exited_;
  std::atomic<bool> started_{false}, stopped_{false};

  mutable std::mutex mu_;
  std::vector<std::string> listen_;
  std::set<PeerId> allowed_;
  std::shared_ptr<const MessageHandler> handler_;
  // Peers we had a connection to or tried to dial: true while connected (LivenessOf).
  std::map<PeerId, bool> reachable_;

  std::atomic<uint64_t> messages_sent_{0}, messages_received_{0}, send_failures_{0},
      messages_acknowledged_{0}, acks_sent_{0}, messages_resent_{0}, duplicates_dropped_{0},
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

void InjectFaultForTesting(networking::Network& network, Libp2pFault fault) {
  auto* ours = dynamic_cast<Libp2pNetwork*>(&network);
  if (ours) ours->InjectFault(fault);
}

}  // namespace tss::libp2p

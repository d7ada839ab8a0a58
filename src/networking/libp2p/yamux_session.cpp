#include "networking/libp2p/yamux_session.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <cstring>

namespace tss::libp2p {

using namespace yamux_flag;

// ---- YamuxStream

YamuxStream::YamuxStream(std::weak_ptr<YamuxSession> session, uint32_t id, const Executor& executor,
                         uint32_t receive_window)
    : session_(std::move(session)),
      id_(id),
      readable_(executor),
      writable_(executor),
      receive_window_(receive_window),
      window_size_(receive_window) {}

bool YamuxStream::OnData(ByteSpan data) {
  if (data.size() > receive_window_) return false;
  receive_window_ -= static_cast<uint32_t>(data.size());
  if (remote_fin_ || reset_) return true;  // nobody will read it; the window still counts
  if (buffer_pos_ > 0 && buffer_pos_ == buffer_.size()) {
    buffer_.clear();
    buffer_pos_ = 0;
  }
  buffer_.insert(buffer_.end(), data.begin(), data.end());
  readable_.Notify();
  return true;
}

bool YamuxStream::OnWindowUpdate(uint32_t delta) {
  send_window_ += delta;
  if (send_window_ > UINT32_MAX) return false;
  writable_.Notify();
  return true;
}

void YamuxStream::OnRemoteFin() {
  remote_fin_ = true;
  readable_.Notify();
}

void YamuxStream::OnReset() {
  reset_ = true;
  readable_.Notify();
  writable_.Notify();
}

Task<Result<size_t>> YamuxStream::ReadSome(std::span<uint8_t> out) {
  if (out.empty()) co_return size_t{0};
  for (;;) {
    if (buffer_pos_ < buffer_.size()) {
      size_t n = std::min(out.size(), buffer_.size() - buffer_pos_);
      std::memcpy(out.data(), buffer_.data() + buffer_pos_, n);
      buffer_pos_ += n;
      if (buffer_pos_ == buffer_.size()) {
        buffer_.clear();
        buffer_pos_ = 0;
        if (buffer_.capacity() > window_size_) Bytes().swap(buffer_);
      } else if (buffer_pos_ > window_size_ / 2) {
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<ptrdiff_t>(buffer_pos_));
        buffer_pos_ = 0;
      }
      // Grant the window back in batches of half a window: fewer frames, steady flow.
      unreported_ += static_cast<uint32_t>(n);
      auto session = session_.lock();
      if (session && !remote_fin_ && !reset_ && unreported_ >= window_size_ / 2) {
        session->Enqueue({YamuxType::kWindowUpdate, 0, id_, unreported_});
        receive_window_ += unreported_;
        unreported_ = 0;
      }
      co_return n;
    }
    if (reset_) co_return Status(ErrorCode::kIo, "yamux: stream reset");
    if (remote_fin_) co_return size_t{0};
    co_await readable_.Wait();
  }
}

Task<Status> YamuxStream::Write(ByteSpan data) {
  while (!data.empty()) {
    auto session = session_.lock();
    if (reset_ || !session || session->closed())
      co_return Status(ErrorCode::kIo, "yamux: stream reset");
    if (local_fin_) co_return Status(ErrorCode::kIo, "yamux: write after close");
    if (send_window_ == 0) {
      session.reset();
      co_await writable_.Wait();
      continue;
    }
    if (session->OverHighWater()) {
      auto* s = session.get();
      co_await s->out_drained_.Wait();
      continue;
    }
    size_t n = std::min(
        {data.size(), static_cast<size_t>(send_window_), session->config_.max_frame_payload});
    session->Enqueue({YamuxType::kData, 0, id_, static_cast<uint32_t>(n)}, data.first(n));
    send_window_ -= n;
    data = data.subspan(n);
  }
  co_return Status::Ok();
}

Task<Status> YamuxStream::CloseWrite() {
  auto session = session_.lock();
  if (reset_ || !session || session->closed())
    co_return Status(ErrorCode::kIo, "yamux: stream reset");
  if (local_fin_) co_return Status::Ok();
  local_fin_ = true;
  session->Enqueue({YamuxType::kWindowUpdate, kFin, id_, 0});
  if (remote_fin_) session->Forget(id_);
  co_return Status::Ok();
}

void YamuxStream::Reset() {
  if (reset_) return;
  auto session = session_.lock();
  bool finished_cleanly = local_fin_ && remote_fin_;
  OnReset();
  if (session && !session->closed() && !finished_cleanly) {
    session->Enqueue({YamuxType::kWindowUpdate, kRst, id_, 0});
    session->Forget(id_);
  }
}

// ---- YamuxSession

YamuxSession::YamuxSession(std::shared_ptr<ByteStream> channel, bool is_dialer, YamuxConfig config,
                           const Executor& executor)
    : channel_(std::move(channel)),
      is_dialer_(is_dialer),
      config_(config),
      executor_(executor),
      next_id_(is_dialer ? 1 : 2),
      out_ready_(executor),
      out_drained_(executor) {
  if (config_.receive_window < kYamuxInitialWindow) config_.receive_window = kYamuxInitialWindow;
}

void YamuxSession::Start(StreamHandler on_stream, ClosedHandler on_closed) {
  on_stream_ = std::move(on_stream);
  on_closed_ = std::move(on_closed);
  asio::co_spawn(executor_, ReadLoop(shared_from_this()), asio::detached);
  asio::co_spawn(executor_, WriteLoop(shared_from_this()), asio::detached);
}

Result<std::shared_ptr<YamuxStream>> YamuxSession::OpenStream() {
  if (closed_) return Status(ErrorCode::kUnavailable, "yamux: session closed");
  if (remote_go_away_) return Status(ErrorCode::kUnavailable, "yamux: peer is going away");
  if (streams_.size() >= config_.max_streams) {
    return Status(ErrorCode::kUnavailable, "yamux: too many open streams");
  }
  if (next_id_ > UINT32_MAX - 2)
    return Status(ErrorCode::kUnavailable, "yamux: stream ids used up");
  uint32_t id = next_id_;
  next_id_ += 2;
  auto stream =
      std::make_shared<YamuxStream>(weak_from_this(), id, executor_, config_.receive_window);
  streams_[id] = stream;
  Enqueue({YamuxType::kWindowUpdate, kSyn, id, config_.receive_window - kYamuxInitialWindow});
  return stream;
}

void YamuxSession::Close(const Status& reason) {
  if (closed_) return;
  closed_ = true;
  channel_->Reset();
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, stream] : streams) stream->OnReset();
  out_.clear();
  out_ready_.Notify();
  out_drained_.Notify();
  if (on_closed_) {
    // Later, so the owner never sees the callback from inside one of its own calls.
    asio::post(executor_, [fn = std::move(on_closed_), reason] { fn(reason); });
  }
  on_stream_ = nullptr;
}

void YamuxSession::Forget(uint32_t id) {
  streams_.erase(id);
}

void YamuxSession::Enqueue(const YamuxHeader& header, ByteSpan payload) {
  if (closed_) return;
  auto h = EncodeYamuxHeader(header);
  out_.insert(out_.end(), h.begin(), h.end());
  out_.insert(out_.end(), payload.begin(), payload.end());
  if (out_.size() > config_.write_hard_limit) overflow_ = true;
  out_ready_.Notify();
}

// The unnamed shared_ptr parameter lives in the coroutine frame and keeps the session alive
// for as long as the loop runs.
Task<void> YamuxSession::WriteLoop(std::shared_ptr<YamuxSession> /*keep_alive*/) {
  Bytes batch;
  while (!closed_) {
    if (overflow_) {
      Close(Status(ErrorCode::kUnavailable, "yamux: peer is not reading"));
      break;
    }
    if (out_.empty()) {
      co_await out_ready_.Wait();
      continue;
    }
    batch.clear();
    batch.swap(out_);
    out_drained_.Notify();
    Status s = co_await channel_->Write(batch);
    if (!s.ok()) {
      Close(s);
      break;
    }
    if (batch.capacity() > 2 * config_.write_high_water) Bytes().swap(batch);
  }
}

Task<void> YamuxSession::ReadLoop(std::shared_ptr<YamuxSession> /*keep_alive*/) {
  uint8_t raw[kYamuxHeaderSize];
  Bytes body;
  while (!closed_) {
    Status s = co_await ReadExact(*channel_, raw);
    if (!s.ok()) {
      Close(s);
      break;
    }
    auto header = DecodeYamuxHeader(raw);
    if (!header.ok()) {
      Close(header.status());
      break;
    }
    body.clear();
    if (header->type == YamuxType::kData) {
      // Nothing legitimate exceeds the window we grant; refuse before allocating.
      if (header->length > config_.receive_window) {
        Close(InvalidArgument("yamux: data frame larger than the receive window"));
        break;
      }
      body.resize(header->length);
      s = co_await ReadExact(*channel_, body);
      if (!s.ok()) {
        Close(s);
        break;
      }
    }
    if (closed_) break;
    s = HandleFrame(*header, body);
    if (!s.ok()) {
      Close(s);
      break;
    }
    if (body.capacity() > 2 * config_.max_frame_payload) Bytes().swap(body);
  }
}

std::shared_ptr<YamuxStream> YamuxSession::AcceptStream(uint32_t id, Status& error) {
  bool peer_parity = (id % 2 == 1) != is_dialer_;  // the dialer's ids are odd
  if (id == 0 || !peer_parity) {
    error = InvalidArgument("yamux: SYN with a stream id of the wrong side");
    return nullptr;
  }
  if (streams_.count(id)) {
    error = InvalidArgument("yamux: SYN for a stream id in use");
    return nullptr;
  }
  if (remote_go_away_ || streams_.size() >= config_.max_streams || !on_stream_) {
    Enqueue({YamuxType::kWindowUpdate, kRst, id, 0});
    return nullptr;
  }
  auto stream =
      std::make_shared<YamuxStream>(weak_from_this(), id, executor_, config_.receive_window);
  streams_[id] = stream;
  Enqueue({YamuxType::kWindowUpdate, kAck, id, config_.receive_window - kYamuxInitialWindow});
  on_stream_(stream);
  return stream;
}

Status YamuxSession::HandleFrame(const YamuxHeader& h, ByteSpan body) {
  switch (h.type) {
    case YamuxType::kPing:
      if (h.has(kSyn)) Enqueue({YamuxType::kPing, kAck, 0, h.length});
      return Status::Ok();
    case YamuxType::kGoAway:
      remote_go_away_ = true;
      return Status::Ok();
    case YamuxType::kData:
    case YamuxType::kWindowUpdate:
      break;
  }
  std::shared_ptr<YamuxStream> stream;
  if (h.has(kSyn)) {
    Status error;
    stream = AcceptStream(h.stream_id, error);
    if (!error.ok()) return error;
  } else {
    auto it = streams_.find(h.stream_id);
    if (it != streams_.end()) stream = it->second;
  }
  if (!stream) return Status::Ok();  // a stream we reset or refused: drop the frame
  if (h.type == YamuxType::kData) {
    if (!stream->OnData(body)) return InvalidArgument("yamux: peer overran the receive window");
  } else if (!stream->OnWindowUpdate(h.length)) {
    return InvalidArgument("yamux: send window overflow");
  }
  if (h.has(kRst)) {
    stream->OnReset();
    Forget(h.stream_id);
  } else if (h.has(kFin)) {
    stream->OnRemoteFin();
    if (stream->local_fin_) Forget(h.stream_id);
  }
  return Status::Ok();
}

}  // namespace tss::libp2p

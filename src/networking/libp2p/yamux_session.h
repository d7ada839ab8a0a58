// networking/libp2p/yamux_session.h — yamux: many streams over one secure channel.
//
// Owns: the session (one reader coroutine dispatching frames, one writer coroutine flushing a
// queue of frames), stream ids (odd for the dialer, even for the listener), per-stream flow
// control (we never send beyond the peer's window; a peer sending beyond ours is a protocol
// error that ends the session), pings (answered), go-away, and limits: open streams per session,
// queued output (stream writers wait above a high-water mark; a peer that stops reading while
// making us queue control frames is dropped). Frames: yamux_frame.h. Spec: hashicorp/yamux
// spec.md. Single-threaded: every call runs on the session's executor. Must not touch: what
// protocols run on the streams.
#pragma once

#include <functional>
#include <map>
#include <memory>

#include "networking/libp2p/io.h"
#include "networking/libp2p/yamux_frame.h"

namespace tss::libp2p {

struct YamuxConfig {
  // Receive window per stream. Above the spec's 256 KiB, the extra is granted when the stream
  // opens. Also the most a peer can make us buffer per stream.
  uint32_t receive_window = kYamuxInitialWindow;
  size_t max_streams = 256;             // open streams per session, both directions
  size_t max_frame_payload = 64 << 10;  // largest data frame we send
  size_t write_high_water = 1 << 20;    // stream writers wait while more is queued
  size_t write_hard_limit = 16 << 20;   // queued beyond this: the peer is not reading; drop it
};

class YamuxSession;

class YamuxStream : public ByteStream {
 public:
  YamuxStream(std::weak_ptr<YamuxSession> session, uint32_t id, const Executor& executor,
              uint32_t receive_window);

  Task<Result<size_t>> ReadSome(std::span<uint8_t> out) override;
  // Completes once everything is queued on the session (not when the peer has read it).
  Task<Status> Write(ByteSpan data) override;
  Task<Status> CloseWrite() override;
  void Reset() override;

  uint32_t id() const { return id_; }
  // Bytes received and not yet read: what ReadSome would return without waiting.
  size_t buffered() const { return buffer_.size() - buffer_pos_; }
  bool finished() const { return reset_ || (local_fin_ && remote_fin_); }
  bool write_closed() const { return reset_ || local_fin_; }

 private:
  friend class YamuxSession;
  // From the session's reader. False: the peer overran our window.
  bool OnData(ByteSpan data);
  bool OnWindowUpdate(uint32_t delta);
  void OnRemoteFin();
  void OnReset();  // by the peer, or the session ended

  std::weak_ptr<YamuxSession> session_;
  uint32_t id_;
  AsyncSignal readable_, writable_;
  Bytes buffer_;
  size_t buffer_pos_ = 0;
  uint32_t receive_window_;  // what the peer may still send
  uint32_t window_size_;     // the window we keep granting
  uint32_t unreported_ = 0;  // consumed but not yet granted back
  uint64_t send_window_ = kYamuxInitialWindow;
  bool local_fin_ = false, remote_fin_ = false, reset_ = false;
};

class YamuxSession : public std::enable_shared_from_this<YamuxSession> {
 public:
  using StreamHandler = std::function<void(std::shared_ptr<YamuxStream>)>;
  using ClosedHandler = std::function<void(const Status&)>;

  YamuxSession(std::shared_ptr<ByteStream> channel, bool is_dialer, YamuxConfig config,
               const Executor& executor);

  // Starts the reader and writer. `on_stream` gets every stream the peer opens; `on_closed` is
  // called once, later, when the session ends for any reason.
  void Start(StreamHandler on_stream, ClosedHandler on_closed);
  // Opens a stream (its SYN is queued). Fails when closed, after a go-away, or at the limit.
  Result<std::shared_ptr<YamuxStream>> OpenStream();
  // Ends the session now: every stream is reset, the channel closed.
  void Close(const Status& reason);

  bool closed() const { return closed_; }
  size_t stream_count() const { return streams_.size(); }
  const Executor& executor() const { return executor_; }

 private:
  friend class YamuxStream;
  Task<void> ReadLoop(std::shared_ptr<YamuxSession> self);
  Task<void> WriteLoop(std::shared_ptr<YamuxSession> self);
  Status HandleFrame(const YamuxHeader& header, ByteSpan body);
  std::shared_ptr<YamuxStream> AcceptStream(uint32_t id, Status& error);
  void Enqueue(const YamuxHeader& header, ByteSpan payload = {});
  void Forget(uint32_t id);
  bool OverHighWater() const { return out_.size() > config_.write_high_water; }

  std::shared_ptr<ByteStream> channel_;
  bool is_dialer_;
  YamuxConfig config_;
  Executor executor_;
  uint32_t next_id_;
  std::map<uint32_t, std::shared_ptr<YamuxStream>> streams_;
  StreamHandler on_stream_;
  ClosedHandler on_closed_;
  Bytes out_;
  AsyncSignal out_ready_, out_drained_;
  bool closed_ = false;
  bool remote_go_away_ = false;
  bool overflow_ = false;
};

}  // namespace tss::libp2p

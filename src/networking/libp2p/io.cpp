#include "networking/libp2p/io.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include "networking/libp2p/varint.h"

namespace tss::libp2p {

Task<Status> ReadExact(ByteStream& stream, std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    auto n = co_await stream.ReadSome(out.subspan(done));
    if (!n.ok()) co_return n.status();
    if (*n == 0) co_return Status(ErrorCode::kIo, "stream ended early");
    done += *n;
  }
  co_return Status::Ok();
}

Task<Result<uint64_t>> ReadUvarint(ByteStream& stream) {
  uint8_t buf[10];
  for (size_t i = 0; i < 9; ++i) {
    Status s = co_await ReadExact(stream, std::span<uint8_t>(buf + i, 1));
    if (!s.ok()) co_return s;
    if (!(buf[i] & 0x80)) {
      uint64_t v;
      size_t used;
      if (DecodeUvarint(ByteSpan(buf, i + 1), v, used) != VarintStatus::kOk) break;
      co_return v;
    }
  }
  co_return InvalidArgument("bad uvarint on the stream");
}

Task<Result<Bytes>> ReadLengthPrefixed(ByteStream& stream, size_t max_length) {
  auto length = co_await ReadUvarint(stream);
  if (!length.ok()) co_return length.status();
  if (*length > max_length) {
    co_return InvalidArgument("message of " + std::to_string(*length) +
                              " bytes is too large (limit " + std::to_string(max_length) + ")");
  }
  co_return co_await ReadBody(stream, static_cast<size_t>(*length));
}

Task<Result<Bytes>> ReadBody(ByteStream& stream, size_t length) {
  // Grow with what actually arrives: a peer announcing a large message costs us nothing until
  // it sends the bytes.
  constexpr size_t kChunk = 1 << 20;
  Bytes out;
  while (out.size() < length) {
    size_t have = out.size();
    out.resize(have + std::min(kChunk, length - have));
    Status s = co_await ReadExact(stream, std::span<uint8_t>(out).subspan(have));
    if (!s.ok()) co_return s;
  }
  co_return out;
}

Task<Status> WriteLengthPrefixed(ByteStream& stream, ByteSpan data) {
  ByteWriter w;
  w.LengthPrefixed(data);
  co_return co_await stream.Write(w.bytes());
}

AsyncSignal::AsyncSignal(const Executor& executor)
    : timer_(executor, asio::steady_timer::time_point::max()) {}

Task<void> AsyncSignal::Wait() {
  boost::system::error_code ec;
  co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

void AsyncSignal::Notify() {
  timer_.cancel();
}

Watchdog::Watchdog(const Executor& executor, Duration timeout, std::function<void()> on_expire)
    : timer_(std::make_shared<asio::steady_timer>(executor, timeout)),
      state_(std::make_shared<State>(State::kArmed)) {
  // The state, not the error code, decides: a Cancel() after the timer fired but before this
  // handler ran must still win.
  timer_->async_wait([state = state_, fn = std::move(on_expire)](const boost::system::error_code&) {
    if (*state != State::kArmed) return;
    *state = State::kFired;
    fn();
  });
}

Watchdog::~Watchdog() {
  try {
    Cancel();
  } catch (const boost::system::system_error&) {
    // Asio reports a timer it could not cancel by throwing. Cancel() has already marked the
    // state, so on_expire cannot run either way; the wait merely ends at its deadline.
  }
}

void Watchdog::Cancel() {
  if (*state_ == State::kArmed) *state_ = State::kCancelled;
  timer_->cancel();
}

}  // namespace tss::libp2p

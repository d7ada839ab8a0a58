#include "networking/libp2p/tcp_stream.h"

#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

namespace tss::libp2p {

Multiaddr EndpointToMultiaddr(const asio::ip::tcp::endpoint& endpoint) {
  auto addr = endpoint.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
    addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  }
  if (addr.is_v4()) {
    auto b = addr.to_v4().to_bytes();
    return Multiaddr::FromIpTcp(ByteSpan(b.data(), b.size()), endpoint.port());
  }
  auto b = addr.to_v6().to_bytes();
  return Multiaddr::FromIpTcp(ByteSpan(b.data(), b.size()), endpoint.port());
}

TcpStream::TcpStream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {
  boost::system::error_code ec;
  auto local = socket_.local_endpoint(ec);
  if (!ec) local_ = EndpointToMultiaddr(local);
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) remote_ = EndpointToMultiaddr(remote);
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

Task<Result<size_t>> TcpStream::ReadSome(std::span<uint8_t> out) {
  if (out.empty()) co_return size_t{0};
  if (begin_ == end_) {
    boost::system::error_code ec;
    if (out.size() >= kBufferSize) {
      size_t n = co_await socket_.async_read_some(asio::buffer(out.data(), out.size()),
                                                  asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::eof) co_return size_t{0};
      if (ec) co_return IoError("tcp read: " + ec.message());
      co_return n;
    }
    buffer_.resize(kBufferSize);  // allocated on first use only
    size_t n = co_await socket_.async_read_some(asio::buffer(buffer_),
                                                asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::eof) co_return size_t{0};
    if (ec) co_return IoError("tcp read: " + ec.message());
    begin_ = 0;
    end_ = n;
  }
  size_t n = std::min(out.size(), end_ - begin_);
  std::memcpy(out.data(), buffer_.data() + begin_, n);
  begin_ += n;
  co_return n;
}

Task<Status> TcpStream::Write(ByteSpan data) {
  boost::system::error_code ec;
  co_await asio::async_write(socket_, asio::buffer(data.data(), data.size()),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return IoError("tcp write: " + ec.message());
  co_return Status::Ok();
}

Task<Status> TcpStream::CloseWrite() {
  boost::system::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (ec) co_return IoError("tcp shutdown: " + ec.message());
  co_return Status::Ok();
}

void TcpStream::Reset() {
  boost::system::error_code ec;
  socket_.close(ec);
}

}  // namespace tss::libp2p

// networking/libp2p/tcp_stream.h — the TCP transport as a ByteStream.
//
// Owns: one connected socket with a small read buffer (so the byte-wise multistream and varint
// readers above it cost no system call per byte; large reads bypass the buffer), and its
// endpoints as multiaddrs. Must not touch: anything above the transport.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "networking/libp2p/io.h"
#include "networking/libp2p/multiaddr.h"

namespace tss::libp2p {

class TcpStream : public ByteStream {
 public:
  explicit TcpStream(asio::ip::tcp::socket socket);

  Task<Result<size_t>> ReadSome(std::span<uint8_t> out) override;
  Task<Status> Write(ByteSpan data) override;
  Task<Status> CloseWrite() override;
  void Reset() override;

  Multiaddr local_multiaddr() const { return local_; }
  Multiaddr remote_multiaddr() const { return remote_; }

 private:
  static constexpr size_t kBufferSize = 8 << 10;
  asio::ip::tcp::socket socket_;
  Bytes buffer_;
  size_t begin_ = 0, end_ = 0;
  Multiaddr local_, remote_;
};

Multiaddr EndpointToMultiaddr(const asio::ip::tcp::endpoint& endpoint);

}  // namespace tss::libp2p

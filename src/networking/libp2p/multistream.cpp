#include "networking/libp2p/multistream.h"

#include "networking/libp2p/multistream_codec.h"

namespace tss::libp2p {
namespace {

Task<Result<std::string>> ReadMessage(ByteStream& stream) {
  auto length = co_await ReadUvarint(stream);
  if (!length.ok()) co_return length.status();
  if (*length == 0 || *length > kMaxMultistreamMessage) {
    co_return InvalidArgument("multistream: message length out of range");
  }
  Bytes body(static_cast<size_t>(*length));
  Status s = co_await ReadExact(stream, body);
  if (!s.ok()) co_return s;
  co_return ParseMultistreamBody(body);
}

}  // namespace

Task<Status> MultistreamSelect(ByteStream& stream, std::string_view protocol) {
  Bytes out = EncodeMultistreamMessage(kMultistreamHeader);
  Bytes proposal = EncodeMultistreamMessage(protocol);
  out.insert(out.end(), proposal.begin(), proposal.end());
  Status s = co_await stream.Write(out);
  if (!s.ok()) co_return s;
  auto header = co_await ReadMessage(stream);
  if (!header.ok()) co_return header.status();
  if (*header != kMultistreamHeader) {
    co_return InvalidArgument("multistream: unexpected header '" + *header + "'");
  }
  auto answer = co_await ReadMessage(stream);
  if (!answer.ok()) co_return answer.status();
  if (*answer == protocol) co_return Status::Ok();
  if (*answer == kMultistreamNa) {
    co_return NotFound("peer does not support protocol " + std::string(protocol));
  }
  co_return InvalidArgument("multistream: unexpected answer '" + *answer + "'");
}

Task<Result<std::string>> MultistreamListen(ByteStream& stream,
                                            const std::function<bool(const std::string&)>& accept) {
  auto header = co_await ReadMessage(stream);
  if (!header.ok()) co_return header.status();
  if (*header != kMultistreamHeader) co_return InvalidArgument("multistream: bad header");
  Status s = co_await stream.Write(EncodeMultistreamMessage(kMultistreamHeader));
  if (!s.ok()) co_return s;
  for (int i = 0; i < kMaxMultistreamProposals; ++i) {
    auto proposal = co_await ReadMessage(stream);
    if (!proposal.ok()) co_return proposal.status();
    if (*proposal != kMultistreamNa && *proposal != kMultistreamLs && accept(*proposal)) {
      s = co_await stream.Write(EncodeMultistreamMessage(*proposal));
      if (!s.ok()) co_return s;
      co_return *proposal;
    }
    s = co_await stream.Write(EncodeMultistreamMessage(kMultistreamNa));
    if (!s.ok()) co_return s;
  }
  co_return InvalidArgument("multistream: too many refused proposals");
}

}  // namespace tss::libp2p

#include "networking/libp2p/multistream_codec.h"

#include "networking/libp2p/varint.h"

namespace tss::libp2p {

Bytes EncodeMultistreamMessage(std::string_view line) {
  ByteWriter w;
  w.UVarint(line.size() + 1);
  w.Raw(AsBytes(line));
  w.U8('\n');
  return w.Take();
}

Result<std::optional<std::string>> DecodeMultistreamMessage(ByteSpan in, size_t& consumed) {
  uint64_t length;
  size_t prefix;
  switch (DecodeUvarint(in, length, prefix)) {
    case VarintStatus::kNeedMore:
      return std::optional<std::string>();
    case VarintStatus::kInvalid:
      return InvalidArgument("multistream: bad length prefix");
    case VarintStatus::kOk:
      break;
  }
  if (length == 0 || length > kMaxMultistreamMessage) {
    return InvalidArgument("multistream: message length " + std::to_string(length) +
                           " out of range");
  }
  if (in.size() - prefix < length) return std::optional<std::string>();
  TSS_ASSIGN_OR_RETURN(std::string line,
                       ParseMultistreamBody(in.subspan(prefix, static_cast<size_t>(length))));
  consumed = prefix + static_cast<size_t>(length);
  return std::optional<std::string>(std::move(line));
}

Result<std::string> ParseMultistreamBody(ByteSpan body) {
  if (body.empty() || body.size() > kMaxMultistreamMessage) {
    return InvalidArgument("multistream: message length out of range");
  }
  if (body.back() != '\n') return InvalidArgument("multistream: message lacks its newline");
  return std::string(body.begin(), body.end() - 1);
}

}  // namespace tss::libp2p

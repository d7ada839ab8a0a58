#include "networking/libp2p/varint.h"

namespace tss::libp2p {

VarintStatus DecodeUvarint(ByteSpan in, uint64_t& value, size_t& length) {
  uint64_t v = 0;
  for (size_t i = 0; i < 9; ++i) {
    if (i >= in.size()) return VarintStatus::kNeedMore;
    uint8_t b = in[i];
    v |= uint64_t{b & 0x7fu} << (7 * i);
    if (!(b & 0x80)) {
      if (b == 0 && i > 0) return VarintStatus::kInvalid;  // not minimal
      value = v;
      length = i + 1;
      return VarintStatus::kOk;
    }
  }
  return VarintStatus::kInvalid;
}

Bytes EncodeUvarint(uint64_t value) {
  ByteWriter w;
  w.UVarint(value);
  return w.Take();
}

}  // namespace tss::libp2p

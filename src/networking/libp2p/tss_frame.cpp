#include "networking/libp2p/tss_frame.h"

#include "networking/libp2p/varint.h"

namespace tss::libp2p {
namespace {

// One uvarint field at `in[pos]`; advances `pos` on success. A field of value 0 where `min` is
// 1 is invalid.
TssDecode Field(ByteSpan in, size_t& pos, uint64_t& value, uint64_t min) {
  size_t length = 0;
  switch (DecodeUvarint(in.subspan(pos), value, length)) {
    case VarintStatus::kNeedMore:
      return TssDecode::kNeedMore;
    case VarintStatus::kInvalid:
      return TssDecode::kInvalid;
    case VarintStatus::kOk:
      break;
  }
  pos += length;
  return value < min ? TssDecode::kInvalid : TssDecode::kOk;
}

}  // namespace

Bytes EncodeTssHello(uint64_t epoch) {
  ByteWriter w;
  w.U64(epoch);
  return w.Take();
}

TssDecode DecodeTssHello(ByteSpan in, uint64_t& epoch) {
  ByteReader r(in);
  if (!r.U64(epoch)) return TssDecode::kNeedMore;
  return epoch == 0 ? TssDecode::kInvalid : TssDecode::kOk;
}

Bytes EncodeTssMessage(uint64_t seq, ByteSpan body) {
  ByteWriter w;
  w.UVarint(seq);
  w.LengthPrefixed(body);
  return w.Take();
}

TssDecode DecodeTssMessageHeader(ByteSpan in, TssMessageHeader& header, size_t& used) {
  size_t pos = 0;
  TssMessageHeader h;
  if (TssDecode d = Field(in, pos, h.seq, 1); d != TssDecode::kOk) return d;
  if (TssDecode d = Field(in, pos, h.length, 0); d != TssDecode::kOk) return d;
  header = h;
  used = pos;
  return TssDecode::kOk;
}

Bytes EncodeTssReply(const TssReply& reply) {
  ByteWriter w;
  w.U8(static_cast<uint8_t>(reply.type));
  w.UVarint(reply.seq);
  if (reply.type == TssReplyType::kRefused) w.UVarint(reply.limit);
  return w.Take();
}

TssDecode DecodeTssReply(ByteSpan in, TssReply& reply, size_t& used) {
  if (in.empty()) return TssDecode::kNeedMore;
  if (in[0] > static_cast<uint8_t>(TssReplyType::kRefused)) return TssDecode::kInvalid;
  TssReply r;
  r.type = static_cast<TssReplyType>(in[0]);
  size_t pos = 1;
  if (TssDecode d = Field(in, pos, r.seq, 1); d != TssDecode::kOk) return d;
  if (r.type == TssReplyType::kRefused) {
    if (TssDecode d = Field(in, pos, r.limit, 0); d != TssDecode::kOk) return d;
  }
  reply = r;
  used = pos;
  return TssDecode::kOk;
}

}  // namespace tss::libp2p

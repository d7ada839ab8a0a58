#include "networking/libp2p/protobuf.h"

namespace tss::libp2p::pb {

void Writer::Varint(uint32_t field, uint64_t value) {
  Tag(field, kVarint);
  w_.UVarint(value);
}

void Writer::Bytes(uint32_t field, ByteSpan value) {
  Tag(field, kLengthDelimited);
  w_.LengthPrefixed(value);
}

// Protobuf varints may be up to 10 bytes and need not be minimal.
bool Reader::ReadVarint(uint64_t& v) {
  v = 0;
  for (int i = 0; i < 10; ++i) {
    if (pos_ >= data_.size()) return Fail();
    uint8_t b = data_[pos_++];
    if (i == 9 && b > 1) return Fail();  // more than 64 bits
    v |= uint64_t{b & 0x7fu} << (7 * i);
    if (!(b & 0x80)) return true;
  }
  return Fail();
}

bool Reader::Next() {
  if (!ok_ || pos_ == data_.size()) return false;
  uint64_t tag;
  if (!ReadVarint(tag)) return false;
  if (tag >> 3 == 0 || tag >> 3 > 0x1fffffff) return Fail();
  field_ = static_cast<uint32_t>(tag >> 3);
  switch (tag & 7) {
    case kVarint:
      type_ = kVarint;
      return ReadVarint(varint_);
    case kFixed64:
    case kFixed32: {
      size_t n = (tag & 7) == kFixed64 ? 8 : 4;
      if (data_.size() - pos_ < n) return Fail();
      type_ = static_cast<WireType>(tag & 7);
      bytes_ = data_.subspan(pos_, n);
      pos_ += n;
      return true;
    }
    case kLengthDelimited: {
      uint64_t len;
      if (!ReadVarint(len)) return false;
      if (len > data_.size() - pos_) return Fail();
      type_ = kLengthDelimited;
      bytes_ = data_.subspan(pos_, static_cast<size_t>(len));
      pos_ += static_cast<size_t>(len);
      return true;
    }
    default:
      return Fail();
  }
}

bool Reader::GetVarint(uint64_t& value) {
  if (!ok_ || type_ != kVarint) return Fail();
  value = varint_;
  return true;
}

bool Reader::GetBytes(ByteSpan& value) {
  if (!ok_ || type_ != kLengthDelimited) return Fail();
  value = bytes_;
  return true;
}

}  // namespace tss::libp2p::pb

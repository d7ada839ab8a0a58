// common/bytes.h — byte strings, hex, and a bounds-checked reader/writer for wire encodings.
//
// Owns: Bytes, hex conversion, ByteWriter/ByteReader (big-endian fixed ints, uvarints and
// length-prefixed fields, every read bounds-checked). Must not touch: crypto, I/O.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tss {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

std::string ToHex(ByteSpan data);
// Accepts an optional "0x" prefix; refuses odd lengths and non-hex characters.
Result<Bytes> FromHex(std::string_view hex);

// Big-endian 64-bit words at `p` (8 bytes; no alignment needed). Inline: the scalar and
// OT-extension hot loops use them per limb.
inline uint64_t LoadBe64(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return __builtin_bswap64(w);
}
inline void StoreBe64(uint8_t* p, uint64_t w) {
  w = __builtin_bswap64(w);
  std::memcpy(p, &w, 8);
}

inline ByteSpan AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Appends fields to a byte string.
class ByteWriter {
 public:
  void U8(uint8_t v) { out_.push_back(v); }
  void U16(uint16_t v);
  void U32(uint32_t v);
  void U64(uint64_t v);
  void UVarint(uint64_t v);
  void Raw(ByteSpan data) { out_.insert(out_.end(), data.begin(), data.end()); }
  // A uvarint length followed by the data.
  void LengthPrefixed(ByteSpan data) {
    UVarint(data.size());
    Raw(data);
  }
  Bytes& bytes() { return out_; }
  Bytes Take() { return std::move(out_); }

 private:
  Bytes out_;
};

// Reads fields from untrusted bytes. Every method fails cleanly (never reads past the end);
// the first failure is sticky so a decoder can check once at the end or after each field.
class ByteReader {
 public:
  explicit ByteReader(ByteSpan data) : data_(data) {}
  bool U8(uint8_t& v);
  bool U16(uint16_t& v);
  bool U32(uint32_t& v);
  bool U64(uint64_t& v);
  // Minimal-encoding uvarint of at most 9 bytes (the libp2p / multiformats rule).
  bool UVarint(uint64_t& v);
  bool Raw(size_t n, ByteSpan& out);
  bool Raw(size_t n, uint8_t* out);
  // uvarint length (at most max_len) then that many bytes.
  bool LengthPrefixed(ByteSpan& out, size_t max_len);
  size_t remaining() const { return data_.size() - pos_; }
  bool done() const { return ok_ && pos_ == data_.size(); }
  bool ok() const { return ok_; }

 private:
  bool Fail() {
    ok_ = false;
    return false;
  }
  ByteSpan data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace tss

#include "common/bytes.h"

namespace tss {

std::string ToHex(ByteSpan data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (uint8_t b : data) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

static int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<Bytes> FromHex(std::string_view hex) {
  if (hex.starts_with("0x") || hex.starts_with("0X")) hex.remove_prefix(2);
  if (hex.size() % 2 != 0) return InvalidArgument("hex string has an odd number of digits");
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgument("hex string has a non-hex character");
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

void ByteWriter::U16(uint16_t v) {
  U8(v >> 8);
  U8(v & 0xff);
}
void ByteWriter::U32(uint32_t v) {
  U16(v >> 16);
  U16(v & 0xffff);
}
void ByteWriter::U64(uint64_t v) {
  U32(v >> 32);
  U32(v & 0xffffffff);
}
void ByteWriter::UVarint(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<uint8_t>(v));
}

bool ByteReader::U8(uint8_t& v) {
  if (!ok_ || remaining() < 1) return Fail();
  v = data_[pos_++];
  return true;
}
bool ByteReader::U16(uint16_t& v) {
  uint8_t a, b;
  if (!U8(a) || !U8(b)) return false;
  v = static_cast<uint16_t>(a << 8 | b);
  return true;
}
bool ByteReader::U32(uint32_t& v) {
  uint16_t a, b;
  if (!U16(a) || !U16(b)) return false;
  v = uint32_t{a} << 16 | b;
  return true;
}
bool ByteReader::U64(uint64_t& v) {
  uint32_t a, b;
  if (!U32(a) || !U32(b)) return false;
  v = uint64_t{a} << 32 | b;
  return true;
}
bool ByteReader::UVarint(uint64_t& v) {
  v = 0;
  for (int i = 0; i < 9; ++i) {
    uint8_t b;
    if (!U8(b)) return false;
    v |= uint64_t{b & 0x7fu} << (7 * i);
    if (!(b & 0x80)) {
      if (b == 0 && i > 0) return Fail();  // not minimal
      return true;
    }
  }
  return Fail();
}
bool ByteReader::Raw(size_t n, ByteSpan& out) {
  if (!ok_ || remaining() < n) return Fail();
  out = data_.subspan(pos_, n);
  pos_ += n;
  return true;
}
bool ByteReader::Raw(size_t n, uint8_t* out) {
  ByteSpan s;
  if (!Raw(n, s)) return false;
  std::copy(s.begin(), s.end(), out);
  return true;
}
bool ByteReader::LengthPrefixed(ByteSpan& out, size_t max_len) {
  uint64_t len;
  if (!UVarint(len)) return false;
  if (len > max_len) return Fail();
  return Raw(static_cast<size_t>(len), out);
}

}  // namespace tss

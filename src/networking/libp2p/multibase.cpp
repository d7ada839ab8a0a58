#include "networking/libp2p/multibase.h"

#include <algorithm>

namespace tss::libp2p {
namespace {

constexpr char kBase58Alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr char kBase32Alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

int Base58Value(char c) {
  const char* p = std::find(kBase58Alphabet, kBase58Alphabet + 58, c);
  return p == kBase58Alphabet + 58 ? -1 : static_cast<int>(p - kBase58Alphabet);
}

}  // namespace

std::string Base58Encode(ByteSpan data) {
  size_t zeros = 0;
  while (zeros < data.size() && data[zeros] == 0) ++zeros;
  // Base-58 digits, least significant first; repeated multiply-add over the input bytes.
  std::vector<uint8_t> digits;
  digits.reserve(data.size() * 138 / 100 + 1);
  for (size_t i = zeros; i < data.size(); ++i) {
    uint32_t carry = data[i];
    for (auto& d : digits) {
      carry += uint32_t{d} << 8;
      d = static_cast<uint8_t>(carry % 58);
      carry /= 58;
    }
    while (carry > 0) {
      digits.push_back(static_cast<uint8_t>(carry % 58));
      carry /= 58;
    }
  }
  std::string out(zeros, '1');
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(kBase58Alphabet[*it]);
  return out;
}

Result<Bytes> Base58Decode(std::string_view text) {
  if (text.size() > kMaxEncodedText) return InvalidArgument("base58 text is too long");
  size_t ones = 0;
  while (ones < text.size() && text[ones] == '1') ++ones;
  std::vector<uint8_t> bytes;  // least significant first
  for (size_t i = ones; i < text.size(); ++i) {
    int v = Base58Value(text[i]);
    if (v < 0) return InvalidArgument("invalid base58 character");
    uint32_t carry = static_cast<uint32_t>(v);
    for (auto& b : bytes) {
      carry += uint32_t{b} * 58;
      b = static_cast<uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push_back(static_cast<uint8_t>(carry & 0xff));
      carry >>= 8;
    }
  }
  Bytes out(ones, 0);
  out.insert(out.end(), bytes.rbegin(), bytes.rend());
  return out;
}

std::string Base32Encode(ByteSpan data) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t b : data) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32Alphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

Result<Bytes> Base32Decode(std::string_view text) {
  if (text.size() > kMaxEncodedText) return InvalidArgument("base32 text is too long");
  Bytes out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'a' && c <= 'z') {
      v = c - 'a';
    } else if (c >= '2' && c <= '7') {
      v = c - '2' + 26;
    } else {
      return InvalidArgument("invalid base32 character");
    }
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<uint8_t>(buffer >> (bits - 8)));
      bits -= 8;
    }
  }
  // Leftover bits must be padding zeros, and fewer than a whole symbol's worth.
  if (bits >= 5 || (buffer & ((1u << bits) - 1)) != 0) {
    return InvalidArgument("base32 text has trailing bits");
  }
  return out;
}

}  // namespace tss::libp2p

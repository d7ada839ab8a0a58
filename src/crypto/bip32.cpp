#include "crypto/bip32.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "crypto/hash.h"

namespace tss::crypto::bip32 {

namespace {

constexpr std::array<uint8_t, 4> kXpubVersion = {0x04, 0x88, 0xB2, 0x1E};
constexpr size_t kSerializedSize = 78;  // version, depth, parent, child, chain code, key
constexpr std::string_view kAlphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

void PutU32(uint8_t* out, uint32_t v) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}

uint32_t GetU32(const uint8_t* in) {
  return (static_cast<uint32_t>(in[0]) << 24) | (static_cast<uint32_t>(in[1]) << 16) |
         (static_cast<uint32_t>(in[2]) << 8) | static_cast<uint32_t>(in[3]);
}

std::array<uint8_t, 4> Checksum(std::span<const uint8_t> payload) {
  const Digest once = Sha256(payload);
  const Digest twice = Sha256(once);
  return {twice[0], twice[1], twice[2], twice[3]};
}

// Whether `step` is a decimal index without sign or leading zero, below 2^31.
Result<uint32_t> ParseIndex(std::string_view step) {
  if (step.empty()) return InvalidArgument("empty step in chain path");
  const char last = step.back();
  if (last == '\'' || last == 'h' || last == 'H')
    return InvalidArgument("hardened step '" + std::string(step) +
                           "' in chain path: a threshold key has no private key to derive it "
                           "from; only non-hardened steps can be signed for");
  if (step.size() > 1 && step.front() == '0')
    return InvalidArgument("step '" + std::string(step) + "' has a leading zero");
  uint64_t value = 0;
  for (const char c : step) {
    if (c < '0' || c > '9')
      return InvalidArgument("step '" + std::string(step) + "' is not a decimal index");
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value >= kHardenedBit)
      return InvalidArgument("step '" + std::string(step) +
                             "' is 2^31 or more, the hardened range: only non-hardened steps "
                             "can be signed for");
  }
  return static_cast<uint32_t>(value);
}

}  // namespace

Result<std::vector<uint32_t>> ParsePath(std::string_view path) {
  if (path.empty() || path.front() != 'm')
    return InvalidArgument("chain path must start with 'm' (e.g. m/0/7)");
  std::vector<uint32_t> indices;
  std::string_view rest = path.substr(1);
  while (!rest.empty()) {
    if (rest.front() != '/') return InvalidArgument("chain path steps must be separated by '/'");
    rest.remove_prefix(1);
    const size_t end = std::min(rest.find('/'), rest.size());
    auto index = ParseIndex(rest.substr(0, end));
    if (!index.ok()) return index.status();
    if (indices.size() == kMaxDepth)
      return InvalidArgument("chain path is deeper than " + std::to_string(kMaxDepth) + " steps");
    indices.push_back(*index);
    rest.remove_prefix(end);
  }
  return indices;
}

std::string FormatPath(std::span<const uint32_t> path) {
  std::string out = "m";
  for (const uint32_t index : path) out += "/" + std::to_string(index);
  return out;
}

KeyFingerprint FingerprintOf(const Point& key) {
  const auto compressed = key.ToBytes();
  const Digest sha = Sha256(compressed);
  std::array<uint8_t, 20> ripemd{};
  unsigned int size = 0;
  // RIPEMD-160 is in OpenSSL 3's default provider again since 3.0.7 (Debian 12 ships 3.0.x
  // later than that); a failure here is a broken installation, not an input error.
  if (EVP_Digest(sha.data(), sha.size(), ripemd.data(), &size, EVP_ripemd160(), nullptr) != 1 ||
      size != ripemd.size())
    std::abort();
  return {ripemd[0], ripemd[1], ripemd[2], ripemd[3]};
}

Result<ChildStep> DeriveChild(const ExtendedPublicKey& parent, uint32_t index) {
  if ((index & kHardenedBit) != 0)
    return InvalidArgument("hardened index " + std::to_string(index & ~kHardenedBit) +
                           "' cannot be derived from a public key");
  if (parent.depth == kMaxDepth) return InvalidArgument("BIP32 depth limit (255) reached");
  if (parent.key.IsInfinity()) return InvalidArgument("parent key is the point at infinity");

  // I = HMAC-SHA512(key = chain code, data = serP(K) || ser32(i))
  std::array<uint8_t, 37> data{};
  const auto compressed = parent.key.ToBytes();
  std::copy(compressed.begin(), compressed.end(), data.begin());
  PutU32(data.data() + 33, index);
  std::array<uint8_t, 64> mac{};
  unsigned int mac_size = 0;
  if (HMAC(EVP_sha512(), parent.chain_code.data(), static_cast<int>(parent.chain_code.size()),
           data.data(), data.size(), mac.data(), &mac_size) == nullptr ||
      mac_size != mac.size())
    std::abort();  // allocation failure only

  auto tweak = Scalar::FromBytes(std::span<const uint8_t>(mac.data(), 32));
  if (!tweak.ok())
    return InvalidArgument("index " + std::to_string(index) +
                           " gives no valid child (IL >= n); use the next index");
  ChildStep step;
  step.tweak = *tweak;
  step.child.key = Point::BaseMul(step.tweak) + parent.key;
  if (step.child.key.IsInfinity())
    return InvalidArgument("index " + std::to_string(index) +
                           " gives the point at infinity; use the next index");
  std::copy(mac.begin() + 32, mac.end(), step.child.chain_code.begin());
  step.child.depth = static_cast<uint8_t>(parent.depth + 1);
  step.child.parent_fingerprint = FingerprintOf(parent.key);
  step.child.child_number = index;
  return step;
}

Result<Derivation> Derive(const ExtendedPublicKey& root, std::span<const uint32_t> path) {
  Derivation out{root, Scalar::Zero()};
  for (const uint32_t index : path) {
    auto step = DeriveChild(out.child, index);
    if (!step.ok()) return step.status();
    out.child = step->child;
    out.tweak += step->tweak;
  }
  return out;
}

std::string EncodeBase58Check(std::span<const uint8_t> payload) {
  std::vector<uint8_t> bytes(payload.begin(), payload.end());
  const auto check = Checksum(payload);
  bytes.insert(bytes.end(), check.begin(), check.end());

  // Repeated division of the big-endian number by 58; digits come out least significant first.
  std::string digits;
  std::vector<uint8_t> number(bytes.begin(), bytes.end());
  size_t start = 0;
  while (start < number.size() && number[start] == 0) ++start;
  while (start < number.size()) {
    uint32_t remainder = 0;
    for (size_t i = start; i < number.size(); ++i) {
      const uint32_t acc = (remainder << 8) | number[i];
      number[i] = static_cast<uint8_t>(acc / 58);
      remainder = acc % 58;
    }
    digits.push_back(kAlphabet[remainder]);
    while (start < number.size() && number[start] == 0) ++start;
  }
  // Each leading zero byte is written as a leading '1'.
  for (size_t i = 0; i < bytes.size() && bytes[i] == 0; ++i) digits.push_back('1');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

Result<std::vector<uint8_t>> DecodeBase58Check(std::string_view text, size_t max_bytes) {
  // A Base58 digit carries log2(58) < 6 bits: more than 2 characters per byte (plus the
  // checksum) can only be too long, so refuse before doing quadratic work on it.
  if (text.size() > 2 * (max_bytes + 4)) return InvalidArgument("Base58 text is too long");
  std::vector<uint8_t> number;  // big-endian, without leading zero bytes
  size_t leading_ones = 0;
  bool seen_other = false;
  for (const char c : text) {
    const size_t digit = kAlphabet.find(c);
    if (digit == std::string_view::npos)
      return InvalidArgument("character outside the Base58 alphabet");
    if (digit == 0 && !seen_other) {
      ++leading_ones;
      continue;
    }
    seen_other = true;
    uint32_t carry = static_cast<uint32_t>(digit);
    for (auto it = number.rbegin(); it != number.rend(); ++it) {
      carry += static_cast<uint32_t>(*it) * 58;
      *it = static_cast<uint8_t>(carry);
      carry >>= 8;
    }
    while (carry != 0) {
      number.insert(number.begin(), static_cast<uint8_t>(carry));
      carry >>= 8;
    }
    if (leading_ones + number.size() > max_bytes + 4)
      return InvalidArgument("Base58 text is too long");
  }
  std::vector<uint8_t> bytes(leading_ones, 0);
  bytes.insert(bytes.end(), number.begin(), number.end());
  if (bytes.size() < 4) return InvalidArgument("Base58Check text has no checksum");
  const std::span<const uint8_t> payload(bytes.data(), bytes.size() - 4);
  const auto check = Checksum(payload);
  if (!std::equal(check.begin(), check.end(), bytes.end() - 4))
    return InvalidArgument("Base58Check checksum does not match");
  bytes.resize(bytes.size() - 4);
  return bytes;
}

std::string EncodeXpub(const ExtendedPublicKey& key) {
  std::array<uint8_t, kSerializedSize> out{};
  std::copy(kXpubVersion.begin(), kXpubVersion.end(), out.begin());
  out[4] = key.depth;
  std::copy(key.parent_fingerprint.begin(), key.parent_fingerprint.end(), out.begin() + 5);
  PutU32(out.data() + 9, key.child_number);
  std::copy(key.chain_code.begin(), key.chain_code.end(), out.begin() + 13);
  const auto compressed = key.key.ToBytes();
  std::copy(compressed.begin(), compressed.end(), out.begin() + 45);
  return EncodeBase58Check(out);
}

Result<ExtendedPublicKey> DecodeXpub(std::string_view text) {
  auto bytes = DecodeBase58Check(text, kSerializedSize);
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() != kSerializedSize)
    return InvalidArgument("extended public key must be 78 bytes, got " +
                           std::to_string(bytes->size()));
  if (!std::equal(kXpubVersion.begin(), kXpubVersion.end(), bytes->begin()))
    return InvalidArgument("not a mainnet extended public key (version is not xpub)");
  ExtendedPublicKey key;
  key.depth = (*bytes)[4];
  std::copy(bytes->begin() + 5, bytes->begin() + 9, key.parent_fingerprint.begin());
  key.child_number = GetU32(bytes->data() + 9);
  std::copy(bytes->begin() + 13, bytes->begin() + 45, key.chain_code.begin());
  if ((*bytes)[45] != 0x02 && (*bytes)[45] != 0x03)
    return InvalidArgument("extended public key holds no compressed public key");
  auto point = Point::FromBytes(std::span<const uint8_t>(bytes->data() + 45, 33));
  if (!point.ok()) return point.status();
  key.key = *point;
  if (key.depth == 0 && (key.child_number != 0 ||
                         std::any_of(key.parent_fingerprint.begin(), key.parent_fingerprint.end(),
                                     [](uint8_t b) { return b != 0; })))
    return InvalidArgument("a depth-0 key must have no parent fingerprint or child number");
  return key;
}

}  // namespace tss::crypto::bip32

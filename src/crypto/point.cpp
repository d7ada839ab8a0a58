#include "crypto/point.h"

#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <sodium.h>

#include <cstdlib>
#include <cstring>

#include "crypto/ctime.h"
#include "crypto/rng.h"

namespace tss::crypto {

const secp256k1_context* Secp256k1Context() {
  static secp256k1_context* ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    // Blinding for the generator multiplication, against side channels.
    uint8_t seed[32];
    SystemRandom().Fill(seed);
    if (!secp256k1_context_randomize(c, seed)) std::abort();
    sodium_memzero(seed, sizeof seed);
    return c;
  }();
  return ctx;
}

const Point& Point::Generator() {
  static const Point g = BaseMul(Scalar::One());
  return g;
}

Point Point::BaseMul(const Scalar& k) {
  Point p;
  // Whether a secret is zero is public (it never is, but for a broken caller).
  if (Declassified(k.IsZero())) return p;
  uint8_t buf[32];
  k.ToBytes(buf);
  // Cannot fail: buf is a canonical non-zero scalar.
  if (!Declassified(secp256k1_ec_pubkey_create(Secp256k1Context(), &p.key_, buf))) std::abort();
  sodium_memzero(buf, sizeof buf);
  p.infinity_ = false;
  return p;
}

Result<Point> Point::FromBytes(std::span<const uint8_t> bytes) {
  if (bytes.size() == 1 && bytes[0] == 0)
    return InvalidArgument("point encoding is the point at infinity");
  if (bytes.size() != kCompressedSize && bytes.size() != kUncompressedSize)
    return InvalidArgument(
        "point encoding must be 33 (compressed) or 65 (uncompressed) bytes, got " +
        std::to_string(bytes.size()));
  uint8_t prefix = bytes[0];
  if (bytes.size() == kCompressedSize && prefix != 0x02 && prefix != 0x03)
    return InvalidArgument("compressed point encoding must start with 0x02 or 0x03");
  if (bytes.size() == kUncompressedSize && prefix != 0x04)
    return InvalidArgument("uncompressed point encoding must start with 0x04");
  Point p;
  if (!secp256k1_ec_pubkey_parse(Secp256k1Context(), &p.key_, bytes.data(), bytes.size()))
    return InvalidArgument(
        "point encoding is not a point on secp256k1 (x not on the curve or >= p)");
  p.infinity_ = false;
  return p;
}

std::array<uint8_t, 33> Point::ToBytes() const {
  if (infinity_) std::abort();
  std::array<uint8_t, 33> out;
  size_t len = out.size();
  secp256k1_ec_pubkey_serialize(Secp256k1Context(), out.data(), &len, &key_,
                                SECP256K1_EC_COMPRESSED);
  return out;
}

std::array<uint8_t, 65> Point::ToUncompressedBytes() const {
  if (infinity_) std::abort();
  std::array<uint8_t, 65> out;
  size_t len = out.size();
  secp256k1_ec_pubkey_serialize(Secp256k1Context(), out.data(), &len, &key_,
                                SECP256K1_EC_UNCOMPRESSED);
  return out;
}

std::array<uint8_t, 32> Point::X() const {
  auto c = ToBytes();
  std::array<uint8_t, 32> x;
  std::memcpy(x.data(), c.data() + 1, 32);
  return x;
}

bool Point::YIsOdd() const {
  return ToBytes()[0] == 0x03;
}

Point Point::operator+(const Point& o) const {
  if (infinity_) return o;
  if (o.infinity_) return *this;
  const secp256k1_pubkey* ins[2] = {&key_, &o.key_};
  Point r;
  // combine fails exactly when the sum is the point at infinity (P + (-P)).
  r.infinity_ = !secp256k1_ec_pubkey_combine(Secp256k1Context(), &r.key_, ins, 2);
  return r;
}

Point Point::operator-() const {
  Point r = *this;
  if (!infinity_ && !secp256k1_ec_pubkey_negate(Secp256k1Context(), &r.key_)) std::abort();
  return r;
}

Point Point::operator*(const Scalar& k) const {
  if (infinity_ || Declassified(k.IsZero())) return Point();
  uint8_t buf[32];
  k.ToBytes(buf);
  Point r = *this;
  // Cannot fail for a canonical non-zero tweak on a valid point (the group has prime order).
  if (!Declassified(secp256k1_ec_pubkey_tweak_mul(Secp256k1Context(), &r.key_, buf))) std::abort();
  sodium_memzero(buf, sizeof buf);
  return r;
}

namespace {

// secp256k1_ecdh's "hash": keeps the coordinates (x ‖ y) instead of hashing them.
int CopyCoordinates(unsigned char* out, const unsigned char* x32, const unsigned char* y32, void*) {
  std::memcpy(out, x32, 32);
  std::memcpy(out + 32, y32, 32);
  return 1;
}

}  // namespace

std::array<uint8_t, 64> Point::SecretMulCoordinates(const Scalar& k) const {
  if (infinity_) std::abort();
  uint8_t buf[32];
  k.ToBytes(buf);
  std::array<uint8_t, 64> xy;
  // Fails only for k = 0 (never for a caller that keeps the contract): whether it did is public.
  const int ok =
      secp256k1_ecdh(Secp256k1Context(), xy.data(), &key_, buf, CopyCoordinates, nullptr);
  sodium_memzero(buf, sizeof buf);
  if (!Declassified(ok)) std::abort();
  return xy;
}

Point Point::SecretMul(const Scalar& k) const {
  if (infinity_ || Declassified(k.IsZero())) return Point();
  std::array<uint8_t, 65> encoding;
  encoding[0] = 0x04;
  std::array<uint8_t, 64> xy = SecretMulCoordinates(k);
  std::memcpy(encoding.data() + 1, xy.data(), xy.size());
  sodium_memzero(xy.data(), xy.size());
  Point r;
  // A point ECDH just computed always parses.
  if (!secp256k1_ec_pubkey_parse(Secp256k1Context(), &r.key_, encoding.data(), encoding.size()))
    std::abort();
  sodium_memzero(encoding.data(), encoding.size());
  r.infinity_ = false;
  return r;
}

std::array<uint8_t, 33> Point::SecretMulToBytes(const Scalar& k) const {
  std::array<uint8_t, 64> xy = SecretMulCoordinates(k);
  std::array<uint8_t, 33> out;
  out[0] = static_cast<uint8_t>(0x02 | (xy[63] & 1));  // no branch on the parity of y
  std::memcpy(out.data() + 1, xy.data(), 32);
  sodium_memzero(xy.data(), xy.size());
  return out;
}

bool Point::operator==(const Point& o) const {
  if (infinity_ || o.infinity_) return infinity_ == o.infinity_;
  return secp256k1_ec_pubkey_cmp(Secp256k1Context(), &key_, &o.key_) == 0;
}

Point Point::Sum(std::span<const Point> points) {
  std::vector<const secp256k1_pubkey*> ins;
  ins.reserve(points.size());
  for (const auto& p : points)
    if (!p.infinity_) ins.push_back(&p.key_);
  Point r;
  if (ins.empty()) return r;
  // combine adds in Jacobian coordinates and fails only when the final sum is infinity.
  r.infinity_ = !secp256k1_ec_pubkey_combine(Secp256k1Context(), &r.key_, ins.data(), ins.size());
  return r;
}

}  // namespace tss::crypto

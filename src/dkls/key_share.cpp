#include "dkls/key_share.h"

#include <algorithm>
#include <cstring>

#include "dkls/message.h"
#include "dkls/sharing.h"

namespace tss::dkls {

using crypto::Point;
using crypto::Scalar;
namespace ot = crypto::ot;

namespace {

// Version 1: no pair state (every pair usable). Version 2: a state byte per pair, and a burned
// pair carries no OT material. Version 3: the chain code (state byte and 32 bytes) at the end.
constexpr uint8_t kKeyShareVersion1 = 1;
constexpr uint8_t kKeyShareVersion2 = 2;
constexpr uint8_t kKeyShareVersion = 3;
constexpr uint8_t kPairUsable = 0;
constexpr uint8_t kPairBurned = 1;
constexpr uint8_t kNoChainCode = 0;
constexpr uint8_t kChainCodePresent = 1;
constexpr size_t kHeaderSize = 1 + 2 + 2 + 2 + 4 + 32 + 33;
constexpr size_t kOtMaterialSize =
    ot::OteSenderSetup::kEncodedSize + ot::OteReceiverSetup::kEncodedSize;

size_t EncodedSize(uint8_t version, size_t n, size_t burned) {
  const size_t state = version == kKeyShareVersion1 ? 0 : 1;
  const size_t chain_code = version == kKeyShareVersion ? 1 + 32 : 0;
  return kHeaderSize + n * 33 + 32 + (n - 1) * (2 + state + 32) +
         (n - 1 - burned) * kOtMaterialSize + chain_code;
}

// Fills a pre-sized secret buffer front to back, so no growing container leaves copies behind.
class SecretWriter {
 public:
  explicit SecretWriter(SecureBytes& out) : out_(out) {}
  void Raw(ByteSpan b) {
    std::memcpy(out_.data() + pos_, b.data(), b.size());
    pos_ += b.size();
  }
  void U16(uint16_t v) {
    const uint8_t b[2] = {uint8_t(v >> 8), uint8_t(v)};
    Raw(b);
  }
  void U32(uint32_t v) {
    const uint8_t b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
    Raw(b);
  }
  // Secret encodings arrive in plain Bytes: copy, then wipe the temporary.
  void Secret(Bytes&& b) {
    Raw(b);
    Wipe(b.data(), b.size());
  }
  size_t pos() const { return pos_; }

 private:
  SecureBytes& out_;
  size_t pos_ = 0;
};

// The fields KeyShare and PublicSharing have in common, from one to the other.
template <typename From, typename To>
void CopyPublicFields(const From& from, To& to) {
  to.key_id = from.key_id;
  to.generation = from.generation;
  to.n = from.n;
  to.t = from.t;
  to.public_key = from.public_key;
  to.public_shares = from.public_shares;
  to.chain_code = from.chain_code;
}

}  // namespace

crypto::Digest DeriveKeyId(const Point& public_key, ByteSpan keygen_session_id) {
  crypto::Sha256Hasher h;
  h.Update("tss/dkls/key-id/v1");
  const auto pk = public_key.ToBytes();
  h.Update(pk);
  h.Update(keygen_session_id);
  return h.Final();
}

PeerMaterial PeerMaterial::Clone() const {
  PeerMaterial p;
  p.index = index;
  p.zero_seed = zero_seed;
  p.ot_send = ot_send.Clone();
  p.ot_recv = ot_recv.Clone();
  p.burned = burned;
  return p;
}

KeyShare KeyShare::Clone() const {
  KeyShare k;
  CopyPublicFields(*this, k);
  k.index = index;
  k.secret_share = secret_share;
  k.peers.reserve(peers.size());
  for (const auto& p : peers) k.peers.push_back(p.Clone());
  return k;
}

const PeerMaterial* KeyShare::Peer(uint16_t j) const {
  auto it = std::lower_bound(peers.begin(), peers.end(), j,
                             [](const PeerMaterial& p, uint16_t v) { return p.index < v; });
  return it != peers.end() && it->index == j ? &*it : nullptr;
}

Status KeyShare::Burn(uint16_t j) {
  auto it = std::lower_bound(peers.begin(), peers.end(), j,
                             [](const PeerMaterial& p, uint16_t v) { return p.index < v; });
  if (it == peers.end() || it->index != j)
    return NotFound("key share: party " + std::to_string(j) + " is not a peer of party " +
                    std::to_string(index));
  it->burned = true;
  // Assigning empty setups overwrites the secret arrays in place (Δ, seeds): nothing is left.
  it->ot_send = ot::OteSenderSetup();
  it->ot_recv = ot::OteReceiverSetup();
  return Status::Ok();
}

std::vector<uint16_t> KeyShare::BurnedPeers() const {
  std::vector<uint16_t> out;
  for (const PeerMaterial& p : peers)
    if (p.burned) out.push_back(p.index);
  return out;
}

PublicSharing KeyShare::Public() const {
  PublicSharing out;
  CopyPublicFields(*this, out);
  return out;
}

// Local state (burned pairs) stays out: it is ours alone, and peers compare this digest.
crypto::Digest KeyShare::Fingerprint() const {
  return Public().Fingerprint();
}

crypto::Digest PublicSharing::Fingerprint() const {
  crypto::Transcript tr("tss/dkls/key-fingerprint/v1");
  tr.Append("key id", key_id);
  tr.Append("generation", generation);
  tr.Append("n", n);
  tr.Append("t", t);
  tr.Append("public key", public_key);
  for (const Point& x : public_shares) tr.Append("X", x);
  if (chain_code) tr.Append("chain code", *chain_code);
  crypto::Digest d;
  tr.ChallengeBytes("fingerprint", d);
  return d;
}

Status PublicSharing::Validate() const {
  if (t < 2 || t > n || n > kMaxParties)
    return InvalidArgument("needs 2 <= t <= n <= 255, has t=" + std::to_string(t) +
                           " n=" + std::to_string(n));
  if (public_shares.size() != n) return InvalidArgument("wrong number of public shares");
  if (public_key.IsInfinity()) return InvalidArgument("public key is infinity");
  for (const Point& x : public_shares)
    if (x.IsInfinity()) return InvalidArgument("a public share is infinity");
  // Any t public shares must interpolate to the same polynomial: check the public key and every
  // share beyond the first t against the interpolation of the first t.
  std::span<const Point> first(public_shares.data(), t);
  if (InterpolatePublic(first, 0) != public_key)
    return InvalidArgument("public shares do not interpolate to the public key");
  for (uint16_t j = t + 1; j <= n; ++j)
    if (InterpolatePublic(first, j) != public_shares[j - 1])
      return InvalidArgument("public shares do not lie on one degree t-1 polynomial");
  return Status::Ok();
}

Result<crypto::bip32::ExtendedPublicKey> KeyShare::ExtendedKey() const {
  if (!chain_code)
    return InvalidArgument(
        "key share: key " + KeyIdHex() +
        " has no BIP32 chain code (it was made before keygen produced one): it can sign only "
        "under its root key, with no chain path; make a new key to derive children");
  crypto::bip32::ExtendedPublicKey root;
  root.chain_code = *chain_code;
  root.key = public_key;
  return root;
}

Result<crypto::bip32::Derivation> KeyShare::Derive(std::span<const uint32_t> path) const {
  TSS_ASSIGN_OR_RETURN(auto root, ExtendedKey());
  return crypto::bip32::Derive(root, path);
}

Status KeyShare::Validate() const {
  if (Status s = Public().Validate(); !s.ok()) return InvalidArgument("key share: " + s.message());
  if (index < 1 || index > n) return InvalidArgument("key share: party index outside 1..n");
  if (peers.size() != size_t(n) - 1) return InvalidArgument("key share: wrong number of peers");
  for (size_t k = 0; k < peers.size(); ++k) {
    const uint16_t expect = uint16_t(k + 1 < index ? k + 1 : k + 2);
    if (peers[k].index != expect) return InvalidArgument("key share: peers out of order");
  }
  if (Point::BaseMul(secret_share) != PublicShare(index))
    return InvalidArgument("key share: secret share does not match its public share");
  return Status::Ok();
}

SecureBytes KeyShare::Encode() const {
  SecureBytes out(EncodedSize(kKeyShareVersion, n, BurnedPeers().size()));
  SecretWriter w(out);
  const uint8_t version = kKeyShareVersion;
  w.Raw(ByteSpan(&version, 1));
  w.U16(index);
  w.U16(n);
  w.U16(t);
  w.U32(generation);
  w.Raw(key_id);
  w.Raw(public_key.ToBytes());
  for (const Point& x : public_shares) w.Raw(x.ToBytes());
  auto x = secret_share.ToBytes();
  w.Raw(x);
  Wipe(x.data(), x.size());
  for (const PeerMaterial& p : peers) {
    w.U16(p.index);
    const uint8_t state = p.burned ? kPairBurned : kPairUsable;
    w.Raw(ByteSpan(&state, 1));
    w.Raw(p.zero_seed.bytes);
    if (p.burned) continue;  // wiped: nothing to store
    w.Secret(p.ot_send.Encode());
    w.Secret(p.ot_recv.Encode());
  }
  const uint8_t chain_state = chain_code ? kChainCodePresent : kNoChainCode;
  w.Raw(ByteSpan(&chain_state, 1));
  w.Raw(chain_code ? *chain_code : crypto::bip32::ChainCode{});
  return out;
}

Result<KeyShare> KeyShare::Decode(ByteSpan bytes) {
  ByteReader r(bytes);
  uint8_t version = 0;
  KeyShare k;
  if (!r.U8(version) || !r.U16(k.index) || !r.U16(k.n) || !r.U16(k.t) || !r.U32(k.generation))
    return InvalidArgument("key share: truncated header");
  if (version != kKeyShareVersion1 && version != kKeyShareVersion2 && version != kKeyShareVersion)
    return InvalidArgument("key share: unsupported version " + std::to_string(version));
  if (k.n < 2 || k.n > kMaxParties) return InvalidArgument("key share: n outside 2..255");
  // Between the sizes with no pair burned and with every pair burned (version 1: exactly the
  // first); the pair states below fix the exact length.
  const size_t longest = EncodedSize(version, k.n, 0);
  const size_t shortest = EncodedSize(version, k.n, version == kKeyShareVersion1 ? 0 : k.n - 1);
  if (bytes.size() < shortest || bytes.size() > longest)
    return InvalidArgument(
        "key share: " + std::to_string(bytes.size()) + " bytes, expected " +
        (shortest == longest ? std::to_string(longest)
                             : std::to_string(shortest) + ".." + std::to_string(longest)) +
        " for version " + std::to_string(version) + " and n=" + std::to_string(k.n));
  ByteSpan field;
  r.Raw(32, k.key_id.data());
  r.Raw(33, field);
  TSS_ASSIGN_OR_RETURN(k.public_key, Point::FromBytes(field));
  k.public_shares.reserve(k.n);
  for (uint16_t j = 0; j < k.n; ++j) {
    r.Raw(33, field);
    TSS_ASSIGN_OR_RETURN(Point x, Point::FromBytes(field));
    k.public_shares.push_back(x);
  }
  r.Raw(32, field);
  TSS_ASSIGN_OR_RETURN(k.secret_share, Scalar::FromBytes(field));
  k.peers.resize(k.n - 1);
  for (PeerMaterial& p : k.peers) {
    uint8_t state = kPairUsable;
    if (!r.U16(p.index) || (version != kKeyShareVersion1 && !r.U8(state)) ||
        !r.Raw(32, p.zero_seed.bytes.data()))
      return InvalidArgument("key share: truncated peer entry");
    if (state != kPairUsable && state != kPairBurned)
      return InvalidArgument("key share: unknown state " + std::to_string(state) +
                             " of the pair with party " + std::to_string(p.index));
    p.burned = state == kPairBurned;
    if (p.burned) continue;
    if (!r.Raw(ot::OteSenderSetup::kEncodedSize, field))
      return InvalidArgument("key share: truncated OT material");
    TSS_ASSIGN_OR_RETURN(p.ot_send, ot::OteSenderSetup::Decode(field));
    if (!r.Raw(ot::OteReceiverSetup::kEncodedSize, field))
      return InvalidArgument("key share: truncated OT material");
    TSS_ASSIGN_OR_RETURN(p.ot_recv, ot::OteReceiverSetup::Decode(field));
  }
  if (version == kKeyShareVersion) {
    uint8_t chain_state = kNoChainCode;
    crypto::bip32::ChainCode chain{};
    if (!r.U8(chain_state) || !r.Raw(chain.size(), chain.data()))
      return InvalidArgument("key share: truncated chain code");
    if (chain_state == kChainCodePresent) {
      k.chain_code = chain;
    } else if (chain_state != kNoChainCode) {
      return InvalidArgument("key share: unknown chain-code state " + std::to_string(chain_state));
    } else if (chain != crypto::bip32::ChainCode{}) {
      return InvalidArgument("key share: an absent chain code with nonzero bytes");
    }
  }
  if (!r.done()) return InvalidArgument("key share: length mismatch");
  TSS_RETURN_IF_ERROR(k.Validate());
  return k;
}

}  // namespace tss::dkls

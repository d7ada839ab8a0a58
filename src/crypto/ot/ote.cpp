#include "crypto/ot/ote.h"

#include <algorithm>

#include "crypto/ctime.h"
#include "crypto/rng.h"

namespace tss::crypto::ot {

namespace {

size_t RoundUp(size_t v, size_t m) {
  return (v + m - 1) / m * m;
}

// χ_0..χ_{count−1}: SHA-256 of the extension's challenge seed and Bob's matrix u, then counter
// mode.
std::vector<Block> Challenges(const ExtensionKeys& keys, ByteSpan u, size_t count) {
  Digest seed = FramedHash("tss/ot/kos/chi").Add(keys.challenge).Add(u).Final();
  std::vector<Block> chi(count);
  for (size_t k = 0; k < count; k += 2) {
    Digest d = FramedHash("tss/ot/kos/chi-expand").Add(seed).Add(k).Final();
    chi[k] = Block::Load(d.data());
    if (k + 1 < count) chi[k + 1] = Block::Load(d.data() + 16);
  }
  return chi;
}

}  // namespace

ExtensionKeys DeriveExtensionKeys(const Digest& setup_id, ByteSpan session_id,
                                  ByteSpan receiver_nonce) {
  Digest d =
      FramedHash("tss/ot/kos/keys").Add(setup_id).Add(session_id).Add(receiver_nonce).Final();
  ExtensionKeys k;
  std::copy_n(d.begin(), 16, k.prg_iv.begin());
  k.challenge = FramedHash("tss/ot/kos/challenge").Add(d).Final();
  return k;
}

std::array<uint8_t, 16> RandomOtHashKey(const ExtensionKeys& keys, ByteSpan sender_nonce) {
  Digest h = FramedHash("tss/ot/kos/hash-key").Add(keys.challenge).Add(sender_nonce).Final();
  std::array<uint8_t, 16> key;
  std::copy_n(h.begin(), 16, key.begin());
  return key;
}

size_t OtePaddedCount(size_t ell) {
  return RoundUp(ell, 128) + 128;
}

size_t OteMessageSize(size_t ell) {
  return kKappa * (OtePaddedCount(ell) / 8) + 16 + kKappa * 16;
}

size_t OteRowCount(size_t ell) {
  return RoundUp(ell, 128);
}

Block DeltaBlock(const OteSenderSetup& setup) {
  return Block::Load(OteAccess::Delta(setup).data());
}

void OteReceiverExtend(const OteReceiverSetup& setup, const ExtensionKeys& keys, size_t ell,
                       std::span<const uint8_t> choices, Rng& rng, Bytes& out,
                       WipedVector<Block>& rows) {
  const size_t padded = OtePaddedCount(ell);
  const size_t cb = padded / 8;  // bytes per column
  const size_t chunks = padded / 128;
  const auto& seeds = OteAccess::Seeds(setup);

  // x: the ℓ choices, then random padding.
  WipedVector<uint8_t> x(cb);
  rng.Fill(x.span());
  for (size_t j = 0; j < ell; j += 8) {
    size_t bits = std::min<size_t>(8, ell - j);
    uint8_t keep_mask = static_cast<uint8_t>((1u << bits) - 1);
    x[j / 8] = static_cast<uint8_t>((choices[j / 8] & keep_mask) | (x[j / 8] & ~keep_mask));
  }

  WipedVector<uint8_t> t(kKappa * cb);
  WipedVector<uint8_t> g1(cb);
  const size_t u_offset = out.size();
  out.resize(u_offset + kKappa * cb + 16 + kKappa * 16);
  uint8_t* u = out.data() + u_offset;
  Aes128 prg(Aes128::Mode::kCtr);
  for (size_t i = 0; i < kKappa; ++i) {
    prg.SetKey(seeds[i][0].data(), keys.prg_iv.data());
    prg.KeyStream(t.data() + i * cb, cb);
    prg.SetKey(seeds[i][1].data(), keys.prg_iv.data());
    prg.KeyStream(g1.data(), cb);
    for (size_t b = 0; b < cb; ++b) u[i * cb + b] = t[i * cb + b] ^ g1[b] ^ x[b];
  }

  std::vector<Block> chi = Challenges(keys, ByteSpan(u, kKappa * cb), chunks - 1);
  Block x_tilde;
  HashColumns(chi.data(), chunks, x.data(), cb, 1, &x_tilde);
  std::vector<Block> t_tilde(kKappa);
  HashColumns(chi.data(), chunks, t.data(), cb, kKappa, t_tilde.data());
  uint8_t* check = u + kKappa * cb;
  x_tilde.Store(check);
  for (size_t i = 0; i < kKappa; ++i) t_tilde[i].Store(check + 16 + 16 * i);

  rows.Reset(OteRowCount(ell));
  TransposeColumns(t.data(), cb, rows.size(), rows.data());
}

Status OteSenderExtend(const OteSenderSetup& setup, const ExtensionKeys& keys, size_t ell,
                       ByteSpan message, WipedVector<Block>& rows) {
  const size_t padded = OtePaddedCount(ell);
  const size_t cb = padded / 8;
  const size_t chunks = padded / 128;
  ByteReader reader(message);
  ByteSpan u, x_tilde_bytes, t_tilde_bytes;
  reader.Raw(kKappa * cb, u);
  reader.Raw(16, x_tilde_bytes);
  reader.Raw(kKappa * 16, t_tilde_bytes);
  if (!reader.done())
    return InvalidArgument("OT extension message must be " + std::to_string(OteMessageSize(ell)) +
                           " bytes, got " + std::to_string(message.size()));

  const auto& seeds = OteAccess::Seeds(setup);
  const auto& delta = OteAccess::Delta(setup);
  WipedVector<uint8_t> q(kKappa * cb);
  Aes128 prg(Aes128::Mode::kCtr);
  for (size_t i = 0; i < kKappa; ++i) {
    prg.SetKey(seeds[i].data(), keys.prg_iv.data());
    prg.KeyStream(q.data() + i * cb, cb);
    uint8_t mask = static_cast<uint8_t>(MaskOf(delta[i / 8] >> (i % 8)));
    for (size_t b = 0; b < cb; ++b) q[i * cb + b] ^= u[i * cb + b] & mask;
  }

  std::vector<Block> chi = Challenges(keys, u, chunks - 1);
  std::vector<Block> q_tilde(kKappa);
  HashColumns(chi.data(), chunks, q.data(), cb, kKappa, q_tilde.data());
  Block x_tilde = Block::Load(x_tilde_bytes.data());
  uint64_t diff = 0;
  for (size_t i = 0; i < kKappa; ++i) {
    Block expect =
        Block::Load(t_tilde_bytes.data() + 16 * i) ^ (x_tilde & MaskOf(delta[i / 8] >> (i % 8)));
    Block d = expect ^ q_tilde[i];
    diff |= d.w[0] | d.w[1];
  }
  // Whether the check passed is public (the abort is visible); which bits differed is not.
  if (Declassified(diff) != 0)
    return Status(ErrorCode::kProtocolAbort,
                  "OT extension consistency check failed: the receiver's columns disagree");

  rows.Reset(OteRowCount(ell));
  TransposeColumns(q.data(), cb, rows.size(), rows.data());
  return Status::Ok();
}

}  // namespace tss::crypto::ot

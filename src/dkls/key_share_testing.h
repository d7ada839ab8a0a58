// dkls/key_share_testing.h — the version-1 (before burned pairs) and version-2 (before chain
// codes) key-share encodings, for tests and fuzzers that check that Decode still reads them.
//
// Owns: nothing of the format's meaning; KeyShare::Encode is the only writer of stored shares.
// Must not be used outside tests and fuzzers.
#pragma once

#include "common/bytes.h"
#include "dkls/key_share.h"

namespace tss::dkls::testing {

// The share as version 2 wrote it: version byte 2 and no chain-code fields at the end (any chain
// code the share has is dropped, as version 2 cannot hold one).
inline Bytes EncodeVersion2(const KeyShare& share) {
  const SecureBytes v3 = share.Encode();
  Bytes v2(v3.span().begin(), v3.span().end() - (1 + 32));
  v2[0] = 2;
  return v2;
}

// The share as version 1 wrote it: version byte 1 and no pair-state byte after each peer index.
// Every pair must be usable (version 1 cannot say "burned"); returns nothing otherwise.
inline Bytes EncodeVersion1(const KeyShare& share) {
  if (!share.BurnedPeers().empty() || share.n < 2) return {};
  const Bytes v2 = EncodeVersion2(share);
  const ByteSpan b = v2;
  const size_t peers_at = 1 + 2 + 2 + 2 + 4 + 32 + 33 + size_t(share.n) * 33 + 32;
  const size_t entry = (b.size() - peers_at) / (share.n - 1);  // u16 | u8 state | seed | OT
  Bytes v1(b.begin(), b.begin() + static_cast<ptrdiff_t>(peers_at));
  v1[0] = 1;
  for (size_t k = 0; k + 1 < share.n; ++k) {
    const ByteSpan e = b.subspan(peers_at + k * entry, entry);
    v1.insert(v1.end(), e.begin(), e.begin() + 2);
    v1.insert(v1.end(), e.begin() + 3, e.end());
  }
  return v1;
}

}  // namespace tss::dkls::testing

// Fuzzes the decoders of the core layer with outside bytes: hex, uvarints, length-prefixed
// fields, scalars, points, Schnorr proofs, BIP32 chain paths and xpub strings. Each accepted input
// must re-encode to itself (canonical encodings) and nothing may crash.
#include <cstdlib>
#include <string_view>

#include "common/bytes.h"
#include "crypto/bip32.h"
#include "crypto/point.h"
#include "crypto/scalar.h"
#include "crypto/schnorr.h"

using namespace tss;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  if (auto hex = FromHex(std::string_view(reinterpret_cast<const char*>(data), size)); hex.ok()) {
    if (hex->size() * 2 + 2 < size && size % 2 == 0 && ToHex(*hex).size() != size) std::abort();
  }
  {
    ByteReader r(in);
    uint64_t v;
    while (r.UVarint(v)) {
      ByteWriter w;
      w.UVarint(v);
      (void)w;
    }
    ByteReader r2(in);
    ByteSpan field;
    while (r2.LengthPrefixed(field, 1 << 20)) {
    }
  }
  if (auto s = crypto::Scalar::FromBytes(in); s.ok()) {
    auto b = s->ToBytes();
    if (!std::equal(b.begin(), b.end(), in.begin())) std::abort();
  }
  if (auto p = crypto::Point::FromBytes(in); p.ok()) {
    if (size == 33) {
      auto b = p->ToBytes();
      if (!std::equal(b.begin(), b.end(), in.begin())) std::abort();
    }
    if (!(*crypto::Point::FromBytes(p->ToBytes()) == *p)) std::abort();
  }
  if (auto proof = crypto::SchnorrProof::Decode(in); proof.ok()) {
    if (proof->Encode() != Bytes(in.begin(), in.end())) std::abort();
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto path = crypto::bip32::ParsePath(text); path.ok()) {
    if (crypto::bip32::FormatPath(*path) != text) std::abort();
  }
  if (auto xpub = crypto::bip32::DecodeXpub(text); xpub.ok()) {
    if (crypto::bip32::EncodeXpub(*xpub) != text) std::abort();
  }
  return 0;
}

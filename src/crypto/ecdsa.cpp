#include "crypto/ecdsa.h"

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <cstring>

namespace tss::crypto {

Status VerifyEcdsa(const Point& public_key, ByteSpan hash, const Scalar& r, const Scalar& s) {
  if (public_key.IsInfinity()) return InvalidArgument("public key is the point at infinity");
  if (hash.size() != 32) return InvalidArgument("message hash must be 32 bytes");
  if (r.IsZero() || s.IsZero()) return InvalidArgument("signature has a zero component");
  if (s.IsHigh()) return InvalidArgument("signature s is not low (s > n/2)");
  uint8_t compact[64];
  r.ToBytes(compact);
  s.ToBytes(compact + 32);
  secp256k1_ecdsa_signature sig;
  if (!secp256k1_ecdsa_signature_parse_compact(Secp256k1Context(), &sig, compact))
    return InvalidArgument("signature does not parse");
  if (!secp256k1_ecdsa_verify(Secp256k1Context(), &sig, hash.data(), public_key.raw()))
    return InvalidArgument("signature does not verify under the public key");
  return Status::Ok();
}

Status VerifyEcdsa(ByteSpan public_key, ByteSpan hash, ByteSpan r, ByteSpan s) {
  TSS_ASSIGN_OR_RETURN(Point pk, Point::FromBytes(public_key));
  TSS_ASSIGN_OR_RETURN(Scalar rs, Scalar::FromBytes(r));
  TSS_ASSIGN_OR_RETURN(Scalar ss, Scalar::FromBytes(s));
  return VerifyEcdsa(pk, hash, rs, ss);
}

Result<Point> RecoverEcdsa(ByteSpan hash, const Scalar& r, const Scalar& s, int v) {
  if (hash.size() != 32) return InvalidArgument("message hash must be 32 bytes");
  if (v < 0 || v > 3) return InvalidArgument("recovery id must be 0..3");
  uint8_t compact[64];
  r.ToBytes(compact);
  s.ToBytes(compact + 32);
  secp256k1_ecdsa_recoverable_signature sig;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(Secp256k1Context(), &sig, compact, v))
    return InvalidArgument("signature does not parse");
  secp256k1_pubkey pk;
  if (!secp256k1_ecdsa_recover(Secp256k1Context(), &pk, &sig, hash.data()))
    return InvalidArgument("no public key recovers from this signature");
  uint8_t enc[33];
  size_t len = sizeof enc;
  secp256k1_ec_pubkey_serialize(Secp256k1Context(), enc, &len, &pk, SECP256K1_EC_COMPRESSED);
  return Point::FromBytes(enc);
}

Status VerifyRecoverableEcdsa(ByteSpan public_key, ByteSpan hash, ByteSpan r, ByteSpan s, int v) {
  TSS_ASSIGN_OR_RETURN(Point pk, Point::FromBytes(public_key));
  TSS_ASSIGN_OR_RETURN(Scalar rs, Scalar::FromBytes(r));
  TSS_ASSIGN_OR_RETURN(Scalar ss, Scalar::FromBytes(s));
  TSS_RETURN_IF_ERROR(VerifyEcdsa(pk, hash, rs, ss));
  // A wrong v would be stored as if verified, and a chain would recover someone else from it.
  TSS_ASSIGN_OR_RETURN(Point recovered, RecoverEcdsa(hash, rs, ss, v));
  if (!(recovered == pk))
    return InvalidArgument("recovery id " + std::to_string(v) + " does not recover the key");
  return Status::Ok();
}

}  // namespace tss::crypto

#include "testing/ecdsa_verify.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <cstring>
#include <memory>
#include <vector>

namespace tss::testing {

namespace {

const secp256k1_context* Context() {
  static secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  return ctx;
}

bool Sizes(Bytes32 hash, Bytes32 r, Bytes32 s) {
  return hash.size() == 32 && r.size() == 32 && s.size() == 32;
}

}  // namespace

std::string VerifyWithLibsecp256k1(std::span<const uint8_t> public_key, Bytes32 hash, Bytes32 r,
                                   Bytes32 s) {
  if (!Sizes(hash, r, s)) return "hash, r and s must be 32 bytes each";
  secp256k1_pubkey pk;
  if (!secp256k1_ec_pubkey_parse(Context(), &pk, public_key.data(), public_key.size()))
    return "public key does not parse";
  uint8_t compact[64];
  std::memcpy(compact, r.data(), 32);
  std::memcpy(compact + 32, s.data(), 32);
  secp256k1_ecdsa_signature sig;
  if (!secp256k1_ecdsa_signature_parse_compact(Context(), &sig, compact))
    return "signature does not parse (r or s >= n)";
  secp256k1_ecdsa_signature normalized;
  if (secp256k1_ecdsa_signature_normalize(Context(), &normalized, &sig)) return "s is high";
  if (!secp256k1_ecdsa_verify(Context(), &sig, hash.data(), &pk)) return "verify failed";
  return "";
}

std::string VerifyWithOpenSsl(std::span<const uint8_t> public_key, Bytes32 hash, Bytes32 r,
                              Bytes32 s) {
  if (!Sizes(hash, r, s)) return "hash, r and s must be 32 bytes each";
  // SubjectPublicKeyInfo for id-ecPublicKey on secp256k1, then the SEC1 point.
  static const uint8_t kPrefix33[] = {0x30, 0x36, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86,
                                      0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b,
                                      0x81, 0x04, 0x00, 0x0a, 0x03, 0x22, 0x00};
  static const uint8_t kPrefix65[] = {0x30, 0x56, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86,
                                      0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b,
                                      0x81, 0x04, 0x00, 0x0a, 0x03, 0x42, 0x00};
  std::vector<uint8_t> spki;
  if (public_key.size() == 33)
    spki.assign(std::begin(kPrefix33), std::end(kPrefix33));
  else if (public_key.size() == 65)
    spki.assign(std::begin(kPrefix65), std::end(kPrefix65));
  else
    return "public key must be 33 or 65 bytes";
  spki.insert(spki.end(), public_key.begin(), public_key.end());
  const uint8_t* p = spki.data();
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      d2i_PUBKEY(nullptr, &p, long(spki.size())), EVP_PKEY_free);
  if (!key) return "OpenSSL refuses the public key";

  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(), ECDSA_SIG_free);
  BIGNUM* br = BN_bin2bn(r.data(), 32, nullptr);
  BIGNUM* bs = BN_bin2bn(s.data(), 32, nullptr);
  if (!sig || !br || !bs || !ECDSA_SIG_set0(sig.get(), br, bs)) {
    BN_free(br);
    BN_free(bs);
    return "OpenSSL: cannot build the signature";
  }
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return "OpenSSL: cannot encode the signature";
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> der_owner(
      der, [](unsigned char* d) { OPENSSL_free(d); });

  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new(key.get(), nullptr), EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) return "OpenSSL: verify init failed";
  const int ok = EVP_PKEY_verify(ctx.get(), der, size_t(der_len), hash.data(), hash.size());
  return ok == 1 ? "" : "OpenSSL: verify failed";
}

std::string VerifyWithBoth(std::span<const uint8_t> public_key, Bytes32 hash, Bytes32 r,
                           Bytes32 s) {
  if (std::string why = VerifyWithLibsecp256k1(public_key, hash, r, s); !why.empty())
    return "libsecp256k1: " + why;
  if (std::string why = VerifyWithOpenSsl(public_key, hash, r, s); !why.empty())
    return "OpenSSL: " + why;
  return "";
}

std::string RecoverWithLibsecp256k1Hex(Bytes32 hash, Bytes32 r, Bytes32 s, int recovery_id) {
  if (!Sizes(hash, r, s) || recovery_id < 0 || recovery_id > 3) return "";
  uint8_t compact[64];
  std::memcpy(compact, r.data(), 32);
  std::memcpy(compact + 32, s.data(), 32);
  secp256k1_ecdsa_recoverable_signature sig;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(Context(), &sig, compact, recovery_id))
    return "";
  secp256k1_pubkey pk;
  if (!secp256k1_ecdsa_recover(Context(), &pk, &sig, hash.data())) return "";
  uint8_t out[33];
  size_t len = sizeof out;
  secp256k1_ec_pubkey_serialize(Context(), out, &len, &pk, SECP256K1_EC_COMPRESSED);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (uint8_t b : out) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  return hex;
}

}  // namespace tss::testing

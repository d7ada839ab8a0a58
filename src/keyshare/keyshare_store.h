// keyshare/keyshare_store.h — encrypted key-share files (seed: "keyshare/", DESIGN.md §7).
//
// Owns: one file per key id under <home>/keyshares/ (and the signatures a node helped make, under
// <home>/signatures/), sealed with XChaCha20-Poly1305 under a key
// that Argon2id derives from the node's password and the salt in the file's header; the key id is
// the associated data, so a file renamed to another key id does not open. Writes are atomic (temp
// file, fsync, rename, fsync of the folder): a crash leaves the old share or the new one, never
// a torn one. Must not touch: what the plaintext means (opaque bytes), or logging of secrets.
//
// File layout (version 1), all integers big-endian:
//   "TSSK" | u8 version=1 | u8 kdf=1 (Argon2id v1.3) | u32 opslimit | u32 memlimit_kib
//   | 16-byte salt | 24-byte nonce | ciphertext (plaintext + 16-byte tag)
// The associated data is the key id followed by the 50-byte header, so no header field can be
// changed without the tag failing.
#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/secure.h"
#include "common/status.h"

namespace tss::keyshare {

struct KdfParams {
  uint32_t opslimit = 3;          // Argon2id passes
  uint32_t memlimit_kib = 65536;  // 64 MiB
};

class KeyShareStore {
 public:
  // `home` is the node's folder; the password is copied into wiped memory.
  KeyShareStore(const std::filesystem::path& home, const SecureBytes& password,
                KdfParams params = {});

  // Seals `plaintext` under `key_id`. replace=false refuses an existing key id (kAlreadyExists);
  // replace=true swaps the file atomically (keyrefresh).
  Status Store(const std::string& key_id, std::span<const uint8_t> plaintext, bool replace);
  // kNotFound if absent; kPermissionDenied for a wrong password; kInvalidArgument for a damaged
  // or foreign file. Never modifies the file.
  Result<SecureBytes> Load(const std::string& key_id);
  bool Exists(const std::string& key_id) const;
  // Deletes the key's file durably (unlink, fsync of the folder); kNotFound if absent.
  Status Remove(const std::string& key_id);
  // Files a finished signing's result (JSON: key id, public key, hash, r, s, v) as
  // <home>/signatures/<event id>.json, atomically. Not secret, so not sealed.
  Status StoreSignature(const std::string& event_id, std::string_view result_json);
  Result<std::vector<std::string>> List() const;

  std::filesystem::path PathFor(const std::string& key_id) const;

 private:
  Result<SecureBytes> DeriveKey(std::span<const uint8_t> salt, const KdfParams& params);

  std::filesystem::path dir_;
  SecureBytes password_;
  KdfParams params_;
  std::mutex mu_;
  // Argon2id is slow on purpose (~0.1 s); each salt is derived once per process.
  std::map<std::string, SecureBytes> key_cache_;
  // The salt of every file this process writes, drawn at its first write. A fresh salt per
  // write would cost one Argon2id per keygen, confirmation, refresh and burn, and buy nothing:
  // the salt stops precomputation across passwords, and the files of one home share their
  // password anyway; each file still has its own random 24-byte nonce under that key.
  std::array<uint8_t, 16> write_salt_{};  // crypto_pwhash_SALTBYTES
  bool have_write_salt_ = false;
};

// Key ids become file names: 1..128 characters of [A-Za-z0-9._-], not starting with '.'.
bool ValidKeyId(const std::string& key_id);

}  // namespace tss::keyshare

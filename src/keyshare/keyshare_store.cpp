#include "keyshare/keyshare_store.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

#include "common/bytes.h"

namespace tss::keyshare {

namespace {

constexpr uint8_t kMagic[4] = {'T', 'S', 'S', 'K'};
constexpr uint8_t kVersion = 1;
constexpr uint8_t kKdfArgon2id13 = 1;
constexpr size_t kSaltSize = crypto_pwhash_SALTBYTES;                        // 16
constexpr size_t kNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;  // 24
constexpr size_t kHeaderSize = 4 + 1 + 1 + 4 + 4 + kSaltSize + kNonceSize;   // 54
constexpr size_t kTagSize = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr size_t kMaxFile = 64 << 20;
static_assert(kSaltSize == 16 && kNonceSize == 24);

// `path` names the file in the error: "write failed: No space left on device" alone does not
// tell an operator which disk filled up (tests/faults/storage_faults.py, disk-full).
Status WriteAll(int fd, const std::filesystem::path& path, const uint8_t* data, size_t len) {
  while (len > 0) {
    ssize_t n = ::write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot write " + path.string() + ": " + std::strerror(errno));
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status FsyncDir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return IoError("cannot open " + dir.string() + " to sync it");
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::Ok() : IoError("cannot sync " + dir.string());
}

}  // namespace

bool ValidKeyId(const std::string& id) {
  if (id.empty() || id.size() > 128 || id[0] == '.') return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return false;
  return true;
}

KeyShareStore::KeyShareStore(const std::filesystem::path& home, const SecureBytes& password,
                             KdfParams params)
    : dir_(home / "keyshares"), password_(password.Clone()), params_(params) {
  if (sodium_init() < 0) std::abort();
}

std::filesystem::path KeyShareStore::PathFor(const std::string& key_id) const {
  return dir_ / (key_id + ".share");
}

bool KeyShareStore::Exists(const std::string& key_id) const {
  return ValidKeyId(key_id) && std::filesystem::exists(PathFor(key_id));
}

Result<std::vector<std::string>> KeyShareStore::List() const {
  std::vector<std::string> ids;
  std::error_code ec;
  if (!std::filesystem::exists(dir_, ec)) return ids;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    auto name = entry.path().filename().string();
    if (name.size() > 6 && name.ends_with(".share")) ids.push_back(name.substr(0, name.size() - 6));
  }
  if (ec) return IoError("cannot list " + dir_.string() + ": " + ec.message());
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<SecureBytes> KeyShareStore::DeriveKey(std::span<const uint8_t> salt,
                                             const KdfParams& params) {
  std::string cache_key(salt.begin(), salt.end());
  cache_key += std::to_string(params.opslimit) + "/" + std::to_string(params.memlimit_kib);
  {
    std::lock_guard lock(mu_);
    if (auto it = key_cache_.find(cache_key); it != key_cache_.end()) return it->second.Clone();
  }
  // Bounds so that a damaged or hostile header cannot make us spin or exhaust memory.
  if (params.opslimit < crypto_pwhash_OPSLIMIT_MIN || params.opslimit > 32 ||
      params.memlimit_kib < 8 || params.memlimit_kib > (4u << 20))
    return InvalidArgument("key-share file has unusable key-derivation parameters");
  SecureBytes key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  if (crypto_pwhash(key.data(), key.size(), reinterpret_cast<const char*>(password_.data()),
                    password_.size(), salt.data(), params.opslimit,
                    size_t{params.memlimit_kib} * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0)
    return IoError("Argon2id ran out of memory");
  std::lock_guard lock(mu_);
  key_cache_.emplace(cache_key, key.Clone());
  return key;
}

namespace {

// Writes `name` in `dir` so that a crash leaves the old file or the new one, never a torn one:
// a unique temp file in the same folder, fsync, rename, fsync of the folder.
Status WriteFileAtomic(const std::filesystem::path& dir, const std::string& name, ByteSpan contents,
                       mode_t mode, bool replace) {
  const auto path = dir / name;
  auto tmp = dir / ("." + name + "." + std::to_string(::getpid()) + "." +
                    std::to_string(randombytes_random()) + ".tmp");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, mode);
  if (fd < 0) return IoError("cannot create " + tmp.string() + ": " + std::strerror(errno));
  Status st = WriteAll(fd, tmp, contents.data(), contents.size());
  if (st.ok() && ::fsync(fd) != 0)
    st = IoError("cannot sync " + tmp.string() + ": " + std::strerror(errno));
  ::close(fd);
  if (st.ok() && !replace && std::filesystem::exists(path))
    st = {ErrorCode::kAlreadyExists, path.string() + " already exists"};
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0)
    st = IoError("cannot move " + path.string() +
                 " into place: " + std::string(std::strerror(errno)));
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return FsyncDir(dir);
}

}  // namespace

Status KeyShareStore::Store(const std::string& key_id, std::span<const uint8_t> plaintext,
                            bool replace) {
  if (!ValidKeyId(key_id))
    return InvalidArgument("key id '" + key_id + "' is not a valid file name");
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return IoError("cannot create " + dir_.string() + ": " + ec.message());
  ::chmod(dir_.c_str(), 0700);
  const auto path = PathFor(key_id);
  if (!replace && std::filesystem::exists(path))
    return {ErrorCode::kAlreadyExists, "a key share for " + key_id + " already exists"};

  uint8_t salt[kSaltSize], nonce[kNonceSize];
  {
    std::lock_guard lock(mu_);
    if (!have_write_salt_) randombytes_buf(write_salt_.data(), write_salt_.size());
    have_write_salt_ = true;
    std::copy(write_salt_.begin(), write_salt_.end(), salt);
  }
  randombytes_buf(nonce, sizeof nonce);
  ByteWriter w;
  w.Raw(ByteSpan(kMagic, 4));
  w.U8(kVersion);
  w.U8(kKdfArgon2id13);
  w.U32(params_.opslimit);
  w.U32(params_.memlimit_kib);
  w.Raw(ByteSpan(salt, kSaltSize));
  w.Raw(ByteSpan(nonce, kNonceSize));
  const Bytes header = w.Take();
  TSS_ASSIGN_OR_RETURN(SecureBytes key, DeriveKey({salt, kSaltSize}, params_));

  Bytes ad(key_id.begin(), key_id.end());
  ad.insert(ad.end(), header.begin(), header.end());
  Bytes sealed(plaintext.size() + kTagSize);
  unsigned long long sealed_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(sealed.data(), &sealed_len, plaintext.data(),
                                             plaintext.size(), ad.data(), ad.size(), nullptr, nonce,
                                             key.data());

  Bytes contents = header;
  contents.insert(contents.end(), sealed.begin(), sealed.begin() + static_cast<long>(sealed_len));
  return WriteFileAtomic(dir_, PathFor(key_id).filename().string(), contents, 0600, replace);
}

Status KeyShareStore::Remove(const std::string& key_id) {
  if (!ValidKeyId(key_id))
    return InvalidArgument("key id '" + key_id + "' is not a valid file name");
  std::error_code ec;
  if (!std::filesystem::remove(PathFor(key_id), ec)) {
    if (ec) return IoError("cannot remove the key share for " + key_id + ": " + ec.message());
    return NotFound("no key share for key " + key_id + " in " + dir_.string());
  }
  return FsyncDir(dir_);
}

Status KeyShareStore::StoreSignature(const std::string& event_id, std::string_view result_json) {
  if (!ValidKeyId(event_id))
    return InvalidArgument("event id '" + event_id + "' is not a valid file name");
  const auto dir = dir_.parent_path() / "signatures";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("cannot create " + dir.string() + ": " + ec.message());
  std::string text(result_json);
  text += "\n";
  return WriteFileAtomic(dir, event_id + ".json", AsBytes(text), 0644, /*replace=*/true);
}

Result<SecureBytes> KeyShareStore::Load(const std::string& key_id) {
  if (!ValidKeyId(key_id))
    return InvalidArgument("key id '" + key_id + "' is not a valid file name");
  const auto path = PathFor(key_id);
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("no key share for key " + key_id + " in " + dir_.string());
  Bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (file.size() > kMaxFile)
    return InvalidArgument(path.string() + " is too large to be a key share");
  if (file.size() < kHeaderSize + kTagSize || !std::equal(kMagic, kMagic + 4, file.begin()))
    return InvalidArgument(path.string() + " is not a tss key-share file (damaged or foreign)");
  ByteReader r(ByteSpan(file).subspan(4));
  uint8_t version = 0, kdf = 0;
  KdfParams params;
  r.U8(version);
  r.U8(kdf);
  r.U32(params.opslimit);
  r.U32(params.memlimit_kib);
  if (version != kVersion)
    return InvalidArgument(path.string() + " has unsupported version " + std::to_string(version));
  if (kdf != kKdfArgon2id13)
    return InvalidArgument(path.string() + " uses an unknown key derivation");
  const uint8_t* salt = file.data() + 14;
  const uint8_t* nonce = salt + kSaltSize;
  TSS_ASSIGN_OR_RETURN(SecureBytes key, DeriveKey({salt, kSaltSize}, params));
  Bytes ad(key_id.begin(), key_id.end());
  ad.insert(ad.end(), file.begin(), file.begin() + kHeaderSize);
  const uint8_t* ct = file.data() + kHeaderSize;
  size_t ct_len = file.size() - kHeaderSize;
  SecureBytes plain(ct_len - kTagSize);
  unsigned long long plain_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain.data(), &plain_len, nullptr, ct, ct_len,
                                                 ad.data(), ad.size(), nonce, key.data()) != 0)
    // The tag covers password, header, key id and contents alike; a wrong password is by far the
    // likeliest cause, but a damaged file looks the same — say both.
    return Status(ErrorCode::kPermissionDenied, "cannot decrypt the key share for " + key_id +
                                                    ": wrong password, or the file is damaged");
  return plain;
}

}  // namespace tss::keyshare

#include "node/config.h"

#include <sys/stat.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "common/bytes.h"

namespace tss::node {

std::filesystem::path DefaultRegistryPath() {
  if (const char* env = std::getenv("TSS_REGISTRY"); env && *env) return env;
  return "/tmp/tss-nodes.json";
}

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data())
    return InvalidArgument("duration '" + std::string(text) +
                           "' must be a number with a unit, like 500ms, 5s or 3m");
  std::string_view unit(end, text.data() + text.size() - end);
  uint64_t ms;
  if (unit == "ms")
    ms = value;
  else if (unit == "s" || unit.empty())
    ms = value * 1000;
  else if (unit == "m")
    ms = value * 60'000;
  else if (unit == "h")
    ms = value * 3'600'000;
  else
    return InvalidArgument("duration '" + std::string(text) +
                           "' has an unknown unit (use ms, s, m or h)");
  if (ms == 0) return InvalidArgument("duration '" + std::string(text) + "' must be positive");
  return std::chrono::milliseconds(ms);
}

Result<SecureBytes> ReadSecretFile(const std::filesystem::path& path, bool* too_open) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return IoError("cannot read " + path.string() + ": no such file");
  if (too_open) *too_open = (st.st_mode & 077) != 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot open " + path.string());
  SecureBytes data;
  char buf[256];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    data.Append({reinterpret_cast<uint8_t*>(buf), static_cast<size_t>(in.gcount())});
    Wipe(buf, sizeof buf);
  }
  size_t n = data.size();
  if (n > 0 && data.data()[n - 1] == '\n') --n;
  if (n > 0 && data.data()[n - 1] == '\r') --n;
  SecureBytes trimmed(data.span().subspan(0, n));
  return trimmed;
}

Result<SecureBytes> LoadPassword(const std::filesystem::path& password_file) {
  SecureBytes password;
  if (!password_file.empty()) {
    TSS_ASSIGN_OR_RETURN(password, ReadSecretFile(password_file));
  } else if (const char* env = std::getenv("TSS_PASSWORD")) {
    password = SecureBytes(AsBytes(env));
  } else {
    return InvalidArgument("no key-share password: set TSS_PASSWORD or pass --password-file PATH");
  }
  if (password.empty()) return InvalidArgument("the key-share password is empty");
  return password;
}

Result<SecureBytes> ParseSeedHex(std::string_view hex) {
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.front())))
    hex.remove_prefix(1);
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.remove_suffix(1);
  auto bytes = FromHex(hex);
  if (!bytes.ok() || bytes->size() != 32)
    return InvalidArgument("the identity key must be 64 hex digits (a 32-byte Ed25519 seed)");
  SecureBytes seed(*bytes);
  Wipe(bytes->data(), bytes->size());
  return seed;
}

}  // namespace tss::node

#include "node/registry_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

namespace tss::node {

namespace {

using nlohmann::json;

// Why the open registry `fd` may not be trusted, if it may not.
Status CheckTrusted(int fd, const std::filesystem::path& p) {
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return IoError("cannot stat " + p.string() + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return {ErrorCode::kPermissionDenied, p.string() + " is not a file"};
  if (st.st_uid != ::geteuid() && st.st_uid != 0)
    return {ErrorCode::kPermissionDenied,
            "the registry " + p.string() + " is owned by uid " + std::to_string(st.st_uid) +
                ", not by this user (uid " + std::to_string(::geteuid()) +
                "): anyone who can write it decides whom the node trusts; remove it, or use "
                "--registry in a folder only you can write"};
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return {ErrorCode::kPermissionDenied,
            "the registry " + p.string() +
                " can be written by group or others: chmod 644 it (it decides whom the node "
                "trusts)"};
  return Status::Ok();
}

// The registry's text, or kNotFound, or why it is not to be trusted.
Result<std::string> ReadTrusted(const std::filesystem::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound("no registry at " + p.string());
    if (errno == ELOOP)
      return Status(ErrorCode::kPermissionDenied,
                    "the registry " + p.string() +
                        " is a symbolic link; point --registry at the "
                        "file itself");
    return IoError("cannot open " + p.string() + ": " + std::strerror(errno));
  }
  struct Close {
    int fd;
    ~Close() { ::close(fd); }
  } close{fd};
  TSS_RETURN_IF_ERROR(CheckTrusted(fd, p));
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot read " + p.string() + ": " + std::strerror(errno));
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > (16u << 20)) return InvalidArgument(p.string() + " is over 16 MiB");
  }
  return text;
}

json ToJson(const RegistryEntry& e, int64_t now) {
  json j{{"validator_address", e.validator_address},
         {"peer_id", e.peer_id},
         {"multiaddrs", e.multiaddrs},
         {"database", e.database},
         {"last_update", now},
         {"leaving", e.leaving}};
  if (!e.api.empty()) j["api"] = e.api;
  return j;
}

}  // namespace

Result<std::vector<RegistryEntry>> ParseRegistry(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgument("registry is not valid JSON");
  const json* nodes = doc.is_object() && doc.contains("nodes") ? &doc["nodes"] : &doc;
  if (!nodes->is_array()) return InvalidArgument("registry must hold a \"nodes\" array");
  std::vector<RegistryEntry> out;
  for (const auto& n : *nodes) {
    if (!n.is_object()) return InvalidArgument("registry entry is not an object");
    RegistryEntry e;
    auto text_field = [&](const char* key, std::string& dst) {
      if (n.contains(key) && n[key].is_string()) dst = n[key].get<std::string>();
    };
    text_field("validator_address", e.validator_address);
    text_field("peer_id", e.peer_id);
    text_field("database", e.database);
    if (n.contains("leaving") && n["leaving"].is_boolean()) e.leaving = n["leaving"].get<bool>();
    text_field("api", e.api);
    if (n.contains("multiaddrs") && n["multiaddrs"].is_array())
      for (const auto& a : n["multiaddrs"])
        if (a.is_string()) e.multiaddrs.push_back(a.get<std::string>());
    if (e.validator_address.empty())
      return InvalidArgument("registry entry without a validator_address");
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<RegistryEntry>> RegistryFile::Read() {
  auto text = ReadTrusted(path_);
  if (!text.ok() && text.status().code() == ErrorCode::kNotFound)
    return NotFound(text.status().message() +
                    ": start the nodes first (tss node …) or pass --registry");
  if (!text.ok()) return text.status();
  auto parsed = ParseRegistry(*text);
  if (!parsed.ok()) return InvalidArgument(path_.string() + ": " + parsed.status().message());
  return parsed;
}

Status RegistryFile::Upsert(const RegistryEntry& own) {
  std::string lock_path = path_.string() + ".lock";
  int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT, 0644);
  if (lock < 0) return IoError("cannot open " + lock_path + ": " + std::strerror(errno));
  if (::flock(lock, LOCK_EX) != 0) {
    ::close(lock);
    return IoError("cannot lock " + lock_path);
  }
  struct Unlock {
    int fd;
    ~Unlock() {
      ::flock(fd, LOCK_UN);
      ::close(fd);
    }
  } unlock{lock};

  json nodes = json::array();
  auto text = ReadTrusted(path_);
  if (!text.ok() && text.status().code() != ErrorCode::kNotFound) return text.status();
  if (text.ok()) {
    json doc = json::parse(*text, nullptr, false);
    if (doc.is_discarded())
      return InvalidArgument("the registry " + path_.string() +
                             " is not valid JSON; move it away or fix it before starting nodes");
    const json& list = doc.is_object() && doc.contains("nodes") ? doc["nodes"] : doc;
    if (!list.is_array())
      return InvalidArgument("the registry " + path_.string() + " has no \"nodes\" array");
    for (const auto& n : list)
      // Compared as JSON, so an entry whose address is not a string is kept, not thrown on.
      if (!(n.is_object() && n.contains("validator_address") &&
            n["validator_address"] == own.validator_address))
        nodes.push_back(n);
  }
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  nodes.push_back(ToJson(own, now));
  std::string out = json{{"nodes", nodes}}.dump(2) + "\n";

  std::string tmp = path_.string() + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot write " + tmp + ": " + std::strerror(errno));
  // 0644 whatever the umask: readers check that nobody else can write it.
  bool ok = ::fchmod(fd, 0644) == 0 &&
            ::write(fd, out.data(), out.size()) == static_cast<ssize_t>(out.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return IoError("cannot replace " + path_.string());
  }
  return Status::Ok();
}

}  // namespace tss::node

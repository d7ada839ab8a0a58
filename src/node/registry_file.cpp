#include "node/registry_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tss::node {

namespace {

using nlohmann::json;

std::string ReadText(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json ToJson(const RegistryEntry& e, int64_t now) {
  return json{{"validator_address", e.validator_address},
              {"peer_id", e.peer_id},
              {"multiaddrs", e.multiaddrs},
              {"database", e.database},
              {"last_update", now}};
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
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec))
    return NotFound("no registry at " + path_.string() +
                    ": start the nodes first (tss node …) or pass --registry");
  auto parsed = ParseRegistry(ReadText(path_));
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
  std::error_code ec;
  if (std::filesystem::exists(path_, ec)) {
    json doc = json::parse(ReadText(path_), nullptr, false);
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
  std::string text = json{{"nodes", nodes}}.dump(2) + "\n";

  std::string tmp = path_.string() + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return IoError("cannot write " + tmp + ": " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return IoError("cannot replace " + path_.string());
  }
  return Status::Ok();
}

}  // namespace tss::node

// node/registry_file.h — the validator registry as a JSON file (seed: /tmp/tss-nodes.json).
//
// Owns: reading the registry and replacing this node's own entry. Writers take an exclusive
// flock on "<path>.lock", re-read, modify and atomically replace the file (temp, fsync,
// rename), so nodes starting together never lose each other's entries; readers never see a
// torn file. Format: {"nodes": [{"validator_address", "peer_id", "multiaddrs", "database",
// "api"? (the node's HTTP API URL, when it serves one), "last_update", "leaving"}]} ("leaving":
// true for a validator on its way out, core::ValidatorSet). Must not touch: anything else on disk.
//
// The registry is the trust root: it decides whose setups and streams a node accepts. So, as
// ssh does with a loose key file, a registry that is a symbolic link, is owned by another user
// (root excepted), or that group or others may write is refused with a clear error, on every
// read and before every write. Nodes write it mode 0644.
#pragma once

#include <filesystem>

#include "node/node.h"

namespace tss::node {

class RegistryFile final : public Registry {
 public:
  explicit RegistryFile(std::filesystem::path path) : path_(std::move(path)) {}
  // kNotFound when the file does not exist; kInvalidArgument when it is not a registry;
  // kPermissionDenied when anyone but us (or root) owns it or can write it.
  Result<std::vector<RegistryEntry>> Read() override;
  Status Upsert(const RegistryEntry& own) override;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Parses registry JSON text (exposed for fuzzing and tests).
Result<std::vector<RegistryEntry>> ParseRegistry(std::string_view text);

}  // namespace tss::node

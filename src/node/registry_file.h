// node/registry_file.h — the validator registry as a JSON file (seed: /tmp/tss-nodes.json).
//
// Owns: reading the registry and replacing this node's own entry. Writers take an exclusive
// flock on "<path>.lock", re-read, modify and atomically replace the file (temp, fsync,
// rename), so nodes starting together never lose each other's entries; readers never see a
// torn file. Format: {"nodes": [{"validator_address", "peer_id", "multiaddrs", "database",
// "last_update"}]}. Must not touch: anything else on disk.
#pragma once

#include <filesystem>

#include "node/node.h"

namespace tss::node {

class RegistryFile final : public Registry {
 public:
  explicit RegistryFile(std::filesystem::path path) : path_(std::move(path)) {}
  // kNotFound when the file does not exist; kInvalidArgument when it is not a registry.
  Result<std::vector<RegistryEntry>> Read() override;
  Status Upsert(const RegistryEntry& own) override;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Parses registry JSON text (exposed for fuzzing and tests).
Result<std::vector<RegistryEntry>> ParseRegistry(std::string_view text);

}  // namespace tss::node

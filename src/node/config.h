// node/config.h — how a node is configured, and reading its secrets safely.
//
// Owns: NodeConfig, duration parsing ("250ms", "5s", "3m", "1h"), and loading the identity key
// and the key-share password from a file or an environment variable — never from the process
// list in production use. Must not touch: starting anything.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "common/secure.h"
#include "common/status.h"
#include "keyshare/keyshare_store.h"

namespace tss::node {

// The registry every node and the CLI use unless told otherwise: $TSS_REGISTRY, else
// /tmp/tss-nodes.json (the seed's path).
std::filesystem::path DefaultRegistryPath();

struct NodeConfig {
  std::string validator_address;
  SecureBytes identity_seed;  // 32-byte Ed25519 seed of the libp2p identity
  std::string listen_multiaddr = "/ip4/127.0.0.1/tcp/0";
  std::filesystem::path home;
  std::string db_url;   // empty: SQLite at <home>/tss.db
  std::string api_url;  // the node's HTTP API as its registry entry names it (empty: none)
  std::filesystem::path registry_path = DefaultRegistryPath();
  SecureBytes password;     // seals the key-share files
  keyshare::KdfParams kdf;  // Argon2id cost of sealing them (tests lower it)
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds session_expiry{180'000};
  uint64_t retry_delay_blocks = 5;
  uint64_t coordinator_range = 1000;
  // Coordinator: an attempt without every ACK after this is retried without the silent ones.
  std::chrono::milliseconds ack_timeout{2'000};
  // Coordinator failover: a backup of rank k acts k × this many blocks after the event's block
  // even while the validators ahead of it look live (core::CoordinatorRank).
  uint64_t takeover_blocks = 3;
  // How often the node writes its heartbeat (core::Heartbeat) into its database.
  std::chrono::milliseconds heartbeat_interval{1'000};
  // Registers the node as leaving (core::ValidatorSet): known to the others, so it can deal its
  // shares in a quorum change, but no longer one of the validators keys move to.
  bool leaving = false;
};

// "250ms", "5s", "3m", "1h" (a bare number is seconds). Refuses zero, negatives, junk.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);

// The whole file, with one trailing newline (and CR) removed. A file that group or others may
// read is not refused (containers often run as root with relaxed modes): `too_open` says so,
// and the caller warns.
Result<SecureBytes> ReadSecretFile(const std::filesystem::path& path, bool* too_open = nullptr);

// The key-share password: the file if given, else $TSS_PASSWORD; an error naming both when
// neither is set, or when the password is empty.
Result<SecureBytes> LoadPassword(const std::filesystem::path& password_file);

// A 32-byte seed from 64 hex digits (surrounding whitespace ignored).
Result<SecureBytes> ParseSeedHex(std::string_view hex);

}  // namespace tss::node

// node/parts.h — the one wiring path of a node, used by `tss node` and by the tests: builds the
// production parts from the configuration (libp2p network, SQLite or PostgreSQL event store,
// encrypted key-share files, DKLs23 sessions, registry file, clock-based blocks, the system
// CSPRNG), except those the caller hands in ready-made.
#pragma once

#include "node/node.h"

namespace tss::node {

// Every part left null in `overrides` is built from `config`; the others are used as given.
// Fills in config.db_url (default: SQLite at <home>/tss.db) so the registry shows where the
// node's database is. A key store built here mirrors key states into the node's event store.
Result<NodeParts> BuildNodeParts(NodeConfig& config, NodeParts overrides = {});

}  // namespace tss::node

// node/parts.h — builds a production node's parts from its configuration: libp2p network,
// SQLite or PostgreSQL event store, encrypted key-share files, DKLs23 sessions, registry file,
// clock-based blocks, the system CSPRNG.
#pragma once

#include "node/node.h"

namespace tss::node {

// Fills in config.db_url (default: SQLite at <home>/tss.db) so the registry shows where the
// node's database is.
Result<NodeParts> BuildNodeParts(NodeConfig& config);

}  // namespace tss::node

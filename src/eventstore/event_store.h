// eventstore/event_store.h — the database of TSS events (seed: "eventstore/").
//
// Owns: the `tss_events` table (one schema in SQLite and PostgreSQL) behind core::EventStore,
// reading and writing rows (event_data as a JSON object: {"key_id", "message_hash" (64 hex),
// "chain_path"}), and every status change as a compare-and-set (`UPDATE … WHERE status =
// expected`); `tss_runs`, the protocol run ids this node has started (each at most once, ever);
// `tss_keys`, the public state of each key this node holds (its generations and blame);
// `tss_heartbeats`, each node's periodic sign of life and peer view; and migrating a database
// of an earlier schema to the current one when it is opened. Must not touch: what events mean
// (core::CheckEvent, the coordinator and the session manager decide) — this is storage only.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "core/ports.h"

namespace tss::eventstore {

// "postgres://…" / "postgresql://…" opens PostgreSQL; anything else is a SQLite file path
// (created if missing, WAL mode). The schema is created if absent.
Result<std::unique_ptr<core::EventStore>> OpenEventStore(const std::string& url_or_path);

}  // namespace tss::eventstore

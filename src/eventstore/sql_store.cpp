#include "eventstore/sql_store.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

namespace tss::eventstore {

using core::Event;
using core::EventStatus;
using core::KeyState;

namespace {

// The events table as it is now. Databases made before QUORUM_CHANGE existed CHECK the protocol
// against the first three names; CreateAndMigrate rebuilds their table with this one.
constexpr const char* kEventsColumns = R"sql((
  event_id      TEXT PRIMARY KEY,
  block_number  BIGINT NOT NULL,
  protocol_type TEXT NOT NULL CHECK (protocol_type IN ('KEYGEN', 'KEYREFRESH', 'SIGN', 'QUORUM_CHANGE')),
  status        TEXT NOT NULL CHECK (status IN ('PENDING', 'IN_PROGRESS', 'SUCCESS', 'FAILED', 'EXPIRED')),
  expiry_height BIGINT NOT NULL DEFAULT 0,
  event_data    TEXT NOT NULL DEFAULT '{}',
  result        TEXT NOT NULL DEFAULT '',
  error         TEXT NOT NULL DEFAULT '',
  attempts      BIGINT NOT NULL DEFAULT 0,
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL
))sql";
constexpr const char* kEventsIndex =
    "CREATE INDEX IF NOT EXISTS tss_events_status_block ON tss_events (status, block_number)";

// The other tables, after tss_events and its index.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tss_runs (
  run_id     TEXT PRIMARY KEY,
  event_id   TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS tss_keys (
  key_id        TEXT PRIMARY KEY,
  public_key    TEXT NOT NULL,
  needs_refresh BIGINT NOT NULL DEFAULT 0,
  culprits      TEXT NOT NULL DEFAULT '',
  updated_at    BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS tss_heartbeats (
  validator   TEXT PRIMARY KEY,
  beat_at     BIGINT NOT NULL,
  started_at  BIGINT NOT NULL,
  interval_ms BIGINT NOT NULL,
  stopped     BIGINT NOT NULL DEFAULT 0,
  peers       TEXT NOT NULL DEFAULT '{}'
);
)sql";

// Columns added to tables after their first release. A new database gets them the same way an
// existing one does (kSchema creates each table as first released), so there is one path to
// the current schema, and every open takes a database of any earlier version there.
struct AddedColumn {
  const char* table;
  const char* column;
  const char* definition;
};
constexpr AddedColumn kAddedColumns[] = {
    {"tss_keys", "generation", "BIGINT NOT NULL DEFAULT 0"},
    {"tss_keys", "fingerprint", "TEXT NOT NULL DEFAULT ''"},
    {"tss_keys", "pending_generation", "BIGINT"},  // NULL: nothing pending
    {"tss_keys", "pending_fingerprint", "TEXT NOT NULL DEFAULT ''"},
    {"tss_keys", "previous_generation", "BIGINT"},  // NULL: nothing retained
    {"tss_keys", "previous_fingerprint", "TEXT NOT NULL DEFAULT ''"},
    {"tss_keys", "holders", "TEXT NOT NULL DEFAULT ''"},  // comma-separated, in the key's order
    {"tss_keys", "threshold", "BIGINT NOT NULL DEFAULT 0"},
};

constexpr const char* kColumns =
    "event_id, block_number, protocol_type, status, expiry_height, event_data, result, error, "
    "attempts, "
    "created_at, updated_at";

int64_t AsInt(const SqlValue& v) {
  return std::holds_alternative<int64_t>(v) ? std::get<int64_t>(v) : 0;
}
std::string AsText(const SqlValue& v) {
  return std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : std::string();
}

// A generation stored as a nullable number column and a fingerprint column.
SqlValue GenerationNumber(const std::optional<core::KeyGeneration>& g) {
  return g ? SqlValue(int64_t{g->number}) : SqlValue();
}
std::optional<core::KeyGeneration> ReadGeneration(const SqlValue& number,
                                                  const SqlValue& fingerprint) {
  if (!std::holds_alternative<int64_t>(number)) return std::nullopt;
  return core::KeyGeneration{static_cast<uint32_t>(AsInt(number)), AsText(fingerprint)};
}

std::vector<std::string> SplitCommas(const std::string& list) {
  std::vector<std::string> out;
  for (size_t start = 0; start < list.size();) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// Reads event_data into the event's fields; what cannot be read goes into `defect`.
void ReadEventData(const std::string& text, Event& e) {
  auto j = nlohmann::json::parse(text.empty() ? "{}" : text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    e.defect = "event_data is not a JSON object";
    return;
  }
  auto field = [&](const char* name, std::string& out) {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return;
    if (it->is_string())
      out = it->get<std::string>();
    else if (e.defect.empty())
      e.defect = std::string(name) + " must be a string";
  };
  std::string hash;
  field("key_id", e.key_id);
  field("chain_path", e.chain_path);
  field("message_hash", hash);
  if (!hash.empty()) {
    auto bytes = FromHex(hash);
    if (bytes.ok() && bytes->size() == 32)
      e.message_hash = std::move(*bytes);
    else if (e.defect.empty())
      e.defect = "message_hash must be 64 hex digits";
  }
}

Result<Event> FromRow(const SqlRow& row) {
  if (row.size() != 11)
    return InternalError("tss_events row has " + std::to_string(row.size()) + " columns");
  Event e;
  e.event_id = AsText(row[0]);
  e.block_number = static_cast<uint64_t>(AsInt(row[1]));
  // The schema's CHECK keeps both columns to known names; a row that still has another one
  // (a newer version's) is a defect of that event, not an error of the whole listing.
  if (auto protocol = core::ParseProtocolType(AsText(row[2])); protocol.ok())
    e.protocol = *protocol;
  else
    e.defect = protocol.status().message();
  TSS_ASSIGN_OR_RETURN(e.status, core::ParseEventStatus(AsText(row[3])));
  e.expiry_height = static_cast<uint64_t>(AsInt(row[4]));
  ReadEventData(AsText(row[5]), e);
  e.result = AsText(row[6]);
  e.error = AsText(row[7]);
  e.attempts = AsInt(row[8]);
  e.created_at = AsInt(row[9]);
  e.updated_at = AsInt(row[10]);
  return e;
}

std::string Name(EventStatus s) {
  return core::EventStatusName(s);
}

// The event_data column: what the event asks for, as a JSON object.
std::string EncodeEventData(const Event& e) {
  nlohmann::json j = nlohmann::json::object();
  if (!e.key_id.empty()) j["key_id"] = e.key_id;
  if (!e.message_hash.empty()) j["message_hash"] = ToHex(e.message_hash);
  if (!e.chain_path.empty()) j["chain_path"] = e.chain_path;
  return j.dump();
}

}  // namespace

SqlEventStore::SqlEventStore(std::unique_ptr<SqlConnection> conn) : conn_(std::move(conn)) {}

Result<std::vector<std::string>> SqlEventStore::Columns(const std::string& table) {
  TSS_ASSIGN_OR_RETURN(auto rows, conn_->Query(conn_->ColumnNamesSql(), {table}));
  std::vector<std::string> names;
  for (const auto& row : rows)
    if (!row.empty()) names.push_back(AsText(row[0]));
  return names;
}

Status SqlEventStore::Init() {
  std::lock_guard lock(mu_);
  TSS_RETURN_IF_ERROR(conn_->Exec(conn_->BeginSchemaChangeSql()));
  Status changed = CreateAndMigrate();
  if (!changed.ok()) {
    (void)conn_->Exec("ROLLBACK");
    return changed;
  }
  return conn_->Exec("COMMIT");
}

Status SqlEventStore::CreateAndMigrate() {
  TSS_RETURN_IF_ERROR(conn_->Exec(std::string("CREATE TABLE IF NOT EXISTS tss_events ") +
                                  kEventsColumns + "; " + kEventsIndex + ";" + kSchema));
  std::map<std::string, std::vector<std::string>> columns;  // by table, read once each
  for (const auto& added : kAddedColumns) {
    auto [seen, first] = columns.try_emplace(added.table);
    if (first) {
      TSS_ASSIGN_OR_RETURN(seen->second, Columns(added.table));
    }
    if (std::find(seen->second.begin(), seen->second.end(), added.column) != seen->second.end())
      continue;
    Status altered = conn_->Exec(std::string("ALTER TABLE ") + added.table + " ADD COLUMN " +
                                 added.column + " " + added.definition);
    if (!altered.ok())
      return Status(altered.code(), std::string("cannot add column ") + added.table + "." +
                                        added.column + ": " + altered.message());
  }
  return AllowQuorumChange();
}

Status SqlEventStore::AllowQuorumChange() {
  // A probe row (rolled back either way) tells whether the table's CHECK knows QUORUM_CHANGE.
  // The same SQL on SQLite and PostgreSQL: a savepoint keeps PostgreSQL's transaction usable
  // after the failed insert.
  TSS_RETURN_IF_ERROR(conn_->Exec("SAVEPOINT tss_probe"));
  Status probe = conn_->Exec(
      "INSERT INTO tss_events (event_id, block_number, protocol_type, status, created_at, "
      "updated_at) VALUES ('tss-schema-probe', 0, 'QUORUM_CHANGE', 'PENDING', 0, 0)");
  TSS_RETURN_IF_ERROR(conn_->Exec("ROLLBACK TO SAVEPOINT tss_probe"));
  TSS_RETURN_IF_ERROR(conn_->Exec("RELEASE SAVEPOINT tss_probe"));
  if (probe.ok()) return Status::Ok();
  Status rebuilt =
      conn_->Exec(std::string("CREATE TABLE tss_events_next ") + kEventsColumns +
                  "; INSERT INTO tss_events_next (" + kColumns + ") SELECT " + kColumns +
                  " FROM tss_events; DROP TABLE tss_events; ALTER TABLE tss_events_next RENAME TO "
                  "tss_events; " +
                  kEventsIndex);
  if (!rebuilt.ok())
    return Status(rebuilt.code(),
                  "cannot let tss_events hold QUORUM_CHANGE events: " + rebuilt.message());
  return Status::Ok();
}

Status SqlEventStore::Create(const Event& e) {
  if (e.event_id.empty()) return InvalidArgument("an event needs an id");
  std::lock_guard lock(mu_);
  int64_t now = core::UnixMillis();
  auto inserted = conn_->Update(
      std::string("INSERT INTO tss_events (") + kColumns +
          ") VALUES ($1, $2, $3, $4, $5, $6, '', '', 0, $7, $7) ON CONFLICT (event_id) DO NOTHING",
      {e.event_id, static_cast<int64_t>(e.block_number),
       std::string(core::ProtocolTypeName(e.protocol)), Name(EventStatus::kPending),
       static_cast<int64_t>(e.expiry_height), EncodeEventData(e), now});
  if (!inserted.ok()) return inserted.status();
  if (*inserted == 0) return {ErrorCode::kAlreadyExists, "event " + e.event_id + " already exists"};
  return Status::Ok();
}

Result<std::vector<Event>> SqlEventStore::Select(const std::string& rest,
                                                 const std::vector<SqlValue>& params) {
  std::lock_guard lock(mu_);
  TSS_ASSIGN_OR_RETURN(
      auto rows,
      conn_->Query(std::string("SELECT ") + kColumns + " FROM tss_events " + rest, params));
  std::vector<Event> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    TSS_ASSIGN_OR_RETURN(Event e, FromRow(row));
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::optional<Event>> SqlEventStore::Get(const std::string& event_id) {
  TSS_ASSIGN_OR_RETURN(auto events, Select("WHERE event_id = $1", {event_id}));
  if (events.empty()) return std::optional<Event>();
  return std::optional<Event>(std::move(events.front()));
}

Result<std::vector<Event>> SqlEventStore::Pending(uint64_t current_block, size_t limit) {
  return Select(
      "WHERE status = 'PENDING' AND block_number <= $1 ORDER BY block_number, created_at LIMIT $2",
      {static_cast<int64_t>(current_block), static_cast<int64_t>(limit)});
}

Result<std::vector<Event>> SqlEventStore::WithStatus(EventStatus status, size_t limit) {
  return Select("WHERE status = $1 ORDER BY block_number, created_at LIMIT $2",
                {Name(status), static_cast<int64_t>(limit)});
}

Result<std::vector<Event>> SqlEventStore::List(size_t limit) {
  return Select("ORDER BY created_at DESC LIMIT $1", {static_cast<int64_t>(limit)});
}

Result<std::vector<core::EventTally>> SqlEventStore::Tally() {
  // One pass over the table: per pair, the count, the summed duration, and one sum per bucket.
  std::string sql =
      "SELECT protocol_type, status, COUNT(*), CAST(SUM(updated_at - created_at) AS BIGINT)";
  std::vector<SqlValue> params;
  for (int64_t bound : core::EventTally::kBucketsMs) {
    params.emplace_back(bound);
    sql += ", CAST(SUM(CASE WHEN updated_at - created_at <= CAST($" +
           std::to_string(params.size()) + " AS BIGINT) THEN 1 ELSE 0 END) AS BIGINT)";
  }
  sql += " FROM tss_events GROUP BY protocol_type, status";
  std::lock_guard lock(mu_);
  TSS_ASSIGN_OR_RETURN(auto rows, conn_->Query(sql, params));
  std::vector<core::EventTally> out;
  for (const auto& row : rows) {
    if (row.size() != 4 + core::EventTally::kBucketsMs.size())
      return InternalError("the tally row has the wrong width");
    auto protocol = core::ParseProtocolType(AsText(row[0]));
    auto status = core::ParseEventStatus(AsText(row[1]));
    if (!protocol.ok() || !status.ok()) continue;
    core::EventTally t;
    t.protocol = *protocol;
    t.status = *status;
    t.count = static_cast<uint64_t>(AsInt(row[2]));
    t.duration_ms_sum = AsInt(row[3]);
    for (size_t i = 0; i < t.at_most.size(); ++i)
      t.at_most[i] = static_cast<uint64_t>(AsInt(row[4 + i]));
    out.push_back(t);
  }
  return out;
}

Result<bool> SqlEventStore::Move(const std::string& event_id, EventStatus from, EventStatus to,
                                 const core::EventChange& change) {
  // One statement writes the status and everything the change gives (an empty result or error
  // and an absent block leave the column as it is).
  std::lock_guard lock(mu_);
  TSS_ASSIGN_OR_RETURN(
      int64_t changed,
      conn_->Update("UPDATE tss_events SET status = $1, updated_at = $2, attempts = attempts + $3, "
                    "block_number = CASE WHEN CAST($4 AS BIGINT) < 0 THEN block_number ELSE "
                    "CAST($4 AS BIGINT) END, "
                    "result = CASE WHEN $5 = '' THEN result ELSE $5 END, "
                    "error = CASE WHEN $6 = '' THEN error ELSE $6 END "
                    "WHERE event_id = $7 AND status = $8",
                    {Name(to), core::UnixMillis(), int64_t{to == EventStatus::kInProgress},
                     change.block_number ? static_cast<int64_t>(*change.block_number) : int64_t{-1},
                     change.result, change.error, event_id, Name(from)}));
  return changed == 1;
}

Result<size_t> SqlEventStore::ResetInProgressToPending() {
  std::lock_guard lock(mu_);
  TSS_ASSIGN_OR_RETURN(int64_t changed,
                       conn_->Update("UPDATE tss_events SET status = 'PENDING', updated_at = $1 "
                                     "WHERE status = 'IN_PROGRESS'",
                                     {core::UnixMillis()}));
  return static_cast<size_t>(changed);
}

Result<size_t> SqlEventStore::ExpirePending(uint64_t current_block) {
  std::lock_guard lock(mu_);
  TSS_ASSIGN_OR_RETURN(
      int64_t changed,
      conn_->Update("UPDATE tss_events SET status = 'EXPIRED', updated_at = $1, "
                    "error = 'expired before it could be processed' "
                    "WHERE status = 'PENDING' AND expiry_height > 0 AND expiry_height < $2",
                    {core::UnixMillis(), static_cast<int64_t>(current_block)}));
  return static_cast<size_t>(changed);
}

Result<bool> SqlEventStore::RecordRun(const core::SessionId& run_id, const std::string& event_id) {
  std::lock_guard lock(mu_);
  TSS_ASSIGN_OR_RETURN(int64_t inserted,
                       conn_->Update("INSERT INTO tss_runs (run_id, event_id, created_at) "
                                     "VALUES ($1, $2, $3) ON CONFLICT (run_id) DO NOTHING",
                                     {ToHex(run_id), event_id, core::UnixMillis()}));
  return inserted == 1;
}

Status SqlEventStore::SaveKeyState(const KeyState& k) {
  std::string culprits;
  for (const auto& c : k.culprits) culprits += (culprits.empty() ? "" : ",") + c;
  std::string holders;
  for (const auto& h : k.holders) holders += (holders.empty() ? "" : ",") + h;
  std::lock_guard lock(mu_);
  auto changed = conn_->Update(
      "INSERT INTO tss_keys (key_id, public_key, needs_refresh, culprits, updated_at, generation, "
      "fingerprint, pending_generation, pending_fingerprint, previous_generation, "
      "previous_fingerprint, holders, threshold) VALUES ($1, $2, $3, $4, $5, $6, $7, "
      "CAST($8 AS BIGINT), $9, CAST($10 AS BIGINT), $11, $12, $13) ON CONFLICT (key_id) DO "
      "UPDATE SET "
      "public_key = excluded.public_key, needs_refresh = excluded.needs_refresh, "
      "culprits = excluded.culprits, updated_at = excluded.updated_at, "
      "generation = excluded.generation, fingerprint = excluded.fingerprint, "
      "pending_generation = excluded.pending_generation, "
      "pending_fingerprint = excluded.pending_fingerprint, "
      "previous_generation = excluded.previous_generation, "
      "previous_fingerprint = excluded.previous_fingerprint, holders = excluded.holders, "
      "threshold = excluded.threshold",
      {k.key_id, k.public_key, int64_t{k.needs_refresh}, culprits, core::UnixMillis(),
       int64_t{k.active.number}, k.active.fingerprint, GenerationNumber(k.pending),
       k.pending ? k.pending->fingerprint : std::string(), GenerationNumber(k.previous),
       k.previous ? k.previous->fingerprint : std::string(), holders, int64_t{k.threshold}});
  return changed.ok() ? Status::Ok() : changed.status();
}

Status SqlEventStore::RemoveKeyState(const std::string& key_id) {
  std::lock_guard lock(mu_);
  auto changed = conn_->Update("DELETE FROM tss_keys WHERE key_id = $1", {key_id});
  return changed.ok() ? Status::Ok() : changed.status();
}

Result<std::vector<KeyState>> SqlEventStore::ListKeyStates() {
  std::lock_guard lock(mu_);
  TSS_ASSIGN_OR_RETURN(
      auto rows, conn_->Query("SELECT key_id, public_key, needs_refresh, culprits, generation, "
                              "fingerprint, pending_generation, pending_fingerprint, "
                              "previous_generation, previous_fingerprint, holders, threshold "
                              "FROM tss_keys "
                              "ORDER BY key_id",
                              {}));
  std::vector<KeyState> out;
  for (const auto& row : rows) {
    if (row.size() != 12) return InternalError("tss_keys row has the wrong width");
    KeyState k;
    k.key_id = AsText(row[0]);
    k.public_key = AsText(row[1]);
    k.needs_refresh = AsInt(row[2]) != 0;
    k.culprits = SplitCommas(AsText(row[3]));
    k.active = {static_cast<uint32_t>(AsInt(row[4])), AsText(row[5])};
    k.pending = ReadGeneration(row[6], row[7]);
    k.previous = ReadGeneration(row[8], row[9]);
    k.holders = SplitCommas(AsText(row[10]));
    k.threshold = static_cast<uint16_t>(AsInt(row[11]));
    out.push_back(std::move(k));
  }
  return out;
}

Status SqlEventStore::SaveHeartbeat(const core::Heartbeat& beat) {
  if (beat.validator.empty()) return InvalidArgument("a heartbeat needs the node's address");
  std::string peers = nlohmann::json(beat.peers).dump();
  std::lock_guard lock(mu_);
  auto changed = conn_->Update(
      "INSERT INTO tss_heartbeats (validator, beat_at, started_at, interval_ms, stopped, peers) "
      "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (validator) DO UPDATE SET "
      "beat_at = excluded.beat_at, started_at = excluded.started_at, "
      "interval_ms = excluded.interval_ms, stopped = excluded.stopped, peers = excluded.peers",
      {beat.validator, beat.beat_at, beat.started_at, beat.interval_ms, int64_t{beat.stopped},
       peers});
  return changed.ok() ? Status::Ok() : changed.status();
}

Result<std::vector<core::Heartbeat>> SqlEventStore::ListHeartbeats() {
  std::lock_guard lock(mu_);
  TSS_ASSIGN_OR_RETURN(auto rows, conn_->Query("SELECT validator, beat_at, started_at, "
                                               "interval_ms, stopped, peers FROM tss_heartbeats "
                                               "ORDER BY validator",
                                               {}));
  std::vector<core::Heartbeat> out;
  for (const auto& row : rows) {
    if (row.size() != 6) return InternalError("tss_heartbeats row has the wrong width");
    core::Heartbeat beat;
    beat.validator = AsText(row[0]);
    beat.beat_at = AsInt(row[1]);
    beat.started_at = AsInt(row[2]);
    beat.interval_ms = AsInt(row[3]);
    beat.stopped = AsInt(row[4]) != 0;
    // A peers column that is not an object of strings (an operator's edit) reads as no view.
    auto peers = nlohmann::json::parse(AsText(row[5]), nullptr, false);
    if (peers.is_object())
      for (const auto& [address, liveness] : peers.items())
        if (liveness.is_string()) beat.peers[address] = liveness.get<std::string>();
    out.push_back(std::move(beat));
  }
  return out;
}

Result<std::unique_ptr<core::EventStore>> OpenEventStore(const std::string& url) {
  std::unique_ptr<SqlConnection> conn;
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    TSS_ASSIGN_OR_RETURN(conn, OpenPostgres(url));
  } else {
    if (url.empty()) return InvalidArgument("no database given");
    TSS_ASSIGN_OR_RETURN(conn, OpenSqlite(url));
  }
  auto store = std::make_unique<SqlEventStore>(std::move(conn));
  if (auto st = store->Init(); !st.ok())
    return Status(st.code(), "cannot prepare the event table in " + url + ": " + st.message());
  return std::unique_ptr<core::EventStore>(std::move(store));
}

}  // namespace tss::eventstore

// eventstore/sql_store.h — the SQL shared by both back ends, over a tiny connection interface,
// so SQLite and PostgreSQL differ only in how they bind parameters and read rows.
#pragma once

#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "eventstore/event_store.h"

namespace tss::eventstore {

using SqlValue = std::variant<std::monostate, int64_t, std::string>;
using SqlRow = std::vector<SqlValue>;

// One database connection. Queries use $1, $2, … placeholders (SQLite accepts them too).
class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  virtual Status Exec(const std::string& sql) = 0;
  virtual Result<std::vector<SqlRow>> Query(const std::string& sql,
                                            const std::vector<SqlValue>& params) = 0;
  // Rows changed by the statement.
  virtual Result<int64_t> Update(const std::string& sql, const std::vector<SqlValue>& params) = 0;
  // A query whose rows are the names of the columns of table $1 (none when there is no such
  // table): what the schema migration compares against.
  virtual std::string ColumnNamesSql() const = 0;
  // Begins a transaction that holds the database's schema lock until COMMIT or ROLLBACK, so
  // that processes opening one database at once (a node and a `tss` command) create and
  // migrate its tables one after the other.
  virtual std::string BeginSchemaChangeSql() const = 0;
};

class SqlEventStore final : public core::EventStore {
 public:
  explicit SqlEventStore(std::unique_ptr<SqlConnection> conn);
  // Creates what is missing and migrates an earlier schema to the current one.
  Status Init();

  Status Create(const core::Event& event) override;
  Result<std::optional<core::Event>> Get(const std::string& event_id) override;
  Result<std::vector<core::Event>> Pending(uint64_t current_block, size_t limit) override;
  Result<std::vector<core::Event>> WithStatus(core::EventStatus status, size_t limit) override;
  Result<std::vector<core::Event>> List(size_t limit) override;
  Result<std::vector<core::EventTally>> Tally() override;
  Result<bool> Move(const std::string& event_id, core::EventStatus from, core::EventStatus to,
                    const core::EventChange& change) override;
  Result<size_t> ResetInProgressToPending() override;
  Result<size_t> ExpirePending(uint64_t current_block) override;
  Result<bool> RecordRun(const core::SessionId& run_id, const std::string& event_id) override;
  Status SaveKeyState(const core::KeyState& key) override;
  Result<std::vector<core::KeyState>> ListKeyStates() override;
  Status RemoveKeyState(const std::string& key_id) override;
  Status SaveHeartbeat(const core::Heartbeat& beat) override;
  Result<std::vector<core::Heartbeat>> ListHeartbeats() override;

 private:
  Result<std::vector<core::Event>> Select(const std::string& where,
                                          const std::vector<SqlValue>& params);
  Result<std::vector<std::string>> Columns(const std::string& table);  // mu_ held
  Status CreateAndMigrate();                                           // mu_ held, in the lock
  Status AllowQuorumChange();                                          // part of CreateAndMigrate
  std::mutex mu_;  // one connection, used by one thread at a time
  std::unique_ptr<SqlConnection> conn_;
};

Result<std::unique_ptr<SqlConnection>> OpenSqlite(const std::string& path);
Result<std::unique_ptr<SqlConnection>> OpenPostgres(const std::string& url);

}  // namespace tss::eventstore

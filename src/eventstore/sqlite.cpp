// SQLite back end: WAL mode (readers never block the writer; the CLI can add events while the
// node runs), a busy timeout for concurrent writers, FULL sync so a SUCCESS survives a crash.
#include <sqlite3.h>

#include "eventstore/sql_store.h"

namespace tss::eventstore {

namespace {

class SqliteConnection final : public SqlConnection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override { sqlite3_close_v2(db_); }

  Status Exec(const std::string& sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      return IoError("sqlite: " + msg);
    }
    return Status::Ok();
  }

  Result<std::vector<SqlRow>> Query(const std::string& sql,
                                    const std::vector<SqlValue>& params) override {
    sqlite3_stmt* stmt = nullptr;
    TSS_RETURN_IF_ERROR(Prepare(sql, params, &stmt));
    std::vector<SqlRow> rows;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      SqlRow row;
      for (int c = 0, n = sqlite3_column_count(stmt); c < n; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_INTEGER:
            row.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c)));
            break;
          case SQLITE_NULL:
            row.emplace_back(std::monostate{});
            break;
          default:
            row.emplace_back(
                std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
                            static_cast<size_t>(sqlite3_column_bytes(stmt, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) return IoError(std::string("sqlite: ") + sqlite3_errmsg(db_));
    return rows;
  }

  Result<int64_t> Update(const std::string& sql, const std::vector<SqlValue>& params) override {
    sqlite3_stmt* stmt = nullptr;
    TSS_RETURN_IF_ERROR(Prepare(sql, params, &stmt));
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) return IoError(std::string("sqlite: ") + sqlite3_errmsg(db_));
    return static_cast<int64_t>(sqlite3_changes(db_));
  }

  std::string ColumnNamesSql() const override { return "SELECT name FROM pragma_table_info($1)"; }
  // The write lock at once (not at the first write), waiting out another writer's schema change.
  std::string BeginSchemaChangeSql() const override { return "BEGIN IMMEDIATE"; }

 private:
  Status Prepare(const std::string& sql, const std::vector<SqlValue>& params, sqlite3_stmt** stmt) {
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, stmt, nullptr) != SQLITE_OK)
      return IoError(std::string("sqlite: ") + sqlite3_errmsg(db_));
    for (size_t i = 0; i < params.size(); ++i) {
      // "$N" is a named parameter to SQLite: look its slot up so order of appearance is irrelevant.
      int slot = sqlite3_bind_parameter_index(*stmt, ("$" + std::to_string(i + 1)).c_str());
      if (slot == 0) continue;
      const SqlValue& v = params[i];
      int rc = SQLITE_OK;
      if (std::holds_alternative<int64_t>(v))
        rc = sqlite3_bind_int64(*stmt, slot, std::get<int64_t>(v));
      else if (std::holds_alternative<std::string>(v))
        rc = sqlite3_bind_text(*stmt, slot, std::get<std::string>(v).data(),
                               static_cast<int>(std::get<std::string>(v).size()), SQLITE_TRANSIENT);
      else
        rc = sqlite3_bind_null(*stmt, slot);
      if (rc != SQLITE_OK) {
        sqlite3_finalize(*stmt);
        return IoError(std::string("sqlite: ") + sqlite3_errmsg(db_));
      }
    }
    return Status::Ok();
  }

  sqlite3* db_;
};

}  // namespace

Result<std::unique_ptr<SqlConnection>> OpenSqlite(const std::string& path) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return IoError("cannot open SQLite database " + path + ": " + msg);
  }
  auto conn = std::make_unique<SqliteConnection>(db);
  sqlite3_busy_timeout(db, 10'000);
  // A file that is not a database fails here, with SQLite's "file is not a database".
  if (auto st = conn->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"); !st.ok())
    return IoError("cannot use " + path + " as a SQLite database: " + st.message());
  return std::unique_ptr<SqlConnection>(std::move(conn));
}

}  // namespace tss::eventstore

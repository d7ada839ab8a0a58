// PostgreSQL back end over libpq: text-format parameters, one connection guarded by the store's
// mutex, one reconnect attempt when the server dropped us.
#include <libpq-fe.h>

#include <charconv>

#include "eventstore/sql_store.h"

namespace tss::eventstore {

namespace {

class PostgresConnection final : public SqlConnection {
 public:
  explicit PostgresConnection(PGconn* conn) : conn_(conn) {}
  ~PostgresConnection() override { PQfinish(conn_); }

  Status Exec(const std::string& sql) override {
    PGresult* res = Run(sql, {});
    auto ok = Check(res, PGRES_COMMAND_OK);
    if (!ok.ok()) return ok.status();
    PQclear(res);
    return Status::Ok();
  }

  Result<std::vector<SqlRow>> Query(const std::string& sql,
                                    const std::vector<SqlValue>& params) override {
    PGresult* res = Run(sql, params);
    auto ok = Check(res, PGRES_TUPLES_OK);
    if (!ok.ok()) return ok.status();
    std::vector<SqlRow> rows;
    int n = PQntuples(res), cols = PQnfields(res);
    for (int r = 0; r < n; ++r) {
      SqlRow row;
      for (int c = 0; c < cols; ++c) {
        if (PQgetisnull(res, r, c)) {
          row.emplace_back(std::monostate{});
          continue;
        }
        const char* text = PQgetvalue(res, r, c);
        Oid type = PQftype(res, c);
        if (type == 20 || type == 23 || type == 21) {  // int8, int4, int2
          int64_t v = 0;
          std::from_chars(text, text + PQgetlength(res, r, c), v);
          row.emplace_back(v);
        } else {
          row.emplace_back(std::string(text, static_cast<size_t>(PQgetlength(res, r, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    PQclear(res);
    return rows;
  }

  Result<int64_t> Update(const std::string& sql, const std::vector<SqlValue>& params) override {
    PGresult* res = Run(sql, params);
    auto ok = Check(res, PGRES_COMMAND_OK);
    if (!ok.ok()) return ok.status();
    int64_t changed = 0;
    const char* n = PQcmdTuples(res);
    std::from_chars(n, n + std::char_traits<char>::length(n), changed);
    PQclear(res);
    return changed;
  }

  std::string ColumnNamesSql() const override {
    return "SELECT column_name::text FROM information_schema.columns "
           "WHERE table_schema = current_schema() AND table_name = $1";
  }
  // CREATE TABLE IF NOT EXISTS is not safe against a concurrent one in PostgreSQL (both may try
  // to insert the type): a transaction-scoped advisory lock (any fixed key) serializes them.
  std::string BeginSchemaChangeSql() const override {
    return "BEGIN; DO $$ BEGIN PERFORM pg_advisory_xact_lock(5457530); END $$";
  }

 private:
  PGresult* Run(const std::string& sql, const std::vector<SqlValue>& params) {
    if (PQstatus(conn_) != CONNECTION_OK) PQreset(conn_);
    std::vector<std::string> text(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
      if (std::holds_alternative<int64_t>(params[i])) {
        text[i] = std::to_string(std::get<int64_t>(params[i]));
        values[i] = text[i].c_str();
      } else if (std::holds_alternative<std::string>(params[i])) {
        values[i] = std::get<std::string>(params[i]).c_str();
      }
    }
    if (params.empty()) return PQexec(conn_, sql.c_str());
    return PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                        nullptr, nullptr, 0);
  }

  Result<PGresult*> Check(PGresult* res, ExecStatusType want) {
    // On success the caller reads and clears the result; on failure it is cleared here.
    if (res && PQresultStatus(res) == want) return res;
    std::string msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
    if (res) PQclear(res);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return IoError("postgres: " + msg);
  }

  PGconn* conn_;
};

}  // namespace

Result<std::unique_ptr<SqlConnection>> OpenPostgres(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (!conn || PQstatus(conn) != CONNECTION_OK) {
    std::string msg = conn ? PQerrorMessage(conn) : "out of memory";
    PQfinish(conn);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return IoError("cannot connect to PostgreSQL at " + url + ": " + msg);
  }
  // Notices (e.g. "relation already exists, skipping") would otherwise go to stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<SqlConnection>(std::make_unique<PostgresConnection>(conn));
}

}  // namespace tss::eventstore

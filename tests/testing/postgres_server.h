// tests/testing/postgres_server.h — a real, throwaway PostgreSQL server for tests.
//
// initdb into a temp folder (as the `postgres` user when running as root, since PostgreSQL
// refuses root), start on a free loopback port, create databases, stop and delete at the end.
// When the binaries are missing it reports why; under CI=true the caller must fail, not skip.
#pragma once

#include <string>

namespace tss::testing {

class PostgresServer {
 public:
  PostgresServer() = default;
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Empty on success, otherwise what went wrong.
  std::string Start();
  void Stop();
  // Creates a database and returns its postgres:// URL (empty on failure).
  std::string CreateDatabase(const std::string& name);
  int port() const { return port_; }

 private:
  std::string Run(const std::string& command, bool as_postgres);
  std::string bin_dir_, dir_;
  int port_ = 0;
  bool running_ = false;
};

}  // namespace tss::testing

#include "testing/postgres_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace tss::testing {

namespace {
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}
}  // namespace

PostgresServer::~PostgresServer() {
  Stop();
}

std::string PostgresServer::Run(const std::string& command, bool as_postgres) {
  std::string cmd =
      (as_postgres && ::geteuid() == 0 ? "runuser -u postgres -- " : "") + command + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return "cannot run: " + command;
  std::string out;
  std::array<char, 512> buf;
  while (::fgets(buf.data(), buf.size(), p)) out += buf.data();
  int rc = ::pclose(p);
  return rc == 0 ? "" : (out.empty() ? "failed: " + command : out);
}

std::string PostgresServer::Start() {
  namespace fs = std::filesystem;
  for (const auto& entry :
       fs::directory_iterator("/usr/lib/postgresql", fs::directory_options::skip_permission_denied))
    if (fs::exists(entry.path() / "bin/initdb")) bin_dir_ = (entry.path() / "bin").string();
  if (bin_dir_.empty()) return "PostgreSQL is not installed (scripts/install-deps.sh installs it)";
  char tmpl[] = "/tmp/tss-pg-XXXXXX";
  if (!::mkdtemp(tmpl)) return "cannot create a temp folder";
  dir_ = tmpl;
  if (::geteuid() == 0) {
    if (std::string e = Run("chown postgres:postgres " + dir_, false); !e.empty()) return e;
  }
  port_ = FreePort();
  if (std::string e = Run(bin_dir_ + "/initdb -D " + dir_ + "/data -A trust -U tss", true);
      !e.empty())
    return "initdb failed: " + e;
  std::string opts =
      "-p " + std::to_string(port_) + " -k " + dir_ + " -c listen_addresses=127.0.0.1";
  if (std::string e = Run(
          bin_dir_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/log -o '" + opts + "' -w start",
          true);
      !e.empty())
    return "pg_ctl start failed: " + e;
  running_ = true;
  return "";
}

std::string PostgresServer::CreateDatabase(const std::string& name) {
  std::string e = Run("psql -h 127.0.0.1 -p " + std::to_string(port_) +
                          " -U tss -d postgres -q -c 'CREATE DATABASE \"" + name + "\"'",
                      false);
  if (!e.empty()) return "";
  return "postgres://tss@127.0.0.1:" + std::to_string(port_) + "/" + name;
}

void PostgresServer::Stop() {
  if (running_) Run(bin_dir_ + "/pg_ctl -D " + dir_ + "/data -m fast -w stop", true);
  running_ = false;
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
}

}  // namespace tss::testing

#include "node/registry_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

namespace tss::node {
namespace {

std::filesystem::path TempPath(const char* name) {
  auto p = std::filesystem::path(::testing::TempDir()) /
           (std::string(name) + "-" + std::to_string(::getpid()) + ".json");
  std::filesystem::remove(p);
  return p;
}

TEST(RegistryFile, MissingIsAClearError) {
  RegistryFile r(TempPath("missing"));
  auto read = r.Read();
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(read.status().message().find("no registry"), std::string::npos);
}

TEST(RegistryFile, UpsertReplacesOwnEntryOnly) {
  auto path = TempPath("upsert");
  RegistryFile r(path);
  ASSERT_TRUE(r.Upsert({"v1", "peer1", {"/ip4/127.0.0.1/tcp/1"}, "db1"}).ok());
  ASSERT_TRUE(r.Upsert({"v2", "peer2", {"/ip4/127.0.0.1/tcp/2"}, "db2"}).ok());
  ASSERT_TRUE(r.Upsert({"v1", "peer1b", {"/ip4/127.0.0.1/tcp/3"}, "db1"}).ok());
  auto entries = r.Read();
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  for (const auto& e : *entries) {
    if (e.validator_address == "v1") {
      EXPECT_EQ(e.peer_id, "peer1b");
      EXPECT_EQ(e.multiaddrs, std::vector<std::string>{"/ip4/127.0.0.1/tcp/3"});
    } else {
      EXPECT_EQ(e.validator_address, "v2");
      EXPECT_EQ(e.database, "db2");
    }
  }
  std::filesystem::remove(path);
}

TEST(RegistryFile, ConcurrentWritersLoseNoEntry) {
  auto path = TempPath("concurrent");
  constexpr int kWriters = 8;
  std::vector<pid_t> kids;
  for (int i = 0; i < kWriters; ++i) {
    pid_t pid = ::fork();
    if (pid == 0) {
      RegistryFile r(path);
      for (int k = 0; k < 5; ++k)
        if (!r.Upsert({"v" + std::to_string(i), "p" + std::to_string(k), {}, ""}).ok()) ::_exit(1);
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto entries = RegistryFile(path).Read();
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(entries->size(), static_cast<size_t>(kWriters));
  std::filesystem::remove(path);
}

TEST(RegistryFile, CorruptIsAClearErrorAndNotOverwritten) {
  auto path = TempPath("corrupt");
  { std::ofstream(path) << "{ not json"; }
  RegistryFile r(path);
  EXPECT_EQ(r.Read().status().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(r.Upsert({"v1", "p", {}, ""}).ok());
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "{ not json");
  for (const char* bad :
       {"[]x", "{\"nodes\": 3}", "{\"nodes\": [1]}", "{\"nodes\": [{\"peer_id\": \"p\"}]}"})
    EXPECT_FALSE(ParseRegistry(bad).ok()) << bad;
  EXPECT_TRUE(ParseRegistry("{\"nodes\": []}").ok());
  std::filesystem::remove(path);
}

// The registry is shared with other processes and people: entries of the wrong shape are
// someone else's to fix — our upsert keeps them and never throws on them.
TEST(RegistryFile, UpsertKeepsOddEntriesOfOthers) {
  auto path = TempPath("odd");
  {
    std::ofstream(path) << R"({"nodes": [{"validator_address": 7, "peer_id": "x"},
                                         {"validator_address": null}, "text"]})";
  }
  RegistryFile r(path);
  ASSERT_TRUE(r.Upsert({"v1", "peer1", {}, ""}).ok());
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"validator_address\": 7"), std::string::npos) << text;
  EXPECT_NE(text.find("\"v1\""), std::string::npos) << text;
  std::filesystem::remove(path);
}

// The registry decides whom a node trusts: a file anyone else can write is refused, on read and
// before a write, and the node's own writes leave it 0644 whatever the umask.
TEST(RegistryFile, AFileOthersCanWriteOrOwnIsRefused) {
  auto path = TempPath("loose");
  RegistryFile r(path);
  ASSERT_TRUE(r.Upsert({"v1", "peer1", {}, "db1"}).ok());
  ASSERT_TRUE(r.Read().ok());

  for (auto mode : {0666, 0664, 0646}) {
    std::filesystem::permissions(path, static_cast<std::filesystem::perms>(mode));
    auto read = r.Read();
    ASSERT_FALSE(read.ok()) << std::oct << mode;
    EXPECT_EQ(read.status().code(), ErrorCode::kPermissionDenied);
    EXPECT_NE(read.status().message().find("group or others"), std::string::npos);
    Status write = r.Upsert({"v2", "peer2", {}, "db2"});
    EXPECT_EQ(write.code(), ErrorCode::kPermissionDenied) << write.ToString();
  }
  std::filesystem::permissions(path, static_cast<std::filesystem::perms>(0644));
  ASSERT_TRUE(r.Read().ok());

  if (::geteuid() == 0) {                               // only root can hand a file to another user
    ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);  // nobody
    auto read = r.Read();
    ASSERT_FALSE(read.ok());
    EXPECT_EQ(read.status().code(), ErrorCode::kPermissionDenied);
    EXPECT_NE(read.status().message().find("owned by uid 65534"), std::string::npos);
    EXPECT_EQ(r.Upsert({"v2", "peer2", {}, "db2"}).code(), ErrorCode::kPermissionDenied);
    ASSERT_EQ(::chown(path.c_str(), 0, 0), 0);
  }

  auto link = TempPath("link");
  std::filesystem::create_symlink(path, link);
  auto via_link = RegistryFile(link).Read();
  ASSERT_FALSE(via_link.ok());
  EXPECT_EQ(via_link.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(via_link.status().message().find("symbolic link"), std::string::npos);
  std::filesystem::remove(link);

  mode_t old = ::umask(0);
  ASSERT_TRUE(r.Upsert({"v3", "peer3", {}, "db3"}).ok());
  ::umask(old);
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            static_cast<std::filesystem::perms>(0644));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace tss::node

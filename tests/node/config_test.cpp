#include "node/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace tss::node {
namespace {

TEST(ParseDuration, UnitsAndErrors) {
  EXPECT_EQ(*ParseDuration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(*ParseDuration("5s"), std::chrono::seconds(5));
  EXPECT_EQ(*ParseDuration("3m"), std::chrono::minutes(3));
  EXPECT_EQ(*ParseDuration("1h"), std::chrono::hours(1));
  EXPECT_EQ(*ParseDuration("7"), std::chrono::seconds(7));
  for (const char* bad : {"", "ms", "0s", "-1s", "5x", "1.5s", "s5"})
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
}

TEST(Secrets, FileTrimsOneNewlineAndReportsLooseModes) {
  std::string path = testing::TempDir() + "/secret-" + std::to_string(::getpid());
  { std::ofstream(path) << "s3cret\n"; }
  ::chmod(path.c_str(), 0644);
  bool too_open = false;
  auto s = ReadSecretFile(path, &too_open);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(std::string(s->span().begin(), s->span().end()), "s3cret");
  EXPECT_TRUE(too_open);
  ::chmod(path.c_str(), 0600);
  ASSERT_TRUE(ReadSecretFile(path, &too_open).ok());
  EXPECT_FALSE(too_open);
  EXPECT_FALSE(ReadSecretFile(path + ".missing").ok());
  std::remove(path.c_str());
}

TEST(Secrets, PasswordFromFileThenEnvironment) {
  ::unsetenv("TSS_PASSWORD");
  auto none = LoadPassword("");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("TSS_PASSWORD"), std::string::npos);
  ::setenv("TSS_PASSWORD", "from-env", 1);
  auto env = LoadPassword("");
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(std::string(env->span().begin(), env->span().end()), "from-env");
  ::setenv("TSS_PASSWORD", "", 1);
  EXPECT_FALSE(LoadPassword("").ok());
  ::unsetenv("TSS_PASSWORD");
}

TEST(Secrets, SeedHex) {
  EXPECT_TRUE(ParseSeedHex(std::string(64, '1') + "\n").ok());
  EXPECT_FALSE(ParseSeedHex(std::string(62, '1')).ok());
  EXPECT_FALSE(ParseSeedHex(std::string(64, 'g')).ok());
}

}  // namespace
}  // namespace tss::node

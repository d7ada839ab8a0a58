// The crash-point table and its arming (common/crash_point.h): every name distinct and of the
// documented shape, a bad TSS_CRASH_AT refused, and an armed point killing the process with
// SIGKILL exactly at its nth hit, not before and not at another point.
#include "common/crash_point.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <set>

namespace tss::crash {
namespace {

TEST(CrashPoints, TheTableHasDistinctWellFormedNamesForEveryProtocol) {
  std::set<std::string> names;
  std::map<std::string, int> per_protocol;
  for (const Point& p : Points()) {
    EXPECT_TRUE(names.insert(p.name).second) << "duplicate " << p.name;
    EXPECT_TRUE(p.name.starts_with(p.protocol + ".")) << p.name;
    EXPECT_TRUE(p.role == "coordinator" || p.role == "participant" || p.role == "any") << p.name;
    EXPECT_FALSE(p.when.empty()) << p.name;
    ++per_protocol[p.protocol];
  }
  EXPECT_EQ(per_protocol["keygen"], 18);
  EXPECT_EQ(per_protocol["keyrefresh"], 18);
  EXPECT_EQ(per_protocol["sign"], 14);
  for (const char* name : {"keygen.setup.sent", "keyrefresh.round3.received", "sign.round1.sent",
                           "keygen.pending.stored", "keyrefresh.activated", "sign.result.sent"})
    EXPECT_TRUE(names.count(name)) << name;
  EXPECT_FALSE(names.count("sign.pending.stored"));  // a signature has no confirmation round
}

class CrashEnv : public ::testing::Test {
 protected:
  void TearDown() override { unsetenv("TSS_CRASH_AT"); }
};

TEST_F(CrashEnv, AnUnknownPointOrABadCountIsRefused) {
  for (const char* bad :
       {"keygen.round4.sent", "sign.confirm.sent", "setup.sent", "KEYGEN.setup.sent",
        "keygen.setup.sent:0", "keygen.setup.sent:x", "keygen.setup.sent:"}) {
    setenv("TSS_CRASH_AT", bad, 1);
    EXPECT_FALSE(ArmFromEnvironment().ok()) << bad;
  }
  EXPECT_FALSE(Armed());
}

TEST_F(CrashEnv, UnsetLeavesEveryPointANoOp) {
  unsetenv("TSS_CRASH_AT");
  ASSERT_TRUE(ArmFromEnvironment().ok());
  EXPECT_FALSE(Armed());
  EXPECT_EQ(ArmedPoint(), "");
  for (const Point& p : Points()) At(p.protocol, "setup.sent");  // survives
}

// Arms in the death test's child only, so the parent's process stays unarmed.
void ArmAndRun(const char* spec, void (*run)()) {
  setenv("TSS_CRASH_AT", spec, 1);
  if (!ArmFromEnvironment().ok()) std::exit(3);
  run();
  std::exit(0);  // the point was not reached
}

TEST_F(CrashEnv, TheArmedPointKillsAtItsNthHitOnly) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(ArmAndRun("keyrefresh.round2.sent:2",
                        [] {
                          At("KEYREFRESH", "round.sent", 2);      // first hit: lives
                          At("keyrefresh", "round.sent", 1);      // other rounds,
                          At("keygen", "round.sent", 2);          // protocols
                          At("keyrefresh", "round.received", 2);  // and phases do not count
                          At("KEYREFRESH", "round.sent", 2);      // second hit: dies
                          std::exit(4);
                        }),
              ::testing::KilledBySignal(SIGKILL), "crash point keyrefresh.round2.sent reached");
  EXPECT_EXIT(ArmAndRun("sign.result.stored",
                        [] {
                          At("sign", "result.sent");
                          At("SIGN", "result.stored");
                          std::exit(4);
                        }),
              ::testing::KilledBySignal(SIGKILL), "sign.result.stored");
  EXPECT_EXIT(ArmAndRun("keygen.activated:2", [] { At("keygen", "activated"); }),
              ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace tss::crash

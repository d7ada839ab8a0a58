// The single-loop contract is asserted, not only written down: the coordinator's and the session
// manager's entry points abort when called off the node's loop thread (in builds with
// TSS_DCHECK on: debug and the sanitizer build CI runs).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/check.h"
#include "crypto/rng.h"
#include "eventstore/event_store.h"
#include "keyshare/key_store.h"
#include "node/dkls_protocol.h"
#include "node/node.h"

namespace tss::node {
namespace {

class NullOutbox final : public core::Outbox {
 public:
  void Send(const std::string&, const core::NodeMessage&) override {}
};

TEST(Duties, EntryPointsRefuseToRunOffTheLoopThread) {
  if (!kTssDchecksOn) GTEST_SKIP() << "TSS_DCHECK is compiled out of this build";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto home =
      std::filesystem::path(::testing::TempDir()) / ("duties-" + std::to_string(::getpid()));
  std::filesystem::create_directories(home);
  auto events = eventstore::OpenEventStore((home / "tss.db").string());
  ASSERT_TRUE(events.ok());
  keyshare::KeyRecordStore keys(std::make_unique<keyshare::KeyShareStore>(
      home, SecureBytes(AsBytes("pw")), keyshare::KdfParams{1, 8192}));
  NullOutbox outbox;
  core::ClockBlockSource blocks;
  core::SteadyClock clock;
  DklsProtocolFactory protocols(crypto::SystemRandom());
  core::ValidatorSet validators;
  NodeConfig config;
  config.validator_address = "validator-1";
  bool on_loop = true;
  Duties duties(config, core::NodeEnv{**events, keys, outbox, blocks, clock, crypto::SystemRandom(),
                                      protocols, validators, [&] { return on_loop; }});
  duties.coordinator().Poll();  // on the loop: fine
  duties.sessions().CheckExpiry();
  on_loop = false;
  core::NodeMessage setup;
  setup.type = core::MessageType::kSetup;
  setup.event_id = "e";
  EXPECT_DEATH(duties.coordinator().Poll(), "TSS_DCHECK");
  EXPECT_DEATH(duties.sessions().CheckExpiry(), "TSS_DCHECK");
  EXPECT_DEATH(duties.Dispatch("validator-2", setup), "TSS_DCHECK");
  std::filesystem::remove_all(home);
}

}  // namespace
}  // namespace tss::node

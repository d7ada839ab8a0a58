#include "testing/cluster_fixture.h"

#include <unistd.h>

#include <algorithm>
#include <thread>

#include "eventstore/event_store.h"
#include "node/parts.h"
#include "testing/ecdsa_verify.h"

namespace tss::testing {

using namespace std::chrono_literals;
using core::EventStatus;

namespace {
// The node's view of the fixture's blocks.
struct BlocksRef final : core::BlockSource {
  explicit BlocksRef(TestBlocks& b) : blocks(b) {}
  uint64_t CurrentBlock() override { return blocks.CurrentBlock(); }
  TestBlocks& blocks;
};
}  // namespace

void ClusterFixture::SetUp() {
  root_ = std::filesystem::path(::testing::TempDir()) /
          ("cluster-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(root_);
  std::filesystem::create_directories(root_);
  registry_ = root_ / "registry.json";
}

void ClusterFixture::TearDown() {
  for (auto& m : members_) m.node.reset();
  std::filesystem::remove_all(root_);
}

std::unique_ptr<networking::Network> ClusterFixture::MakeNetwork(
    size_t, std::unique_ptr<networking::Network> endpoint) {
  return endpoint;
}

void ClusterFixture::StartMember(size_t i, std::chrono::milliseconds session_expiry) {
  Member& m = members_[i];
  node::NodeConfig c;
  c.validator_address = m.address;
  c.home = m.home;
  c.db_url = (m.home / "tss.db").string();
  c.registry_path = registry_;
  c.poll_interval = poll_interval_;
  c.session_expiry = session_expiry;
  c.retry_delay_blocks = 0;
  c.coordinator_range = 1000;
  c.password = SecureBytes(AsBytes("test password"));
  c.kdf = keyshare::KdfParams{1, 8192};
  // The production wiring, with the network and the blocks replaced.
  node::NodeParts overrides;
  overrides.network = MakeNetwork(i, std::make_unique<Hub::Endpoint>(hub_, "peer-" + m.address));
  overrides.blocks = std::make_unique<BlocksRef>(blocks_);
  auto parts = node::BuildNodeParts(c, std::move(overrides));
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  m.events = parts->events.get();
  auto built = node::Node::NewNode(std::move(c), std::move(*parts));
  ASSERT_TRUE(built.ok());
  m.node = std::move(*built);
  ASSERT_TRUE(m.node->Start().ok());
}

void ClusterFixture::StopMember(size_t i) {
  members_[i].node->Stop();
  members_[i].node.reset();
  members_[i].events = nullptr;  // owned by the node
}

void ClusterFixture::StartCluster(size_t n, std::chrono::milliseconds session_expiry) {
  for (size_t i = 0; i < n; ++i) {
    Member m;
    m.address = "validator-" + std::to_string(i + 1);
    m.home = root_ / m.address;
    std::filesystem::create_directories(m.home);
    members_.push_back(std::move(m));
  }
  for (size_t i = 0; i < n; ++i) StartMember(i, session_expiry);
  // Each node re-reads the registry at its polls: wait until every one sees every other.
  AwaitUntil(
      [&] {
        for (auto& m : members_)
          if (m.node->validators().size() != n) return false;
        return true;
      },
      "every node to see all validators in the registry");
}

void ClusterFixture::AwaitUntil(const std::function<bool()>& condition, const std::string& what,
                                std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "timed out waiting for " << what;
      return;
    }
    std::this_thread::sleep_for(20ms);
  }
}

std::string ClusterFixture::Create(const std::string& protocol, const std::string& key_id,
                                   const Bytes& hash, std::optional<size_t> except) {
  static int counter = 0;
  core::Event e;
  e.event_id = "event-" + std::to_string(++counter);
  e.block_number = blocks_.CurrentBlock();
  e.protocol = *core::ParseProtocolType(protocol);
  e.key_id = key_id;
  e.message_hash = hash;
  for (size_t i = 0; i < members_.size(); ++i) {
    if (i != except) CreateIn(i, e);
  }
  return e.event_id;
}

void ClusterFixture::CreateIn(size_t i, const core::Event& e) {
  Member& m = members_[i];
  if (m.events) {
    EXPECT_TRUE(m.events->Create(e).ok());
  } else {
    auto s = eventstore::OpenEventStore((m.home / "tss.db").string());
    EXPECT_TRUE(s.ok() && (*s)->Create(e).ok());
  }
}

size_t ClusterFixture::CoordinatorNow() {
  std::vector<std::string> addresses;
  for (auto& m : members_) addresses.push_back(m.address);
  std::sort(addresses.begin(), addresses.end());
  const std::string& c = addresses[(blocks_.CurrentBlock() / 1000) % addresses.size()];
  for (size_t i = 0; i < members_.size(); ++i)
    if (members_[i].address == c) return i;
  return 0;
}

core::Event ClusterFixture::Get(size_t i, const std::string& id) {
  auto s = eventstore::OpenEventStore((members_[i].home / "tss.db").string());
  auto e = (*s)->Get(id);
  return e.ok() && e->has_value() ? **e : core::Event{};
}

nlohmann::json ClusterFixture::Await(const std::string& id, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool all = true;
    nlohmann::json result;
    for (size_t i = 0; i < members_.size(); ++i) {
      if (!members_[i].node) continue;
      auto e = Get(i, id);
      if (e.status == EventStatus::kFailed) {
        ADD_FAILURE() << members_[i].address << ": " << e.error;
        return {};
      }
      if (e.status != EventStatus::kSuccess)
        all = false;
      else if (result.is_null())
        result = nlohmann::json::parse(e.result);
    }
    if (all) return result;
    if (std::chrono::steady_clock::now() > deadline) {
      std::string where;
      for (size_t i = 0; i < members_.size(); ++i) {
        if (!members_[i].node) continue;
        const core::Event e = Get(i, id);
        where += " " + members_[i].address + "=" + core::EventStatusName(e.status) + "/" +
                 std::to_string(e.attempts);
      }
      ADD_FAILURE() << "event " << id << " did not finish (status/attempts:" << where << ")";
      return {};
    }
    std::this_thread::sleep_for(50ms);
  }
}

core::Event ClusterFixture::AwaitStatus(size_t i, const std::string& id, EventStatus status,
                                        std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  core::Event e;
  while ((e = Get(i, id)).status != status && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  EXPECT_EQ(e.status, status) << members_[i].address << ": " << e.error;
  return e;
}

void ExpectValidSignature(const nlohmann::json& r, const std::string& public_key) {
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["public_key"], public_key);
  Bytes pk = *FromHex(public_key), hash = *FromHex(r["message_hash"].get<std::string>());
  Bytes rr = *FromHex(r["r"].get<std::string>()), ss = *FromHex(r["s"].get<std::string>());
  // Verified by libsecp256k1 and OpenSSL directly, and the recovery id checked.
  EXPECT_EQ(VerifyWithBoth(pk, hash, rr, ss), "");
  EXPECT_EQ(RecoverWithLibsecp256k1Hex(hash, rr, ss, r["v"].get<int>()), public_key);
}

}  // namespace tss::testing

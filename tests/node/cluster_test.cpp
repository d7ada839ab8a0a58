// A whole cluster in one process: real Nodes (coordinator + session manager + event loop), real
// DKLs23 sessions, real SQLite databases and encrypted key-share files, joined by an in-memory
// hub instead of libp2p (the multi-process tests in tests/e2e use libp2p). Exercises the seed's
// event flow, status transitions, crash recovery and expiry end to end.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "core/messages.h"
#include "core/ports.h"
#include "crypto/hash.h"
#include "crypto/rng.h"
#include "eventstore/event_store.h"
#include "node/node.h"
#include "node/parts.h"
#include "testing/ecdsa_verify.h"

namespace tss::node {
namespace {

using namespace std::chrono_literals;
using core::EventStatus;

// Delivers bytes between in-process nodes on a thread of its own, like a network would.
class Hub {
 public:
  struct Endpoint;
  // Fails, as libp2p would once its send deadline passes, when `to` is down or does not allow
  // `from`.
  Status Deliver(const std::string& to, const std::string& from, Bytes bytes);
  std::map<std::string, Endpoint*> endpoints;
  std::mutex mu;
  // Sees (and may change) every message delivered; tests play a malicious node, or watch the
  // traffic, through it.
  std::function<void(const std::string& from, Bytes& bytes)> tamper;
};

struct Hub::Endpoint final : networking::Network {
  Endpoint(Hub& h, std::string id) : hub(h), peer(std::move(id)) {}
  Status Start() override {
    std::lock_guard lock(hub.mu);
    hub.endpoints[peer] = this;
    up = true;
    return Status::Ok();
  }
  void Stop() override {
    std::lock_guard lock(hub.mu);
    up = false;
    hub.endpoints.erase(peer);
  }
  std::string LocalPeerId() const override { return peer; }
  std::vector<std::string> ListenAddrs() const override { return {"/memory/" + peer}; }
  void AddPeer(const std::string&, const std::vector<std::string>&) override {}
  void SetAllowedPeers(const std::set<std::string>& peers) override {
    std::lock_guard lock(mu);
    allowed = peers;
  }
  void Send(const std::string& to, Bytes message, networking::SendCallback done) override {
    Status st = hub.Deliver(to, peer, std::move(message));
    if (done) done(st);
  }
  void SetHandler(networking::MessageHandler h) override { handler = std::move(h); }
  networking::NetworkStats Stats() const override { return {}; }

  Hub& hub;
  std::string peer;
  bool up = false;
  std::mutex mu;
  std::set<std::string> allowed;
  std::function<void(const std::string&, Bytes)> handler;
};

Status Hub::Deliver(const std::string& to, const std::string& from, Bytes bytes) {
  std::lock_guard lock(mu);
  auto it = endpoints.find(to);
  if (it == endpoints.end() || !it->second->up) return Status(ErrorCode::kUnavailable, "down");
  {
    std::lock_guard l2(it->second->mu);
    if (!it->second->allowed.count(from))
      return Status(ErrorCode::kNotFound, "peer does not support protocol /tss/2.0.0");
  }
  if (tamper) tamper(from, bytes);
  it->second->handler(from, std::move(bytes));
  return Status::Ok();
}

// Blocks advance one per second of the test clock; tests can jump ahead.
class TestBlocks final : public core::BlockSource {
 public:
  uint64_t CurrentBlock() override { return base + offset.load(); }
  uint64_t base = 1'000'000;
  std::atomic<uint64_t> offset{0};
};

class ClusterTest : public ::testing::Test {
 protected:
  struct Member {
    std::string address;
    std::filesystem::path home;
    std::unique_ptr<Node> node;
    core::EventStore* events = nullptr;  // owned by the node
  };

  void SetUp() override {
    root_ = std::filesystem::path(::testing::TempDir()) /
            ("cluster-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
    registry_ = root_ / "registry.json";
  }
  void TearDown() override {
    for (auto& m : members_) m.node.reset();
    std::filesystem::remove_all(root_);
  }

  void StartMember(size_t i, std::chrono::milliseconds expiry = 30s) {
    Member& m = members_[i];
    NodeConfig c;
    c.validator_address = m.address;
    c.home = m.home;
    c.db_url = (m.home / "tss.db").string();
    c.registry_path = registry_;
    c.poll_interval = 50ms;
    c.session_expiry = expiry;
    c.retry_delay_blocks = 0;
    c.coordinator_range = 1000;
    c.password = SecureBytes(AsBytes("test password"));
    c.kdf = keyshare::KdfParams{1, 8192};
    // The production wiring, with the network and the blocks replaced.
    NodeParts overrides;
    overrides.network = std::make_unique<Hub::Endpoint>(hub_, "peer-" + m.address);
    overrides.blocks = std::make_unique<BlocksRef>(blocks_);
    auto parts = BuildNodeParts(c, std::move(overrides));
    ASSERT_TRUE(parts.ok()) << parts.status().ToString();
    m.events = parts->events.get();
    auto node = Node::NewNode(std::move(c), std::move(*parts));
    ASSERT_TRUE(node.ok());
    m.node = std::move(*node);
    ASSERT_TRUE(m.node->Start().ok());
  }

  // Stops a node the way a crash would look to the others (its database stays as it is).
  void StopMember(size_t i) {
    members_[i].node->Stop();
    members_[i].node.reset();
    members_[i].events = nullptr;  // owned by the node
  }

  void StartCluster(size_t n, std::chrono::milliseconds expiry = 30s) {
    for (size_t i = 0; i < n; ++i) {
      Member m;
      m.address = "validator-" + std::to_string(i + 1);
      m.home = root_ / m.address;
      std::filesystem::create_directories(m.home);
      members_.push_back(std::move(m));
    }
    for (size_t i = 0; i < n; ++i) StartMember(i, expiry);
    // Each node re-reads the registry at its polls: wait until every one sees every other.
    AwaitUntil(
        [&] {
          for (auto& m : members_)
            if (m.node->validators().size() != n) return false;
          return true;
        },
        "every node to see all validators in the registry");
  }

  // Waits until `condition` holds (checked every 20 ms), failing the test after `timeout`.
  void AwaitUntil(const std::function<bool()>& condition, const std::string& what,
                  std::chrono::milliseconds timeout = 30s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "timed out waiting for " << what;
        return;
      }
      std::this_thread::sleep_for(20ms);
    }
  }

  // Creates the event in every member's database (but `except`'s, when given).
  std::string Create(const std::string& protocol, const std::string& key_id, const Bytes& hash,
                     std::optional<size_t> except = std::nullopt) {
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

  void CreateIn(size_t i, const core::Event& e) {
    Member& m = members_[i];
    {
      if (m.events) {
        EXPECT_TRUE(m.events->Create(e).ok());
      } else {
        auto s = eventstore::OpenEventStore((m.home / "tss.db").string());
        EXPECT_TRUE(s.ok() && (*s)->Create(e).ok());
      }
    }
  }

  // The member that coordinates at the current block (validators sort by address).
  size_t CoordinatorNow() {
    std::vector<std::string> addresses;
    for (auto& m : members_) addresses.push_back(m.address);
    std::sort(addresses.begin(), addresses.end());
    const std::string& c = addresses[(blocks_.CurrentBlock() / 1000) % addresses.size()];
    for (size_t i = 0; i < members_.size(); ++i)
      if (members_[i].address == c) return i;
    return 0;
  }

  core::Event Get(size_t i, const std::string& id) {
    auto s = eventstore::OpenEventStore((members_[i].home / "tss.db").string());
    auto e = (*s)->Get(id);
    return e.ok() && e->has_value() ? **e : core::Event{};
  }

  // Waits until every running node's copy of the event has ended; returns the first result.
  nlohmann::json Await(const std::string& id, std::chrono::milliseconds timeout = 60s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      bool all = true;
      nlohmann::json result;
      for (size_t i = 0; i < members_.size(); ++i) {
        if (!members_[i].node) continue;
        auto e = Get(i, id);
        if (e.status == EventStatus::kFailed)
          ADD_FAILURE() << members_[i].address << ": " << e.error;
        if (e.status != EventStatus::kSuccess)
          all = false;
        else if (result.is_null())
          result = nlohmann::json::parse(e.result);
      }
      if (all) return result;
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "event " << id << " did not finish";
        return {};
      }
      std::this_thread::sleep_for(50ms);
    }
  }

  // Waits until node i's copy of the event reaches `status` (or the timeout passes).
  core::Event AwaitStatus(size_t i, const std::string& id, EventStatus status,
                          std::chrono::seconds timeout = 60s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    core::Event e;
    while ((e = Get(i, id)).status != status && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(50ms);
    EXPECT_EQ(e.status, status) << members_[i].address << ": " << e.error;
    return e;
  }

  struct BlocksRef final : core::BlockSource {
    explicit BlocksRef(TestBlocks& b) : blocks(b) {}
    uint64_t CurrentBlock() override { return blocks.CurrentBlock(); }
    TestBlocks& blocks;
  };

  std::filesystem::path root_, registry_;
  Hub hub_;
  TestBlocks blocks_;
  std::vector<Member> members_;
};

void ExpectValidSignature(const nlohmann::json& r, const std::string& public_key) {
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["public_key"], public_key);
  Bytes pk = *FromHex(public_key), hash = *FromHex(r["message_hash"].get<std::string>());
  Bytes rr = *FromHex(r["r"].get<std::string>()), ss = *FromHex(r["s"].get<std::string>());
  // Verified by libsecp256k1 and OpenSSL directly, and the recovery id checked.
  EXPECT_EQ(testing::VerifyWithBoth(pk, hash, rr, ss), "");
  EXPECT_EQ(testing::RecoverWithLibsecp256k1Hex(hash, rr, ss, r["v"].get<int>()), public_key);
}

TEST_F(ClusterTest, KeygenSignRefreshSign) {
  StartCluster(4);
  auto keygen = Await(Create("KEYGEN", "", {}));
  ASSERT_TRUE(keygen.is_object());
  std::string key_id = keygen["key_id"], pk = keygen["public_key"];
  auto hash = crypto::Sha256(AsBytes("in-process cluster"));
  auto sig = Await(Create("SIGN", key_id, Bytes(hash.begin(), hash.end())));
  ExpectValidSignature(sig, pk);
  auto refresh = Await(Create("KEYREFRESH", key_id, {}));
  EXPECT_EQ(refresh["public_key"], pk);
  auto sig2 = Await(Create("SIGN", key_id, Bytes(hash.begin(), hash.end())));
  ExpectValidSignature(sig2, pk);
}

TEST_F(ClusterTest, CrashedParticipantRecoversAndEventSucceeds) {
  StartCluster(4, 2s);
  auto keygen = Await(Create("KEYGEN", "", {}));
  std::string key_id = keygen["key_id"];
  // Stop one node, then start a keyrefresh (which needs everyone): the others' sessions expire
  // and go back to PENDING; when the node returns, crash recovery and a retry finish the event.
  StopMember(3);
  std::string id = Create("KEYREFRESH", key_id, {});
  AwaitUntil(
      [&] {
        for (size_t i = 0; i < 3; ++i) {
          auto e = Get(i, id);
          if (e.attempts >= 1 && e.status == EventStatus::kPending) return true;
        }
        return false;
      },
      "an attempt without the stopped node to expire");
  for (size_t i = 0; i < 3; ++i) {
    auto e = Get(i, id);
    EXPECT_NE(e.status, EventStatus::kSuccess);
  }
  StartMember(3, 2s);
  auto done = Await(id, 60s);
  EXPECT_EQ(done["public_key"], keygen["public_key"]);
  EXPECT_GE(Get(0, id).attempts, 1);
}

TEST_F(ClusterTest, GarbageFromAPeerIsDroppedAndTheNodeKeepsWorking) {
  StartCluster(3);
  // Bytes that are no node message, from a registered peer: counted and dropped.
  EXPECT_TRUE(hub_.Deliver("peer-validator-2", "peer-validator-1", Bytes{0x01, 0x02, 0x03}).ok());
  EXPECT_TRUE(hub_.Deliver("peer-validator-2", "peer-validator-1", Bytes(70'000, 0xff)).ok());
  // The hub hands messages to the node's handler on this thread, which counts them at once.
  EXPECT_EQ(members_[1].node->stats().dropped_undecodable, 2u);
  auto keygen = Await(Create("KEYGEN", "", {}));
  EXPECT_TRUE(keygen.is_object());
}

// validator-2 corrupts the last byte of every protocol message it sends from now on.
void CorruptStepsFromValidator2(Hub& hub) {
  hub.tamper = [](const std::string& from, Bytes& bytes) {
    if (from != "peer-validator-2") return;
    auto m = core::NodeMessage::Decode(bytes);
    if (!m.ok() || m->type != core::MessageType::kStep || m->step.payload.empty()) return;
    m->step.payload.back() ^= 0x01;
    bytes = m->Encode();
  };
}

TEST_F(ClusterTest, TamperedKeygenMessageFailsTheEventAndNamesTheCulprit) {
  StartCluster(4);
  CorruptStepsFromValidator2(hub_);
  std::string id = Create("KEYGEN", "", {});
  for (size_t i : {0, 2, 3}) {
    auto e = AwaitStatus(i, id, EventStatus::kFailed);
    EXPECT_NE(e.error.find("culprit validator-2"), std::string::npos) << e.error;
  }
  // No honest node filed a key share from the failed run.
  for (size_t i : {0, 2, 3}) {
    size_t shares = 0;
    for (const auto& f : std::filesystem::recursive_directory_iterator(members_[i].home))
      shares += f.path().extension() == ".share";
    EXPECT_EQ(shares, 0u) << members_[i].address;
  }
}

TEST_F(ClusterTest, TamperedSignMessageFailsTheEventAndNamesTheCulprit) {
  // Three validators: t = 3, so validator-2 is certainly among the signers.
  StartCluster(3);
  auto keygen = Await(Create("KEYGEN", "", {}));
  ASSERT_TRUE(keygen.is_object());
  CorruptStepsFromValidator2(hub_);
  auto hash = crypto::Sha256(AsBytes("tampered"));
  std::string id = Create("SIGN", keygen["key_id"], Bytes(hash.begin(), hash.end()));
  for (size_t i : {0, 2}) {
    auto e = AwaitStatus(i, id, EventStatus::kFailed);
    EXPECT_NE(e.error.find("culprit validator-2"), std::string::npos) << e.error;
    EXPECT_TRUE(e.result.empty());
  }
}

// A participant declines the setup (its copy of the event has not arrived yet). The
// coordinator's own copy is IN_PROGRESS by then (it accepted its own setup), yet the retry must
// come after the back-off, not after the whole session expiry.
TEST_F(ClusterTest, DeclinedAttemptIsRetriedWithoutWaitingForTheSessionExpiry) {
  StartCluster(4, 60s);
  const size_t coordinator = CoordinatorNow();
  const size_t late = (coordinator + 1) % members_.size();
  std::atomic<bool> declined{false};
  const std::string late_peer = "peer-" + members_[late].address;
  {
    std::lock_guard lock(hub_.mu);  // Deliver reads it under the lock
    hub_.tamper = [&](const std::string& from, Bytes& bytes) {
      auto m = core::NodeMessage::Decode(bytes);
      if (from == late_peer && m.ok() && m->type == core::MessageType::kNack) declined = true;
    };
  }
  std::string id = Create("KEYGEN", "", {}, late);
  AwaitStatus(coordinator, id, EventStatus::kInProgress, 10s);
  AwaitUntil([&] { return declined.load(); }, "the late participant to decline the setup");
  {
    std::lock_guard lock(hub_.mu);
    hub_.tamper = nullptr;
  }
  core::Event e = Get(coordinator, id);
  e.status = EventStatus::kPending;
  e.attempts = 0;
  CreateIn(late, e);
  auto keygen = Await(id, 20s);
  EXPECT_TRUE(keygen.is_object());
}

}  // namespace
}  // namespace tss::node

// testing/cluster_fixture.h — a gtest fixture running a whole cluster in one process: real
// Nodes (coordinator, session manager, event loop), real DKLs23 sessions, real SQLite databases
// and encrypted key-share files (small KDF costs), built by node::BuildNodeParts with two
// overrides: the network (a Hub endpoint, which a fixture may wrap) and the blocks (a test
// source that moves only when told).
//
// Owns: the members' homes under a temporary root (removed at the end), the shared registry
// file, the hub and the blocks; creating events in every member's database and waiting for
// their outcomes. Waits poll the databases for the state they need, with a deadline that fails
// the test; they never sleep to be right.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/ports.h"
#include "node/node.h"
#include "testing/memory_hub.h"

namespace tss::testing {

// Blocks stay where they are unless a test moves them.
class TestBlocks final : public core::BlockSource {
 public:
  uint64_t CurrentBlock() override { return base + offset.load(); }
  uint64_t base = 1'000'000;
  std::atomic<uint64_t> offset{0};
};

class ClusterFixture : public ::testing::Test {
 protected:
  struct Member {
    std::string address;  // validator-<i+1>
    std::filesystem::path home;
    std::unique_ptr<node::Node> node;
    core::EventStore* events = nullptr;  // owned by the node
  };

  void SetUp() override;
  void TearDown() override;

  // The network member `i`'s node is given: by default the hub endpoint itself.
  virtual std::unique_ptr<networking::Network> MakeNetwork(
      size_t i, std::unique_ptr<networking::Network> endpoint);

  // Starts members validator-1 … validator-n and waits until each sees all n in the registry.
  void StartCluster(size_t n, std::chrono::milliseconds session_expiry = std::chrono::seconds(30));
  void StartMember(size_t i, std::chrono::milliseconds session_expiry = std::chrono::seconds(30));
  // Stops a node the way a crash looks to the others (its database stays as it is).
  void StopMember(size_t i);

  // Waits until `condition` holds (checked every 20 ms), failing the test after `timeout`.
  void AwaitUntil(const std::function<bool()>& condition, const std::string& what,
                  std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Creates the event in every member's database (but `except`'s, when given); returns its id.
  std::string Create(const std::string& protocol, const std::string& key_id, const Bytes& hash,
                     std::optional<size_t> except = std::nullopt);
  void CreateIn(size_t i, const core::Event& event);
  // The member that coordinates at the current block (validators sort by address).
  size_t CoordinatorNow();
  // Member i's copy of the event, read from its database (an empty event when absent).
  core::Event Get(size_t i, const std::string& id);
  // Waits until every running member's copy of the event is SUCCESS; returns the first result
  // (null after a failure: a FAILED copy, or the timeout).
  nlohmann::json Await(const std::string& id,
                       std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Waits until member i's copy of the event reaches `status` (or the timeout passes).
  core::Event AwaitStatus(size_t i, const std::string& id, core::EventStatus status,
                          std::chrono::seconds timeout = std::chrono::seconds(60));

  // Members started from now on poll this often (the figures use 100 ms).
  std::chrono::milliseconds poll_interval_{50};
  std::filesystem::path root_, registry_;
  Hub hub_;
  TestBlocks blocks_;
  std::vector<Member> members_;
};

// A sign event's result verifies against `public_key` with libsecp256k1 and OpenSSL, and its
// recovery id recovers that key.
void ExpectValidSignature(const nlohmann::json& result, const std::string& public_key);

}  // namespace tss::testing

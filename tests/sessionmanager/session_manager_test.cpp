// The coordinator and session manager of several validators, stepped by hand: real SQLite event
// stores, real encrypted key-share files and real DKLs23 sessions, with a queue in place of the
// network and a hand-driven clock and block height. Every message goes through NodeMessage's
// encoder and decoder. Deterministic, so every status transition of the seed and every
// "drop this message" rule gets an exact test.
#include "sessionmanager/session_manager.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "coordinator/coordinator.h"
#include "coordinator/selection.h"
#include "crypto/hash.h"
#include "crypto/rng.h"
#include "eventstore/event_store.h"
#include "keyshare/keyshare_store.h"
#include "node/adapters.h"
#include "node/dkls_protocol.h"
#include "testing/ecdsa_verify.h"

namespace tss::sessionmanager {
namespace {

using coordinator::MessageType;
using coordinator::NodeMessage;
using namespace std::chrono_literals;

class ManualClock final : public coordinator::Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return now; }
  std::chrono::steady_clock::time_point now{};
};

class ManualBlocks final : public coordinator::BlockSource {
 public:
  uint64_t CurrentBlock() override { return block; }
  uint64_t block =
      5'000'000;  // validator-1 coordinates blocks 5'000'000..5'000'999 (see Validators)
};

struct Envelope {
  std::string from, to;
  Bytes bytes;  // NodeMessage::Encode()
};

class QueueOutbox final : public coordinator::Outbox {
 public:
  QueueOutbox(std::string me, std::deque<Envelope>& queue) : me_(std::move(me)), queue_(queue) {}
  void Send(const std::string& to, const NodeMessage& message) override {
    queue_.push_back({me_, to, message.Encode()});
  }

 private:
  std::string me_;
  std::deque<Envelope>& queue_;
};

struct Validator {
  std::string address;
  std::unique_ptr<eventstore::EventStore> store_owner;  // moved into `events`
  eventstore::EventStore* store = nullptr;
  std::unique_ptr<node::StoreEventAccess> events;
  std::unique_ptr<node::KeyShareAccess> keys;
  std::unique_ptr<crypto::DeterministicRng> rng;
  std::unique_ptr<node::DklsProtocolFactory> protocols;
  std::unique_ptr<QueueOutbox> outbox;
  std::unique_ptr<coordinator::Coordinator> coordinator;
  std::unique_ptr<SessionManager> sessions;
};

class SessionManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::path(::testing::TempDir()) /
            ("sm-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  void TearDown() override {
    validators_.clear();
    std::filesystem::remove_all(root_);
  }

  void MakeValidators(size_t n) {
    std::vector<std::string> addresses;
    for (size_t i = 0; i < n; ++i) addresses.push_back("validator-" + std::to_string(i + 1));
    for (size_t i = 0; i < n; ++i) {
      auto v = std::make_unique<Validator>();
      v->address = addresses[i];
      auto home = root_ / v->address;
      std::filesystem::create_directories(home);
      auto store = eventstore::OpenEventStore((home / "tss.db").string());
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      v->store = store->get();
      v->events = std::make_unique<node::StoreEventAccess>(std::move(*store));
      SecureBytes pw(AsBytes("password"));
      v->keys = std::make_unique<node::KeyShareAccess>(
          std::make_unique<keyshare::KeyShareStore>(home, pw, keyshare::KdfParams{1, 8192}));
      v->rng = std::make_unique<crypto::DeterministicRng>(100 + i);
      v->protocols = std::make_unique<node::DklsProtocolFactory>(*v->rng);
      v->outbox = std::make_unique<QueueOutbox>(v->address, queue_);
      coordinator::CoordinatorConfig cc;
      cc.my_address = v->address;
      cc.ack_timeout = 10s;
      cc.retry_backoff = 1s;
      v->coordinator = std::make_unique<coordinator::Coordinator>(
          cc, *v->events, *v->keys, *v->outbox, blocks_, clock_, *v->rng);
      v->coordinator->SetValidators(addresses);
      SessionManagerConfig sc;
      sc.my_address = v->address;
      sc.session_expiry = 180s;
      sc.retry_delay_blocks = 5;
      v->sessions = std::make_unique<SessionManager>(sc, *v->events, *v->keys, *v->outbox, blocks_,
                                                     clock_, *v->protocols, *v->coordinator);
      validators_.push_back(std::move(v));
    }
  }

  Validator& V(size_t i) { return *validators_[i]; }
  Validator* ByAddress(const std::string& a) {
    for (auto& v : validators_)
      if (v->address == a) return v.get();
    return nullptr;
  }

  // The coordinator of the current block, as every validator computes it.
  Validator& Coordinator() { return *ByAddress(*V(0).coordinator->CoordinatorAt(blocks_.block)); }

  std::string CreateEverywhere(const std::string& protocol, const std::string& key_id,
                               const Bytes& hash, uint64_t expiry_height = 0) {
    eventstore::Event e;
    e.event_id = "event-" + std::to_string(++counter_);
    e.block_number = blocks_.block;
    e.protocol_type = protocol;
    e.expiry_height = expiry_height;
    e.event_data = node::EncodeEventData(key_id, hash, "");
    for (auto& v : validators_) EXPECT_TRUE(v->store->CreateEvent(e).ok());
    return e.event_id;
  }

  // Delivers queued messages (and those they cause) until none are left. `filter` may change a
  // message or return false to lose it.
  void Pump(const std::function<bool(Envelope&)>& filter = {}) {
    while (!queue_.empty()) {
      Envelope e = std::move(queue_.front());
      queue_.pop_front();
      if (filter && !filter(e)) continue;
      Deliver(e);
    }
  }
  void Deliver(const Envelope& e) {
    auto m = NodeMessage::Decode(e.bytes);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    Validator* to = ByAddress(e.to);
    ASSERT_NE(to, nullptr) << e.to;
    to->sessions->HandleIncomingMessage(e.from, *m);
  }

  eventstore::Event Get(size_t i, const std::string& id) {
    auto e = V(i).store->GetEvent(id);
    EXPECT_TRUE(e.ok() && e->has_value());
    return e.ok() && e->has_value() ? **e : eventstore::Event{};
  }
  std::vector<eventstore::Status> Statuses(const std::string& id) {
    std::vector<eventstore::Status> out;
    for (size_t i = 0; i < validators_.size(); ++i) out.push_back(Get(i, id).status);
    return out;
  }
  std::vector<eventstore::Status> All(eventstore::Status s) {
    return std::vector(validators_.size(), s);
  }

  // Runs an event to its end with every message delivered; returns validator-1's result JSON.
  nlohmann::json RunToSuccess(const std::string& id) {
    Coordinator().coordinator->Poll();
    Pump();
    EXPECT_EQ(Statuses(id), All(eventstore::Status::kSuccess));
    return nlohmann::json::parse(Get(0, id).result, nullptr, false);
  }

  std::string Keygen() {
    auto result = RunToSuccess(CreateEverywhere("KEYGEN", "", {}));
    EXPECT_TRUE(result.is_object());
    return result.value("key_id", "");
  }

  Bytes Hash(const char* text) {
    auto d = crypto::Sha256(AsBytes(text));
    return Bytes(d.begin(), d.end());
  }

  std::filesystem::path root_;
  ManualClock clock_;
  ManualBlocks blocks_;
  std::deque<Envelope> queue_;
  std::vector<std::unique_ptr<Validator>> validators_;
  int counter_ = 0;
};

NodeMessage Decoded(const Envelope& e) {
  return *NodeMessage::Decode(e.bytes);
}

// Replaces the result `m` that `e` carries with one whose signature is forged (one digit of s).
void ForgeResult(Envelope& e, NodeMessage m) {
  auto j = nlohmann::json::parse(std::string(m.payload.begin(), m.payload.end()));
  std::string sig = j["s"];
  sig[10] = sig[10] == '0' ? '1' : '0';
  j["s"] = sig;
  std::string text = j.dump();
  m.payload.assign(text.begin(), text.end());
  e.bytes = m.Encode();
}

TEST_F(SessionManagerTest, PendingInProgressSuccessForKeygenAndSign) {
  MakeValidators(4);
  std::string id = CreateEverywhere("KEYGEN", "", {});
  EXPECT_EQ(Statuses(id), All(eventstore::Status::kPending));
  Coordinator().coordinator->Poll();
  // Deliver the setups only: every participant acknowledges and goes IN_PROGRESS.
  size_t setups = queue_.size();
  EXPECT_EQ(setups, 4u);
  for (size_t i = 0; i < setups; ++i) {
    Envelope e = queue_.front();
    queue_.pop_front();
    EXPECT_EQ(Decoded(e).type, MessageType::kSetup);
    Deliver(e);
  }
  EXPECT_EQ(Statuses(id), All(eventstore::Status::kInProgress));
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(Get(i, id).attempts, 1);
  Pump();
  EXPECT_EQ(Statuses(id), All(eventstore::Status::kSuccess));
  auto keygen = nlohmann::json::parse(Get(0, id).result);
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(nlohmann::json::parse(Get(i, id).result), keygen);

  std::string key_id = keygen["key_id"];
  Bytes hash = Hash("sign me");
  std::string sign_id = CreateEverywhere("SIGN", key_id, hash);
  auto sig = RunToSuccess(sign_id);
  Bytes pk = *FromHex(keygen["public_key"].get<std::string>());
  Bytes r = *FromHex(sig["r"].get<std::string>()), s = *FromHex(sig["s"].get<std::string>());
  EXPECT_EQ(testing::VerifyWithBoth(pk, hash, r, s), "");
  // Every key holder, signer or observer, filed the signature next to its key shares.
  for (auto& v : validators_) {
    std::ifstream in(root_ / v->address / "signatures" / (sign_id + ".json"));
    ASSERT_TRUE(in) << v->address;
    EXPECT_EQ(nlohmann::json::parse(in), sig) << v->address;
  }
}

TEST_F(SessionManagerTest, SetupFromAValidatorThatIsNotTheCoordinatorIsDeclined) {
  MakeValidators(3);
  std::string id = CreateEverywhere("KEYGEN", "", {});
  Validator& coord = Coordinator();
  coord.coordinator->Poll();
  // Re-send the coordinator's setups as if another validator had sent them.
  std::string impostor = coord.address == "validator-2" ? "validator-3" : "validator-2";
  Pump([&](Envelope& e) {
    if (Decoded(e).type == MessageType::kSetup) e.from = impostor;
    return Decoded(e).type == MessageType::kSetup || Decoded(e).type == MessageType::kNack;
  });
  EXPECT_EQ(Statuses(id), All(eventstore::Status::kPending));
  for (auto& v : validators_) EXPECT_EQ(v->sessions->drops().invalid_setup, 1u) << v->address;
}

TEST_F(SessionManagerTest, SetupThatDisagreesWithOurEventIsDeclinedAndChangesNothing) {
  MakeValidators(3);
  std::string key_id = Keygen();
  std::string id = CreateEverywhere("SIGN", key_id, Hash("what the user asked for"));
  Coordinator().coordinator->Poll();
  Bytes other = Hash("what a malicious coordinator wants");
  std::vector<std::string> nacks;
  Pump([&](Envelope& e) {
    NodeMessage m = Decoded(e);
    if (m.type == MessageType::kSetup) {
      m.setup.message_hash = other;
      m.session_id = coordinator::DeriveSessionId(m.event_id, m.setup);  // a consistent forgery
      e.bytes = m.Encode();
    }
    if (m.type == MessageType::kNack) nacks.push_back(m.reason);
    return true;
  });
  EXPECT_EQ(Statuses(id), All(eventstore::Status::kPending));
  ASSERT_FALSE(nacks.empty());
  EXPECT_NE(nacks[0].find("message hash differs"), std::string::npos) << nacks[0];
}

TEST_F(SessionManagerTest, SetupWithAWrongSessionIdIsDeclined) {
  MakeValidators(3);
  std::string id = CreateEverywhere("KEYGEN", "", {});
  Coordinator().coordinator->Poll();
  Pump([&](Envelope& e) {
    NodeMessage m = Decoded(e);
    if (m.type == MessageType::kSetup) {
      m.session_id[0] ^= 1;
      e.bytes = m.Encode();
    }
    return true;
  });
  EXPECT_EQ(Statuses(id), All(eventstore::Status::kPending));
  for (auto& v : validators_) EXPECT_EQ(v->sessions->drops().invalid_setup, 1u);
}

TEST_F(SessionManagerTest, StepsFromOutsidersOrForAnotherSessionAreDroppedAndTheSessionGoesOn) {
  MakeValidators(4);
  std::string key_id = Keygen();
  std::string id = CreateEverywhere("SIGN", key_id, Hash("steps"));
  Coordinator().coordinator->Poll();
  bool injected = false;
  std::string observer;
  Pump([&](Envelope& e) {
    NodeMessage m = Decoded(e);
    if (m.type == MessageType::kSetup && m.setup.participants.size() == 3 && observer.empty())
      for (auto& v : validators_)
        if (!std::count(m.setup.participants.begin(), m.setup.participants.end(), v->address))
          observer = v->address;
    if (m.type == MessageType::kStep && !injected) {
      injected = true;
      // The same step claimed by the observer (a key holder that is not signing), and the same
      // step for another session id: both must be dropped without harming the session.
      Envelope from_observer = e;
      from_observer.from = observer;
      Deliver(from_observer);
      NodeMessage other = m;
      other.session_id[5] ^= 0x40;
      Deliver(Envelope{e.from, e.to, other.Encode()});
    }
    return true;
  });
  ASSERT_TRUE(injected);
  EXPECT_EQ(Statuses(id), All(eventstore::Status::kSuccess));
  uint64_t bad_sender = 0, unknown = 0;
  for (auto& v : validators_) {
    bad_sender += v->sessions->drops().bad_sender;
    unknown += v->sessions->drops().unknown_session;
  }
  EXPECT_GE(bad_sender, 1u);
  EXPECT_GE(unknown, 1u);
}

TEST_F(SessionManagerTest, AReplayedStepIsIgnored) {
  MakeValidators(3);
  std::string id = CreateEverywhere("KEYGEN", "", {});
  Coordinator().coordinator->Poll();
  int replays = 0;
  Pump([&](Envelope& e) {
    if (Decoded(e).type == MessageType::kStep && replays < 3) {
      ++replays;
      Deliver(e);  // delivered twice: a transport retry after an unacknowledged write
    }
    return true;
  });
  EXPECT_EQ(replays, 3);
  EXPECT_EQ(Statuses(id), All(eventstore::Status::kSuccess));
}

TEST_F(SessionManagerTest, AStepThatBreaksTheProtocolFailsTheEventNamingTheSender) {
  MakeValidators(3);
  std::string id = CreateEverywhere("KEYGEN", "", {});
  Coordinator().coordinator->Poll();
  Pump([&](Envelope& e) {
    NodeMessage m = Decoded(e);
    if (m.type == MessageType::kStep && e.from == "validator-3") {
      m.payload.resize(m.payload.size() / 2);  // truncated
      e.bytes = m.Encode();
    }
    return true;
  });
  for (size_t i : {0, 1}) {
    auto e = Get(i, id);
    EXPECT_EQ(e.status, eventstore::Status::kFailed);
    EXPECT_NE(e.error.find("culprit validator-3"), std::string::npos) << e.error;
  }
  // Nobody filed a key share from the failed run.
  for (auto& v : validators_)
    EXPECT_FALSE(std::filesystem::exists(root_ / v->address / "keyshares") &&
                 !std::filesystem::is_empty(root_ / v->address / "keyshares"));
}

TEST_F(SessionManagerTest, InactiveSessionGoesBackToPendingAtALaterBlockAndIsRetried) {
  MakeValidators(3);
  std::string id = CreateEverywhere("KEYGEN", "", {});
  Coordinator().coordinator->Poll();
  // One participant (not the coordinator) acknowledges but then never answers: its protocol
  // messages are lost.
  std::string silent = Coordinator().address == "validator-1" ? "validator-2" : "validator-1";
  Pump([&](Envelope& e) { return e.from != silent || Decoded(e).type == MessageType::kAck; });
  EXPECT_EQ(Statuses(id), All(eventstore::Status::kInProgress));
  clock_.now += 181s;
  for (auto& v : validators_) v->sessions->CheckExpiry();
  for (size_t i = 0; i < 3; ++i) {
    auto e = Get(i, id);
    EXPECT_EQ(e.status, eventstore::Status::kPending);
    EXPECT_EQ(e.block_number, blocks_.block + 5);  // seed: current block + retry delay
  }
  // Not before the retry block...
  Coordinator().coordinator->Poll();
  EXPECT_TRUE(queue_.empty());
  // ...then a fresh attempt (new session id) succeeds with everyone answering.
  blocks_.block += 5;
  clock_.now += 2s;  // past the coordinator's backoff
  auto result = RunToSuccess(id);
  EXPECT_TRUE(result.contains("public_key"));
  EXPECT_EQ(Get(0, id).attempts, 2);
}

TEST_F(SessionManagerTest, PendingEventPastItsExpiryHeightExpires) {
  MakeValidators(3);
  std::string id = CreateEverywhere("KEYGEN", "", {}, blocks_.block + 10);
  blocks_.block += 11;
  for (auto& v : validators_) v->sessions->CheckExpiry();
  EXPECT_EQ(Statuses(id), All(eventstore::Status::kExpired));
  Coordinator().coordinator->Poll();
  EXPECT_TRUE(queue_.empty());  // nothing left to coordinate
}

TEST_F(SessionManagerTest, CrashRecoveryPutsInProgressEventsBackToPending) {
  MakeValidators(3);
  std::string id = CreateEverywhere("KEYGEN", "", {});
  Coordinator().coordinator->Poll();
  Pump([](Envelope& e) { return Decoded(e).type == MessageType::kSetup; });
  EXPECT_EQ(Statuses(id), All(eventstore::Status::kInProgress));
  // A restarted node runs ResetInProgressToPending before anything else (node.cpp, seed order).
  auto reset = V(1).events->ResetInProgressToPending();
  ASSERT_TRUE(reset.ok());
  EXPECT_EQ(*reset, 1u);
  EXPECT_EQ(Get(1, id).status, eventstore::Status::kPending);
}

TEST_F(SessionManagerTest, ObserverRecordsOnlyAResultWhoseSignatureVerifies) {
  MakeValidators(4);
  std::string key_id = Keygen();
  std::string id = CreateEverywhere("SIGN", key_id, Hash("observed"));
  Coordinator().coordinator->Poll();
  std::string observer;
  Pump([&](Envelope& e) {
    NodeMessage m = Decoded(e);
    if (m.type == MessageType::kSetup && observer.empty())
      for (auto& v : validators_)
        if (!std::count(m.setup.participants.begin(), m.setup.participants.end(), v->address))
          observer = v->address;
    if (m.type == MessageType::kResult) ForgeResult(e, m);
    return true;
  });
  ASSERT_FALSE(observer.empty());
  Validator* obs = ByAddress(observer);
  auto e = obs->store->GetEvent(id);
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_EQ((*e)->status, eventstore::Status::kInProgress);  // no forged result recorded
  EXPECT_GE(obs->sessions->drops().bad_sender, 1u);
}

// The setup reaches a key holder that is not signing (an observer) before that node's own copy of
// the event does: it declines, the coordinator does not wait for observers, and the signers go
// ahead. The observer's copy must not stay PENDING for good: the signers' results, checked
// against its own copy of the event and its own key, end it; a forged result does not.
TEST_F(SessionManagerTest, ObserverThatMissedTheSetupLearnsTheOutcomeFromAVerifiedResult) {
  MakeValidators(4);
  std::string key_id = Keygen();
  for (bool forge : {true, false}) {
    std::string id = CreateEverywhere("SIGN", key_id, Hash(forge ? "forged" : "genuine"));
    Coordinator().coordinator->Poll();
    std::string observer;
    Pump([&](Envelope& e) {
      NodeMessage m = Decoded(e);
      if (m.type == MessageType::kSetup &&
          !std::count(m.setup.participants.begin(), m.setup.participants.end(), e.to)) {
        observer = e.to;
        return false;  // it never gets the setup
      }
      if (m.type == MessageType::kResult && forge) ForgeResult(e, m);
      return true;
    });
    ASSERT_FALSE(observer.empty());
    Validator* obs = ByAddress(observer);
    auto e = obs->store->GetEvent(id);
    ASSERT_TRUE(e.ok() && e->has_value());
    if (forge) {
      EXPECT_EQ((*e)->status, eventstore::Status::kPending);
      EXPECT_GE(obs->sessions->drops().bad_sender, 1u);
    } else {
      EXPECT_EQ((*e)->status, eventstore::Status::kSuccess);
      EXPECT_EQ((*e)->result, Get(0, id).result);
    }
  }
}

// Parties of one run switching to another at different moments is how a keygen ends with some
// holding a share and others not: a setup for an event whose session has begun is declined, and
// the run under way finishes.
TEST_F(SessionManagerTest, ASetupNeverReplacesASessionThatHasBegun) {
  MakeValidators(3);
  std::string id = CreateEverywhere("KEYGEN", "", {});
  Validator& coord = Coordinator();
  coord.coordinator->Poll();
  std::string participant = coord.address == "validator-1" ? "validator-2" : "validator-1";
  std::optional<Envelope> setup;
  std::vector<Envelope> steps;
  Pump([&](Envelope& e) {
    NodeMessage m = Decoded(e);
    if (m.type == MessageType::kSetup && e.to == participant) setup = e;
    if (m.type != MessageType::kStep) return true;
    steps.push_back(e);  // held: every session has begun, none has finished
    return false;
  });
  ASSERT_TRUE(setup.has_value());
  ASSERT_FALSE(steps.empty());
  // A second attempt's setup from the rightful coordinator (new nonce, consistent session id).
  NodeMessage second = Decoded(*setup);
  second.setup.nonce ^= 1;
  second.session_id = coordinator::DeriveSessionId(second.event_id, second.setup);
  Deliver({coord.address, participant, second.Encode()});
  ASSERT_EQ(queue_.size(), 1u);
  NodeMessage nack = Decoded(queue_.front());
  EXPECT_EQ(nack.type, MessageType::kNack);
  EXPECT_NE(nack.reason.find("running"), std::string::npos) << nack.reason;
  for (auto& e : steps) queue_.push_back(e);
  Pump();
  EXPECT_EQ(Statuses(id), All(eventstore::Status::kSuccess));
}

// A setup that arrives late (a retried send) must not replace the newer attempt a participant
// has accepted since, or that participant would answer the wrong attempt and stall the right one.
TEST_F(SessionManagerTest, ALateSetupOfAnOlderAttemptIsDropped) {
  MakeValidators(3);
  std::string id = CreateEverywhere("KEYGEN", "", {});
  Validator& coord = Coordinator();
  coord.coordinator->Poll();
  std::string late = coord.address == "validator-1" ? "validator-2" : "validator-1";
  std::optional<Envelope> first;
  Pump([&](Envelope& e) {
    if (Decoded(e).type == MessageType::kSetup && e.to == late) {
      first = e;  // delayed in the network
      return false;
    }
    return true;
  });
  ASSERT_TRUE(first.has_value());
  // No ACK from `late`: the attempt times out and, after the back-off, a new one starts at a
  // later block; the first setup turns up in the middle of it.
  clock_.now += 11s;
  coord.coordinator->Poll();
  EXPECT_TRUE(queue_.empty());
  clock_.now += 2s;
  blocks_.block += 1;
  coord.coordinator->Poll();
  ASSERT_FALSE(queue_.empty());
  bool injected = false;
  Pump([&](Envelope& e) {
    if (!injected && e.from == late && Decoded(e).type == MessageType::kAck) {
      queue_.push_front(*first);
      injected = true;
    }
    return true;
  });
  EXPECT_TRUE(injected);
  EXPECT_EQ(Statuses(id), All(eventstore::Status::kSuccess));
  EXPECT_EQ(ByAddress(late)->sessions->drops().unknown_session, 1u);
}

// A coordinator whose registry view lags (it has not seen the newest validator yet) proposes a
// keygen without it; participants that do see it decline, so no key leaves a validator out.
TEST_F(SessionManagerTest, KeygenWithoutEveryValidatorWeSeeIsDeclined) {
  MakeValidators(3);
  std::string id = CreateEverywhere("KEYGEN", "", {});
  Validator& coord = Coordinator();
  coord.coordinator->Poll();
  std::vector<std::string> nacks;
  Pump([&](Envelope& e) {
    NodeMessage m = Decoded(e);
    if (m.type == MessageType::kSetup) {
      auto& p = m.setup.participants;
      p.erase(std::find_if(p.begin(), p.end(), [&](auto& a) { return a != coord.address; }));
      m.setup.threshold = 2;
      m.session_id = coordinator::DeriveSessionId(m.event_id, m.setup);
      e.bytes = m.Encode();
    }
    if (m.type == MessageType::kNack) nacks.push_back(m.reason);
    return true;
  });
  EXPECT_EQ(Statuses(id), All(eventstore::Status::kPending));
  ASSERT_FALSE(nacks.empty());
  EXPECT_NE(nacks[0].find("every registered validator"), std::string::npos) << nacks[0];
}

}  // namespace
}  // namespace tss::sessionmanager

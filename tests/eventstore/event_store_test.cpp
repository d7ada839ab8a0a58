// Every case runs against both back ends: SQLite on a real file and PostgreSQL on a real server
// started for this test binary.
#include "eventstore/event_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "testing/postgres_server.h"

namespace tss::eventstore {
namespace {

using S = eventstore::Status;

testing::PostgresServer* g_postgres = nullptr;
std::string g_postgres_error;

class PostgresEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    g_postgres = new testing::PostgresServer();
    g_postgres_error = g_postgres->Start();
  }
  void TearDown() override {
    delete g_postgres;
    g_postgres = nullptr;
  }
};
const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

int g_counter = 0;

class EventStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { store_ = Open(); }
  std::unique_ptr<EventStore> Open() {
    if (GetParam() == "sqlite") {
      if (path_.empty())
        path_ = ::testing::TempDir() + "/events-" + std::to_string(::getpid()) + "-" +
                std::to_string(++g_counter) + ".db";
      auto s = OpenEventStore(path_);
      EXPECT_TRUE(s.ok()) << s.status().ToString();
      return s.ok() ? std::move(*s) : nullptr;
    }
    if (!g_postgres_error.empty()) {
      // In CI the server must be there: a skipped PostgreSQL suite would hide a broken back end.
      if (std::getenv("CI")) ADD_FAILURE() << "PostgreSQL unavailable: " << g_postgres_error;
      return nullptr;
    }
    if (path_.empty()) path_ = g_postgres->CreateDatabase("events_" + std::to_string(++g_counter));
    EXPECT_FALSE(path_.empty());
    auto s = OpenEventStore(path_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  Event Make(const std::string& id, uint64_t block, const std::string& type = "SIGN",
             uint64_t expiry = 0) {
    Event e;
    e.event_id = id;
    e.block_number = block;
    e.protocol_type = type;
    e.expiry_height = expiry;
    e.event_data = R"({"key_id":"k1"})";
    return e;
  }
  std::string path_;
  std::unique_ptr<EventStore> store_;
};

#define REQUIRE_STORE() \
  if (!store_) GTEST_SKIP() << "back end unavailable (fails under CI)"

TEST_P(EventStoreTest, CreateAndGet) {
  REQUIRE_STORE();
  ASSERT_TRUE(store_->CreateEvent(Make("e1", 10)).ok());
  auto e = store_->GetEvent("e1");
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_EQ((*e)->block_number, 10u);
  EXPECT_EQ((*e)->status, S::kPending);
  EXPECT_EQ((*e)->event_data, R"({"key_id":"k1"})");
  EXPECT_GT((*e)->created_at, 0);
  EXPECT_EQ(store_->CreateEvent(Make("e1", 11)).code(), ErrorCode::kAlreadyExists);
  EXPECT_FALSE(store_->GetEvent("nope")->has_value());
  EXPECT_FALSE(store_->CreateEvent(Make("bad", 1, "TRANSFER")).ok());
}

TEST_P(EventStoreTest, PendingAreDueEventsOldestFirst) {
  REQUIRE_STORE();
  ASSERT_TRUE(store_->CreateEvent(Make("late", 30)).ok());
  ASSERT_TRUE(store_->CreateEvent(Make("early", 10)).ok());
  ASSERT_TRUE(store_->CreateEvent(Make("future", 100)).ok());
  auto p = store_->GetPendingEvents(50, 10);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[0].event_id, "early");
  EXPECT_EQ((*p)[1].event_id, "late");
  EXPECT_EQ(store_->GetPendingEvents(50, 1)->size(), 1u);
}

TEST_P(EventStoreTest, EveryTransitionOfTheSeed) {
  REQUIRE_STORE();
  ASSERT_TRUE(store_->CreateEvent(Make("e", 1)).ok());
  // PENDING -> IN_PROGRESS counts an attempt.
  EXPECT_TRUE(*store_->UpdateStatus("e", S::kPending, S::kInProgress));
  EXPECT_EQ((*store_->GetEvent("e"))->attempts, 1);
  // IN_PROGRESS -> PENDING on expiry, at a later block.
  EXPECT_TRUE(*store_->UpdateStatusAndBlockHeight("e", S::kInProgress, S::kPending, 42));
  auto e = *store_->GetEvent("e");
  EXPECT_EQ(e->status, S::kPending);
  EXPECT_EQ(e->block_number, 42u);
  // IN_PROGRESS -> SUCCESS with a result.
  EXPECT_TRUE(*store_->UpdateStatus("e", S::kPending, S::kInProgress));
  EXPECT_TRUE(*store_->UpdateStatus("e", S::kInProgress, S::kSuccess, R"({"r":"00"})"));
  e = *store_->GetEvent("e");
  EXPECT_EQ(e->status, S::kSuccess);
  EXPECT_EQ(e->result, R"({"r":"00"})");
  EXPECT_EQ(e->attempts, 2);
  // IN_PROGRESS -> FAILED with the error.
  ASSERT_TRUE(store_->CreateEvent(Make("f", 1)).ok());
  EXPECT_TRUE(*store_->UpdateStatus("f", S::kPending, S::kInProgress));
  EXPECT_TRUE(*store_->UpdateStatus("f", S::kInProgress, S::kFailed, "",
                                    "culprit validator-02: bad proof"));
  EXPECT_EQ((*store_->GetEvent("f"))->error, "culprit validator-02: bad proof");
  // PENDING -> EXPIRED past the expiry height only.
  ASSERT_TRUE(store_->CreateEvent(Make("x", 1, "SIGN", 100)).ok());
  ASSERT_TRUE(store_->CreateEvent(Make("y", 1, "SIGN", 0)).ok());
  EXPECT_EQ(*store_->ExpirePendingEvents(100), 0u);
  EXPECT_EQ(*store_->ExpirePendingEvents(101), 1u);
  EXPECT_EQ((*store_->GetEvent("x"))->status, S::kExpired);
  EXPECT_EQ((*store_->GetEvent("y"))->status, S::kPending);
  EXPECT_EQ(store_->GetEventsByStatus(S::kExpired, 10)->size(), 1u);
}

TEST_P(EventStoreTest, CompareAndSetRefusesTheWrongFromState) {
  REQUIRE_STORE();
  ASSERT_TRUE(store_->CreateEvent(Make("e", 1)).ok());
  EXPECT_FALSE(*store_->UpdateStatus("e", S::kInProgress, S::kSuccess));
  EXPECT_FALSE(*store_->UpdateStatus("missing", S::kPending, S::kInProgress));
  EXPECT_EQ((*store_->GetEvent("e"))->status, S::kPending);
}

TEST_P(EventStoreTest, CrashRecoveryResetsInProgress) {
  REQUIRE_STORE();
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(store_->CreateEvent(Make(id, 1)).ok());
  ASSERT_TRUE(*store_->UpdateStatus("a", S::kPending, S::kInProgress));
  ASSERT_TRUE(*store_->UpdateStatus("b", S::kPending, S::kInProgress));
  ASSERT_TRUE(*store_->UpdateStatus("b", S::kInProgress, S::kSuccess));
  EXPECT_EQ(*store_->ResetInProgressEventsToPending(), 1u);
  EXPECT_EQ((*store_->GetEvent("a"))->status, S::kPending);
  EXPECT_EQ((*store_->GetEvent("b"))->status, S::kSuccess);
}

TEST_P(EventStoreTest, ConcurrentMovesHaveExactlyOneWinner) {
  REQUIRE_STORE();
  constexpr int kEvents = 20;
  for (int i = 0; i < kEvents; ++i)
    ASSERT_TRUE(store_->CreateEvent(Make("c" + std::to_string(i), 1)).ok());
  // Two independent connections race for every event, as two nodes sharing a database would.
  auto other = Open();
  ASSERT_NE(other, nullptr);
  std::atomic<int> wins{0};
  auto race = [&](EventStore* s) {
    for (int i = 0; i < kEvents; ++i) {
      auto moved = s->UpdateStatus("c" + std::to_string(i), S::kPending, S::kInProgress);
      ASSERT_TRUE(moved.ok()) << moved.status().ToString();
      if (*moved) ++wins;
    }
  };
  std::thread t1(race, store_.get()), t2(race, other.get());
  t1.join();
  t2.join();
  EXPECT_EQ(wins.load(), kEvents);
  for (int i = 0; i < kEvents; ++i)
    EXPECT_EQ((*store_->GetEvent("c" + std::to_string(i)))->attempts, 1);
}

TEST_P(EventStoreTest, ReopeningKeepsEverything) {
  REQUIRE_STORE();
  ASSERT_TRUE(store_->CreateEvent(Make("keep", 5)).ok());
  ASSERT_TRUE(*store_->UpdateStatus("keep", S::kPending, S::kInProgress));
  store_.reset();
  store_ = Open();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ((*store_->GetEvent("keep"))->status, S::kInProgress);
}

// A run id is recorded once, ever: a second record of it (also after reopening, as after a
// restart, and from a second connection at once) says it was seen.
TEST_P(EventStoreTest, ARunIdIsRecordedOnceAndRefusedForever) {
  REQUIRE_STORE();
  auto first = store_->RecordRun("ab01", "ev-1");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*store_->RecordRun("ab01", "ev-2"));
  EXPECT_TRUE(*store_->RecordRun("ab02", "ev-1"));
  store_.reset();
  store_ = Open();
  ASSERT_NE(store_, nullptr);
  EXPECT_FALSE(*store_->RecordRun("ab01", "ev-1"));
  auto second = Open();
  std::atomic<int> winners{0};
  std::thread a([&] { winners += *store_->RecordRun("ab03", "x") ? 1 : 0; });
  std::thread b([&] { winners += *second->RecordRun("ab03", "x") ? 1 : 0; });
  a.join();
  b.join();
  EXPECT_EQ(winners, 1);
  EXPECT_FALSE(store_->RecordRun("", "x").ok());
}

TEST_P(EventStoreTest, KeyStatesAreUpsertedAndListed) {
  REQUIRE_STORE();
  KeyState k{"key-b", "02ab", true, {"validator-2", "validator-3"}};
  ASSERT_TRUE(store_->SaveKeyState(k).ok());
  ASSERT_TRUE(store_->SaveKeyState({"key-a", "03cd", false, {}}).ok());
  auto list = store_->ListKeyStates();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].key_id, "key-a");
  EXPECT_FALSE((*list)[0].needs_refresh);
  EXPECT_TRUE((*list)[0].culprits.empty());
  EXPECT_EQ((*list)[1].culprits, k.culprits);
  EXPECT_TRUE((*list)[1].needs_refresh);
  ASSERT_TRUE(store_->SaveKeyState({"key-b", "02ab", false, {}}).ok());  // after a refresh
  list = store_->ListKeyStates();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_FALSE((*list)[1].needs_refresh);
  EXPECT_TRUE((*list)[1].culprits.empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, EventStoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST(EventStoreOpen, ClearErrorsForBadDatabases) {
  std::string corrupt = ::testing::TempDir() + "/corrupt-" + std::to_string(::getpid()) + ".db";
  { std::ofstream(corrupt) << std::string(4096, 'x'); }
  auto s = OpenEventStore(corrupt);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("not a database"), std::string::npos) << s.status().message();
  auto missing_dir = OpenEventStore("/nonexistent-dir/tss.db");
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_NE(missing_dir.status().message().find("cannot open"), std::string::npos);
  auto unreachable = OpenEventStore("postgres://tss@127.0.0.1:1/none?connect_timeout=2");
  ASSERT_FALSE(unreachable.ok());
  EXPECT_NE(unreachable.status().message().find("cannot connect to PostgreSQL"), std::string::npos);
  std::filesystem::remove(corrupt);
}

}  // namespace
}  // namespace tss::eventstore

// Every case runs against both back ends: SQLite on a real file and PostgreSQL on a real server
// started for this test binary.
#include "eventstore/event_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "eventstore/sql_store.h"
#include "testing/postgres_server.h"

namespace tss::eventstore {
namespace {

using core::Event;
using core::EventChange;
using core::EventStore;
using core::KeyState;
using core::ProtocolType;
using S = core::EventStatus;

core::SessionId RunIdOf(uint8_t tag) {
  core::SessionId id{};
  id[0] = tag;
  return id;
}

KeyState KeyOf(const std::string& key_id, const std::string& public_key,
               std::vector<std::string> culprits = {}) {
  KeyState k;
  k.key_id = key_id;
  k.public_key = public_key;
  k.needs_refresh = !culprits.empty();
  k.culprits = std::move(culprits);
  return k;
}

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
  // A database of this back end that nothing has opened yet (empty when PostgreSQL is absent).
  std::string FreshUrl() {
    if (GetParam() == "sqlite")
      return ::testing::TempDir() + "/events-" + std::to_string(::getpid()) + "-" +
             std::to_string(++g_counter) + ".db";
    if (!g_postgres_error.empty()) return "";
    return g_postgres->CreateDatabase("events_" + std::to_string(++g_counter));
  }
  std::unique_ptr<EventStore> Open() {
    if (GetParam() == "sqlite") {
      if (path_.empty()) path_ = FreshUrl();
      auto s = OpenEventStore(path_);
      EXPECT_TRUE(s.ok()) << s.status().ToString();
      return s.ok() ? std::move(*s) : nullptr;
    }
    if (!g_postgres_error.empty()) {
      // In CI the server must be there: a skipped PostgreSQL suite would hide a broken back end.
      if (std::getenv("CI")) ADD_FAILURE() << "PostgreSQL unavailable: " << g_postgres_error;
      return nullptr;
    }
    if (path_.empty()) path_ = FreshUrl();
    EXPECT_FALSE(path_.empty());
    auto s = OpenEventStore(path_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  Event Make(const std::string& id, uint64_t block, ProtocolType type = ProtocolType::kSign,
             uint64_t expiry = 0) {
    Event e;
    e.event_id = id;
    e.block_number = block;
    e.protocol = type;
    e.expiry_height = expiry;
    e.key_id = "k1";
    return e;
  }
  std::string path_;
  std::unique_ptr<EventStore> store_;
};

#define REQUIRE_STORE() \
  if (!store_) GTEST_SKIP() << "back end unavailable (fails under CI)"

TEST_P(EventStoreTest, CreateAndGet) {
  REQUIRE_STORE();
  ASSERT_TRUE(store_->Create(Make("e1", 10)).ok());
  auto e = store_->Get("e1");
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_EQ((*e)->block_number, 10u);
  EXPECT_EQ((*e)->status, S::kPending);
  EXPECT_EQ((*e)->key_id, "k1");
  EXPECT_EQ((*e)->protocol, ProtocolType::kSign);
  EXPECT_TRUE((*e)->defect.empty());
  EXPECT_GT((*e)->created_at, 0);
  EXPECT_EQ(store_->Create(Make("e1", 11)).code(), ErrorCode::kAlreadyExists);
  EXPECT_FALSE(store_->Get("nope")->has_value());
  // What is written reads back unchanged, hash and chain path included.
  Event full = Make("e2", 10);
  full.message_hash = Bytes(32, 0xab);
  full.chain_path = "m/0/1";
  ASSERT_TRUE(store_->Create(full).ok());
  auto back = store_->Get("e2");
  ASSERT_TRUE(back.ok() && back->has_value());
  EXPECT_EQ((*back)->message_hash, full.message_hash);
  EXPECT_EQ((*back)->chain_path, "m/0/1");
}

TEST_P(EventStoreTest, TallyCountsByProtocolAndStatus) {
  REQUIRE_STORE();
  EXPECT_TRUE(store_->Tally()->empty());
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(store_->Create(Make(id, 1)).ok());
  ASSERT_TRUE(*store_->Move("a", S::kPending, S::kInProgress));
  ASSERT_TRUE(*store_->Move("a", S::kInProgress, S::kFailed, EventChange::WithError("x")));
  auto tally = store_->Tally();
  ASSERT_TRUE(tally.ok()) << tally.status().ToString();
  std::map<S, uint64_t> counts;
  for (const auto& t : *tally) {
    EXPECT_EQ(t.protocol, ProtocolType::kSign);
    counts[t.status] = t.count;
    if (t.status == S::kFailed) {  // just now: within the first bucket, and every later one
      EXPECT_GE(t.duration_ms_sum, 0);
      EXPECT_EQ(t.at_most.front(), 1u);
      EXPECT_EQ(t.at_most.back(), 1u);
    }
  }
  EXPECT_EQ(counts, (std::map<S, uint64_t>{{S::kPending, 2}, {S::kFailed, 1}}));
}

TEST_P(EventStoreTest, PendingAreDueEventsOldestFirst) {
  REQUIRE_STORE();
  ASSERT_TRUE(store_->Create(Make("late", 30)).ok());
  ASSERT_TRUE(store_->Create(Make("early", 10)).ok());
  ASSERT_TRUE(store_->Create(Make("future", 100)).ok());
  auto p = store_->Pending(50, 10);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[0].event_id, "early");
  EXPECT_EQ((*p)[1].event_id, "late");
  EXPECT_EQ(store_->Pending(50, 1)->size(), 1u);
}

TEST_P(EventStoreTest, EveryTransitionOfTheSeed) {
  REQUIRE_STORE();
  ASSERT_TRUE(store_->Create(Make("e", 1)).ok());
  // PENDING -> IN_PROGRESS counts an attempt.
  EXPECT_TRUE(*store_->Move("e", S::kPending, S::kInProgress));
  EXPECT_EQ((*store_->Get("e"))->attempts, 1);
  // IN_PROGRESS -> PENDING on expiry, at a later block.
  EXPECT_TRUE(*store_->Move("e", S::kInProgress, S::kPending, EventChange::RetryAt(42)));
  auto e = *store_->Get("e");
  EXPECT_EQ(e->status, S::kPending);
  EXPECT_EQ(e->block_number, 42u);
  // IN_PROGRESS -> SUCCESS with a result.
  EXPECT_TRUE(*store_->Move("e", S::kPending, S::kInProgress));
  EXPECT_TRUE(
      *store_->Move("e", S::kInProgress, S::kSuccess, EventChange::WithResult(R"({"r":"00"})")));
  e = *store_->Get("e");
  EXPECT_EQ(e->status, S::kSuccess);
  EXPECT_EQ(e->result, R"({"r":"00"})");
  EXPECT_EQ(e->attempts, 2);
  // IN_PROGRESS -> FAILED with the error.
  ASSERT_TRUE(store_->Create(Make("f", 1)).ok());
  EXPECT_TRUE(*store_->Move("f", S::kPending, S::kInProgress));
  EXPECT_TRUE(*store_->Move("f", S::kInProgress, S::kFailed,
                            EventChange::WithError("culprit validator-02: bad proof")));
  EXPECT_EQ((*store_->Get("f"))->error, "culprit validator-02: bad proof");
  // PENDING -> EXPIRED past the expiry height only.
  ASSERT_TRUE(store_->Create(Make("x", 1, ProtocolType::kSign, 100)).ok());
  ASSERT_TRUE(store_->Create(Make("y", 1, ProtocolType::kSign, 0)).ok());
  EXPECT_EQ(*store_->ExpirePending(100), 0u);
  EXPECT_EQ(*store_->ExpirePending(101), 1u);
  EXPECT_EQ((*store_->Get("x"))->status, S::kExpired);
  EXPECT_EQ((*store_->Get("y"))->status, S::kPending);
  EXPECT_EQ(store_->WithStatus(S::kExpired, 10)->size(), 1u);
}

// One move writes everything it is given: a retry's block and an error together.
TEST_P(EventStoreTest, AMoveWritesEveryFieldItIsGiven) {
  REQUIRE_STORE();
  ASSERT_TRUE(store_->Create(Make("e", 1)).ok());
  ASSERT_TRUE(*store_->Move("e", S::kPending, S::kInProgress));
  EventChange change = EventChange::RetryAt(5'000'000'000);
  change.error = "expired";
  ASSERT_TRUE(*store_->Move("e", S::kInProgress, S::kPending, change));
  auto e = *store_->Get("e");
  EXPECT_EQ(e->block_number, 5'000'000'000u);  // beyond 32 bits, on both back ends
  EXPECT_EQ(e->error, "expired");
  EXPECT_EQ(e->result, "");
}

TEST_P(EventStoreTest, CompareAndSetRefusesTheWrongFromState) {
  REQUIRE_STORE();
  ASSERT_TRUE(store_->Create(Make("e", 1)).ok());
  EXPECT_FALSE(*store_->Move("e", S::kInProgress, S::kSuccess));
  EXPECT_FALSE(*store_->Move("missing", S::kPending, S::kInProgress));
  EXPECT_EQ((*store_->Get("e"))->status, S::kPending);
}

TEST_P(EventStoreTest, CrashRecoveryResetsInProgress) {
  REQUIRE_STORE();
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(store_->Create(Make(id, 1)).ok());
  ASSERT_TRUE(*store_->Move("a", S::kPending, S::kInProgress));
  ASSERT_TRUE(*store_->Move("b", S::kPending, S::kInProgress));
  ASSERT_TRUE(*store_->Move("b", S::kInProgress, S::kSuccess));
  EXPECT_EQ(*store_->ResetInProgressToPending(), 1u);
  EXPECT_EQ((*store_->Get("a"))->status, S::kPending);
  EXPECT_EQ((*store_->Get("b"))->status, S::kSuccess);
}

TEST_P(EventStoreTest, ConcurrentMovesHaveExactlyOneWinner) {
  REQUIRE_STORE();
  constexpr int kEvents = 20;
  for (int i = 0; i < kEvents; ++i)
    ASSERT_TRUE(store_->Create(Make("c" + std::to_string(i), 1)).ok());
  // Two independent connections race for every event, as two nodes sharing a database would.
  auto other = Open();
  ASSERT_NE(other, nullptr);
  std::atomic<int> wins{0};
  auto race = [&](EventStore* s) {
    for (int i = 0; i < kEvents; ++i) {
      auto moved = s->Move("c" + std::to_string(i), S::kPending, S::kInProgress);
      ASSERT_TRUE(moved.ok()) << moved.status().ToString();
      if (*moved) ++wins;
    }
  };
  std::thread t1(race, store_.get()), t2(race, other.get());
  t1.join();
  t2.join();
  EXPECT_EQ(wins.load(), kEvents);
  for (int i = 0; i < kEvents; ++i) EXPECT_EQ((*store_->Get("c" + std::to_string(i)))->attempts, 1);
}

TEST_P(EventStoreTest, ReopeningKeepsEverything) {
  REQUIRE_STORE();
  ASSERT_TRUE(store_->Create(Make("keep", 5)).ok());
  ASSERT_TRUE(*store_->Move("keep", S::kPending, S::kInProgress));
  store_.reset();
  store_ = Open();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ((*store_->Get("keep"))->status, S::kInProgress);
}

// A run id is recorded once, ever: a second record of it (also after reopening, as after a
// restart, and from a second connection at once) says it was seen.
TEST_P(EventStoreTest, ARunIdIsRecordedOnceAndRefusedForever) {
  REQUIRE_STORE();
  auto first = store_->RecordRun(RunIdOf(1), "ev-1");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*store_->RecordRun(RunIdOf(1), "ev-2"));
  EXPECT_TRUE(*store_->RecordRun(RunIdOf(2), "ev-1"));
  store_.reset();
  store_ = Open();
  ASSERT_NE(store_, nullptr);
  EXPECT_FALSE(*store_->RecordRun(RunIdOf(1), "ev-1"));
  auto second = Open();
  std::atomic<int> winners{0};
  std::thread a([&] { winners += *store_->RecordRun(RunIdOf(3), "x") ? 1 : 0; });
  std::thread b([&] { winners += *second->RecordRun(RunIdOf(3), "x") ? 1 : 0; });
  a.join();
  b.join();
  EXPECT_EQ(winners, 1);
}

TEST_P(EventStoreTest, KeyStatesAreUpsertedAndListed) {
  REQUIRE_STORE();
  KeyState k = KeyOf("key-b", "02ab", {"validator-2", "validator-3"});
  ASSERT_TRUE(store_->SaveKeyState(k).ok());
  ASSERT_TRUE(store_->SaveKeyState(KeyOf("key-a", "03cd")).ok());
  auto list = store_->ListKeyStates();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].key_id, "key-a");
  EXPECT_FALSE((*list)[0].needs_refresh);
  EXPECT_TRUE((*list)[0].culprits.empty());
  EXPECT_EQ((*list)[1].culprits, k.culprits);
  EXPECT_TRUE((*list)[1].needs_refresh);
  ASSERT_TRUE(store_->SaveKeyState(KeyOf("key-b", "02ab")).ok());  // after a refresh
  list = store_->ListKeyStates();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_FALSE((*list)[1].needs_refresh);
  EXPECT_TRUE((*list)[1].culprits.empty());
}

// Generations of a key round-trip: pending and retained ones appear and go as a refresh
// proceeds, and a fingerprint comes back as written.
TEST_P(EventStoreTest, KeyGenerationsAreMirroredWhole) {
  REQUIRE_STORE();
  KeyState k = KeyOf("key-g", "02ab");
  k.active = {3, std::string(64, 'a')};
  k.pending = core::KeyGeneration{4, std::string(64, 'b')};
  k.threshold = 3;
  k.holders = {"validator-1", "validator-2", "validator-3", "validator-4"};
  ASSERT_TRUE(store_->SaveKeyState(k).ok());
  auto list = store_->ListKeyStates();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].threshold, 3);
  EXPECT_EQ((*list)[0].holders, k.holders);
  EXPECT_EQ((*list)[0].active, k.active);
  EXPECT_EQ((*list)[0].pending, k.pending);
  EXPECT_FALSE((*list)[0].previous.has_value());
  // Generation 4 activated: 3 is retained, nothing pending.
  k.previous = k.active;
  k.active = *k.pending;
  k.pending.reset();
  ASSERT_TRUE(store_->SaveKeyState(k).ok());
  list = store_->ListKeyStates();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].active, (core::KeyGeneration{4, std::string(64, 'b')}));
  EXPECT_FALSE((*list)[0].pending.has_value());
  EXPECT_EQ((*list)[0].previous, (core::KeyGeneration{3, std::string(64, 'a')}));
}

TEST_P(EventStoreTest, HeartbeatsAreOneRowPerValidator) {
  REQUIRE_STORE();
  auto empty = store_->ListHeartbeats();
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->empty());
  core::Heartbeat b{"validator-2", 2000, 1000, 1000, false, {{"validator-1", "connected"}}};
  core::Heartbeat a{"validator-1", 1500, 1200, 250, false, {}};
  ASSERT_TRUE(store_->SaveHeartbeat(b).ok());
  ASSERT_TRUE(store_->SaveHeartbeat(a).ok());
  auto beats = store_->ListHeartbeats();
  ASSERT_TRUE(beats.ok());
  ASSERT_EQ(beats->size(), 2u);
  EXPECT_EQ((*beats)[0], a);
  EXPECT_EQ((*beats)[1], b);
  // The next beat replaces the row: newer time, another view of the peers, a clean stop.
  b.beat_at = 3000;
  b.stopped = true;
  b.peers = {{"validator-1", "unreachable"}, {"validator-3", "unknown"}};
  ASSERT_TRUE(store_->SaveHeartbeat(b).ok());
  beats = store_->ListHeartbeats();
  ASSERT_EQ(beats->size(), 2u);
  EXPECT_EQ((*beats)[1], b);
  EXPECT_FALSE(store_->SaveHeartbeat({}).ok());  // a beat names its node
}

// A database made by the first release (tss_keys without generations, no heartbeat table) is
// migrated when it is opened — by two processes at once, as a node and a `tss` command do —
// and keeps its rows.
TEST_P(EventStoreTest, AnEarlierSchemaIsMigratedOnOpen) {
  REQUIRE_STORE();
  const std::string url = FreshUrl();
  ASSERT_FALSE(url.empty());
  {
    auto conn = GetParam() == "sqlite" ? OpenSqlite(url) : OpenPostgres(url);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    ASSERT_TRUE((*conn)
                    ->Exec("CREATE TABLE tss_keys (key_id TEXT PRIMARY KEY, public_key TEXT NOT "
                           "NULL, needs_refresh BIGINT NOT NULL DEFAULT 0, culprits TEXT NOT "
                           "NULL DEFAULT '', updated_at BIGINT NOT NULL);"
                           "INSERT INTO tss_keys VALUES ('old', '03ef', 1, 'validator-9', 7);")
                    .ok());
  }
  std::unique_ptr<EventStore> first, second;
  std::thread a([&] {
    auto s = OpenEventStore(url);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (s.ok()) first = std::move(*s);
  });
  std::thread b([&] {
    auto s = OpenEventStore(url);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (s.ok()) second = std::move(*s);
  });
  a.join();
  b.join();
  ASSERT_TRUE(first && second);
  auto list = first->ListKeyStates();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].public_key, "03ef");
  EXPECT_EQ((*list)[0].culprits, std::vector<std::string>{"validator-9"});
  EXPECT_EQ((*list)[0].active, core::KeyGeneration{});
  EXPECT_FALSE((*list)[0].pending.has_value());
  KeyState k = KeyOf("old", "03ef");
  k.active = {1, "ff"};
  ASSERT_TRUE(second->SaveKeyState(k).ok());
  EXPECT_EQ((*first->ListKeyStates())[0].active, k.active);
  ASSERT_TRUE(first->SaveHeartbeat({"validator-1", 1, 1, 1000, false, {}}).ok());
  EXPECT_EQ(second->ListHeartbeats()->size(), 1u);
  if (GetParam() == "sqlite") std::filesystem::remove(url);
}

INSTANTIATE_TEST_SUITE_P(Backends, EventStoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

// Rows come from outside (a chain watcher, an operator's INSERT): every malformed event_data is
// read as a defect of that one event, with a clear reason, and CheckEvent refuses it; the rest
// of a listing is unaffected.
TEST(EventRows, MalformedEventDataIsADefectOfThatEventOnly) {
  const std::string path = ::testing::TempDir() + "/rows-" + std::to_string(::getpid()) + ".db";
  std::filesystem::remove(path);
  auto store = OpenEventStore(path);  // creates the schema
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const std::string hash(64, 'a');
  struct Case {
    std::string protocol, data, expect;
  };
  const std::vector<Case> cases = {
      {"SIGN", "not json", "not a JSON object"},
      {"SIGN", "[1,2]", "not a JSON object"},
      {"SIGN", R"({"key_id":5,"message_hash":")" + hash + R"("})", "key_id must be a string"},
      {"SIGN", R"({"key_id":"k","message_hash":123})", "message_hash must be a string"},
      {"SIGN", R"({"key_id":"k","message_hash":")" + hash + R"(","chain_path":[1]})",
       "chain_path must be a string"},
      {"SIGN", R"({"key_id":"k","message_hash":"zz"})", "64 hex digits"},
      {"SIGN", R"({"key_id":"k","message_hash":"abcd"})", "64 hex digits"},
      {"SIGN", R"({"key_id":"k"})", "needs a 32-byte message_hash"},
      // A hardened step cannot be derived from a threshold key: signing with the root key
      // instead would debit the wrong account, so it is an error of the event.
      {"SIGN", R"({"key_id":"k","message_hash":")" + hash + R"(","chain_path":"m/44'/0"})",
       "hardened step"},
      {"KEYREFRESH", "{}", "needs a key_id"},
      {"KEYREFRESH", R"({"key_id":{}})", "key_id must be a string"},
  };
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  for (size_t i = 0; i <= cases.size(); ++i) {
    // The last row is well-formed: it must read back whole among the bad ones.
    const bool good = i == cases.size();
    std::string sql =
        "INSERT INTO tss_events (event_id, block_number, protocol_type, status, "
        "event_data, created_at, updated_at) VALUES ('row" +
        std::to_string(i) + "', 1, '" + (good ? "KEYGEN" : cases[i].protocol) +
        "', 'PENDING', ?, 1, 1)";
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
    const std::string data = good ? "{}" : cases[i].data;
    sqlite3_bind_text(stmt, 1, data.c_str(), -1, SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  auto pending = (*store)->Pending(10, 100);
  ASSERT_TRUE(pending.ok()) << pending.status().ToString();
  ASSERT_EQ(pending->size(), cases.size() + 1);
  for (const Event& e : *pending) {
    const size_t i = std::stoul(e.event_id.substr(3));
    Status usable = core::CheckEvent(e);
    if (i == cases.size()) {
      EXPECT_TRUE(usable.ok()) << usable.ToString();
      continue;
    }
    ASSERT_FALSE(usable.ok()) << cases[i].data;
    EXPECT_NE(usable.message().find(cases[i].expect), std::string::npos)
        << cases[i].data << " -> " << usable.message();
    EXPECT_NE(usable.message().find(e.event_id), std::string::npos);  // names the event
  }
  std::filesystem::remove(path);
}

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

#include "keyshare/keyshare_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/bytes.h"
#include "core/key_record.h"
#include "eventstore/event_store.h"
#include "keyshare/key_store.h"

namespace tss::keyshare {
namespace {

// Small Argon2id limits keep the test fast; the format and checks are the same.
constexpr KdfParams kFast{1, 8192};

SecureBytes Pw(const char* s) {
  return SecureBytes(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s), std::strlen(s)));
}
Bytes Secret() {
  return Bytes{'s', 'h', 'a', 'r', 'e', 0, 1, 2, 3};
}

class KeyShareStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = std::filesystem::path(::testing::TempDir()) /
            ("ks-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(home_);
  }
  void TearDown() override { std::filesystem::remove_all(home_); }
  Bytes ReadFile(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  void WriteFile(const std::filesystem::path& p, const Bytes& b) {
    std::ofstream(p, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(b.data()), b.size());
  }
  std::filesystem::path home_;
};

TEST_F(KeyShareStoreTest, RoundTripAcrossInstances) {
  KeyShareStore a(home_, Pw("correct horse"), kFast);
  ASSERT_TRUE(a.Store("key-1", Secret(), false).ok());
  KeyShareStore b(home_, Pw("correct horse"), kFast);  // a fresh process: no cached key
  auto loaded = b.Load("key-1");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(Bytes(loaded->span().begin(), loaded->span().end()), Secret());
  EXPECT_TRUE(b.Exists("key-1"));
  EXPECT_EQ(*b.List(), std::vector<std::string>{"key-1"});
  auto mode = std::filesystem::status(a.PathFor("key-1")).permissions();
  EXPECT_EQ(mode & std::filesystem::perms::others_read, std::filesystem::perms::none);
}

TEST_F(KeyShareStoreTest, PlaintextNeverReachesTheDisk) {
  KeyShareStore s(home_, Pw("pw"), kFast);
  Bytes secret(64, 0x5a);
  ASSERT_TRUE(s.Store("k", secret, false).ok());
  Bytes file = ReadFile(s.PathFor("k"));
  EXPECT_EQ(std::search(file.begin(), file.end(), secret.begin(), secret.begin() + 16), file.end());
}

TEST_F(KeyShareStoreTest, WrongPasswordIsAClearErrorAndChangesNothing) {
  KeyShareStore good(home_, Pw("right"), kFast);
  ASSERT_TRUE(good.Store("k", Secret(), false).ok());
  Bytes before = ReadFile(good.PathFor("k"));
  KeyShareStore bad(home_, Pw("wrong"), kFast);
  auto r = bad.Load("k");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("wrong password"), std::string::npos);
  EXPECT_EQ(ReadFile(good.PathFor("k")), before);
}

TEST_F(KeyShareStoreTest, NoOverwriteUnlessReplacing) {
  KeyShareStore s(home_, Pw("pw"), kFast);
  ASSERT_TRUE(s.Store("k", Secret(), false).ok());
  EXPECT_EQ(s.Store("k", Bytes{9}, false).code(), ErrorCode::kAlreadyExists);
  auto contents = [&] {
    auto loaded = s.Load("k");
    EXPECT_TRUE(loaded.ok());
    return loaded.ok() ? Bytes(loaded->span().begin(), loaded->span().end()) : Bytes{};
  };
  EXPECT_EQ(contents(), Secret());
  ASSERT_TRUE(s.Store("k", Bytes{9}, true).ok());
  EXPECT_EQ(contents(), Bytes{9});
  // No temp files left behind.
  for (auto& e : std::filesystem::directory_iterator(home_ / "keyshares"))
    EXPECT_TRUE(e.path().filename().string().ends_with(".share")) << e.path();
}

TEST_F(KeyShareStoreTest, EveryTamperIsRefused) {
  KeyShareStore s(home_, Pw("pw"), kFast);
  ASSERT_TRUE(s.Store("k", Secret(), false).ok());
  const Bytes good = ReadFile(s.PathFor("k"));
  // Flip one bit at every position: magic, version, kdf, params, salt, nonce, ciphertext, tag.
  for (size_t i = 0; i < good.size(); ++i) {
    Bytes bad = good;
    bad[i] ^= 0x01;
    WriteFile(s.PathFor("k"), bad);
    KeyShareStore fresh(home_, Pw("pw"), kFast);
    auto r = fresh.Load("k");
    EXPECT_FALSE(r.ok()) << "bit flip at byte " << i << " was accepted";
  }
  // Truncations.
  for (size_t n : {size_t{0}, size_t{3}, size_t{20}, good.size() - 1}) {
    WriteFile(s.PathFor("k"), Bytes(good.begin(), good.begin() + n));
    EXPECT_FALSE(s.Load("k").ok()) << n;
  }
  // The same file under another key id (the key id is associated data).
  WriteFile(s.PathFor("k"), good);
  std::filesystem::copy_file(s.PathFor("k"), s.PathFor("other"));
  EXPECT_FALSE(s.Load("other").ok());
  EXPECT_TRUE(s.Load("k").ok());
}

TEST_F(KeyShareStoreTest, MissingAndInvalidIds) {
  KeyShareStore s(home_, Pw("pw"), kFast);
  EXPECT_EQ(s.Load("absent").status().code(), ErrorCode::kNotFound);
  for (const char* bad : {"", "../etc/passwd", ".hidden", "a/b", "sp ace"}) {
    EXPECT_FALSE(ValidKeyId(bad)) << bad;
    EXPECT_FALSE(s.Store(bad, Secret(), false).ok()) << bad;
  }
  EXPECT_TRUE(ValidKeyId("0123abcd-key_1.v2"));
}

TEST_F(KeyShareStoreTest, SignaturesAreFiledAsJsonAndReplacedWhole) {
  KeyShareStore store(home_, Pw("pw"), kFast);
  ASSERT_TRUE(store.StoreSignature("event-1", R"({"r":"01"})").ok());
  ASSERT_TRUE(store.StoreSignature("event-1", R"({"r":"02"})").ok());  // a retry's result wins
  Bytes file = ReadFile(home_ / "signatures" / "event-1.json");
  EXPECT_EQ(std::string(file.begin(), file.end()), "{\"r\":\"02\"}\n");
  // Nothing else is left in the folder (no temp files).
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(home_ / "signatures"))
    files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
  EXPECT_EQ(store.StoreSignature("../escape", "{}").code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(home_ / "escape.json"));
}

// One process writes every file under one salt (one Argon2id per process, not per write), but
// never under one nonce; and another process opens them all.
TEST_F(KeyShareStoreTest, OneSaltPerProcessAFreshNonceEveryFile) {
  KeyShareStore s(home_, Pw("pw"), kFast);
  ASSERT_TRUE(s.Store("a", Secret(), false).ok());
  ASSERT_TRUE(s.Store("b", Secret(), false).ok());
  const Bytes a = ReadFile(s.PathFor("a")), b = ReadFile(s.PathFor("b"));
  constexpr size_t kSaltAt = 4 + 1 + 1 + 4 + 4, kNonceAt = kSaltAt + 16;
  ASSERT_GT(a.size(), kNonceAt + 24);
  EXPECT_TRUE(std::equal(a.begin() + kSaltAt, a.begin() + kNonceAt, b.begin() + kSaltAt));
  EXPECT_FALSE(std::equal(a.begin() + kNonceAt, a.begin() + kNonceAt + 24, b.begin() + kNonceAt));
  EXPECT_NE(a, b);
  KeyShareStore later(home_, Pw("pw"), kFast);
  EXPECT_TRUE(later.Load("a").ok());
  EXPECT_TRUE(later.Load("b").ok());
}

core::KeyRecord SomeRecord(const std::string& key_id, uint8_t fill) {
  core::KeyRecord r;
  r.key_id = key_id;
  r.participants = {"validator-1", "validator-2"};
  r.threshold = 2;
  r.public_key = Bytes(33, 2);
  r.share = SecureBytes(Bytes(40, fill));
  r.generation = fill;
  return r;
}

// KeyRecordStore keeps what it unsealed; a Save, a Remove or a refused Save must show at once.
TEST_F(KeyShareStoreTest, RecordStoreAnswersWhatTheDiskHolds) {
  KeyRecordStore keys(std::make_unique<KeyShareStore>(home_, Pw("pw"), kFast));
  ASSERT_TRUE(keys.Save(SomeRecord("k", 1), /*replace=*/false).ok());
  ASSERT_EQ(keys.Load("k")->generation, 1u);
  ASSERT_TRUE(keys.Save(SomeRecord("k", 2), /*replace=*/true).ok());
  EXPECT_EQ(keys.Load("k")->generation, 2u);
  // Refused (exists): the record on disk, generation 2, is what Load gives.
  EXPECT_EQ(keys.Save(SomeRecord("k", 3), /*replace=*/false).code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(keys.Load("k")->generation, 2u);
  // What another process (a restart) reads is the same.
  KeyRecordStore restarted(std::make_unique<KeyShareStore>(home_, Pw("pw"), kFast));
  EXPECT_EQ(restarted.Load("k")->generation, 2u);
  ASSERT_TRUE(keys.Remove("k").ok());
  EXPECT_EQ(keys.Load("k").status().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(keys.Exists("k"));
}

// What `tss status` reads: a saved record's public state reaches tss_keys with the active, the
// pending and the retained generation; a record that is only pending (a keygen awaiting its
// confirmations) is not mirrored; Mirror alone (start-up) writes the state again.
TEST_F(KeyShareStoreTest, KeyRecordsAreMirroredWithTheirGenerations) {
  std::filesystem::create_directories(home_);
  auto events = eventstore::OpenEventStore((home_ / "events.db").string());
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  KeyRecordStore keys(std::make_unique<KeyShareStore>(home_, Pw("pw"), kFast), events->get());
  core::KeyFingerprint fa{}, fb{}, fc{};
  fa.fill(0xaa);
  fb.fill(0xbb);
  fc.fill(0xcc);
  core::KeyRecord r;
  r.key_id = "k1";
  r.participants = {"a", "b", "c"};
  r.threshold = 2;
  r.public_key = Bytes(33, 2);
  r.share = SecureBytes(Secret());
  r.generation = 1;
  r.fingerprint = fa;
  r.pending = core::PendingShare{SecureBytes(Secret()), 2, fb, "ev-2", {}, {}, 0};
  r.previous = core::RetainedShare{SecureBytes(Secret()), 0, fc};
  ASSERT_TRUE(keys.Save(r, false).ok());
  core::KeyRecord only_pending;
  only_pending.key_id = "k2";
  only_pending.participants = r.participants;
  only_pending.threshold = 2;
  only_pending.public_key = Bytes(33, 3);
  only_pending.pending = core::PendingShare{SecureBytes(Secret()), 0, fb, "ev-0", {}, {}, 0};
  ASSERT_TRUE(keys.Save(only_pending, false).ok());

  auto states = (*events)->ListKeyStates();
  ASSERT_TRUE(states.ok()) << states.status().ToString();
  ASSERT_EQ(states->size(), 1u);
  const core::KeyState& k = states->front();
  EXPECT_EQ(k.key_id, "k1");
  EXPECT_EQ(k.public_key, ToHex(r.public_key));
  EXPECT_EQ(k.active, (core::KeyGeneration{1, ToHex(fa)}));
  EXPECT_EQ(k.pending, (core::KeyGeneration{2, ToHex(fb)}));
  EXPECT_EQ(k.previous, (core::KeyGeneration{0, ToHex(fc)}));

  r.pending.reset();
  r.culprits = {"b"};
  ASSERT_TRUE(keys.Mirror(r).ok());
  states = (*events)->ListKeyStates();
  ASSERT_EQ(states->size(), 1u);
  EXPECT_FALSE(states->front().pending.has_value());
  EXPECT_TRUE(states->front().needs_refresh);
  EXPECT_EQ(states->front().culprits, std::vector<std::string>{"b"});
}

}  // namespace
}  // namespace tss::keyshare

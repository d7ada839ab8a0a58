// Keygen and keyrefresh as a commit (issue 12 part 1; sessionmanager/session_manager.h): a
// holder that lies in its confirmation, one that never confirms, and one stopped after storing
// its pending share, in a four-node cluster (testing/cluster_fixture.h: real Nodes, DKLs23,
// SQLite, key-share files). One node's confirmation traffic is filtered by a Network wrapper:
// its commit messages rewritten or dropped, out and in. Every case then signs, and every
// signature is verified by libsecp256k1 and OpenSSL. Waits poll the databases and key files.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/key_record.h"
#include "core/messages.h"
#include "core/selection.h"
#include "crypto/hash.h"
#include "dkls/wire.h"
#include "keyshare/keyshare_store.h"
#include "testing/cluster_fixture.h"

namespace tss::faults {
namespace {

using namespace std::chrono_literals;
using core::CommitStage;
using core::EventStatus;
using core::MessageType;
using core::NodeMessage;

// What a filter does with one commit message: pass it (possibly changed) or drop it.
using CommitFilter = std::function<bool(NodeMessage& m)>;

struct Filters {
  std::mutex mu;
  CommitFilter out, in;  // empty: pass everything
  // For the protocol steps this member receives, with the sender's peer id.
  std::function<bool(const std::string& from, NodeMessage& m)> step_in;
  std::atomic<int> confirms_sent{0};
  // By event id and attempt (session id): the generation each begin this member received
  // named, and the participants of each setup it received.
  std::map<std::string, std::map<core::SessionId, std::optional<core::GenerationId>>> begins;
  std::map<std::string, std::map<core::SessionId, std::vector<std::string>>> setups;
};

// Wraps one member's network and applies its Filters to the commit messages it sends and
// receives; everything else passes untouched.
class CommitFilterNetwork final : public networking::Network {
 public:
  CommitFilterNetwork(std::unique_ptr<networking::Network> inner, std::shared_ptr<Filters> f)
      : inner_(std::move(inner)), filters_(std::move(f)) {}
  Status Start() override { return inner_->Start(); }
  void Stop() override { inner_->Stop(); }
  std::string LocalPeerId() const override { return inner_->LocalPeerId(); }
  std::vector<std::string> ListenAddrs() const override { return inner_->ListenAddrs(); }
  void AddPeer(const std::string& p, const std::vector<std::string>& a) override {
    inner_->AddPeer(p, a);
  }
  void SetAllowedPeers(const std::set<std::string>& p) override { inner_->SetAllowedPeers(p); }
  void SetHandler(networking::MessageHandler handler) override {
    inner_->SetHandler([this, handler = std::move(handler)](const std::string& peer, Bytes bytes) {
      if (Apply(/*outgoing=*/false, peer, bytes)) handler(peer, std::move(bytes));
    });
  }
  void Send(const std::string& peer, Bytes bytes, networking::SendCallback done) override {
    if (peer != LocalPeerId() && !Apply(/*outgoing=*/true, peer, bytes)) {
      if (done) done(Status(ErrorCode::kUnavailable, "dropped by the test"));
      return;
    }
    inner_->Send(peer, std::move(bytes), std::move(done));
  }
  networking::NetworkStats Stats() const override { return inner_->Stats(); }

 private:
  bool Apply(bool outgoing, const std::string& peer, Bytes& bytes) {
    auto m = NodeMessage::Decode(bytes);
    if (!m.ok()) return true;
    std::lock_guard lock(filters_->mu);
    if (m->type == MessageType::kBegin && !outgoing)
      filters_->begins[m->event_id][m->session_id] = m->generation;
    if (m->type == MessageType::kSetup && !outgoing)
      filters_->setups[m->event_id][m->session_id] = m->setup.participants;
    if (m->type == MessageType::kStep && !outgoing && filters_->step_in) {
      if (!filters_->step_in(peer, *m)) return false;
      bytes = m->Encode();
      return true;
    }
    if (m->type != MessageType::kCommit) return true;
    if (outgoing && m->commit.stage == CommitStage::kConfirm) ++filters_->confirms_sent;
    const CommitFilter& f = outgoing ? filters_->out : filters_->in;
    if (!f) return true;
    if (!f(*m)) return false;
    bytes = m->Encode();
    return true;
  }

  std::unique_ptr<networking::Network> inner_;
  std::shared_ptr<Filters> filters_;
};

class KeyCommitTest : public testing::ClusterFixture {
 protected:
  static constexpr size_t kValidators = 4;  // threshold 3
  static constexpr auto kExpiry = 3s;       // session expiry; the expiry pass runs every 750 ms

  std::unique_ptr<networking::Network> MakeNetwork(
      size_t i, std::unique_ptr<networking::Network> endpoint) override {
    while (filters_.size() <= i) filters_.push_back(std::make_shared<Filters>());
    return std::make_unique<CommitFilterNetwork>(std::move(endpoint), filters_[i]);
  }

  void SetFilters(size_t i, CommitFilter out, CommitFilter in) {
    std::lock_guard lock(filters_[i]->mu);
    filters_[i]->out = std::move(out);
    filters_[i]->in = std::move(in);
  }
  void ClearFilters(size_t i) { SetFilters(i, nullptr, nullptr); }
  void SetStepFilter(size_t i, std::function<bool(const std::string&, NodeMessage&)> in) {
    std::lock_guard lock(filters_[i]->mu);
    filters_[i]->step_in = std::move(in);
  }
  size_t ShareFiles(size_t i) {
    size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(members_[i].home / "keyshares"))
      files += entry.path().extension() == ".share";
    return files;
  }

  // Member i's record of the key, read from its key-share file as the node wrote it.
  core::KeyRecord Record(size_t i, const std::string& key_id) {
    keyshare::KeyShareStore files(members_[i].home, SecureBytes(AsBytes("test password")),
                                  keyshare::KdfParams{1, 8192});
    auto sealed = files.Load(key_id);
    if (!sealed.ok()) return {};
    auto record = core::DecodeKeyRecord(sealed->span());
    return record.ok() ? std::move(*record) : core::KeyRecord{};
  }
  bool HasFile(size_t i, const std::string& key_id) {
    keyshare::KeyShareStore files(members_[i].home, SecureBytes(AsBytes("test password")),
                                  keyshare::KdfParams{1, 8192});
    return files.Exists(key_id);
  }

  Bytes Hash() {
    auto h = crypto::Sha256(AsBytes("key commit " + std::to_string(++hashes_)));
    return Bytes(h.begin(), h.end());
  }
  void SignAndVerify(const std::string& key_id, const std::string& public_key) {
    testing::ExpectValidSignature(Await(Create("SIGN", key_id, Hash()), 60s), public_key);
  }

  // A key made and signed with, every holder on generation 0.
  std::pair<std::string, std::string> KeyAndSign() {
    auto keygen = Await(Create("KEYGEN", "", {}), 60s);
    EXPECT_TRUE(keygen.is_object());
    if (!keygen.is_object()) return {};
    EXPECT_EQ(keygen["generation"], 0);
    const std::string key_id = keygen["key_id"], public_key = keygen["public_key"];
    for (size_t i = 0; i < kValidators; ++i) {
      auto r = Record(i, key_id);
      EXPECT_TRUE(r.Active()) << i;
      EXPECT_FALSE(r.pending) << i;
    }
    SignAndVerify(key_id, public_key);
    return {key_id, public_key};
  }

  // The signers of the event's one begun attempt (its setup's participants) and the generation
  // its begin named: the same at every member that received it (the coordinator hands its own
  // copy over without the network), checked.
  std::pair<std::vector<size_t>, std::optional<core::GenerationId>> Begun(const std::string& id) {
    std::map<core::SessionId, std::vector<std::optional<core::GenerationId>>> begun;
    std::map<core::SessionId, std::vector<std::string>> participants;
    for (auto& f : filters_) {
      std::lock_guard lock(f->mu);
      for (const auto& [session, generation] : f->begins[id]) begun[session].push_back(generation);
      for (const auto& [session, list] : f->setups[id]) participants[session] = list;
    }
    EXPECT_EQ(begun.size(), 1u) << "attempts begun";
    if (begun.empty()) return {};
    const auto& [session, named] = *begun.begin();
    EXPECT_GE(named.size(), 2u);  // every signer but the coordinator
    for (const auto& n : named) EXPECT_EQ(n, named.front()) << "a signer was told another";
    std::vector<size_t> signers;
    for (size_t j = 0; j < members_.size(); ++j)
      if (std::count(participants[session].begin(), participants[session].end(),
                     members_[j].address))
        signers.push_back(j);
    return {signers, named.front()};
  }

  // A sign event, created everywhere, whose first draw (nobody excluded, the current block)
  // includes member `holder` or leaves it out.
  std::string SignDrawing(const std::string& key_id, size_t holder, bool included) {
    std::vector<std::string> holders;
    for (const auto& m : members_) holders.push_back(m.address);
    for (;;) {
      core::Event e;
      e.event_id = "draw-" + std::to_string(++draws_);
      e.block_number = blocks_.CurrentBlock();
      e.protocol = core::ProtocolType::kSign;
      e.key_id = key_id;
      e.message_hash = Hash();
      auto draw = core::SignersFor(holders, holders, {}, 3, e.event_id, e.block_number);
      EXPECT_TRUE(draw.ok());
      if (!draw.ok()) return "";
      if (std::count(draw->begin(), draw->end(), members_[holder].address) != (included ? 1 : 0))
        continue;
      // The coordinator's copy last, so that no holder declines its setup as unknown (a
      // retry would draw again).
      const size_t coordinator = CoordinatorNow();
      for (size_t i = 0; i < members_.size(); ++i)
        if (i != coordinator) CreateIn(i, e);
      CreateIn(coordinator, e);
      return e.event_id;
    }
  }

  std::vector<std::shared_ptr<Filters>> filters_;
  size_t hashes_ = 0;
  int draws_ = 0;
};

// (b) A holder lies in its confirmation (another fingerprint, to every holder). Nobody may
// activate the refresh: the honest holders see the disagreement, discard the pending share and
// fail the event naming the liar; generation 0 stays active and signs. (The liar's own node is
// kept deaf to the round, so it cannot activate either: what a lying node does with its own
// share is its business.) Once it behaves, the key refreshes.
TEST_F(KeyCommitTest, LyingConfirmationActivatesNothing) {
  StartCluster(kValidators, kExpiry);
  auto [key_id, public_key] = KeyAndSign();
  ASSERT_FALSE(key_id.empty());
  const size_t liar = 1;
  SetFilters(
      liar,
      [](NodeMessage& m) {
        m.commit.fingerprint[0] ^= 0x01;
        return true;
      },
      [](NodeMessage&) { return false; });
  const std::string refresh = Create("KEYREFRESH", key_id, {});
  for (size_t i = 0; i < kValidators; ++i) {
    if (i == liar) continue;
    const core::Event e = AwaitStatus(i, refresh, EventStatus::kFailed);
    EXPECT_NE(e.error.find("disagree"), std::string::npos) << e.error;
    EXPECT_NE(e.error.find(members_[liar].address), std::string::npos) << e.error;
  }
  for (size_t i = 0; i < kValidators; ++i) {
    EXPECT_NE(Get(i, refresh).status, EventStatus::kSuccess) << i;
    const core::KeyRecord r = Record(i, key_id);
    EXPECT_TRUE(r.Active()) << i;
    EXPECT_EQ(r.generation, 0u) << i;
    if (i != liar) {
      EXPECT_FALSE(r.pending) << i;
    }
  }
  // Generation 0 still signs, with every holder (the liar's own active share is generation 0).
  SignAndVerify(key_id, public_key);
  // The liar hears the others again: it learns they gave the run up and discards its share too.
  ClearFilters(liar);
  AwaitUntil([&] { return !Record(liar, key_id).pending; }, "the liar to discard its share");
  EXPECT_EQ(Record(liar, key_id).generation, 0u);
  // And the key is not frozen: a refresh works.
  auto again = Await(Create("KEYREFRESH", key_id, {}), 60s);
  ASSERT_TRUE(again.is_object());
  EXPECT_EQ(again["generation"], 1);
  EXPECT_EQ(again["public_key"], public_key);
  for (size_t i = 0; i < kValidators; ++i) EXPECT_EQ(Record(i, key_id).generation, 1u) << i;
  SignAndVerify(key_id, public_key);
}

// (c) A holder that never confirms (its commit messages dropped both ways). Nobody activates:
// the others keep the new share pending (never used) past their session expiry, the event is
// SUCCESS nowhere, and generation 0 signs. When the holder is heard again, the round completes
// and generation 1 is active everywhere.
TEST_F(KeyCommitTest, SilentHolderActivatesNothingUntilHeard) {
  StartCluster(kValidators, kExpiry);
  auto [key_id, public_key] = KeyAndSign();
  ASSERT_FALSE(key_id.empty());
  const size_t silent = 2;
  SetFilters(
      silent, [](NodeMessage&) { return false; }, [](NodeMessage&) { return false; });
  const std::string refresh = Create("KEYREFRESH", key_id, {});
  // Every holder finished the run and stored generation 1 pending; the sessions expired.
  AwaitUntil(
      [&] {
        for (size_t i = 0; i < kValidators; ++i) {
          const core::Event e = Get(i, refresh);
          if (e.status != EventStatus::kPending || e.attempts < 1) return false;
          if (!Record(i, key_id).pending) return false;
        }
        return true;
      },
      "every holder to hold generation 1 pending, its session expired", 60s);
  for (size_t i = 0; i < kValidators; ++i) {
    const core::KeyRecord r = Record(i, key_id);
    EXPECT_TRUE(r.Active()) << i;
    EXPECT_EQ(r.generation, 0u) << i;
    ASSERT_TRUE(r.pending) << i;
    EXPECT_EQ(r.pending->generation, 1u) << i;
    EXPECT_NE(Get(i, refresh).status, EventStatus::kSuccess) << i;
  }
  SignAndVerify(key_id, public_key);  // with generation 0, the pending share unused
  ClearFilters(silent);
  auto done = Await(refresh, 60s);
  ASSERT_TRUE(done.is_object());
  EXPECT_EQ(done["generation"], 1);
  for (size_t i = 0; i < kValidators; ++i) {
    const core::KeyRecord r = Record(i, key_id);
    EXPECT_EQ(r.generation, 1u) << i;
    EXPECT_FALSE(r.pending) << i;
  }
  SignAndVerify(key_id, public_key);
}

// The split of issue 12: one last-round (round 3) step to one holder lost during a keyrefresh.
// The others finish and hold generation 1 pending; the holder's run stalls and expires, it
// tells them it holds nothing of the run, they discard, and the event runs again: generation 1
// active everywhere, nobody blamed, signing works.
TEST_F(KeyCommitTest, LostLastRoundStepOfARefreshSplitsNothing) {
  StartCluster(kValidators, kExpiry);
  auto [key_id, public_key] = KeyAndSign();
  ASSERT_FALSE(key_id.empty());
  const size_t victim = 2;
  std::atomic<bool> dropped{false};
  SetStepFilter(victim, [&](const std::string&, NodeMessage& m) {
    return m.step.round != 3 || dropped.exchange(true);
  });
  const std::string refresh = Create("KEYREFRESH", key_id, {});
  auto done = Await(refresh, 90s);
  ASSERT_TRUE(done.is_object());
  EXPECT_TRUE(dropped.load());
  EXPECT_EQ(done["generation"], 1);
  for (size_t i = 0; i < kValidators; ++i) {
    const core::KeyRecord r = Record(i, key_id);
    EXPECT_EQ(r.generation, 1u) << i;
    EXPECT_FALSE(r.pending) << i;
    EXPECT_TRUE(r.culprits.empty()) << i;
    EXPECT_GE(Get(i, refresh).attempts, 2) << i;  // the first run was given up everywhere
  }
  SignAndVerify(key_id, public_key);
  SignAndVerify(key_id, public_key);
}

// The same for a keygen: the first run leaves no key anywhere, the second makes one.
TEST_F(KeyCommitTest, LostLastRoundStepOfAKeygenLeavesNoHalfKey) {
  StartCluster(kValidators, kExpiry);
  const size_t victim = 1;
  std::atomic<bool> dropped{false};
  SetStepFilter(victim, [&](const std::string&, NodeMessage& m) {
    return m.step.round != 3 || dropped.exchange(true);
  });
  const std::string keygen = Create("KEYGEN", "", {});
  auto done = Await(keygen, 90s);
  ASSERT_TRUE(done.is_object());
  EXPECT_TRUE(dropped.load());
  const std::string key_id = done["key_id"], public_key = done["public_key"];
  for (size_t i = 0; i < kValidators; ++i) {
    EXPECT_TRUE(Record(i, key_id).Active()) << i;
    EXPECT_EQ(ShareFiles(i), 1u) << i;
  }
  SignAndVerify(key_id, public_key);
}

// The last-round lie of tests/dkls/malicious_test.cpp, in a cluster: one holder's round-3 step to
// one honest holder is altered during a keyrefresh. That holder's run fails naming the liar; the
// others finish, but it tells them the run failed, so nobody activates generation 1, nobody
// reports SUCCESS, and the event fails everywhere (as a protocol failure does). Generation 0
// stays active everywhere and signs.
TEST_F(KeyCommitTest, LastRoundLieToOneHolderActivatesNothing) {
  StartCluster(kValidators, kExpiry);
  auto [key_id, public_key] = KeyAndSign();
  ASSERT_FALSE(key_id.empty());
  const size_t liar = 3, victim = 1;
  const std::string liar_peer = "peer-" + members_[liar].address;
  std::atomic<bool> altered{false};
  SetStepFilter(victim, [&](const std::string& from, NodeMessage& m) {
    if (from != liar_peer || m.step.round != 3 || altered) return true;
    auto round3 = dkls::wire::DkgRound3::Decode(m.step.payload);
    if (!round3.ok()) return true;
    round3->echo[0] ^= 0x01;  // "I saw other commitments than you did", to the victim only
    m.step.payload = round3->Encode();
    altered = true;
    return true;
  });
  const std::string refresh = Create("KEYREFRESH", key_id, {});
  const core::Event failed = AwaitStatus(victim, refresh, EventStatus::kFailed);
  EXPECT_TRUE(altered.load());
  EXPECT_NE(failed.error.find("culprit " + members_[liar].address), std::string::npos)
      << failed.error;
  for (size_t i = 0; i < kValidators; ++i) AwaitStatus(i, refresh, EventStatus::kFailed);
  for (size_t i = 0; i < kValidators; ++i) {
    EXPECT_FALSE(Record(i, key_id).pending) << i;
    const core::KeyRecord r = Record(i, key_id);
    EXPECT_TRUE(r.Active()) << i;
    EXPECT_EQ(r.generation, 0u) << i;
  }
  SignAndVerify(key_id, public_key);
}

// (d) A holder stopped after storing its pending refresh share (its confirmation went out, it
// heard nothing back), then started again from the same home and database: it asks the holders,
// learns the generation is active, activates it, and the key signs everywhere.
TEST_F(KeyCommitTest, RestartWithPendingRefreshShare) {
  StartCluster(kValidators, kExpiry);
  auto [key_id, public_key] = KeyAndSign();
  ASSERT_FALSE(key_id.empty());
  const size_t victim = 3;
  SetFilters(victim, nullptr, [](NodeMessage&) { return false; });
  const int before = filters_[victim]->confirms_sent.load();
  const std::string refresh = Create("KEYREFRESH", key_id, {});
  AwaitUntil([&] { return filters_[victim]->confirms_sent.load() > before; },
             "the victim to confirm");
  for (size_t i = 0; i < kValidators; ++i)
    if (i != victim) AwaitStatus(i, refresh, EventStatus::kSuccess);
  StopMember(victim);
  {
    const core::KeyRecord r = Record(victim, key_id);
    EXPECT_EQ(r.generation, 0u);
    ASSERT_TRUE(r.pending);
    EXPECT_EQ(r.pending->generation, 1u);
  }
  // The others keep generation 0 (never to sign) while a holder has not reported 1 active.
  for (size_t i = 0; i < kValidators; ++i) {
    if (i == victim) continue;
    const core::KeyRecord r = Record(i, key_id);
    ASSERT_TRUE(r.previous) << i;
    EXPECT_EQ(r.previous->generation, 0u) << i;
  }
  ClearFilters(victim);
  StartMember(victim, kExpiry);
  auto done = Await(refresh, 60s);
  ASSERT_TRUE(done.is_object());
  EXPECT_EQ(done["generation"], 1);
  for (size_t i = 0; i < kValidators; ++i) {
    const core::KeyRecord r = Record(i, key_id);
    EXPECT_EQ(r.generation, 1u) << i;
    EXPECT_FALSE(r.pending) << i;
  }
  // Once every holder reported generation 1 active, the others delete generation 0. (The
  // victim did not hear their reports: it keeps it until the next refresh replaces it.)
  AwaitUntil(
      [&] {
        for (size_t i = 0; i < kValidators; ++i)
          if (i != victim && Record(i, key_id).previous) return false;
        return true;
      },
      "the others to delete generation 0");
  SignAndVerify(key_id, public_key);
  SignAndVerify(key_id, public_key);
}

// (d') The same for a keygen, stopped before its confirmation went out: the others hold the key
// pending (no key exists for signing), the restarted holder asks them, every one confirms, and
// the key becomes active everywhere.
TEST_F(KeyCommitTest, RestartWithPendingKeygenShare) {
  StartCluster(kValidators, kExpiry);
  const size_t victim = 0;
  SetFilters(
      victim, [](NodeMessage&) { return false; }, [](NodeMessage&) { return false; });
  const std::string keygen = Create("KEYGEN", "", {});
  AwaitUntil([&] { return filters_[victim]->confirms_sent.load() > 0; },
             "the victim to store its share and try to confirm");
  StopMember(victim);
  // Nobody activated: no holder reports the key.
  for (size_t i = 0; i < kValidators; ++i) EXPECT_NE(Get(i, keygen).status, EventStatus::kSuccess);
  ClearFilters(victim);
  StartMember(victim, kExpiry);
  auto done = Await(keygen, 60s);
  ASSERT_TRUE(done.is_object());
  const std::string key_id = done["key_id"], public_key = done["public_key"];
  for (size_t i = 0; i < kValidators; ++i) {
    const core::KeyRecord r = Record(i, key_id);
    EXPECT_TRUE(r.Active()) << i;
    EXPECT_FALSE(r.pending) << i;
    EXPECT_EQ(r.public_key, Record(0, key_id).public_key) << i;
  }
  SignAndVerify(key_id, public_key);
}

// A keygen that cannot complete (one holder's run stalls for good: its steps dropped after it
// stored nothing) leaves no key anywhere and runs again.
TEST_F(KeyCommitTest, KeygenThatCannotCompleteLeavesNoKeyAndRunsAgain) {
  StartCluster(kValidators, kExpiry);
  // The first keygen attempt: every confirmation of member 0 is lost and member 0 hears none,
  // and it is stopped before it could tell anyone anything; it comes back without its session
  // (a restart mid-round), so it answers "abort" and the others discard.
  SetFilters(
      0, [](NodeMessage&) { return false; }, [](NodeMessage&) { return false; });
  const std::string keygen = Create("KEYGEN", "", {});
  AwaitUntil([&] { return filters_[0]->confirms_sent.load() > 0; }, "member 0 to finish its run");
  StopMember(0);
  // Its key file is the only trace of the run: delete it, as a node that crashed before its
  // write would have none. It then holds nothing of the run and says so.
  for (const auto& entry : std::filesystem::directory_iterator(members_[0].home / "keyshares"))
    std::filesystem::remove(entry.path());
  ClearFilters(0);
  StartMember(0, kExpiry);
  auto done = Await(keygen, 120s);
  ASSERT_TRUE(done.is_object());
  const std::string key_id = done["key_id"], public_key = done["public_key"];
  for (size_t i = 0; i < kValidators; ++i) {
    EXPECT_TRUE(Record(i, key_id).Active()) << i;
    EXPECT_GE(Get(i, keygen).attempts, 1) << i;
    // The first run's pending key is gone: one key file, the one that became active.
    EXPECT_EQ(ShareFiles(i), 1u) << i;
  }
  SignAndVerify(key_id, public_key);
}

// Issue 12: "signs with the newest generation that all chosen signers hold (the ACK says which
// they hold)". A keyrefresh leaves one holder on generation 0 while the others activate 1 and
// retain 0, as an equivocating holder can: every commit message to the victim is lost while the
// refresh runs (it confirms; the others see every confirmation and activate), then, when the
// victim asks, the first answer reaches it as "abort" instead of "active" and it discards
// generation 1. A sign whose signers include the victim completes with generation 0 (which the
// others retain), one without it with generation 1; every signature verifies under the key's
// one public key with libsecp256k1 and OpenSSL, and nobody is blamed.
TEST_F(KeyCommitTest, AHolderLeftOnTheOldGenerationSignsWithIt) {
  StartCluster(kValidators, kExpiry);
  auto [key_id, public_key] = KeyAndSign();
  ASSERT_FALSE(key_id.empty());
  const size_t victim = CoordinatorNow() == 2 ? 1 : 2;
  SetFilters(victim, nullptr, [](NodeMessage&) { return false; });
  const std::string refresh = Create("KEYREFRESH", key_id, {});
  for (size_t i = 0; i < kValidators; ++i)
    if (i != victim) AwaitStatus(i, refresh, EventStatus::kSuccess);
  AwaitUntil([&] { return Record(victim, key_id).pending.has_value(); },
             "the victim to hold generation 1 pending");
  std::atomic<bool> lied{false};
  SetFilters(victim, nullptr, [&](NodeMessage& m) {
    if (lied.exchange(true)) return false;
    m.commit.stage = CommitStage::kAbort;
    return true;
  });
  AwaitUntil([&] { return !Record(victim, key_id).pending; }, "the victim to discard generation 1",
             60s);
  ClearFilters(victim);
  const core::KeyRecord left = Record(victim, key_id);
  ASSERT_EQ(left.generation, 0u);
  ASSERT_FALSE(left.previous);
  const core::GenerationId g0{0, left.fingerprint};
  core::GenerationId g1;
  for (size_t i = 0; i < kValidators; ++i) {
    if (i == victim) continue;
    const core::KeyRecord r = Record(i, key_id);
    ASSERT_EQ(r.generation, 1u) << i;
    ASSERT_TRUE(r.previous) << i;
    ASSERT_EQ((core::GenerationId{r.previous->generation, r.previous->fingerprint}), g0) << i;
    g1 = {r.generation, r.fingerprint};
  }

  // Signs until both kinds of signer set signed (the draw is chosen for it; a retry may draw
  // again, so the signers are read from the begun attempt).
  size_t with_victim = 0, without_victim = 0;
  for (int k = 0; k < 8 && (with_victim < 2 || without_victim < 1); ++k) {
    const std::string id = SignDrawing(key_id, victim, with_victim < 2);
    testing::ExpectValidSignature(Await(id, 60s), public_key);
    auto [signers, named] = Begun(id);
    ASSERT_EQ(signers.size(), 3u);
    const bool signed_by_victim = std::count(signers.begin(), signers.end(), victim) == 1;
    ++(signed_by_victim ? with_victim : without_victim);
    ASSERT_TRUE(named.has_value());
    EXPECT_EQ(*named, signed_by_victim ? g0 : g1)
        << id << ": generation " << named->generation
        << (signed_by_victim ? " with the victim signing" : " among holders all on 1");
  }
  EXPECT_EQ(with_victim, 2u);
  EXPECT_EQ(without_victim, 1u);
  for (size_t i = 0; i < kValidators; ++i) {
    const core::KeyRecord r = Record(i, key_id);
    EXPECT_TRUE(r.culprits.empty()) << i;
    // Retention as before: the others keep generation 0 while the victim has not reported 1.
    if (i != victim) {
      EXPECT_TRUE(r.previous) << i;
    }
  }
}

}  // namespace
}  // namespace tss::faults

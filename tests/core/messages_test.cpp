#include "core/messages.h"

#include <gtest/gtest.h>

namespace tss::core {
namespace {

NodeMessage SampleSetup() {
  NodeMessage m;
  m.type = MessageType::kSetup;
  m.event_id = "ev-1";
  m.session_id.fill(7);
  m.setup.protocol = ProtocolType::kSign;
  m.setup.block_number = 1234567;
  m.setup.nonce = 99;
  m.setup.threshold = 3;
  m.setup.participants = {"val-a", "val-b", "val-c"};
  m.setup.key_id = "key-1";
  m.setup.message_hash = Bytes(32, 0xab);
  m.setup.excluded = {"val-d", "val-e"};
  return m;
}

TEST(NodeMessage, RoundTripsEveryType) {
  std::vector<NodeMessage> all = {SampleSetup()};
  for (auto t : {MessageType::kAck, MessageType::kNack, MessageType::kBegin, MessageType::kStep,
                 MessageType::kResult, MessageType::kCommit}) {
    NodeMessage m;
    m.type = t;
    m.event_id = "ev-2";
    m.session_id.fill(1);
    if (t == MessageType::kAck) m.contribution.fill(0x5a);
    if (t == MessageType::kNack) {
      m.reason = "unknown event";
      m.refused = {"val-c"};
    }
    if (t == MessageType::kBegin) m.contributions = {Contribution{1}, Contribution{2}};
    if (t == MessageType::kStep) m.step = Step{2, 3, Bytes(1000, 3)};
    if (t == MessageType::kResult) {
      m.signature.r.fill(1);
      m.signature.s.fill(2);
      m.signature.v = 3;
    }
    if (t == MessageType::kCommit) {
      m.commit.stage = CommitStage::kActive;
      m.commit.ask = true;
      m.commit.key_id = "key-9";
      m.commit.generation = 0x01020304;
      m.commit.fingerprint.fill(0xc4);
    }
    all.push_back(m);
  }
  for (const auto& m : all) {
    auto back = NodeMessage::Decode(m.Encode());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, m) << MessageTypeName(m.type);
  }
}

TEST(NodeMessage, EveryTruncationIsRefused) {
  Bytes enc = SampleSetup().Encode();
  for (size_t n = 0; n < enc.size(); ++n)
    EXPECT_FALSE(NodeMessage::Decode(ByteSpan(enc.data(), n)).ok()) << n;
  enc.push_back(0);
  EXPECT_FALSE(NodeMessage::Decode(enc).ok());  // trailing byte
}

TEST(NodeMessage, BadFieldsAreRefused) {
  auto refuse = [](NodeMessage m, const char* why) {
    auto r = NodeMessage::Decode(m.Encode());
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_NE(r.status().message().find(why), std::string::npos) << r.status().message();
  };
  NodeMessage m = SampleSetup();
  m.setup.participants = {"a", "b", "a"};
  refuse(m, "duplicate participant");
  m = SampleSetup();
  m.setup.threshold = 4;
  refuse(m, "threshold");
  m = SampleSetup();
  m.setup.message_hash.clear();
  refuse(m, "message hash");
  m = SampleSetup();
  m.setup.key_id.clear();
  refuse(m, "need a key id");
  m = SampleSetup();
  m.setup.excluded = {"b", "a"};
  refuse(m, "excluded must be sorted");
  m = SampleSetup();
  m.setup.excluded = {"a", "a"};
  refuse(m, "duplicate");
  m = SampleSetup();
  m.setup.protocol = ProtocolType::kKeyrefresh;
  m.setup.message_hash.clear();
  refuse(m, "only sign excludes");
  m = SampleSetup();
  m.event_id = "";
  refuse(m, "event id");
  m = SampleSetup();
  m.event_id = std::string(200, 'x');
  refuse(m, "event id");

  Bytes enc = SampleSetup().Encode();
  enc[0] = 1;  // the version before single-use runs
  EXPECT_FALSE(NodeMessage::Decode(enc).ok());
  enc[0] = 2;  // the version whose steps carried a second envelope
  EXPECT_FALSE(NodeMessage::Decode(enc).ok());
  enc[0] = NodeMessage::kVersion;
  enc[1] = 8;
  EXPECT_FALSE(NodeMessage::Decode(enc).ok());

  NodeMessage result;
  result.type = MessageType::kResult;
  result.event_id = "ev";
  result.signature.v = 4;
  refuse(result, "recovery id");
  NodeMessage begin;
  begin.type = MessageType::kBegin;
  begin.event_id = "ev";
  begin.contributions = {Contribution{}};
  refuse(begin, "contribution count");
  NodeMessage step;
  step.type = MessageType::kStep;
  step.event_id = "ev";
  step.step = Step{0, 1, Bytes(4, 1)};
  refuse(step, "round 0");
  NodeMessage commit;
  commit.type = MessageType::kCommit;
  commit.event_id = "ev";
  commit.commit.key_id = "";
  refuse(commit, "needs a key id");  // only an abort may lack the key id
  commit.commit.stage = CommitStage::kAbort;
  ASSERT_TRUE(NodeMessage::Decode(commit.Encode()).ok());
  commit.commit.key_id = "key";
  Bytes c = commit.Encode();
  const size_t stage_at = 2 + 1 + 2 + 32;  // version, type, event id "ev", session id
  c[stage_at] = 5;
  EXPECT_FALSE(NodeMessage::Decode(c).ok());
  c[stage_at] = 4;  // failed: may lack the key id too
  EXPECT_TRUE(NodeMessage::Decode(c).ok());
  c[stage_at] = 0;
  EXPECT_FALSE(NodeMessage::Decode(c).ok());
  c[stage_at] = 3;
  c[stage_at + 1] = 2;  // the ask flag
  EXPECT_FALSE(NodeMessage::Decode(c).ok());
  c[stage_at + 1] = 1;
  EXPECT_TRUE(NodeMessage::Decode(c).ok());
  for (auto* bad : {&result, &begin, &step, &commit}) {  // every truncation of the newer bodies
    if (bad == &begin) begin.contributions.push_back(Contribution{});
    if (bad == &result) result.signature.v = 1;
    if (bad == &step) step.step.round = 1;
    Bytes e = bad->Encode();
    for (size_t n = 0; n < e.size(); ++n)
      EXPECT_FALSE(NodeMessage::Decode(ByteSpan(e.data(), n)).ok()) << n;
  }
}

TEST(NodeMessage, RunIdBindsEveryContributionAndItsPlace) {
  SessionId sid{};
  sid.fill(9);
  std::vector<Contribution> c = {Contribution{1}, Contribution{2}, Contribution{3}};
  SessionId base = RunId(sid, c);
  EXPECT_EQ(RunId(sid, c), base);
  auto swapped = c;
  std::swap(swapped[0], swapped[1]);
  EXPECT_NE(RunId(sid, swapped), base);
  auto changed = c;
  changed[2][31] ^= 1;
  EXPECT_NE(RunId(sid, changed), base);
  SessionId other = sid;
  other[0] ^= 1;
  EXPECT_NE(RunId(other, c), base);
  EXPECT_NE(RunId(sid, {c[0], c[1]}), base);
}

TEST(ProtocolType, Names) {
  EXPECT_EQ(*ParseProtocolType("SIGN"), ProtocolType::kSign);
  EXPECT_EQ(std::string(ProtocolTypeName(ProtocolType::kKeyrefresh)), "KEYREFRESH");
  EXPECT_FALSE(ParseProtocolType("sign").ok());
}

}  // namespace
}  // namespace tss::core

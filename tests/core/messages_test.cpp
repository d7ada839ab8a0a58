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

GenerationId Generation(uint32_t number, uint8_t fill) {
  GenerationId g;
  g.generation = number;
  g.fingerprint.fill(fill);
  return g;
}

// A sign's ACK lists the generations its sender can sign with, and its BEGIN names one;
// keygen and keyrefresh leave both empty.
NodeMessage SignAck() {
  NodeMessage m;
  m.type = MessageType::kAck;
  m.event_id = "ev-3";
  m.session_id.fill(3);
  m.contribution.fill(0x3c);
  m.generations = {Generation(7, 0xa7), Generation(6, 0xa6)};
  return m;
}
NodeMessage SignBegin() {
  NodeMessage m;
  m.type = MessageType::kBegin;
  m.event_id = "ev-3";
  m.session_id.fill(3);
  m.contributions = {Contribution{1}, Contribution{2}, Contribution{3}};
  m.generation = Generation(0x01020304, 0xb1);
  return m;
}

TEST(NodeMessage, GenerationsOfASignRoundTrip) {
  for (size_t count = 0; count <= NodeMessage::kMaxGenerations; ++count) {
    NodeMessage ack = SignAck();
    ack.generations.resize(count);
    auto back = NodeMessage::Decode(ack.Encode());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, ack) << count;
    EXPECT_EQ(back->generations.size(), count);
  }
  NodeMessage begin = SignBegin();
  auto back = NodeMessage::Decode(begin.Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, begin);
  ASSERT_TRUE(back->generation.has_value());
  EXPECT_EQ(back->generation->generation, 0x01020304u);
  EXPECT_EQ(back->generation->fingerprint, Generation(0, 0xb1).fingerprint);
  begin.generation.reset();  // keygen, keyrefresh
  back = NodeMessage::Decode(begin.Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_FALSE(back->generation.has_value());
  // The generation is part of the encoding: another one, other bytes.
  NodeMessage other = SignBegin();
  other.generation->fingerprint[31] ^= 1;
  EXPECT_NE(other.Encode(), SignBegin().Encode());
}

TEST(NodeMessage, GenerationListsAreShortAndNewestFirst) {
  auto refuse = [](const NodeMessage& m, const char* why) {
    auto r = NodeMessage::Decode(m.Encode());
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_NE(r.status().message().find(why), std::string::npos) << r.status().message();
  };
  NodeMessage ack = SignAck();
  ack.generations.push_back(Generation(5, 0xa5));  // three: more than a holder can sign with
  refuse(ack, "too many generations");
  ack = SignAck();
  std::swap(ack.generations[0], ack.generations[1]);  // oldest first
  refuse(ack, "newest first");
  ack = SignAck();
  ack.generations[1].generation = 7;  // one number twice
  refuse(ack, "newest first");
  // A huge count is refused before anything is allocated for it.
  Bytes enc = SignAck().Encode();
  const size_t count_at = 2 + 1 + 4 + 32 + 32;  // version, type, event id "ev-3", ids
  ASSERT_EQ(enc[count_at], 2);
  enc.resize(count_at);
  for (uint8_t b : {0xff, 0xff, 0xff, 0xff, 0x0f}) enc.push_back(b);
  auto huge = NodeMessage::Decode(enc);
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("too many generations"), std::string::npos)
      << huge.status().message();
  // BEGIN's flag is 0 or 1.
  Bytes b = SignBegin().Encode();
  const size_t flag_at = 2 + 1 + 4 + 32 + 1 + 3 * 32;
  ASSERT_EQ(b[flag_at], 1);
  b[flag_at] = 2;
  auto flag = NodeMessage::Decode(b);
  ASSERT_FALSE(flag.ok());
  EXPECT_NE(flag.status().message().find("generation flag"), std::string::npos);
  // Every truncation of either body, and a trailing byte, is refused.
  for (const NodeMessage& m : {SignAck(), SignBegin()}) {
    Bytes e = m.Encode();
    for (size_t n = 0; n < e.size(); ++n)
      EXPECT_FALSE(NodeMessage::Decode(ByteSpan(e.data(), n)).ok())
          << MessageTypeName(m.type) << " " << n;
    e.push_back(0);
    EXPECT_FALSE(NodeMessage::Decode(e).ok()) << MessageTypeName(m.type);
  }
  // Version 3 had neither field: its messages are refused, not read without them.
  Bytes v3 = SignAck().Encode();
  v3[0] = 3;
  EXPECT_FALSE(NodeMessage::Decode(v3).ok());
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

NodeMessage QuorumChangeSetup() {
  NodeMessage m = SampleSetup();
  m.setup.protocol = ProtocolType::kQuorumChange;
  m.setup.message_hash.clear();
  m.setup.excluded.clear();
  m.setup.participants = {"val-a", "val-b", "val-c", "val-e", "val-d"};
  m.setup.threshold = 3;
  auto& q = m.setup.quorum.emplace();
  q.old_holders = {"val-a", "val-b", "val-d"};
  q.new_n = 4;
  q.key_digest.fill(0x3c);
  return m;
}

TEST(NodeMessage, QuorumChangeSetupRoundTripsAndItsLayoutIsChecked) {
  const NodeMessage m = QuorumChangeSetup();
  auto back = NodeMessage::Decode(m.Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, m);
  Bytes enc = m.Encode();
  for (size_t n = 0; n < enc.size(); ++n)
    EXPECT_FALSE(NodeMessage::Decode(ByteSpan(enc.data(), n)).ok()) << n;
  auto refuse = [](NodeMessage bad, const char* why) {
    auto r = NodeMessage::Decode(bad.Encode());
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_NE(r.status().message().find(why), std::string::npos) << r.status().message();
  };
  NodeMessage bad = m;
  bad.setup.quorum->old_holders = {"val-a"};
  refuse(bad, "fewer than 2 old holders");
  bad = m;
  bad.setup.quorum->old_holders = {"val-a", "val-a"};
  refuse(bad, "duplicate");
  bad = m;
  bad.setup.quorum->new_n = 6;  // more than the participants
  refuse(bad, "new holder count");
  bad = m;
  bad.setup.quorum->new_n = 2;  // fewer than the threshold
  refuse(bad, "new holder count");
  bad = m;
  bad.setup.quorum->new_n = 1;
  refuse(bad, "new holder count");
  bad = m;
  bad.setup.quorum.reset();  // encoded as an empty layout
  refuse(bad, "old holders");
  // Another protocol carries no layout: the bytes would trail.
  bad = m;
  bad.setup.protocol = ProtocolType::kKeyrefresh;
  auto r = NodeMessage::Decode(bad.Encode());
  EXPECT_TRUE(r.ok() && !r->setup.quorum);
}

TEST(ProtocolType, Names) {
  EXPECT_EQ(*ParseProtocolType("QUORUM_CHANGE"), ProtocolType::kQuorumChange);
  EXPECT_EQ(std::string(ProtocolTypeName(ProtocolType::kQuorumChange)), "QUORUM_CHANGE");
  EXPECT_EQ(*ParseProtocolType("SIGN"), ProtocolType::kSign);
  EXPECT_EQ(std::string(ProtocolTypeName(ProtocolType::kKeyrefresh)), "KEYREFRESH");
  EXPECT_FALSE(ParseProtocolType("sign").ok());
}

}  // namespace
}  // namespace tss::core

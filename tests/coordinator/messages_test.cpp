#include "coordinator/messages.h"

#include <gtest/gtest.h>

namespace tss::coordinator {
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
  return m;
}

TEST(NodeMessage, RoundTripsEveryType) {
  std::vector<NodeMessage> all = {SampleSetup()};
  for (auto t : {MessageType::kAck, MessageType::kNack, MessageType::kBegin, MessageType::kStep,
                 MessageType::kResult}) {
    NodeMessage m;
    m.type = t;
    m.event_id = "ev-2";
    m.session_id.fill(1);
    if (t == MessageType::kNack) m.reason = "unknown event";
    if (t == MessageType::kStep || t == MessageType::kResult) m.payload = Bytes(1000, 3);
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
  m.event_id = "";
  refuse(m, "event id");
  m = SampleSetup();
  m.event_id = std::string(200, 'x');
  refuse(m, "event id");

  Bytes enc = SampleSetup().Encode();
  enc[0] = 2;
  EXPECT_FALSE(NodeMessage::Decode(enc).ok());
  enc[0] = 1;
  enc[1] = 7;
  EXPECT_FALSE(NodeMessage::Decode(enc).ok());
}

TEST(ProtocolType, Names) {
  EXPECT_EQ(*ParseProtocolType("SIGN"), ProtocolType::kSign);
  EXPECT_EQ(std::string(ProtocolTypeName(ProtocolType::kKeyrefresh)), "KEYREFRESH");
  EXPECT_FALSE(ParseProtocolType("sign").ok());
}

}  // namespace
}  // namespace tss::coordinator

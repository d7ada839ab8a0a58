// The checked-in seeds of the node_message_fuzz target (fuzz/corpus/node_message_fuzz) must be
// messages of today's wire format, one per message type at least: seeds of an old version are
// refused at the first byte and teach the fuzzer nothing about the decoder's bodies.
//
// After a change to core/messages.h, rewrite them with
//   TSS_UPDATE_CORPUS=1 ctest --test-dir build -R core_test
// and commit the files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>

#include "core/messages.h"

namespace tss::core {
namespace {

namespace fs = std::filesystem;

// One message of every type, with every optional field filled, so the fuzzer starts inside
// each body's decoder.
std::map<std::string, NodeMessage> Seeds() {
  std::map<std::string, NodeMessage> seeds;
  NodeMessage base;
  base.event_id = "0xevent";
  base.session_id.fill(0x11);

  NodeMessage setup = base;
  setup.type = MessageType::kSetup;
  setup.setup.protocol = ProtocolType::kSign;
  setup.setup.block_number = 1'700'000'000;
  setup.setup.nonce = 42;
  setup.setup.threshold = 2;
  setup.setup.participants = {"validator-1", "validator-3"};
  setup.setup.key_id = "key";
  setup.setup.message_hash = Bytes(32, 0x5c);
  setup.setup.chain_path = "m/44/60/0/0/1";
  setup.setup.excluded = {"validator-2"};
  seeds["setup"] = setup;

  NodeMessage ack = base;
  ack.type = MessageType::kAck;
  ack.contribution.fill(0x22);
  ack.generations = {GenerationId{3, {}}, GenerationId{2, {}}};  // a sign's: active, retained
  ack.generations[0].fingerprint.fill(0x88);
  ack.generations[1].fingerprint.fill(0x99);
  seeds["ack"] = ack;

  NodeMessage nack = base;
  nack.type = MessageType::kNack;
  nack.reason = "busy";
  nack.refused = {"validator-2"};
  seeds["nack"] = nack;

  NodeMessage begin = base;
  begin.type = MessageType::kBegin;
  begin.contributions.resize(2);
  begin.contributions[0].fill(0x22);
  begin.contributions[1].fill(0x33);
  begin.generation = GenerationId{2, {}};  // a sign's
  begin.generation->fingerprint.fill(0x99);
  seeds["begin"] = begin;

  NodeMessage step = base;
  step.type = MessageType::kStep;
  step.step = Step{1, 0, Bytes(48, 0x44)};
  seeds["step"] = step;

  NodeMessage result = base;
  result.type = MessageType::kResult;
  result.signature.r.fill(0x55);
  result.signature.s.fill(0x66);
  result.signature.v = 1;
  seeds["result"] = result;

  NodeMessage commit = base;
  commit.type = MessageType::kCommit;
  commit.commit.stage = CommitStage::kConfirm;
  commit.commit.ask = true;
  commit.commit.key_id = "key";
  commit.commit.generation = 1;
  commit.commit.fingerprint.fill(0x77);
  seeds["commit"] = commit;
  return seeds;
}

fs::path CorpusDir() {
  const char* source = std::getenv("TSS_SOURCE_DIR");
  return source ? fs::path(source) / "fuzz" / "corpus" / "node_message_fuzz" : fs::path();
}

TEST(NodeMessageCorpus, EverySeedDecodesAndEveryTypeHasOne) {
  const fs::path dir = CorpusDir();
  ASSERT_FALSE(dir.empty()) << "TSS_SOURCE_DIR is not set (run through ctest)";
  if (std::getenv("TSS_UPDATE_CORPUS")) {
    for (const auto& entry : fs::directory_iterator(dir)) fs::remove(entry.path());
    for (const auto& [name, message] : Seeds()) {
      const Bytes bytes = message.Encode();
      std::ofstream(dir / name, std::ios::binary)
          .write(reinterpret_cast<const char*>(bytes.data()),
                 static_cast<std::streamsize>(bytes.size()));
    }
  }
  std::set<MessageType> covered;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto message = NodeMessage::Decode(bytes);
    ASSERT_TRUE(message.ok()) << entry.path() << ": " << message.status().ToString()
                              << " (rewrite the seeds: see the top of this file)";
    covered.insert(message->type);
  }
  // Every type the decoder knows by name, so a new type without a seed fails here.
  std::set<MessageType> known;
  for (int t = 1; t < 256; ++t)
    if (std::string(MessageTypeName(static_cast<MessageType>(t))) != "unknown")
      known.insert(static_cast<MessageType>(t));
  EXPECT_EQ(covered, known) << "a message type has no seed (add it to Seeds(), rewrite them)";
}

}  // namespace
}  // namespace tss::core

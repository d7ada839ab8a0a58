// Event rows are outside input (the CLI, a chain watcher, an operator's INSERT): every malformed
// event_data must become a clear error of that one event — never an exception through the
// node's loop — and a poll over a store holding such a row must fail it and go on with the rest.
#include "node/adapters.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace tss::node {
namespace {

eventstore::Event Row(const std::string& protocol, const std::string& data) {
  eventstore::Event e;
  e.event_id = "e1";
  e.block_number = 10;
  e.protocol_type = protocol;
  e.event_data = data;
  return e;
}

const std::string kHash(64, 'a');

TEST(ToEventView, ReadsWellFormedRows) {
  auto sign = ToEventView(
      Row("SIGN", R"({"key_id":"k","message_hash":")" + kHash + R"(","chain_path":""})"));
  ASSERT_TRUE(sign.ok()) << sign.status().ToString();
  EXPECT_EQ(sign->protocol, coordinator::ProtocolType::kSign);
  EXPECT_EQ(sign->key_id, "k");
  EXPECT_TRUE(sign->chain_path.empty());
  EXPECT_EQ(sign->message_hash, Bytes(32, 0xaa));
  auto keygen = ToEventView(Row("KEYGEN", ""));
  ASSERT_TRUE(keygen.ok());
  EXPECT_TRUE(keygen->key_id.empty());
  EXPECT_TRUE(ToEventView(Row("KEYGEN", R"({"key_id":null})")).ok());
  // What the CLI writes reads back unchanged.
  auto written = ToEventView(Row("SIGN", EncodeEventData("k2", Bytes(32, 0x01), "")));
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(written->key_id, "k2");
  EXPECT_EQ(written->message_hash, Bytes(32, 0x01));
}

TEST(ToEventView, RefusesEveryMalformedRowWithAClearError) {
  struct Case {
    std::string protocol, data, expect;
  };
  const Case cases[] = {
      {"SIGN", "not json", "not a JSON object"},
      {"SIGN", "[1,2]", "not a JSON object"},
      {"SIGN", R"({"key_id":5,"message_hash":")" + kHash + R"("})", "key_id must be a string"},
      {"SIGN", R"({"key_id":"k","message_hash":123})", "message_hash must be a string"},
      {"SIGN", R"({"key_id":"k","message_hash":")" + kHash + R"(","chain_path":[1]})",
       "chain_path must be a string"},
      {"SIGN", R"({"key_id":"k","message_hash":"zz"})", "64 hex digits"},
      {"SIGN", R"({"key_id":"k","message_hash":"abcd"})", "64 hex digits"},
      {"SIGN", R"({"key_id":"k"})", "needs a message_hash"},
      // Derivation does not exist yet: signing with the root key instead would debit the wrong
      // account, so a derived-key request is an error of the event.
      {"SIGN", EncodeEventData("k", Bytes(32, 1), "m/44'/60'/0'/0/0"),
       "key derivation is not supported"},
      {"KEYREFRESH", "{}", "needs a key_id"},
      {"KEYREFRESH", R"({"key_id":{}})", "key_id must be a string"},
      {"RESHARE", "{}", "RESHARE"},
  };
  for (const Case& c : cases) {
    auto v = ToEventView(Row(c.protocol, c.data));
    ASSERT_FALSE(v.ok()) << c.data;
    EXPECT_NE(v.status().message().find(c.expect), std::string::npos)
        << c.data << " -> " << v.status().message();
  }
}

TEST(StoreEventAccess, APollFailsAMalformedRowAndReturnsTheRest) {
  auto path = std::filesystem::path(::testing::TempDir()) /
              ("adapters-" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(path);
  auto store = eventstore::OpenEventStore(path.string());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  eventstore::EventStore& raw = **store;
  auto bad = Row("SIGN", R"({"key_id":7,"message_hash":")" + kHash + R"("})");
  bad.event_id = "bad";
  auto good = Row("KEYGEN", "{}");
  good.event_id = "good";
  ASSERT_TRUE(raw.CreateEvent(bad).ok());
  ASSERT_TRUE(raw.CreateEvent(good).ok());
  StoreEventAccess access(std::move(*store));

  auto pending = access.Pending(100, 10);
  ASSERT_TRUE(pending.ok()) << pending.status().ToString();
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].event_id, "good");
  auto failed = raw.GetEvent("bad");
  ASSERT_TRUE(failed.ok() && failed->has_value());
  EXPECT_EQ((*failed)->status, eventstore::Status::kFailed);
  EXPECT_NE((*failed)->error.find("key_id must be a string"), std::string::npos);
  // Get of such a row is an error too, not a throw.
  EXPECT_FALSE(access.Get("bad").ok());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace tss::node

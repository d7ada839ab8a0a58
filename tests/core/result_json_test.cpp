// The result column of a finished sign, read back (core/ports.h SignatureOfResultJson): what
// SignatureResultJson wrote comes back whole; anything else is refused, never half-read.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/ports.h"

namespace tss::core {
namespace {

SignatureBody Sample() {
  SignatureBody sig;
  for (size_t i = 0; i < sig.r.size(); ++i) {
    sig.r[i] = static_cast<uint8_t>(i + 1);
    sig.s[i] = static_cast<uint8_t>(0xff - i);
  }
  sig.v = 3;
  return sig;
}

TEST(ResultJson, ASignatureResultReadsBackWhole) {
  KeyRecord key;
  key.key_id = "k";
  key.public_key = Bytes(33, 2);
  const std::string json = SignatureResultJson(key, key.public_key, "", Bytes(32, 7), Sample());
  auto back = SignatureOfResultJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, Sample());
  EXPECT_EQ(json.find("root_public_key"), std::string::npos);
  EXPECT_EQ(json.find("chain_path"), std::string::npos);
}

// A signature for a derived key names the child key as `public_key`, with the key's own beside
// it and the path.
TEST(ResultJson, ADerivedKeysResultNamesTheChildTheRootAndThePath) {
  KeyRecord key;
  key.key_id = "k";
  key.public_key = Bytes(33, 2);
  const Bytes child(33, 3);
  const auto j =
      nlohmann::json::parse(SignatureResultJson(key, child, "m/1/2/3", Bytes(32, 7), Sample()));
  EXPECT_EQ(j["public_key"], ToHex(child));
  EXPECT_EQ(j["root_public_key"], ToHex(key.public_key));
  EXPECT_EQ(j["chain_path"], "m/1/2/3");
  EXPECT_EQ(j["key_id"], "k");
  auto back = SignatureOfResultJson(j.dump());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, Sample());
}

// A key's result carries its chain code and xpub when it has one (checked against BIP32 test
// vector 1's master key: chain code, public key and xpub as published).
TEST(ResultJson, AKeyResultCarriesTheChainCodeAndXpub) {
  NewKey key;
  key.record.key_id = "k";
  key.record.public_key =
      *FromHex("0339a36013301597daef41fbe593a02cc513d0b55527ec2df1050e2e8ff49c85c2");
  key.generation = 1;
  auto plain = nlohmann::json::parse(KeyResultJson(key));
  EXPECT_FALSE(plain.contains("chain_code"));
  EXPECT_FALSE(plain.contains("xpub"));
  key.chain_code = *FromHex("873dff81c02f525623fd1fe5167eac3a55a049de3d314bb42ee227ffed37d508");
  auto j = nlohmann::json::parse(KeyResultJson(key));
  EXPECT_EQ(j["chain_code"], "873dff81c02f525623fd1fe5167eac3a55a049de3d314bb42ee227ffed37d508");
  EXPECT_EQ(
      j["xpub"],
      "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD2"
      "65TMg7usUDFdp6W1EGMcet8");
  EXPECT_EQ(j["public_key"], ToHex(key.record.public_key));
  EXPECT_EQ(j["generation"], 1);
}

TEST(ResultJson, AnythingElseIsRefused) {
  const std::string r(64, 'a'), s(64, 'b');
  const std::vector<std::string> bads = {
      "",
      "[]",
      "{",
      R"({"generation":0,"key_id":"k","public_key":"02"})",  // a keygen's result
      R"({"r":")" + r + R"(","s":")" + s + R"("})",          // no v
      R"({"r":")" + r + R"(","s":")" + s + R"(","v":4})",    // v out of range
      R"({"r":")" + r + R"(","s":")" + s + R"(","v":-1})",
      R"({"r":")" + r + R"(","s":")" + s + R"(","v":"0"})",
      R"({"r":")" + r.substr(2) + R"(","s":")" + s + R"(","v":0})",    // 31 bytes
      R"({"r":")" + r + "aa" + R"(","s":")" + s + R"(","v":0})",       // 33 bytes
      R"({"r":")" + r + R"(","s":"zz)" + s.substr(2) + R"(","v":0})",  // not hex
      R"({"r":1,"s":")" + s + R"(","v":0})",
  };
  for (const std::string& bad : bads) EXPECT_FALSE(SignatureOfResultJson(bad).ok()) << bad;
}

}  // namespace
}  // namespace tss::core

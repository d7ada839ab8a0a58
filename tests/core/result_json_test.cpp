// The result column of a finished sign, read back (core/ports.h SignatureOfResultJson): what
// SignatureResultJson wrote comes back whole; anything else is refused, never half-read.
#include <gtest/gtest.h>

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
  const std::string json = SignatureResultJson(key, Bytes(32, 7), Sample());
  auto back = SignatureOfResultJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, Sample());
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

#include "common/status.h"

#include <gtest/gtest.h>

namespace tss {
namespace {

Result<int> Half(int x) {
  if (x % 2) return InvalidArgument("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  TSS_ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

TEST(Status, CulpritIsReported) {
  Status s = ProtocolAbort(3, "bad proof");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.culprit(), 3);
  EXPECT_EQ(s.ToString(), "protocol abort (culprit: party 3): bad proof");
}

TEST(Result, PropagatesErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_FALSE(Quarter(6).ok());
  EXPECT_EQ(Quarter(6).status().message(), "odd");
}

TEST(Result, OkStatusIsNotAValue) {
  Result<int> r{Status::Ok()};
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInternal);
}

}  // namespace
}  // namespace tss

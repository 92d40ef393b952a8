// Status and StatusOr: the terminal code, and StatusOr refusing an OK status.
#include "store/status.h"

#include <gtest/gtest.h>

#include <string>

namespace dokku {
namespace {

TEST(StatusTest, TerminalIsItsOwnCode) {
  Status terminal = Status::Terminal("Could not start due to 1 failed checks");
  EXPECT_FALSE(terminal.ok());
  EXPECT_TRUE(terminal.IsTerminal());
  EXPECT_EQ(terminal.code(), StatusCode::kTerminal);
  EXPECT_EQ(terminal.message(), "Could not start due to 1 failed checks");
  EXPECT_EQ(terminal.ToString(), "terminal: Could not start due to 1 failed checks");
  // FailedPrecondition keeps its other meanings and is not terminal.
  EXPECT_FALSE(Status::FailedPrecondition("not a swarm manager").IsTerminal());
  EXPECT_FALSE(Status::Unavailable("docker").IsTerminal());
  EXPECT_FALSE(Status::Ok().IsTerminal());
}

TEST(StatusOrTest, HoldsAValueOrAnError) {
  StatusOr<int> value = 7;
  ASSERT_TRUE(value.ok());
  EXPECT_TRUE(value.status().ok());
  EXPECT_EQ(*value, 7);

  StatusOr<int> error = Status::NotFound("app x");
  EXPECT_FALSE(error.ok());
  EXPECT_TRUE(error.status().IsNotFound());
  EXPECT_EQ(error.status().message(), "app x");
}

TEST(StatusOrTest, OkStatusBecomesAnInternalError) {
  StatusOr<std::string> from_ok = Status::Ok();
  EXPECT_FALSE(from_ok.ok());
  // Never a value-less object whose status() claims success.
  EXPECT_FALSE(from_ok.status().ok());
  EXPECT_EQ(from_ok.status().code(), StatusCode::kInternal);
  EXPECT_EQ(from_ok.status().message(), "StatusOr constructed from OK status");

  auto returns_ok = []() -> StatusOr<int> { return Status(); };
  StatusOr<int> returned = returns_ok();
  EXPECT_FALSE(returned.ok());
  EXPECT_EQ(returned.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace dokku

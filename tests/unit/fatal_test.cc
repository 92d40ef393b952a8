// The daemon's last-resort handler: what it logs for an exception nothing caught.
#include "controller/daemon/fatal.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace dokku {
namespace {

TEST(FatalTest, DescribesTheException) {
  EXPECT_EQ(DescribeException(std::make_exception_ptr(std::runtime_error("boom"))), "boom");
  EXPECT_EQ(DescribeException(std::make_exception_ptr(42)),
            "an exception not derived from std::exception");
  EXPECT_EQ(DescribeException(nullptr), "no active exception");
}

TEST(FatalTest, MessageNamesWhereItEscaped) {
  EXPECT_EQ(FatalExceptionMessage("main", std::make_exception_ptr(std::logic_error("bad state"))),
            "fatal: uncaught exception in main: bad state");
  EXPECT_EQ(FatalExceptionMessage("std::terminate", nullptr),
            "fatal: uncaught exception in std::terminate: no active exception");
}

TEST(FatalTest, TerminateHandlerLogsAndAborts) {
  EXPECT_DEATH(
      {
        InstallTerminateHandler();
        try {
          throw std::runtime_error("escaped a worker");
        } catch (...) {
          std::terminate();
        }
      },
      "<3>fatal: uncaught exception in std::terminate: escaped a worker");
}

}  // namespace
}  // namespace dokku

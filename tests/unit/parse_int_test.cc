// ParseInt: the one integer parser (whole string, from_chars rules).
#include "store/parse_int.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace dokku {
namespace {

struct Case {
  std::string text;
  std::optional<int64_t> want;
};

TEST(ParseIntTest, WholeStringDecimalOnly) {
  const Case cases[] = {
      {"0", 0},
      {"7", 7},
      {"30", 30},
      {"007", 7},
      {"-0", 0},
      {"-12", -12},
      {"9223372036854775807", std::numeric_limits<int64_t>::max()},
      {"-9223372036854775808", std::numeric_limits<int64_t>::min()},
      {"9223372036854775808", std::nullopt},  // overflow
      {"-9223372036854775809", std::nullopt},
      {"99999999999999999999", std::nullopt},
      {"", std::nullopt},
      {"-", std::nullopt},
      {"+5", std::nullopt},
      {" 5", std::nullopt},
      {"5 ", std::nullopt},
      {"\t5", std::nullopt},
      {"5\n", std::nullopt},
      {"30s", std::nullopt},
      {"1.5", std::nullopt},
      {"1e3", std::nullopt},
      {"0x10", std::nullopt},
      {"--1", std::nullopt},
      {"1-", std::nullopt},
      {"abc", std::nullopt},
      {std::string("1\0", 2), std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ParseInt(c.text), c.want) << "'" << c.text << "'";
  }
}

TEST(ParseIntTest, BoundedRejectsOutsideTheRange) {
  struct Bounded {
    std::string text;
    int64_t min, max;
    std::optional<int64_t> want;
  };
  const Bounded cases[] = {
      {"1", 1, 100000, 1},
      {"100000", 1, 100000, 100000},
      {"0", 1, 100000, std::nullopt},
      {"100001", 1, 100000, std::nullopt},
      {"-1", 0, 10, std::nullopt},
      {"-1", -1, 10, -1},
      {"2147483647", 0, std::numeric_limits<int>::max(), 2147483647},
      {"2147483648", 0, std::numeric_limits<int>::max(), std::nullopt},
      {"+1", 0, 10, std::nullopt},
      {"", 0, 10, std::nullopt},
      {"5x", 0, 10, std::nullopt},
  };
  for (const Bounded& c : cases) {
    EXPECT_EQ(ParseInt(c.text, c.min, c.max), c.want)
        << "'" << c.text << "' in [" << c.min << ", " << c.max << "]";
  }
}

}  // namespace
}  // namespace dokku

// DOKKU_SCALE parsing and its check against the Procfile.
#include "controller/model/dokku_scale.h"

#include <gtest/gtest.h>

#include "tests/testing/testutil.h"

namespace dokku {
namespace {

std::string ErrorOf(std::string_view text) {
  StatusOr<ScaleEntries> parsed = ParseDokkuScale(text);
  EXPECT_FALSE(parsed.ok()) << "expected an error for: " << text;
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  return parsed.status().message();
}

TEST(DokkuScaleTest, ParsesEntriesInFileOrder) {
  StatusOr<ScaleEntries> parsed = ParseDokkuScale("web=1\nworker=2\nclock=0\n");
  ASSERT_OK(parsed);
  const ScaleEntries want = {{"web", 1}, {"worker", 2}, {"clock", 0}};
  EXPECT_EQ(*parsed, want);
}

TEST(DokkuScaleTest, AcceptsCrlfCommentsBlankLinesAndSpaces) {
  StatusOr<ScaleEntries> parsed =
      ParseDokkuScale("# formation\r\n\r\n web = 3 \r\nworker=1 # background jobs\r\nx=1000");
  ASSERT_OK(parsed);
  const ScaleEntries want = {{"web", 3}, {"worker", 1}, {"x", 1000}};
  EXPECT_EQ(*parsed, want);
}

TEST(DokkuScaleTest, RejectsBadCountsNamingTheLine) {
  EXPECT_EQ(
      ErrorOf("web=1\nworker=-1\n"),
      "DOKKU_SCALE line 2: invalid count \"-1\" for process type \"worker\" (expected 0..1000)");
  EXPECT_EQ(
      ErrorOf("web=1.5"),
      "DOKKU_SCALE line 1: invalid count \"1.5\" for process type \"web\" (expected 0..1000)");
  EXPECT_EQ(
      ErrorOf("web=1001"),
      "DOKKU_SCALE line 1: invalid count \"1001\" for process type \"web\" (expected 0..1000)");
  EXPECT_EQ(ErrorOf("web="),
            "DOKKU_SCALE line 1: invalid count \"\" for process type \"web\" (expected 0..1000)");
  EXPECT_EQ(ErrorOf("web=+1"),
            "DOKKU_SCALE line 1: invalid count \"+1\" for process type \"web\" (expected 0..1000)");
  EXPECT_EQ(ErrorOf("web=99999999999999999999"),
            "DOKKU_SCALE line 1: invalid count \"99999999999999999999\" for process type \"web\" "
            "(expected 0..1000)");
}

TEST(DokkuScaleTest, RejectsBadNamesMissingEqualsAndDuplicates) {
  EXPECT_EQ(ErrorOf("we b=1"), "DOKKU_SCALE line 1: invalid process type \"we b\"");
  EXPECT_EQ(ErrorOf("=1"), "DOKKU_SCALE line 1: invalid process type \"\"");
  EXPECT_EQ(ErrorOf("\nweb 1"),
            "DOKKU_SCALE line 2: expected \"<process type>=<count>\", got \"web 1\"");
  EXPECT_EQ(ErrorOf("web=1\nweb=2"), "DOKKU_SCALE line 2: duplicate process type \"web\"");
}

TEST(DokkuScaleTest, RejectsBinaryAndOversizedFiles) {
  EXPECT_EQ(ErrorOf(std::string("web=1\0", 6)),
            "DOKKU_SCALE contains NUL bytes (is it a binary file?)");
  EXPECT_EQ(ErrorOf(std::string(65 * 1024, '#')), "DOKKU_SCALE is larger than 64 KiB");
}

TEST(DokkuScaleTest, ScaleMustNameProcfileTypes) {
  const std::vector<ProcfileEntry> procfile = {{"web", "a"}, {"worker", "b"}};
  EXPECT_OK(ValidateScaleAgainstProcfile({{"web", 1}, {"worker", 0}}, procfile));
  const Status st = ValidateScaleAgainstProcfile({{"web", 1}, {"clock", 1}}, procfile);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "DOKKU_SCALE names process type \"clock\" that the Procfile lacks");
}

TEST(DokkuScaleTest, WithoutProcfileOnlyWebIsKnown) {
  EXPECT_OK(ValidateScaleAgainstProcfile({{"web", 2}}, std::nullopt));
  EXPECT_EQ(ValidateScaleAgainstProcfile({{"web", 1}, {"worker", 1}}, std::nullopt).message(),
            "DOKKU_SCALE names process type \"worker\" that the Procfile lacks");
  EXPECT_OK(ValidateScaleAgainstProcfile({}, std::nullopt));
}

}  // namespace
}  // namespace dokku

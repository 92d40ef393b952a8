// Procfile parsing: Dokku's rules and the error messages that name the offending line.
#include "controller/model/procfile.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/testing/testutil.h"

namespace dokku {
namespace {

std::string ErrorOf(std::string_view text) {
  StatusOr<std::vector<ProcfileEntry>> parsed = ParseProcfile(text);
  EXPECT_FALSE(parsed.ok()) << "expected an error for: " << text;
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  return parsed.status().message();
}

TEST(ProcfileTest, ParsesTypesAndTrimmedCommandsInOrder) {
  StatusOr<std::vector<ProcfileEntry>> parsed = ParseProcfile(
      "web:  bin/web --port $PORT  \n"
      "worker: bin/worker -q default\n"
      "release:bin/migrate\n");
  ASSERT_OK(parsed);
  const std::vector<ProcfileEntry> want = {{"web", "bin/web --port $PORT"},
                                           {"worker", "bin/worker -q default"},
                                           {"release", "bin/migrate"}};
  EXPECT_EQ(*parsed, want);
}

TEST(ProcfileTest, SplitsOnTheFirstColonOnly) {
  StatusOr<std::vector<ProcfileEntry>> parsed = ParseProcfile("web: python -c 'print(1:2)'\n");
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->at(0).command, "python -c 'print(1:2)'");
}

TEST(ProcfileTest, AcceptsCrlfCommentsBlankLinesAndNoFinalNewline) {
  StatusOr<std::vector<ProcfileEntry>> parsed =
      ParseProcfile("# processes\r\n\r\n   \r\nweb: serve\r\n  # indented comment\r\nclock: tick");
  ASSERT_OK(parsed);
  const std::vector<ProcfileEntry> want = {{"web", "serve"}, {"clock", "tick"}};
  EXPECT_EQ(*parsed, want);
}

TEST(ProcfileTest, EmptyFileHasNoEntries) {
  StatusOr<std::vector<ProcfileEntry>> parsed = ParseProcfile("");
  ASSERT_OK(parsed);
  EXPECT_TRUE(parsed->empty());
}

TEST(ProcfileTest, RejectsInvalidProcessTypesNamingTheLine) {
  EXPECT_EQ(ErrorOf("web: a\n\nwe b: x\n"), "Procfile line 3: invalid process type \"we b\"");
  EXPECT_EQ(ErrorOf("-web: x"), "Procfile line 1: invalid process type \"-web\"");
  EXPECT_EQ(ErrorOf("web.1: x"), "Procfile line 1: invalid process type \"web.1\"");
  EXPECT_EQ(ErrorOf(": x"), "Procfile line 1: invalid process type \"\"");
  EXPECT_EQ(ErrorOf(std::string(64, 'a') + ": x").substr(0, 40),
            "Procfile line 1: invalid process type \"a");
  ASSERT_OK(ParseProcfile(std::string(63, 'a') + ": x"));
  ASSERT_OK(ParseProcfile("Web_2-x: x"));
}

TEST(ProcfileTest, RejectsDuplicateTypes) {
  EXPECT_EQ(ErrorOf("web: a\nworker: b\nweb: c\n"),
            "Procfile line 3: duplicate process type \"web\"");
}

TEST(ProcfileTest, RejectsLinesWithoutColon) {
  EXPECT_EQ(ErrorOf("web: a\nbin/worker\n"),
            "Procfile line 2: expected \"<process type>: <command>\", got \"bin/worker\"");
}

TEST(ProcfileTest, RejectsEmptyCommands) {
  EXPECT_EQ(ErrorOf("web:   \n"), "Procfile line 1: empty command for process type \"web\"");
}

TEST(ProcfileTest, RejectsMergeConflictMarkers) {
  EXPECT_EQ(ErrorOf("<<<<<<< HEAD\nweb: a\n=======\nweb: b\n>>>>>>> branch\n"),
            "Procfile line 1: contains a merge conflict marker");
  EXPECT_EQ(ErrorOf("web: a\n=======\n"), "Procfile line 2: contains a merge conflict marker");
  EXPECT_EQ(ErrorOf("web: a\n>>>>>>> x: y\n"), "Procfile line 2: contains a merge conflict marker");
}

TEST(ProcfileTest, RejectsOversizedAndBinaryFiles) {
  std::string big = "web: " + std::string(64 * 1024, 'x') + "\n";
  EXPECT_EQ(ErrorOf(big), "Procfile is larger than 64 KiB");
  EXPECT_EQ(ErrorOf(std::string("web: a\0b", 8)),
            "Procfile contains NUL bytes (is it a binary file?)");
  EXPECT_EQ(ErrorOf("web: a\nworker: \x1b[31mred\n"),
            "Procfile line 2: contains a control character");
  EXPECT_EQ(ErrorOf("web: a\rworker: b\n"), "Procfile line 1: contains a control character");
  EXPECT_EQ(ErrorOf("web: \xff\xfe\n"), "Procfile line 1: is not valid UTF-8");
  EXPECT_EQ(ErrorOf("web: \xc0\xaf\n"), "Procfile line 1: is not valid UTF-8");  // overlong '/'
}

TEST(ProcfileTest, AcceptsUtf8AndTabsInCommands) {
  StatusOr<std::vector<ProcfileEntry>> parsed = ParseProcfile("web:\techo 'héllo ✓'\n");
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->at(0).command, "echo 'héllo ✓'");
}

TEST(ProcfileTest, LongValuesAreShortenedInMessages) {
  const std::string message = ErrorOf(std::string(200, 'x'));
  EXPECT_LT(message.size(), 140u);
  EXPECT_NE(message.find("...\""), std::string::npos);
}

}  // namespace
}  // namespace dokku

// CHECKS parsing with Dokku's legacy semantics (spec §6.4).
#include "controller/model/checks_file.h"

#include <gtest/gtest.h>

#include "tests/testing/testutil.h"

namespace dokku {
namespace {

std::string ErrorOf(std::string_view text) {
  StatusOr<ChecksFile> parsed = ParseChecksFile(text);
  EXPECT_FALSE(parsed.ok()) << "expected an error for: " << text;
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  return parsed.status().message();
}

TEST(ChecksFileTest, ParsesTheDocumentedExample) {
  StatusOr<ChecksFile> parsed = ParseChecksFile(
      "WAIT=30  # Wait 30 seconds before each attempt\n"
      "TIMEOUT=60\n"
      "ATTEMPTS=10\n"
      "\n"
      "/  My Amazing App\n"
      "//admin.dokku.me  Admin Dashboard\n"
      "https://static.dokku.me/logo.png\n");
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->wait, 30);
  EXPECT_EQ(parsed->timeout, 60);
  EXPECT_EQ(parsed->attempts, 10);
  const std::vector<CheckSpec> want = {
      {"http", "", "/", "My Amazing App"},
      {"http", "admin.dokku.me", "/", "Admin Dashboard"},
      {"https", "static.dokku.me", "/logo.png", ""},
  };
  EXPECT_EQ(parsed->checks, want);
  EXPECT_EQ(DisplayUrl(parsed->checks[0]), "http://localhost/");
  EXPECT_EQ(DisplayUrl(parsed->checks[1]), "http://admin.dokku.me/");
  EXPECT_EQ(DisplayUrl(parsed->checks[2]), "https://static.dokku.me/logo.png");
}

TEST(ChecksFileTest, DefaultsWithoutSettings) {
  StatusOr<ChecksFile> parsed = ParseChecksFile("/health ok\n");
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->wait, 5);
  EXPECT_EQ(parsed->timeout, 30);
  EXPECT_EQ(parsed->attempts, 5);
  ASSERT_EQ(parsed->checks.size(), 1u);
  EXPECT_EQ(parsed->checks[0].path, "/health");
  EXPECT_EQ(parsed->checks[0].expected, "ok");
}

TEST(ChecksFileTest, ExpectedContentIsTheTrimmedRestOfTheLine) {
  StatusOr<ChecksFile> parsed =
      ParseChecksFile("  /about \t  About   us  \t \r\n/a?x=1 has # no comment stripping\n");
  ASSERT_OK(parsed);
  ASSERT_EQ(parsed->checks.size(), 2u);
  EXPECT_EQ(parsed->checks[0].expected, "About   us");
  EXPECT_EQ(parsed->checks[1].path, "/a?x=1");
  EXPECT_EQ(parsed->checks[1].expected, "has # no comment stripping");
}

TEST(ChecksFileTest, SkipsCommentsBlankLinesAndNonUrls) {
  StatusOr<ChecksFile> parsed = ParseChecksFile(
      "# comment /not-a-check\n\n   \nhealth ok\nftp://x/y z\nhttps:nope\nhttp:/plain yes\n");
  ASSERT_OK(parsed);
  ASSERT_EQ(parsed->checks.size(), 1u);
  EXPECT_EQ(parsed->checks[0], (CheckSpec{"http", "", "/plain", "yes"}));
}

TEST(ChecksFileTest, SchemeAndHostForms) {
  StatusOr<ChecksFile> parsed = ParseChecksFile(
      "https:/secure a\nhttp://h.example.com b\n//h2.example.com:8080/p/q c\n///x d\n// e\n");
  ASSERT_OK(parsed);
  const std::vector<CheckSpec> want = {
      {"https", "", "/secure", "a"},
      {"http", "h.example.com", "/", "b"},
      {"http", "h2.example.com:8080", "/p/q", "c"},
      {"http", "", "/x", "d"},
      {"http", "", "//", "e"},
  };
  EXPECT_EQ(parsed->checks, want);
  EXPECT_EQ(DisplayUrl(parsed->checks[2]), "http://h2.example.com:8080/p/q");
}

TEST(ChecksFileTest, SettingsFollowTheShellRules) {
  // NAME is what precedes the last '=': "WAIT=1=2" is no WAIT setting; unknown names are ignored.
  StatusOr<ChecksFile> parsed =
      ParseChecksFile("WAIT=1=2\nFOO=bar\nATTEMPTS = 3\n#WAIT=9\nTIMEOUT=7 # seven\nWAIT=0\n");
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->wait, 0);
  EXPECT_EQ(parsed->timeout, 7);
  EXPECT_EQ(parsed->attempts, 3);
  EXPECT_TRUE(parsed->checks.empty());
}

TEST(ChecksFileTest, RejectsBadSettingValuesNamingTheLine) {
  EXPECT_EQ(ErrorOf("/ ok\nWAIT=abc\n"),
            "CHECKS line 2: WAIT must be an integer between 0 and 3600, got \"abc\"");
  EXPECT_EQ(ErrorOf("ATTEMPTS=0"),
            "CHECKS line 1: ATTEMPTS must be an integer between 1 and 100, got \"0\"");
  EXPECT_EQ(ErrorOf("ATTEMPTS=101"),
            "CHECKS line 1: ATTEMPTS must be an integer between 1 and 100, got \"101\"");
  EXPECT_EQ(ErrorOf("TIMEOUT=-5"),
            "CHECKS line 1: TIMEOUT must be an integer between 1 and 3600, got \"-5\"");
  EXPECT_EQ(ErrorOf("WAIT=3601"),
            "CHECKS line 1: WAIT must be an integer between 0 and 3600, got \"3601\"");
  EXPECT_EQ(ErrorOf("WAIT="),
            "CHECKS line 1: WAIT must be an integer between 0 and 3600, got \"\"");
  EXPECT_EQ(ErrorOf("WAIT=99999999999999"),
            "CHECKS line 1: WAIT must be an integer between 0 and 3600, got \"99999999999999\"");
}

TEST(ChecksFileTest, RejectsHostsThatAreNotHostNames) {
  EXPECT_EQ(ErrorOf("//bad\"host/ x"), "CHECKS line 1: invalid host \"bad\"host\"");
  EXPECT_EQ(ErrorOf("//h\xc3\xa9/ x"), "CHECKS line 1: invalid host \"h\xc3\xa9\"");
}

TEST(ChecksFileTest, RejectsOversizedAndBinaryFiles) {
  EXPECT_EQ(ErrorOf(std::string(64 * 1024 + 1, '#')), "CHECKS is larger than 64 KiB");
  EXPECT_EQ(ErrorOf(std::string("/ a\0", 4)), "CHECKS contains NUL bytes (is it a binary file?)");
  EXPECT_EQ(ErrorOf("/ ok\n/ \x07\n"), "CHECKS line 2: contains a control character");
}

TEST(ChecksFileTest, EmptyFileHasNoChecks) {
  StatusOr<ChecksFile> parsed = ParseChecksFile("");
  ASSERT_OK(parsed);
  EXPECT_TRUE(parsed->checks.empty());
}

}  // namespace
}  // namespace dokku

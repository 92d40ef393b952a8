// Tests of the shared test utilities themselves: subprocesses, temp dirs, local images, cleanup.
#include "tests/testing/testutil.h"

#include <gtest/gtest-spi.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

namespace dokku::testutil {
namespace {

namespace fs = std::filesystem;

TEST(TestUtilRunCommand, CapturesStdoutStderrAndExitCode) {
  CommandResult r = RunCommand({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_FALSE(r.timed_out);
}

TEST(TestUtilRunCommand, PassesStdinAndExtraEnvWithoutAShell) {
  CommandResult r = RunCommand({"sh", "-c", "cat; printf %s \"$GREETING\""},
                               {{"GREETING", "$HOME; not expanded"}}, "from stdin|");
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "from stdin|$HOME; not expanded");
}

TEST(TestUtilRunCommand, ChildIgnoringStdinDoesNotHang) {
  std::string big(1 << 20, 'x');  // larger than a pipe buffer
  CommandResult r = RunCommand({"true"}, {}, big, 10);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.timed_out);
}

TEST(TestUtilRunCommand, KillsTheProcessGroupOnTimeout) {
  auto start = std::chrono::steady_clock::now();
  CommandResult r = RunCommand({"sh", "-c", "echo started; sleep 30 & sleep 30"}, {}, "", 1);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, 128 + SIGKILL);
  EXPECT_EQ(r.out, "started\n");
  EXPECT_LT(elapsed, std::chrono::seconds(10));
}

TEST(TestUtilRunCommand, MissingProgramExits127) {
  CommandResult r = RunCommand({"/nonexistent/dokkutest-binary"});
  EXPECT_EQ(r.exit_code, 127);
}

TEST(TestUtilTempDir, IsRemovedRecursively) {
  std::string path;
  {
    TempDir dir;
    path = dir.path();
    ASSERT_TRUE(fs::is_directory(path));
    fs::create_directories(dir.Join("a/b"));
    ASSERT_OK(WriteFile(dir.Join("a/b/file"), "data"));
    EXPECT_EQ(ReadFileOr(dir.Join("a/b/file")), "data");
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(TestUtilUniqueName, IsDistinctAndValidAsAppName) {
  std::string a = UniqueName("My_App");
  std::string b = UniqueName("My_App");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("dokkutest-" + std::to_string(getpid()) + "-", 0), 0u) << a;
  for (char c : a) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') << a;
  EXPECT_EQ(a.substr(a.size() - 6), "my-app");
}

TEST(TestUtilWaitFor, ReturnsTrueOncePredicateHolds) {
  int calls = 0;
  EXPECT_TRUE(WaitFor([&] { return ++calls == 3; }, 5000, 1));
  EXPECT_EQ(calls, 3);
  EXPECT_FALSE(WaitFor([] { return false; }, 20, 5));
}

StatusOr<int> Seven() { return 7; }
StatusOr<int> Missing() { return Status::NotFound("no app x"); }

TEST(TestUtilStatus, AssertOkAcceptsStatusAndStatusOr) {
  ASSERT_OK(Status::Ok());
  ASSERT_OK(Seven());
  EXPECT_OK(StatusOr<std::string>(std::string("x")));
}

TEST(TestUtilStatus, ExpectOkFailureShowsTheStatus) {
  EXPECT_NONFATAL_FAILURE(EXPECT_OK(Status::Conflict("name taken")), "conflict: name taken");
  EXPECT_NONFATAL_FAILURE(EXPECT_OK(Missing()), "not found: no app x");
}

}  // namespace
}  // namespace dokku::testutil

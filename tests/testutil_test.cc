// Tests of the shared test utilities themselves: subprocesses, temp dirs, local images, cleanup.
#include "tests/testutil.h"

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

TEST(TestUtilImageIntegration, BuildsRunnableImageAndRemovesIt) {
  ASSERT_TRUE(DockerAvailable()) << "dockerd is not answering on /var/run/docker.sock";
  const std::string app = UniqueName("img");
  const std::string ref = "dokku/" + app + ":v1";
  const std::string retagged = "dokku/" + app + ":v2";
  DockerCleanup cleanup;
  cleanup.AddApp(app);

  StatusOr<std::string> id = TestImage::Build(ref,
                                              {{"hello", "hello from the image\n"},
                                               {"/etc/motd", "motd\n"},
                                               {"run.sh", "#!/bin/sh\necho ran\n"}},
                                              {}, {{"link", "/app/hello"}});
  ASSERT_OK(id);
  EXPECT_EQ(id->rfind("sha256:", 0), 0u) << *id;

  CommandResult cat = RunDocker({"run", "--rm", ref, "cat", "/app/hello", "/etc/motd", "link"});
  EXPECT_EQ(cat.exit_code, 0) << cat.Describe();
  EXPECT_EQ(cat.out, "hello from the image\nmotd\nhello from the image\n");
  CommandResult script = RunDocker({"run", "--rm", ref, "./run.sh"});
  EXPECT_EQ(script.out, "ran\n") << script.Describe();
  CommandResult cmd = RunDocker(
      {"image", "inspect", "--format", "{{json .Config.Cmd}} {{.Config.WorkingDir}}", ref});
  EXPECT_EQ(cmd.out, "[\"/bin/sh\",\"-c\",\"httpd -f -p $PORT -h /app\"] /app\n");

  ASSERT_OK(TestImage::Retag(ref, retagged));
  ASSERT_OK(TestImage::RemoveImage(ref));
  EXPECT_NE(RunDocker({"image", "inspect", ref}).exit_code, 0);
  EXPECT_EQ(RunDocker({"image", "inspect", retagged}).exit_code, 0);
  ASSERT_OK(TestImage::RemoveImage(retagged));
  EXPECT_NE(RunDocker({"image", "inspect", *id}).exit_code, 0);
  EXPECT_OK(TestImage::RemoveImage(retagged));  // already gone: still OK
}

TEST(TestUtilImageIntegration, DefaultCmdServesAppOverHttpAndCleanupRemovesContainers) {
  ASSERT_TRUE(DockerAvailable()) << "dockerd is not answering on /var/run/docker.sock";
  const std::string app = UniqueName("web");
  const std::string ref = "dokku/" + app + ":v1";
  {
    DockerCleanup cleanup;
    cleanup.AddApp(app);
    ASSERT_OK(TestImage::Build(ref, {{"index.html", "it works\n"}}));
    CommandResult run = RunDocker({"run", "-d", "--name", app + ".web.1", "--label",
                                   "com.dokku.app-name=" + app, "-e", "PORT=5000", ref});
    ASSERT_EQ(run.exit_code, 0) << run.Describe();
    std::string ip =
        RunDocker({"inspect", "--format",
                   "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", app + ".web.1"})
            .out;
    ip = ip.substr(0, ip.find('\n'));
    int status = 0;
    std::string body;
    EXPECT_TRUE(WaitFor(
        [&] {
          body = HttpGet(ip + ":5000", "/index.html", "", &status);
          return status == 200;
        },
        10000))
        << "status " << status;
    EXPECT_EQ(body, "it works\n");
  }
  EXPECT_EQ(RunDocker({"ps", "-aq", "--filter", "label=com.dokku.app-name=" + app}).out, "");
  EXPECT_NE(RunDocker({"image", "inspect", ref}).exit_code, 0);
}

}  // namespace
}  // namespace dokku::testutil

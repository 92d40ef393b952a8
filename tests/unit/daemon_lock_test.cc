// One dokkud per state directory: a second daemon refuses to start, naming the holder's pid, and
// a SIGKILLed daemon never blocks its successor. The daemons point at a Docker socket that does
// not exist, so they sit in their wait-for-Docker loop and touch nothing else.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <string>

#include "controller/daemon/state_lock.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

using testutil::CommandResult;
using testutil::DaemonProcess;
using testutil::TempDir;

std::vector<std::string> NoDockerArgs(const TempDir& dir) {
  return {"--docker-host", "unix://" + dir.Join("no-docker.sock"), "--proxy", "none"};
}

std::string LockHolder(const TempDir& dir) {
  std::string pid = testutil::ReadFileOr(dir.Join("state/dokkud.lock"));
  while (!pid.empty() && pid.back() == '\n') pid.pop_back();
  return pid;
}

// Waits until the lock file names `daemon` as its holder.
bool HolderBecomes(const TempDir& dir, const DaemonProcess& daemon) {
  return testutil::WaitFor([&] { return LockHolder(dir) == std::to_string(daemon.pid()); }, 10000);
}

TEST(DaemonLockTest, SecondDaemonOnTheSameStateDirRefusesAtOnce) {
  TempDir dir;
  const std::string state = dir.Join("state");
  DaemonProcess first(state, NoDockerArgs(dir));
  ASSERT_OK(first.Start());
  ASSERT_TRUE(HolderBecomes(dir, first)) << first.Log();

  CommandResult second =
      testutil::RunCommand({DOKKUD_BIN, "--state-dir", state, "--proxy", "none", "--docker-host",
                            "unix://" + dir.Join("no-docker.sock")},
                           {{"DOKKU_LIB_ROOT", state}}, "", 20);
  EXPECT_FALSE(second.timed_out) << second.Describe();
  EXPECT_NE(second.exit_code, 0) << second.Describe();
  const std::string expected =
      fmt::format("another dokkud (pid {}) is running on state directory {} (lock {}/dokkud.lock)",
                  first.pid(), state, state);
  EXPECT_NE(second.err.find(expected), std::string::npos) << second.Describe();
  EXPECT_TRUE(first.Running());

  // The first one is unaffected and still the holder.
  EXPECT_EQ(LockHolder(dir), std::to_string(first.pid()));
  EXPECT_EQ(first.Stop(), 0);
}

TEST(DaemonLockTest, SigkilledHolderDoesNotBlockItsSuccessor) {
  TempDir dir;
  const std::string state = dir.Join("state");
  DaemonProcess first(state, NoDockerArgs(dir));
  ASSERT_OK(first.Start());
  ASSERT_TRUE(HolderBecomes(dir, first));
  first.Kill9();

  DaemonProcess next(state, NoDockerArgs(dir));
  ASSERT_OK(next.Start());
  EXPECT_TRUE(HolderBecomes(dir, next)) << next.Log();
  EXPECT_TRUE(next.Running()) << next.Log();
  EXPECT_EQ(next.Stop(), 0);
}

TEST(StateDirLockTest, HeldLockIsRefusedAndReleasedOnDestruction) {
  TempDir dir;
  {
    StateDirLock a;
    ASSERT_OK(a.Acquire(dir.path()));
    StateDirLock b;
    Status st = b.Acquire(dir.path());
    EXPECT_EQ(st.code(), StatusCode::kConflict) << st.ToString();
    EXPECT_NE(st.message().find(fmt::format("pid {}", getpid())), std::string::npos)
        << st.ToString();
  }
  StateDirLock c;
  EXPECT_OK(c.Acquire(dir.path()));
}

// A child process inherits no lock: the descriptor is close-on-exec.
TEST(StateDirLockTest, DescriptorIsCloseOnExec) {
  TempDir dir;
  StateDirLock a;
  ASSERT_OK(a.Acquire(dir.path()));
  CommandResult r =
      testutil::RunCommand({"sh", "-c", "ls -l /proc/self/fd | grep -c dokkud.lock || true"});
  EXPECT_EQ(r.out, "0\n") << r.Describe();
}

}  // namespace
}  // namespace dokku

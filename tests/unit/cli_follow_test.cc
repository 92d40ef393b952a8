// CliFollowTest: how a command that changes what runs follows dokkud — events printed as they
// arrive, success and failure exit codes, no daemon, a daemon that dies, and the time cap.
// Time is a FakeClock; every poll pause advances it 50 ms instead of sleeping.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/testing/cli_harness.h"

namespace dokku {
namespace {

using testing::CliHarness;
using testing::CliResult;

constexpr char kNotRunning[] =
    " !     dokkud is not running; the change is saved and will be applied when it starts\n";

class CliFollowTest : public ::testing::Test {
 protected:
  void SetUp() override { h_.DeployApp("myapp", {CliHarness::Container("myapp", "web", 1, "c1")}); }
  int64_t RestartGeneration() { return (*h_.daemon().GetFormation("myapp"))[0].restart_generation; }

  CliHarness h_;
};

TEST_F(CliFollowTest, NoDaemonEverSaysSoAtOnceAndKeepsTheChange) {
  const int64_t start = h_.clock().NowMs();
  CliResult r = h_.Run({"ps:restart", "myapp"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, kNotRunning);
  EXPECT_LT(h_.clock().NowMs() - start, 3000);
  EXPECT_EQ(RestartGeneration(), 1);
}

TEST_F(CliFollowTest, StaleHeartbeatMeansNotRunning) {
  h_.Beat();
  h_.clock().Advance(3001);
  const int64_t start = h_.clock().NowMs();
  CliResult r = h_.Run({"ps:restart", "myapp"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, kNotRunning);
  EXPECT_EQ(h_.clock().NowMs(), start);
}

TEST_F(CliFollowTest, DaemonThatStopsBeatingIsNoticedWithinThreeSeconds) {
  h_.Beat();
  const int64_t start = h_.clock().NowMs();
  CliResult r = h_.Run({"ps:restart", "myapp"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, kNotRunning);
  const int64_t waited = h_.clock().NowMs() - start;
  EXPECT_GT(waited, 3000);
  EXPECT_LE(waited, 3100);
}

TEST_F(CliFollowTest, TimeCapEndsTheWait) {
  h_.Beat();
  h_.OnSleep([this] { h_.Beat(); });  // alive, but never done
  const int64_t start = h_.clock().NowMs();
  CliResult r = h_.Run({"ps:restart", "myapp"}, "", {{"DOKKU_WAIT_TIMEOUT", "2"}});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(
      r.err,
      " !     Timed out after 2 seconds waiting for dokkud; the change is saved and dokkud is "
      "still working on it\n");
  const int64_t waited = h_.clock().NowMs() - start;
  EXPECT_GE(waited, 2000);
  EXPECT_LT(waited, 2100);
}

TEST_F(CliFollowTest, PrintsOnlyNewEventsOfTheApp) {
  ASSERT_EQ(h_.Run({"apps:create", "other"}).rc, 0);
  ASSERT_OK(h_.daemon().AppendEvent("myapp", "info1", "an older deploy"));
  h_.Beat();
  h_.OnSleep([this] {
    ASSERT_OK(h_.daemon().AppendEvent("other", "info1", "someone else's deploy"));
    h_.ApplyAll("myapp", {{"info2", "Start of myapp container output (c1 web.1)"},
                          {"warn", "Deprecated: Usage of the CHECKS file is deprecated"},
                          {"verbose", "All checks successful (web.1)"}});
  });
  CliResult r = h_.Run({"ps:restart", "myapp"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out,
            "=====> Start of myapp container output (c1 web.1)\n"
            "       All checks successful (web.1)\n");
  EXPECT_EQ(r.err, " !     Deprecated: Usage of the CHECKS file is deprecated\n");
}

TEST_F(CliFollowTest, FailureNotShownAsAnEventIsPrintedAtTheEnd) {
  h_.Beat();
  h_.OnSleep([this] {
    h_.ApplyAll("myapp", {{"info1", "Deploying web (count=1)"}},
                "Could not start due to 1 failed checks (web.1)");
  });
  CliResult r = h_.Run({"ps:restart", "myapp"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.out, "-----> Deploying web (count=1)\n");
  EXPECT_EQ(r.err, " !     Could not start due to 1 failed checks (web.1)\n");
}

TEST_F(CliFollowTest, FailedReleaseFailsEvenIfALaterPassReportsSuccess) {
  const std::string reason = "App image (dokku/myapp:v9) not found";
  h_.Beat();
  h_.OnSleep([&] {
    h_.Beat();
    auto app = h_.daemon().GetApp("myapp");
    auto release = h_.daemon().GetRelease(*app->desired_release);
    Release failed = *release;
    failed.status = "failed";
    failed.error = reason;
    ASSERT_OK(h_.daemon().UpdateRelease(failed));
    ASSERT_OK(h_.daemon().SetDesiredRelease("myapp", app->current_release));
    ASSERT_OK(h_.daemon().AppendEvent("myapp", "warn", reason));
    ASSERT_OK(h_.daemon().SetObserved("myapp", app->generation, reason));
    // A second pass at the same generation finds nothing to do.
    ASSERT_OK(h_.daemon().SetObserved("myapp", app->generation, ""));
  });
  CliResult r = h_.Run({"tags:deploy", "myapp", "v9"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, " !     " + reason + "\n");
}

TEST_F(CliFollowTest, DetachReturnsAtOnceEvenWithoutDaemon) {
  CliResult r = h_.Run({"--detach", "ps:restart", "myapp"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out + r.err, "");
  EXPECT_EQ(h_.sleeps(), 0);
  EXPECT_EQ(RestartGeneration(), 1);
}

// A daemon on its own thread with its own Store connection, taking one reconcile step per CLI
// poll (a handshake instead of sleeps): first it reports progress, then marks the change applied.
TEST_F(CliFollowTest, FakeDaemonThread) {
  h_.Beat();
  std::mutex mu;
  std::condition_variable cv;
  int polls = 0, handled = 0;
  bool stop = false;
  std::thread daemon([&] {
    auto store = Store::OpenStateDir(h_.state_dir(), &h_.clock());
    ASSERT_OK(store);
    std::unique_lock lock(mu);
    for (int step = 0;; ++step) {
      cv.wait(lock, [&] { return polls > handled || stop; });
      if (stop) return;
      Store& s = **store;
      EXPECT_OK(s.Heartbeat(99, "thread", h_.clock().NowMs()));
      auto app = s.GetApp("myapp");
      if (app.ok() && app->observed_generation < app->generation) {
        if (step == 0) EXPECT_OK(s.AppendEvent("myapp", "info1", "Deploying web (count=3)"));
        if (step == 1)
          EXPECT_OK(s.AppendEvent("myapp", "verbose", "Attempting pre-flight checks (web.3)"));
        if (step == 2) {
          EXPECT_OK(s.AppendEvent("myapp", "verbose", "All checks successful (web.3)"));
          EXPECT_OK(s.SetObserved("myapp", app->generation, ""));
        }
      }
      handled = polls;
      cv.notify_all();
    }
  });
  h_.OnSleep([&] {
    std::unique_lock lock(mu);
    ++polls;
    cv.notify_all();
    cv.wait(lock, [&] { return handled == polls; });
  });
  CliResult r = h_.Run({"ps:scale", "myapp", "web=3"});
  {
    std::lock_guard lock(mu);
    stop = true;
  }
  cv.notify_all();
  daemon.join();
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out,
            "-----> Scaling myapp processes: web=3\n"
            "-----> Deploying web (count=3)\n"
            "       Attempting pre-flight checks (web.3)\n"
            "       All checks successful (web.3)\n");
  EXPECT_EQ(polls, 3);
}

}  // namespace
}  // namespace dokku

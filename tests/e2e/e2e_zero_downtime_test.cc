// End to end, issue "zero downtime": web=2 behind a private nginx while a client loop hammers it
// and the app is deployed, restarted and given a bad release; plus retirement surviving a
// SIGKILLed dokkud. Real dokku, dokkud, dockerd and nginx.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <mutex>
#include <thread>

#include "tests/testing/e2e_fixture.h"
#include "tests/testing/keepalive_client.h"
#include "tests/testing/traffic_loop.h"

namespace dokku::e2e {
namespace {

using testutil::CommandResult;
using testutil::WaitFor;

constexpr char kChecks[] = "WAIT=1\nATTEMPTS=3\n/ hello\n";
constexpr int kChecksWaitMs = 1000;  // WAIT=1, and the check passes at its first attempt

class E2EZeroDowntimeTest : public E2ETest {
 protected:
  // Until nginx (reloaded asynchronously) serves `body` for `host`.
  bool Serves(const PrivateNginx& nginx, const std::string& host, const std::string& body) {
    return WaitFor([&] { return testutil::HttpGet(nginx.address(), "/", host) == body; }, 5000);
  }
  static std::vector<std::string> Names(const std::string& app) {
    std::vector<std::string> names;
    for (const DockerContainer& c : AppContainers(app)) names.push_back(c.name);
    return names;
  }
  CommandResult DeployWithCrashDuringChecks(const std::string& app,
                                            const std::function<void()>& crash);
};

// Given web=2 behind nginx and a client loop of ~20 concurrent requesters, deploys alternating
// v1/v2, restarts and a release failing its CHECKS cause no failed request and never serve the
// bad content; old containers retire; the nginx file follows the web process.
TEST_F(E2EZeroDowntimeTest, DeploysAndRestartsUnderLoadLoseNoRequest) {
  PrivateNginx nginx;
  ASSERT_OK(nginx.Start());
  const std::string app = CreateApp("zd");
  BuildImage(app, "v1", {{"CHECKS", kChecks}, {"index.html", "hello v1\n"}});
  BuildImage(app, "v2", {{"CHECKS", kChecks}, {"index.html", "hello v2\n"}});
  BuildImage(app, "vbad", {{"CHECKS", kChecks}, {"index.html", "goodbye\n"}});
  ASSERT_FALSE(HasFailure());
  ASSERT_NO_FATAL_FAILURE(StartDaemon(nginx.DaemonFlags()));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"domains:set-global", "e2e.test"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"checks:set", app, "wait-to-retire", "2"}));
  const std::string host = app + ".e2e.test";
  const std::string conf = nginx.conf_dir() + "/" + app + ".conf";

  CommandResult first;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}, &first));
  EXPECT_TRUE(
      Contains(first.out, "       CHECKS expected result: http://localhost/ => \"hello\" (web.1)"))
      << first.out;
  EXPECT_TRUE(Contains(first.out, "       All checks successful (web.1)")) << first.out;
  EXPECT_TRUE(Contains(first.out, fmt::format("       http://{}:{}\n", host, nginx.port())))
      << first.out;
  EXPECT_TRUE(std::filesystem::exists(conf));
  EXPECT_TRUE(Serves(nginx, host, "hello v1\n"));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:scale", app, "web=2"}));

  // The cost of a checked web=2 deploy beyond the configured waits (both containers are
  // checked in parallel, so one WAIT is on the critical path). Printed, not asserted.
  const int64_t t0 = NowMs();
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v2"}));
  const int64_t deploy_ms = NowMs() - t0;
  std::cout << fmt::format(
      "MEASURE deploy_wall_ms={} configured_wait_ms={} deploy_overhead_ms={}\n", deploy_ms,
      kChecksWaitMs, deploy_ms - kChecksWaitMs);
  EXPECT_TRUE(Serves(nginx, host, "hello v2\n"));

  testutil::TrafficOptions options;
  options.threads = 20;
  options.max_requests = 400000;
  options.max_ms = 240000;
  options.good_bodies = {"hello v1\n", "hello v2\n"};
  testutil::TrafficLoop traffic(nginx.address(), host, options);
  traffic.Start();
  // Beside it, keep-alive clients (one persistent connection each, no retries): a reload would
  // close their idle connections under a request in flight; dynamic upstreams must not.
  testutil::KeepAliveLoop keepalive(nginx.address(), host, 10, {"hello v1\n", "hello v2\n"});
  keepalive.Start();
  // 10 deploys, 5 restarts, a scale 2 -> 6 -> 2 and one release failing its checks.
  const std::vector<std::vector<std::string>> steps = DeployRestartScaleSteps(app, "v1", "v2");
  for (size_t i = 0; i < steps.size(); ++i) {
    ASSERT_NO_FATAL_FAILURE(DokkuOk(steps[i]));
    if (i == 2) {
      // A release whose checks fail: refused, with the container's output; v2 keeps serving.
      CommandResult bad = Dokku({"tags:deploy", app, "vbad"});
      EXPECT_EQ(bad.exit_code, 1) << bad.Describe();
      EXPECT_TRUE(Contains(bad.err, "Could not start due to 1 failed checks")) << bad.Describe();
      EXPECT_TRUE(Contains(bad.out, fmt::format("=====> Start of {} container output", app)))
          << bad.Describe();
    }
  }
  traffic.Stop();
  std::cout << fmt::format("traffic: {} requests, v1 {}, v2 {}\n", traffic.total(),
                           traffic.count("hello v1\n"), traffic.count("hello v2\n"));
  keepalive.Stop();
  std::cout << fmt::format(
      "keep-alive traffic: {} requests ({} on reused connections), v1 {}, v2 {}\n",
      keepalive.total(), keepalive.reused(), keepalive.count("hello v1\n"),
      keepalive.count("hello v2\n"));
  EXPECT_GT(keepalive.reused(), 100);
  EXPECT_EQ(keepalive.failed(), 0) << keepalive.Problems();
  EXPECT_EQ(keepalive.bad_content(), 0) << keepalive.Problems();
  EXPECT_EQ(keepalive.count("goodbye\n"), 0);
  EXPECT_GT(traffic.total(), 200);
  EXPECT_EQ(traffic.failed(), 0) << traffic.Problems();
  EXPECT_EQ(traffic.bad_content(), 0) << traffic.Problems();
  EXPECT_EQ(traffic.count("goodbye\n"), 0);
  EXPECT_GT(traffic.count("hello v1\n"), 0);
  EXPECT_GT(traffic.count("hello v2\n"), 0);
  EXPECT_TRUE(Serves(nginx, host, "hello v2\n"));

  // After the last retirement (2 s) only the two live containers are left.
  const std::vector<std::string> wanted = {app + ".web.1", app + ".web.2"};
  EXPECT_TRUE(WaitFor([&] { return Names(app) == wanted; }, 8000))
      << fmt::format("{}", fmt::join(Names(app), " "));
  for (const DockerContainer& c : AppContainers(app)) EXPECT_EQ(c.state, "running") << c.name;

  // The nginx file exists exactly while web runs.
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:scale", app, "web=0"}));
  EXPECT_TRUE(WaitFor([&] { return !std::filesystem::exists(conf); }, 3000));
  // nginx applies the reload asynchronously: its old workers may answer for a moment.
  EXPECT_TRUE(WaitFor(
      [&] {
        int status = 0;
        testutil::HttpGet(nginx.address(), "/", host, &status);
        return status == 404;
      },
      5000));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:scale", app, "web=1"}));
  EXPECT_TRUE(std::filesystem::exists(conf));
  EXPECT_TRUE(Serves(nginx, host, "hello v2\n"));
  ASSERT_NO_FATAL_FAILURE(DestroyApp(app));
  EXPECT_FALSE(std::filesystem::exists(conf));
}

// Deploys v2 over a running web=2 v1 in the background and calls `crash` while the new
// containers' checks run (before the cutover), then waits for the deploy's result.
CommandResult E2EZeroDowntimeTest::DeployWithCrashDuringChecks(const std::string& app,
                                                               const std::function<void()>& crash) {
  CommandResult deploy;
  std::thread cli([&] { deploy = Dokku({"tags:deploy", app, "v2"}, 180); });
  // Two v1 containers serve; a third is the first of the new release, now being checked.
  const bool started = WaitFor([&] { return AppContainers(app).size() >= 3; }, 20000, 20);
  EXPECT_TRUE(started) << "the deploy started no new container";
  crash();
  cli.join();
  return deploy;
}

// Given web=2 behind nginx, nginx killed (SIGKILL, its shared memory lost) while a deploy's checks
// run and started again: the deploy completes, and from the restart on every request is answered
// by a live container of the new release (none is sent to an old one, retired or not).
TEST_F(E2EZeroDowntimeTest, NginxKilledDuringACutoverServesOnlyLiveContainersAfterwards) {
  PrivateNginx nginx;
  ASSERT_OK(nginx.Start());
  const std::string app = CreateApp("ngxkill");
  BuildImage(app, "v1", {{"CHECKS", kChecks}, {"index.html", "hello v1\n"}});
  BuildImage(app, "v2", {{"CHECKS", kChecks}, {"index.html", "hello v2\n"}});
  ASSERT_FALSE(HasFailure());
  ASSERT_NO_FATAL_FAILURE(StartDaemon(nginx.DaemonFlags()));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"domains:set-global", "e2e.test"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"checks:set", app, "wait-to-retire", "2"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:scale", app, "web=2"}));
  const std::string host = app + ".e2e.test";
  ASSERT_TRUE(Serves(nginx, host, "hello v1\n"));

  CommandResult deploy = DeployWithCrashDuringChecks(app, [&] {
    EXPECT_OK(nginx.Kill());
    EXPECT_OK(nginx.StartAgain());
  });
  EXPECT_EQ(deploy.exit_code, 0) << deploy.Describe();
  // The deploy has cut over: through the retirement of the old containers (2 s) and after it,
  // only v2 answers, and nothing fails.
  testutil::KeepAliveLoop keepalive(nginx.address(), host, 10, {"hello v2\n"});
  testutil::TrafficOptions options;
  options.threads = 10;
  options.good_bodies = {"hello v2\n"};
  testutil::TrafficLoop traffic(nginx.address(), host, options);
  keepalive.Start();
  traffic.Start();
  const std::vector<std::string> wanted = {app + ".web.1", app + ".web.2"};
  EXPECT_TRUE(WaitFor([&] { return Names(app) == wanted; }, 10000))
      << fmt::format("{}", fmt::join(Names(app), " "));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  keepalive.Stop();
  traffic.Stop();
  std::cout << fmt::format("after the nginx restart: {} keep-alive and {} fresh requests\n",
                           keepalive.total(), traffic.total());
  EXPECT_GT(keepalive.reused(), 10);
  EXPECT_GT(traffic.total(), 10);
  EXPECT_EQ(keepalive.failed() + keepalive.bad_content(), 0) << keepalive.Problems();
  EXPECT_EQ(traffic.failed() + traffic.bad_content(), 0) << traffic.Problems();
  ASSERT_NO_FATAL_FAILURE(DestroyApp(app));
}

// Given web=2 behind nginx under keep-alive and per-connection clients, dokkud SIGKILLed while a
// deploy's checks run and started again: the deploy completes on the new daemon, no request
// fails or is answered by anything but v1 or v2, and only the new release's two containers are
// left.
TEST_F(E2EZeroDowntimeTest, DokkudKilledDuringACutoverLosesNoRequest) {
  PrivateNginx nginx;
  ASSERT_OK(nginx.Start());
  const std::string app = CreateApp("dkill");
  BuildImage(app, "v1", {{"CHECKS", kChecks}, {"index.html", "hello v1\n"}});
  BuildImage(app, "v2", {{"CHECKS", kChecks}, {"index.html", "hello v2\n"}});
  ASSERT_FALSE(HasFailure());
  ASSERT_NO_FATAL_FAILURE(StartDaemon(nginx.DaemonFlags()));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"domains:set-global", "e2e.test"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:scale", app, "web=2"}));
  const std::string host = app + ".e2e.test";
  ASSERT_TRUE(Serves(nginx, host, "hello v1\n"));

  testutil::KeepAliveLoop keepalive(nginx.address(), host, 10, {"hello v1\n", "hello v2\n"});
  testutil::TrafficOptions options;
  options.threads = 10;
  options.good_bodies = {"hello v1\n", "hello v2\n"};
  testutil::TrafficLoop traffic(nginx.address(), host, options);
  keepalive.Start();
  traffic.Start();
  CommandResult deploy = DeployWithCrashDuringChecks(app, [&] {
    daemon().Kill9();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    StartDaemon();
  });
  EXPECT_EQ(deploy.exit_code, 0) << deploy.Describe();
  EXPECT_TRUE(Serves(nginx, host, "hello v2\n"));
  const std::vector<std::string> wanted = {app + ".web.1", app + ".web.2"};
  EXPECT_TRUE(WaitFor([&] { return Names(app) == wanted; }, 15000))
      << fmt::format("{}", fmt::join(Names(app), " "));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  keepalive.Stop();
  traffic.Stop();
  std::cout << fmt::format(
      "across the dokkud restart: {} keep-alive requests (v2 {}), {} fresh (v2 {})\n",
      keepalive.total(), keepalive.count("hello v2\n"), traffic.total(),
      traffic.count("hello v2\n"));
  EXPECT_GT(keepalive.reused(), 10);
  EXPECT_GT(keepalive.count("hello v2\n"), 0);
  EXPECT_EQ(keepalive.failed() + keepalive.bad_content(), 0) << keepalive.Problems();
  EXPECT_EQ(traffic.failed() + traffic.bad_content(), 0) << traffic.Problems();
  for (const DockerContainer& c : AppContainers(app)) EXPECT_EQ(c.state, "running") << c.name;
  ASSERT_NO_FATAL_FAILURE(DestroyApp(app));
}

// Given a deploy that scheduled the old container's retirement, a dokkud killed with SIGKILL
// before retire_at and started again still retires it on time (not early, not never).
TEST_F(E2EZeroDowntimeTest, RetirementSurvivesSigkilledDaemon) {
  const std::string app = CreateApp("kill9");
  BuildImage(app, "v1", {{"index.html", "hello v1\n"}});
  BuildImage(app, "v2", {{"index.html", "hello v2\n"}});
  ASSERT_FALSE(HasFailure());
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"checks:set", app, "wait-to-retire", "4"}));
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}));
  const std::optional<DockerContainer> old_web = FindContainer(app, app + ".web.1");
  ASSERT_TRUE(old_web.has_value());

  CommandResult deploy;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v2"}, &deploy));
  const int64_t cutover = NowMs();  // retire_at is at most this + 4 s
  daemon().Kill9();
  EXPECT_TRUE(Contains(deploy.out, "-----> Shutting down old containers in 4 seconds"))
      << deploy.out;
  const std::optional<DockerContainer> new_web = FindContainer(app, app + ".web.1");
  ASSERT_TRUE(new_web.has_value());
  EXPECT_NE(new_web->id, old_web->id);

  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  auto old_exists = [&] {
    for (const DockerContainer& c : AppContainers(app)) {
      if (c.id == old_web->id) return true;
    }
    return false;
  };
  // Not early: still there well before retire_at.
  std::this_thread::sleep_for(std::chrono::milliseconds(cutover + 2000 - NowMs()));
  EXPECT_TRUE(old_exists()) << "retired before its time";
  // Not never: gone soon after retire_at.
  EXPECT_TRUE(
      WaitFor([&] { return !old_exists(); }, static_cast<int>(cutover + 4000 + 3000 - NowMs())))
      << "the retiring container outlived a dokkud restart";
  const std::vector<DockerContainer> left = AppContainers(app);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id, new_web->id);
  EXPECT_EQ(left[0].state, "running");
  ASSERT_NO_FATAL_FAILURE(DestroyApp(app));
}

}  // namespace
}  // namespace dokku::e2e

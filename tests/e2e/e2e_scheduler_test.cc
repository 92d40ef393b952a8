// End to end: `scheduler:set` moves a deployed app between docker-local and docker-swarm
// through the real CLI, daemon, dockerd (a one-node swarm made and left by the test) and nginx,
// with requests flowing through nginx the whole time.
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>

#include "tests/testing/e2e_fixture.h"
#include "tests/testing/keepalive_client.h"
#include "tests/testing/swarm_guard.h"
#include "tests/testing/traffic_loop.h"

namespace dokku::e2e {
namespace {

using testutil::CommandResult;
using testutil::RunCommand;

CommandResult Docker(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/docker"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

std::vector<std::string> Services(const std::string& store) {
  std::vector<std::string> out;
  std::string names = Docker({"service", "ls", "--format", "{{.Name}}", "--filter",
                              "label=com.dokkud.store=" + store})
                          .out;
  size_t start = 0;
  while (start < names.size()) {
    size_t nl = names.find('\n', start);
    if (nl == std::string::npos) nl = names.size();
    if (nl > start) out.push_back(names.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

class E2ESchedulerTest : public E2ETest {};

TEST_F(E2ESchedulerTest, SwitchesBetweenLocalAndSwarmWithoutDowntime) {
  testutil::SwarmGuard swarm;
  ASSERT_OK(swarm.Init());
  PrivateNginx nginx;
  ASSERT_OK(nginx.Start());
  StartDaemon(nginx.DaemonFlags());
  const std::string app = CreateApp("sched");
  // Swarm stops an old task itself once its replacement runs, and dokkud cannot drain it first as
  // it does on docker-local: like most servers (and what Swarm and Kubernetes expect), the app
  // keeps answering for a moment after SIGTERM, while dokkud takes the task out of nginx. busybox
  // httpd alone would die mid-request.
  constexpr char kProcfile[] =
      "web: httpd -f -p $PORT -h /app & pid=$!; trap 'sleep 2; kill $pid; exit 0' TERM; "
      "wait $pid\n";
  constexpr char kChecks[] = "WAIT=1\nATTEMPTS=3\n/ hello\n";
  BuildImage(app, "v1", {{"index.html", "hello\n"}, {"Procfile", kProcfile}, {"CHECKS", kChecks}});
  BuildImage(app, "v2",
             {{"index.html", "hello v2\n"}, {"Procfile", kProcfile}, {"CHECKS", kChecks}});
  BuildImage(app, "vbad",
             {{"index.html", "goodbye\n"}, {"Procfile", kProcfile}, {"CHECKS", kChecks}});
  ASSERT_FALSE(HasFailure());
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"domains:set-global", "dokku.test"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}));
  const std::string host = app + ".dokku.test";
  // nginx applies a reload asynchronously: until its old workers have stopped accepting, a new
  // connection may still reach one without the app's server block (the app's first deploy, when
  // there was nothing to serve before). Traffic starts once 50 answers in a row are right.
  int in_a_row = 0;
  ASSERT_TRUE(testutil::WaitFor(
      [&] {
        in_a_row = testutil::HttpGet(nginx.address(), "/", host) == "hello\n" ? in_a_row + 1 : 0;
        return in_a_row >= 50;
      },
      20000, 10));
  const std::string local_id = LiveContainers(app).at(0).id;

  testutil::TrafficOptions options;
  options.pause_ms = 0;
  options.max_ms = 600000;
  options.good_bodies = {"hello\n", "hello v2\n"};
  testutil::TrafficLoop traffic(nginx.address(), host, options);
  traffic.Start();
  // Keep-alive clients (one persistent connection each, no retries) beside the fresh connections.
  testutil::KeepAliveLoop keepalive(nginx.address(), host, 10, {"hello\n", "hello v2\n"});
  keepalive.Start();
  CommandResult to_swarm;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"scheduler:set", app, "selected", "docker-swarm"}, &to_swarm));
  EXPECT_TRUE(Contains(to_swarm.out, "docker-swarm")) << to_swarm.out;
  EXPECT_EQ(Services(StoreId()), std::vector<std::string>{app + "-web"});
  // The local container is gone; the web task serves through nginx.
  EXPECT_FALSE(FindContainer(app, app + ".web.1").has_value() &&
               FindContainer(app, app + ".web.1")->id == local_id);
  CommandResult report = Dokku({"scheduler:report", app, "--scheduler-computed-selected"});
  EXPECT_EQ(report.out, "docker-swarm\n");
  EXPECT_EQ(testutil::HttpGet(nginx.address(), "/", host), "hello\n");

  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:scale", app, "web=2"}));
  CommandResult ps = Dokku({"ps", app});
  EXPECT_TRUE(Contains(ps.out, app + ".web.2")) << ps.out;

  // On Swarm: 10 deploys, 5 restarts, a scale 2 -> 6 -> 2 and a release failing its checks
  // (Swarm rolls it back), under both kinds of clients.
  const int64_t swarm_t0 = NowMs();
  const std::vector<std::vector<std::string>> steps = DeployRestartScaleSteps(app, "v1", "v2");
  for (size_t i = 0; i < steps.size(); ++i) {
    std::cout << fmt::format("at {} step {}\n", NowMs(), fmt::join(steps[i], " "));
    ASSERT_NO_FATAL_FAILURE(DokkuOk(steps[i]));
    if (i == 2) {
      CommandResult bad = Dokku({"tags:deploy", app, "vbad"});
      EXPECT_EQ(bad.exit_code, 1) << bad.Describe();
    }
  }
  std::cout << fmt::format("MEASURE swarm_steps={} swarm_steps_ms={}\n", steps.size() + 1,
                           NowMs() - swarm_t0);
  EXPECT_EQ(testutil::HttpGet(nginx.address(), "/", host), "hello v2\n");

  ASSERT_NO_FATAL_FAILURE(DokkuOk({"scheduler:set", app, "selected", "docker-local"}));
  traffic.Stop();
  keepalive.Stop();
  std::cout << fmt::format("traffic: {} requests; keep-alive: {} ({} on reused connections)\n",
                           traffic.total(), keepalive.total(), keepalive.reused());
  EXPECT_GT(keepalive.reused(), 100);
  EXPECT_EQ(keepalive.failed() + keepalive.bad_content(), 0) << keepalive.Problems();
  EXPECT_EQ(keepalive.count("goodbye\n") + traffic.count("goodbye\n"), 0);
  EXPECT_GT(traffic.total(), 20);
  EXPECT_EQ(traffic.failed() + traffic.bad_content(), 0)
      << "of " << traffic.total() << " requests:\n"
      << traffic.Problems();
  // The services drain for wait-to-retire (1 s here), then go.
  EXPECT_TRUE(testutil::WaitFor([&] { return Services(StoreId()).empty(); }, 15000, 200));
  EXPECT_EQ(LiveContainers(app).size(), 2u);
  EXPECT_EQ(testutil::HttpGet(nginx.address(), "/", host), "hello v2\n");
  DestroyApp(app);
}

}  // namespace
}  // namespace dokku::e2e

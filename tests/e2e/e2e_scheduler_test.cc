// End to end: `scheduler:set` moves a deployed app between docker-local and docker-swarm
// through the real CLI, daemon, dockerd (a one-node swarm made and left by the test) and nginx,
// with requests flowing through nginx the whole time.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "tests/testing/e2e_fixture.h"
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
  BuildImage(app, "v1",
             {{"index.html", "hello\n"}, {"Procfile", "web: httpd -f -p $PORT -h /app\n"}});
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"domains:set-global", "dokku.test"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}));
  const std::string host = app + ".dokku.test";
  // nginx applies a reload asynchronously (new workers), so give it a moment.
  ASSERT_TRUE(testutil::WaitFor(
      [&] { return testutil::HttpGet(nginx.address(), "/", host) == "hello\n"; }, 10000, 100));
  const std::string local_id = LiveContainers(app).at(0).id;

  testutil::TrafficOptions options;
  options.pause_ms = 0;
  options.good_bodies = {"hello\n"};
  testutil::TrafficLoop traffic(nginx.address(), host, options);
  traffic.Start();
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

  ASSERT_NO_FATAL_FAILURE(DokkuOk({"scheduler:set", app, "selected", "docker-local"}));
  traffic.Stop();
  EXPECT_GT(traffic.total(), 20);
  EXPECT_EQ(traffic.failed() + traffic.bad_content(), 0)
      << "of " << traffic.total() << " requests:\n"
      << traffic.Problems();
  // The services drain for wait-to-retire (1 s here), then go.
  EXPECT_TRUE(testutil::WaitFor([&] { return Services(StoreId()).empty(); }, 15000, 200));
  EXPECT_EQ(LiveContainers(app).size(), 2u);
  EXPECT_EQ(testutil::HttpGet(nginx.address(), "/", host), "hello\n");
  DestroyApp(app);
}

}  // namespace
}  // namespace dokku::e2e

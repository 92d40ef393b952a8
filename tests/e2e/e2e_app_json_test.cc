// End to end, issue "app.json": an image whose app.json has a startup content check on web, a
// listening check on a worker, a liveness command check that fails once a file appears, a
// max_parallel of 2 and a predeploy that writes a marker. Real dokku, dokkud, dockerd, nginx.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "tests/testing/e2e_fixture.h"
#include "tests/testing/keepalive_client.h"
#include "tests/testing/traffic_loop.h"

namespace dokku::e2e {
namespace {

using testutil::CommandResult;
using testutil::WaitFor;

constexpr char kAppJson[] = R"({
  // comments and trailing commas, as Dokku's hujson reads them
  "healthchecks": {
    "web": [
      {"type": "startup", "name": "home", "path": "/", "content": "release", "attempts": 10,
       "wait": 1},
      {"type": "liveness", "name": "alive", "command": ["/bin/sh", "-c", "test ! -e /tmp/sick"],
       "attempts": 2, "wait": 1},
    ],
    "worker": [{"type": "startup", "name": "port", "listening": true, "port": 7000,
                "attempts": 10, "wait": 1}],
  },
  "formation": {"web": {"max_parallel": 2}},
  "scripts": {"dokku": {"predeploy": "echo migrated-$MARK >> /data/marker"}},
})";

std::map<std::string, std::string> Files(const std::string& tag, const std::string& app_json) {
  return {{"Procfile", "web: httpd -f -p $PORT -h /app\nworker: httpd -f -p 7000 -h /app\n"},
          {"index.html", fmt::format("release {}\n", tag)},
          {"app.json", app_json}};
}

class E2EAppJsonTest : public E2ETest {
 protected:
  bool Serves(const PrivateNginx& nginx, const std::string& host, const std::string& body) {
    return WaitFor([&] { return testutil::HttpGet(nginx.address(), "/", host) == body; }, 15000);
  }
  // Running web containers of the app right now, whatever their names.
  static int RunningWeb(const std::string& app) {
    CommandResult r =
        testutil::RunDocker({"ps", "-q", "--filter", "label=com.dokku.app-name=" + app, "--filter",
                             "label=com.dokku.process-type=web"});
    int n = 0;
    for (char c : r.out) n += c == '\n';
    return n;
  }
};

TEST_F(E2EAppJsonTest, ChecksLivenessBatchesAndPredeployFromTheImagesAppJson) {
  PrivateNginx nginx;
  ASSERT_OK(nginx.Start());
  const std::string app = CreateApp("aj");
  BuildImage(app, "v1", Files("v1", kAppJson));
  BuildImage(app, "v2", Files("v2", kAppJson));
  BuildImage(app, "v3",
             Files("v3", R"({"scripts": {"dokku": {"predeploy": "echo no-db; exit 7"}}})"));
  ASSERT_FALSE(HasFailure());
  testutil::TempDir data;
  ASSERT_NO_FATAL_FAILURE(StartDaemon(nginx.DaemonFlags()));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"domains:set-global", "e2e.test"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"checks:set", app, "wait-to-retire", "2"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"storage:mount", app, data.path() + ":/data"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"config:set", "--no-restart", app, "MARK=one"}));
  const std::string host = app + ".e2e.test";

  // The predeploy runs once, before any container, with the app's env and mounts.
  CommandResult deploy;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}, &deploy));
  EXPECT_TRUE(Contains(deploy.out, "Executing predeploy task from app.json: echo migrated-$MARK"))
      << deploy.out;
  EXPECT_TRUE(Contains(deploy.out, "Healthcheck succeeded name='home' (web.1)")) << deploy.out;
  EXPECT_EQ(testutil::ReadFileOr(data.path() + "/marker"), "migrated-one\n");
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:scale", app, "web=6", "worker=1"}, &deploy));
  EXPECT_TRUE(Contains(deploy.out, "Healthcheck succeeded name='port' (worker.1)")) << deploy.out;
  ASSERT_TRUE(Serves(nginx, host, "release v1\n"));

  // Under fresh and keep-alive load: v2 and a restart, two at a time, never above 6 + 2.
  testutil::TrafficOptions options;
  options.threads = 8;
  options.good_bodies = {"release v1\n", "release v2\n"};
  testutil::TrafficLoop traffic(nginx.address(), host, options);
  testutil::KeepAliveLoop keepalive(nginx.address(), host, 8, options.good_bodies);
  std::atomic<bool> watching{true};
  std::atomic<int> peak{0};
  std::jthread watcher([&] {
    while (watching) {
      peak = std::max(peak.load(), RunningWeb(app));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  traffic.Start();
  keepalive.Start();
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v2"}, &deploy));
  EXPECT_TRUE(Serves(nginx, host, "release v2\n"));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:restart", app, "web"}));
  traffic.Stop();
  keepalive.Stop();
  watching = false;
  watcher.join();
  std::cout << fmt::format(
      "MEASURE app_json_rollout traffic={} keepalive={} failed={}+{} peak={}\n", traffic.total(),
      keepalive.total(), traffic.failed(), keepalive.failed(), peak.load());
  EXPECT_EQ(traffic.failed(), 0) << traffic.Problems();
  EXPECT_EQ(traffic.bad_content(), 0) << traffic.Problems();
  EXPECT_EQ(keepalive.failed(), 0) << keepalive.Problems();
  EXPECT_GT(traffic.total(), 50);
  EXPECT_LE(peak.load(), 8);
  EXPECT_GE(peak.load(), 6);
  EXPECT_EQ(testutil::ReadFileOr(data.path() + "/marker"), "migrated-one\nmigrated-one\n");

  // Liveness: a sick web.3 is replaced within attempts x wait + 2 s.
  std::optional<DockerContainer> sick = FindContainer(app, app + ".web.3");
  ASSERT_TRUE(sick.has_value());
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(testutil::RunDocker({"exec", sick->id, "touch", "/tmp/sick"}).exit_code, 0);
  ASSERT_TRUE(WaitFor(
      [&] {
        std::optional<DockerContainer> now = FindContainer(app, app + ".web.3");
        return now && now->id != sick->id && now->state == "running";
      },
      20000, 100));
  const int64_t replaced_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  std::cout << fmt::format("MEASURE liveness_replaced_ms={}\n", replaced_ms);
  EXPECT_LE(replaced_ms, 2 * 1000 + 2000);
  EXPECT_TRUE(Contains(daemon().Log(), "Liveness checks failed 2 times; replacing web.3"));

  // A failing predeploy fails the release and leaves v2 serving.
  CommandResult failed = Dokku({"tags:deploy", app, "v3"});
  EXPECT_NE(failed.exit_code, 0);
  EXPECT_TRUE(Contains(failed.out + failed.err, "Execution of predeploy task failed"))
      << failed.Describe();
  EXPECT_TRUE(Contains(failed.out, "no-db")) << failed.out;
  EXPECT_EQ(testutil::HttpGet(nginx.address(), "/", host), "release v2\n");
  CommandResult releases = Dokku({"releases", app});
  EXPECT_TRUE(Contains(releases.out, "predeploy failed")) << releases.out;
  EXPECT_TRUE(Contains(releases.out, "predeploy ok")) << releases.out;
  ASSERT_NO_FATAL_FAILURE(DestroyApp(app));
}

}  // namespace
}  // namespace dokku::e2e

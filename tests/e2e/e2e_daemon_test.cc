// End to end, issue "daemon": the real dokku CLI and a real dokkud process against the real
// dockerd. Deploys from an image CMD, scaling, stop/start/restart, self-healing, containers that
// are not ours, crash-loop backoff, working without a daemon, --detach, --once and SIGTERM.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "tests/testing/e2e_fixture.h"

namespace dokku::e2e {
namespace {

using testutil::CommandResult;
using testutil::RunDocker;
using testutil::WaitFor;

constexpr char kIndex[] = "served by the image CMD\n";
constexpr char kWebAndCrashingWorker[] =
    "web: httpd -f -p $PORT -h /app\n"
    "worker: exit 1\n";

class E2EDaemonTest : public E2ETest {
 protected:
  // A label of an inspected container, or "<unset>".
  static std::string Label(const nlohmann::json& info, const std::string& key) {
    const nlohmann::json& labels = info["Config"]["Labels"];
    return labels.is_object() && labels.contains(key) ? labels[key].get<std::string>() : "<unset>";
  }
  static std::set<std::string> Env(const nlohmann::json& info) {
    std::set<std::string> env;
    for (const nlohmann::json& e : info["Config"]["Env"]) env.insert(e.get<std::string>());
    return env;
  }
  // Seconds since the epoch with a fraction, as `docker events --since/--until` take them.
  static std::string EpochNow() {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    return fmt::format("{}.{:06d}", us / 1000000, us % 1000000);
  }
  // How many times Docker started `id` between two EpochNow() stamps.
  static int StartEvents(const std::string& id, const std::string& since,
                         const std::string& until) {
    CommandResult r =
        RunDocker({"events", "--since", since, "--until", until, "--filter", "container=" + id,
                   "--filter", "event=start", "--format", "{{.ID}}"},
                  30);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    int n = 0;
    for (char c : r.out) n += c == '\n';
    return n;
  }
  // Fails if any container with this store's label for `app` is seen running during `ms`.
  void ExpectStaysStopped(const std::string& app, int ms) {
    const std::string store = StoreId();
    const int64_t until = NowMs() + ms;
    while (NowMs() < until) {
      CommandResult r = RunDocker({"ps", "--filter", "label=com.dokku.app-name=" + app, "--filter",
                                   "label=com.dokkud.store=" + store, "--format", "{{.Names}}"});
      ASSERT_EQ(r.out, "") << "started again despite ps:stop";
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  std::string ReportValue(const std::string& app, const std::string& flag) {
    CommandResult r = Dokku({"ps:report", app, flag});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return r.out.substr(0, r.out.find('\n'));
  }
};

// Given an image with no Procfile, tags:deploy runs its CMD as web.1 with Dokku's labels,
// environment, restart policy and init; a missing tag changes nothing; scaling touches only the
// indices that change; restart-policy and ps:restart make new containers; stop keeps them.
TEST_F(E2EDaemonTest, ImageCmdDeployScaleRestartStopStart) {
  const std::string app = CreateApp("cmd");
  BuildImage(app, "v1", {{"index.html", kIndex}});
  ASSERT_FALSE(HasFailure());
  ASSERT_NO_FATAL_FAILURE(StartDaemon());

  CommandResult deploy;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}, &deploy));
  EXPECT_TRUE(Contains(deploy.out, fmt::format("-----> Releasing {0} (dokku/{0}:v1)...", app)))
      << deploy.out;
  EXPECT_TRUE(Contains(deploy.out, "       Default container check successful (web.1)"));
  EXPECT_TRUE(Contains(deploy.out, "=====> Application deployed:"));

  std::vector<DockerContainer> live = LiveContainers(app);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].name, app + ".web.1");
  EXPECT_EQ(live[0].state, "running");
  const std::string web1 = live[0].id;
  const nlohmann::json info = InspectContainer(web1);
  ASSERT_FALSE(info.is_null());
  EXPECT_EQ(Label(info, "com.dokku.app-name"), app);
  EXPECT_EQ(Label(info, "com.dokku.process-type"), "web");
  EXPECT_EQ(Label(info, "com.dokku.dyno"), "web.1");
  EXPECT_EQ(Label(info, "com.dokku.container-type"), "deploy");
  EXPECT_EQ(Label(info, "com.dokkud.store"), StoreId());
  const std::set<std::string> env = Env(info);
  EXPECT_TRUE(env.count("DYNO=web.1")) << info["Config"]["Env"].dump();
  EXPECT_TRUE(env.count("PORT=5000")) << info["Config"]["Env"].dump();
  EXPECT_EQ(info["HostConfig"]["RestartPolicy"]["Name"], "on-failure");
  EXPECT_EQ(info["HostConfig"]["RestartPolicy"]["MaximumRetryCount"], 10);
  EXPECT_EQ(info["HostConfig"]["Init"], true);
  EXPECT_EQ(info["Config"]["Cmd"], nlohmann::json(testutil::TestImage::DefaultCmd()));

  const std::string address = PublishedAddress(web1);
  ASSERT_FALSE(address.empty());
  EXPECT_TRUE(Contains(deploy.out, "       http://" + address + "\n")) << deploy.out;
  int status = 0;
  EXPECT_EQ(testutil::HttpGet(address, "/", "", &status), kIndex);
  EXPECT_EQ(status, 200);
  EXPECT_TRUE(StoreAgreesWithDocker(app, 2000));
  EXPECT_EQ(ReportValue(app, "--status-web.1"), "running (CID: " + web1.substr(0, 11) + ")");

  // A tag that does not exist: the release fails and web.1 keeps running untouched.
  CommandResult missing = Dokku({"tags:deploy", app, "nope"});
  EXPECT_EQ(missing.exit_code, 1) << missing.Describe();
  EXPECT_TRUE(Contains(missing.err, fmt::format("App image (dokku/{}:nope) not found", app)))
      << missing.Describe();
  live = LiveContainers(app);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].id, web1);
  EXPECT_EQ(live[0].state, "running");

  // Scale up 1 -> 3 adds web.2 and web.3 and leaves web.1 alone.
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:scale", app, "web=3"}));
  live = LiveContainers(app);
  ASSERT_EQ(live.size(), 3u);
  EXPECT_EQ(live[0].id, web1);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(live[i].name, fmt::format("{}.web.{}", app, i + 1));
    EXPECT_EQ(live[i].state, "running");
  }
  EXPECT_TRUE(StoreAgreesWithDocker(app, 2000));
  EXPECT_EQ(ReportValue(app, "--processes"), "3");

  // Scale down 3 -> 1 removes web.3 and web.2 (not merely stops them).
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:scale", app, "web=1"}));
  std::vector<DockerContainer> all = AppContainers(app);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, web1);
  EXPECT_EQ(all[0].state, "running");

  // A new restart policy takes effect with ps:restart: a new container has it.
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:set", app, "restart-policy", "always"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:restart", app}));
  std::optional<DockerContainer> restarted = FindContainer(app, app + ".web.1");
  ASSERT_TRUE(restarted.has_value());
  EXPECT_NE(restarted->id, web1);
  EXPECT_EQ(restarted->state, "running");
  EXPECT_EQ(InspectContainer(restarted->id)["HostConfig"]["RestartPolicy"]["Name"], "always");
  // The old one retires after wait-to-retire (1 s here).
  EXPECT_TRUE(WaitFor([&] { return AppContainers(app).size() == 1; }, 8000))
      << AppContainers(app).size() << " containers";

  // ps:stop stops (does not remove); ps:report says so.
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:stop", app}));
  all = AppContainers(app);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, restarted->id);
  EXPECT_EQ(all[0].state, "exited");
  EXPECT_TRUE(StoreAgreesWithDocker(app, 2000));
  EXPECT_EQ(ReportValue(app, "--running"), "false");
  EXPECT_EQ(ReportValue(app, "--restore"), "false");

  // ps:start runs the same container again, and returns once it runs; quick stop/start cycles
  // are no crash loop and must not be slowed down.
  for (int cycle = 1; cycle <= 3; ++cycle) {
    if (cycle > 1) {
      ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:stop", app}));
    }
    CommandResult start;
    ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:start", app}, &start));
    std::optional<DockerContainer> web = FindContainer(app, app + ".web.1");
    ASSERT_TRUE(web.has_value());
    EXPECT_EQ(web->id, restarted->id);
    EXPECT_EQ(web->state, "running") << "ps:start (cycle " << cycle << ") returned first\n"
                                     << start.Describe();
    EXPECT_FALSE(WaitForRunning(app, app + ".web.1", 3000).empty());
  }
  EXPECT_TRUE(StoreAgreesWithDocker(app, 2000));
  EXPECT_EQ(ReportValue(app, "--running"), "true");
  EXPECT_EQ(ReportValue(app, "--restore"), "true");

  // ps:restart replaces it with a new one.
  const std::string before_restart = FindContainer(app, app + ".web.1")->id;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:restart", app}));
  std::optional<DockerContainer> after_restart = FindContainer(app, app + ".web.1");
  ASSERT_TRUE(after_restart.has_value());
  EXPECT_NE(after_restart->id, before_restart);
  EXPECT_EQ(after_restart->state, "running");

  ASSERT_NO_FATAL_FAILURE(DestroyApp(app));
}

// Given a deployed app, containers removed, stopped or killed behind dokkud's back come back
// within 2 s; a look-alike at an extra index is removed; a container of the same app without
// our store label is never touched; a crash-looping worker backs off; ps:stop is not fought.
TEST_F(E2EDaemonTest, HealsBacksOffAndLeavesForeignContainersAlone) {
  const std::string app = CreateApp("heal");
  const std::string image =
      BuildImage(app, "v1", {{"Procfile", kWebAndCrashingWorker}, {"index.html", kIndex}});
  ASSERT_FALSE(HasFailure());
  // Docker restarts nothing by itself here: every recovery below is dokkud's. Checks are skipped
  // so a recreated container is live as soon as it started.
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:set", app, "restart-policy", "no"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"checks:skip", app}));
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:scale", app, "web=2"}));
  const std::string web1 = WaitForRunning(app, app + ".web.1", 1000);
  const std::string web2 = WaitForRunning(app, app + ".web.2", 1000);
  ASSERT_FALSE(web1.empty());
  ASSERT_FALSE(web2.empty());

  // docker rm -f: a new web.1.
  ASSERT_EQ(RunDocker({"rm", "-f", web1}).exit_code, 0);
  std::string healed = WaitForRunning(app, app + ".web.1", 2000);
  EXPECT_FALSE(healed.empty()) << "web.1 not back within 2 s of docker rm -f";
  EXPECT_NE(healed, web1);

  // docker stop: web.2 runs again.
  ASSERT_EQ(RunDocker({"stop", web2}).exit_code, 0);
  EXPECT_FALSE(WaitForRunning(app, app + ".web.2", 2000).empty())
      << "web.2 not back within 2 s of docker stop";

  // docker kill: web.1 runs again.
  ASSERT_FALSE(healed.empty());
  ASSERT_EQ(RunDocker({"kill", healed}).exit_code, 0);
  EXPECT_FALSE(WaitForRunning(app, app + ".web.1", 2000).empty())
      << "web.1 not back within 2 s of docker kill";
  EXPECT_TRUE(StoreAgreesWithDocker(app, 2000));

  // A container with our labels at an index nobody asked for is removed.
  const std::string extra = app + ".web.9";
  CommandResult run =
      RunDocker({"run", "-d", "--init", "--name", extra, "--label", "com.dokku.app-name=" + app,
                 "--label", "com.dokku.dyno=web.9", "--label", "com.dokku.process-type=web",
                 "--label", "com.dokkud.store=" + StoreId(), image, "sleep", "1000"});
  // dokkud may act on the create event before `docker run` gets to start the container.
  EXPECT_TRUE(run.exit_code == 0 || Contains(run.err, "marked for removal") ||
              Contains(run.err, "No such container"))
      << run.Describe();
  EXPECT_TRUE(WaitFor([&] { return !FindContainer(app, extra).has_value(); }, 5000))
      << extra << " was not removed";

  // Same app label and a dyno label, but another store (none): never touched.
  const std::string foreign_name = app + ".web.5";
  run = RunDocker({"run", "-d", "--init", "--name", foreign_name, "--label",
                   "com.dokku.app-name=" + app, "--label", "com.dokku.dyno=web.5", "--label",
                   "com.dokku.process-type=web", image, "sleep", "1000"});
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  const std::string foreign = run.out.substr(0, run.out.find('\n'));
  const std::string foreign_started = InspectContainer(foreign)["State"]["StartedAt"];

  // A worker that exits at once is started again less and less often.
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:scale", app, "worker=1"}));
  std::optional<DockerContainer> worker = FindContainer(app, app + ".worker.1");
  ASSERT_TRUE(worker.has_value());
  const std::string since = EpochNow();
  std::this_thread::sleep_for(std::chrono::seconds(8));
  const std::string until = EpochNow();
  const int starts = StartEvents(worker->id, since, until);
  EXPECT_GE(starts, 2) << "the crashing worker should still be restarted";
  EXPECT_LE(starts, 6) << "no backoff: " << starts << " starts in 8 s";

  // ps:stop wins over self-healing, even for the crash-looping worker.
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:stop", app}));
  ASSERT_NO_FATAL_FAILURE(ExpectStaysStopped(app, 3000));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:start", app}));
  EXPECT_FALSE(WaitForRunning(app, app + ".web.1", 3000).empty());
  EXPECT_FALSE(WaitForRunning(app, app + ".web.2", 3000).empty());

  // apps:destroy removes every container of ours and still not the foreign one.
  CommandResult destroy = Dokku({"apps:destroy", app, "--force"});
  ASSERT_EQ(destroy.exit_code, 0) << destroy.Describe();
  std::vector<DockerContainer> left = AppContainers(app);
  ASSERT_EQ(left.size(), 1u) << left.size() << " containers left";
  EXPECT_EQ(left[0].id, foreign);
  EXPECT_EQ(left[0].state, "running");
  EXPECT_EQ(InspectContainer(foreign)["State"]["StartedAt"], foreign_started);
  ASSERT_EQ(RunDocker({"rm", "-f", foreign}).exit_code, 0);
  EXPECT_TRUE(AppContainers(app).empty());
}

// Without a daemon a changing command fails fast and keeps the change; `dokkud --once` applies
// it and exits; --detach returns at once; SIGTERM stops dokkud and leaves containers running; a
// restarted dokkud adopts them without churn.
TEST_F(E2EDaemonTest, WithoutDaemonOnceDetachAndSigterm) {
  const std::string app = CreateApp("life");
  BuildImage(app, "v1", {{"index.html", kIndex}});
  ASSERT_FALSE(HasFailure());

  const int64_t t0 = NowMs();
  CommandResult offline = Dokku({"tags:deploy", app, "v1"}, 20);
  const int64_t offline_ms = NowMs() - t0;
  EXPECT_NE(offline.exit_code, 0) << offline.Describe();
  EXPECT_LT(offline_ms, 3000) << offline.Describe();
  EXPECT_TRUE(Contains(offline.err, "dokkud is not running")) << offline.Describe();
  EXPECT_TRUE(AppContainers(app).empty());

  const std::string docker_host = std::string("unix://") + testutil::kDockerSocket;
  CommandResult once = testutil::RunCommand({DOKKUD_BIN, "--state-dir", state_dir(), "--proxy",
                                             "none", "--docker-host", docker_host, "--once"},
                                            {{"DOKKU_LIB_ROOT", state_dir()}}, "", 90);
  ASSERT_EQ(once.exit_code, 0) << once.Describe();
  std::optional<DockerContainer> web1 = FindContainer(app, app + ".web.1");
  ASSERT_TRUE(web1.has_value()) << "dokkud --once did not apply the saved deploy\n"
                                << once.Describe();
  EXPECT_EQ(web1->state, "running");
  int status = 0;
  EXPECT_EQ(testutil::HttpGet(PublishedAddress(web1->id), "/", "", &status), kIndex);
  EXPECT_EQ(status, 200);
  CommandResult releases = Dokku({"releases", app});
  EXPECT_TRUE(Contains(releases.out, "live (current)")) << releases.Describe();

  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  const int64_t t1 = NowMs();
  CommandResult detached = Dokku({"--detach", "ps:scale", app, "web=2"});
  const int64_t detached_ms = NowMs() - t1;
  ASSERT_EQ(detached.exit_code, 0) << detached.Describe();
  EXPECT_LT(detached_ms, 1000);
  EXPECT_FALSE(Contains(detached.out, "Deploying")) << detached.out;
  EXPECT_FALSE(WaitForRunning(app, app + ".web.2", 15000).empty());
  EXPECT_TRUE(StoreAgreesWithDocker(app, 2000));

  const std::map<std::string, std::string> before = DockerLiveView(app);
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(daemon().Stop(), 0) << "dokkud should exit 0 on SIGTERM";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(DockerLiveView(app), before) << "containers must outlive dokkud";

  // A new dokkud adopts what runs: nothing is recreated.
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(DockerLiveView(app), before);
  EXPECT_TRUE(StoreAgreesWithDocker(app, 2000));

  ASSERT_NO_FATAL_FAILURE(DestroyApp(app));
}

}  // namespace
}  // namespace dokku::e2e

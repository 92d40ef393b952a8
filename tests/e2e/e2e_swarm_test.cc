// SwarmScheduler + SwarmClient against the real dockerd turned into a one-node swarm by the test
// itself (`docker swarm init --advertise-addr 127.0.0.1`, left with `docker swarm leave --force`
// when it was not a swarm before). Services are labelled with a store id of this process and
// removed, also after a failure. A docker-local container of the same app runs beside them and
// must come out untouched.
#include <fcntl.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "controller/http/http_transport.h"
#include "controller/scheduler/swarm/swarm_scheduler.h"
#include "tests/testing/swarm_guard.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

using ::testing::HasSubstr;
using testutil::CommandResult;
using testutil::DockerCleanup;
using testutil::RunDocker;
using testutil::SwarmGuard;
using testutil::TestImage;

class E2ESwarmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testutil::DockerAvailable()) << "dockerd must answer on /var/run/docker.sock";
    cleanup_.AddApp(app_);
    StatusOr<std::string> image =
        TestImage::Build(fmt::format("dokku/{}:v1", app_), {{"index.html", "hello swarm\n"}});
    ASSERT_OK(image);
    image_id_ = *image;
    ASSERT_OK(swarm_.Init());
  }

  SwarmDesired Desired(int web) {
    SwarmDesired d;
    d.app = app_;
    d.store_id = store_;
    d.release_id = 1;
    d.image_id = image_id_;
    d.procs = {{"web", web, "httpd -f -p $PORT -h /app", "spec-1", 0, false, false, 1}};
    d.restart_policy = "on-failure:10";
    d.stop_timeout_s = 5;
    d.default_wait_s = 2;
    d.checks = ChecksFile{};
    d.checks->wait = 1;
    d.checks->timeout = 5;
    d.checks->attempts = 5;
    d.checks->checks = {{"http", "", "/index.html", "hello swarm"}};
    d.generation = 1;
    return d;
  }

  Status Apply(const SwarmDesired& d) {
    lines_.clear();
    return scheduler_.Apply(d, &sleeper_, emit_, &observed_);
  }

  std::string Transcript() const {
    std::string out;
    for (const std::string& l : lines_) out += l + "\n";
    return out;
  }

  std::vector<std::string> Ids() const {
    std::vector<std::string> ids;
    for (const ObservedContainer& c : observed_.containers) ids.push_back(c.id);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  // Every web upstream serves the app.
  void ExpectServing() {
    ASSERT_FALSE(observed_.web_upstreams.empty());
    for (const Upstream& u : observed_.web_upstreams) {
      int status = 0;
      const std::string body =
          testutil::HttpGet(fmt::format("{}:{}", u.ip, u.port), "/index.html", "", &status);
      EXPECT_EQ(status, 200) << u.ip << ":" << u.port;
      EXPECT_EQ(body, "hello swarm\n");
    }
  }

  const std::string app_ = testutil::UniqueName("swarm");
  const std::string store_ = fmt::format("dokkutest-store-{}", getpid());
  std::string image_id_;
  DockerCleanup cleanup_;  // declared before swarm_: runs after the services are gone
  SwarmGuard swarm_{store_};
  CurlUnixTransport transport_{testutil::kDockerSocket};
  SwarmClient client_{&transport_};
  SwarmScheduler scheduler_{&client_, RealClock::Get(), SwarmSchedulerOptions{500, 0}};
  RealSleeper sleeper_;
  std::vector<std::string> lines_;
  Emit emit_ = [this](const std::string& level, const std::string& text) {
    lines_.push_back(level + ": " + text);
  };
  SwarmObserved observed_;
};

// Host-mode publishing: this kernel has no IPVS, so the routing mesh cannot forward here (see
// RoutingMeshPortIsReadBack), while per-task ports work everywhere.
TEST_F(E2ESwarmTest, DeployScaleRestartRollbackRemoveBesideALocalContainer) {
  // A docker-local container of the same app and store, as docker-local runs them.
  CommandResult local =
      RunDocker({"run", "-d", "--name", app_ + ".web.1", "--label", "com.dokku.app-name=" + app_,
                 "--label", "com.dokkud.store=" + store_, "--label", "com.dokku.dyno=web.1", "-e",
                 "PORT=5000", image_id_});
  ASSERT_EQ(local.exit_code, 0) << local.Describe();
  const std::string local_id = testutil::TrimTrailing(local.out);
  const std::string local_started =
      RunDocker({"inspect", "-f", "{{.State.StartedAt}}", local_id}).out;

  SwarmDesired d = Desired(2);
  ASSERT_OK(Apply(d));
  ASSERT_EQ(observed_.failure, "") << Transcript();
  EXPECT_TRUE(observed_.converged);
  EXPECT_THAT(Transcript(), HasSubstr("info1: Deploying web (count=2)"));
  ASSERT_EQ(observed_.containers.size(), 2u);
  EXPECT_EQ(observed_.containers[0].name, app_ + ".web.1");
  EXPECT_EQ(observed_.containers[1].name, app_ + ".web.2");
  for (const ObservedContainer& c : observed_.containers) EXPECT_EQ(c.state, "running");
  ASSERT_EQ(observed_.web_upstreams.size(), 2u);
  ExpectServing();
  // The CHECKS-derived healthcheck is what gated the tasks.
  EXPECT_THAT(
      RunDocker({"service", "inspect", "-f",
                 "{{json .Spec.TaskTemplate.ContainerSpec.Healthcheck.Test}}", app_ + "-web"})
          .out,
      HasSubstr("grep -qF -e 'hello swarm'"));
  // What docker-local lists for this store is its own container only.
  EXPECT_EQ(testutil::NonEmptyLines(RunDocker({"ps", "-aq", "--no-trunc", "--filter",
                                               "label=com.dokkud.store=" + store_})
                                        .out),
            std::vector<std::string>{local_id});

  // ps:scale web=3 keeps the running tasks.
  const std::vector<std::string> two = Ids();
  d.procs[0].quantity = 3;
  ASSERT_OK(Apply(d));
  ASSERT_EQ(observed_.failure, "") << Transcript();
  ASSERT_EQ(observed_.containers.size(), 3u);
  const std::vector<std::string> three = Ids();
  for (const std::string& id : two) {
    EXPECT_TRUE(std::count(three.begin(), three.end(), id)) << id;
  }
  ExpectServing();

  // Nothing changed: nothing is done or said.
  ASSERT_OK(Apply(d));
  EXPECT_TRUE(lines_.empty()) << Transcript();
  EXPECT_TRUE(observed_.converged);

  // ps:restart: a forced update replaces every task, one at a time, start-first.
  d.procs[0].restart_generation = 1;
  ASSERT_OK(Apply(d));
  ASSERT_EQ(observed_.failure, "") << Transcript();
  ASSERT_EQ(observed_.containers.size(), 3u);
  const std::vector<std::string> restarted = Ids();
  for (const std::string& id : three) {
    EXPECT_FALSE(std::count(restarted.begin(), restarted.end(), id)) << id;
  }
  ExpectServing();

  // A task killed by hand is replaced by Swarm, and the report counts it.
  const std::string victim = observed_.containers[0].id;
  ASSERT_EQ(RunDocker({"kill", victim}).exit_code, 0);
  EXPECT_TRUE(testutil::WaitFor(
      [&] {
        SwarmObserved now;
        if (!scheduler_.Observe(app_, store_, &now).ok() || !now.converged) return false;
        observed_ = now;
        return observed_.containers.size() == 3 && observed_.containers[0].id != victim;
      },
      60000, 500));
  EXPECT_EQ(observed_.containers[0].name, app_ + ".web.1");
  EXPECT_EQ(observed_.containers[0].restart_count, 1);
  const std::vector<std::string> healed = Ids();

  // A release whose checks fail is rolled back by Swarm; the running tasks keep serving.
  d.release_id = 2;
  d.checks->attempts = 2;
  d.checks->checks[0].expected = "never there";
  ASSERT_OK(Apply(d));
  EXPECT_THAT(observed_.failure, HasSubstr("web: the Swarm update was rolled back"))
      << Transcript();
  EXPECT_EQ(Ids(), healed);
  for (const ObservedContainer& c : observed_.containers) EXPECT_EQ(c.release_id, 1);
  EXPECT_EQ(observed_.containers[1].restart_count, 0);
  ExpectServing();

  // apps:destroy
  ASSERT_OK(scheduler_.RemoveApp(app_, store_));
  EXPECT_TRUE(
      testutil::NonEmptyLines(
          RunDocker({"service", "ls", "-q", "--filter", "label=com.dokkud.store=" + store_}).out)
          .empty());
  EXPECT_TRUE(testutil::WaitFor(
      [&] {
        return testutil::NonEmptyLines(
                   RunDocker({"ps", "-aq", "--filter", "label=com.dokkud.swarm-store=" + store_})
                       .out)
            .empty();
      },
      60000, 500));

  // The docker-local container never noticed.
  EXPECT_EQ(
      testutil::TrimTrailing(RunDocker({"inspect", "-f", "{{.State.Running}}", local_id}).out),
      "true");
  EXPECT_EQ(RunDocker({"inspect", "-f", "{{.State.StartedAt}}", local_id}).out, local_started);
}

TEST_F(E2ESwarmTest, RoutingMeshPortIsReadBack) {
  SwarmDesired d = Desired(1);
  d.web_publish = SwarmPublish::kIngress;
  d.checks.reset();
  ASSERT_OK(Apply(d));
  ASSERT_EQ(observed_.failure, "") << Transcript();
  ASSERT_EQ(observed_.web_upstreams.size(), 1u);
  const Upstream mesh = observed_.web_upstreams[0];
  EXPECT_EQ(mesh.ip, "127.0.0.1");
  EXPECT_EQ(testutil::TrimTrailing(
                RunDocker({"service", "inspect", "-f",
                           "{{(index .Endpoint.Ports 0).PublishedPort}}", app_ + "-web"})
                    .out),
            std::to_string(mesh.port));
  ASSERT_EQ(observed_.containers.size(), 1u);
  EXPECT_EQ(observed_.containers[0].host_port, mesh.port);
  EXPECT_EQ(observed_.containers[0].state, "running");

  // ps:stop keeps the service (and its port) at zero replicas; ps:start brings it back.
  d.running = false;
  ASSERT_OK(Apply(d));
  EXPECT_TRUE(observed_.containers.empty());
  d.running = true;
  ASSERT_OK(Apply(d));
  ASSERT_EQ(observed_.web_upstreams.size(), 1u);
  EXPECT_EQ(observed_.web_upstreams[0].port, mesh.port);
  ASSERT_OK(scheduler_.RemoveApp(app_, store_));
}

}  // namespace
}  // namespace dokku

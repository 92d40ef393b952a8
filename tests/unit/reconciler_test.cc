// Reconciler passes against FakeDocker, an in-memory store, fake checks and a recording proxy.
#include "controller/reconciler/reconciler.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "controller/scheduler/local/local_scheduler.h"
#include "controller/scheduler/swarm/swarm_backend.h"
#include "controller/scheduler/swarm/swarm_scheduler.h"
#include "tests/testing/fake_checks.h"
#include "tests/testing/fake_docker.h"
#include "tests/testing/fake_swarm.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

class RecordingProxy : public Proxy {
 public:
  Status Apply(const std::string& app, const std::vector<std::string>& names,
               const std::vector<Upstream>& upstreams, const Emit&) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_apply.ok()) return fail_apply;
    std::string joined;
    for (const std::string& n : names) joined += (joined.empty() ? "" : ",") + n;
    std::string line = "apply " + app + " " + joined;
    for (const Upstream& u : upstreams) line += " " + u.ip;
    calls.push_back(line);
    current[app] = upstreams.size();
    return Status::Ok();
  }
  Status Remove(const std::string& app) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls.push_back("remove " + app);
    current.erase(app);
    return Status::Ok();
  }
  std::mutex mu_;
  std::vector<std::string> calls;
  std::map<std::string, size_t> current;
  Status fail_apply;  // e.g. nginx -t refusing the new configuration
};

class ReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(":memory:", &clock_);
    ASSERT_OK(store);
    store_ = std::move(*store);
    MakeReconciler({});
    ASSERT_OK(store_->CreateApp("app"));
  }

  // docker-local plus `more`, as the daemon builds them.
  void MakeReconciler(std::vector<Scheduler*> more) {
    ReconcilerOptions options;
    options.store_id = "teststore";
    options.proxy_listen = "127.0.0.1:8080";
    local_ = std::make_unique<LocalScheduler>(&docker_, &proxy_, &prober_, &sleeper_, &clock_,
                                              LocalSchedulerOptions{"teststore", true, 8});
    more.insert(more.begin(), local_.get());
    reconciler_ = std::make_unique<Reconciler>(&docker_, &proxy_, &clock_, options, more);
  }

  std::string AddImage(const std::string& tag,
                       const std::map<std::string, std::string>& files = {}) {
    ImageInfo info;
    info.working_dir = "/app";
    info.cmd = {"/bin/sh", "-c", "httpd -f -p $PORT"};
    return docker_.AddImage("dokku/app:" + tag, info, files);
  }

  ReconcileResult Pass() {
    StatusOr<ReconcileResult> r = reconciler_->Reconcile(store_.get(), "app");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ReconcileResult{};
  }

  std::vector<ContainerInfo> Running(const std::string& prefix) {
    std::vector<ContainerInfo> out;
    for (const ContainerInfo& c : docker_.Containers()) {
      if (c.name.rfind(prefix, 0) == 0 && c.state == "running") out.push_back(c);
    }
    return out;
  }

  std::vector<std::string> EventTexts() {
    std::vector<std::string> out;
    auto events = store_->EventsAfter("app", 0);
    if (events.ok()) {
      for (const Event& e : *events) out.push_back(e.text);
    }
    return out;
  }

  App GetApp() { return *store_->GetApp("app"); }

  void Deploy(const std::string& tag) {
    ASSERT_OK(store_->CreateRelease("app", tag, "tags:deploy"));
    Pass();
  }

  FakeClock clock_;
  FakeDocker docker_{&clock_};
  RecordingProxy proxy_;
  FakeHttpProber prober_;
  FakeSleeper sleeper_{&clock_};
  std::unique_ptr<Store> store_;
  std::unique_ptr<LocalScheduler> local_;
  std::unique_ptr<Reconciler> reconciler_;
};

TEST_F(ReconcilerTest, FirstDeployRunsWebFromTheImageCmd) {
  std::string image = AddImage("v1");
  Deploy("v1");
  auto web = docker_.Find("app.web.1");
  ASSERT_TRUE(web.has_value());
  EXPECT_EQ(web->state, "running");
  auto spec = docker_.SpecOf("app.web.1");
  ASSERT_TRUE(spec.has_value());
  EXPECT_TRUE(spec->cmd.empty());  // no Procfile: the image's CMD
  EXPECT_EQ(spec->image, image);
  EXPECT_THAT(spec->env, Contains("DYNO=web.1"));
  EXPECT_THAT(spec->env, Contains("PORT=5000"));
  EXPECT_EQ(spec->restart_policy, "on-failure:10");
  EXPECT_TRUE(spec->init);
  EXPECT_EQ(spec->labels.at("com.dokku.app-name"), "app");
  EXPECT_EQ(spec->labels.at("com.dokku.dyno"), "web.1");
  EXPECT_EQ(spec->labels.at("com.dokku.container-type"), "deploy");
  EXPECT_EQ(spec->labels.at("com.dokkud.store"), "teststore");
  App app = GetApp();
  EXPECT_EQ(app.observed_generation, app.generation);
  EXPECT_EQ(app.last_error, "");
  ASSERT_TRUE(app.current_release.has_value());
  EXPECT_EQ(store_->GetRelease(*app.current_release)->status, "live");
  EXPECT_THAT(EventTexts(), Contains("Deploying web (count=1)"));
  EXPECT_THAT(EventTexts(), Contains("Application deployed:"));
  EXPECT_THAT(EventTexts(), Contains("http://app.localhost:8080"));
  EXPECT_EQ(proxy_.current["app"], 1u);
  // The probe container that read the image's files is gone.
  EXPECT_EQ(docker_.Containers().size(), 1u);
  // Observed state is in the store for `ps`.
  auto observed = store_->ListContainers("app");
  ASSERT_OK(observed);
  ASSERT_EQ(observed->size(), 1u);
  EXPECT_EQ((*observed)[0].name, "app.web.1");
  EXPECT_EQ((*observed)[0].state, "running");
}

// Config vars ---------------------------------------------------------------------------------

TEST_F(ReconcilerTest, ContainersGetTheMergedVarsExactlyWithDokkusPortAndDyno) {
  std::map<std::string, std::optional<std::string>> vars;
  const std::vector<std::string> values = {"",
                                           "a=b=c",
                                           "line1\nline2\r\n",
                                           " leading and trailing ",
                                           "it's \"q\" $HOME `id` \\",
                                           "{{.Node.Hostname}}",
                                           "h\xc3\xa9llo \xf0\x9f\x98\x80",
                                           std::string(64 * 1024, 'v')};
  for (size_t i = 0; i < values.size(); ++i) vars[fmt::format("V{}", i)] = values[i];
  vars["PORT"] = "9999";
  vars["DYNO"] = "fake.1";
  AddImage("v1", {{"/app/Procfile", "web: httpd -f -p $PORT\nworker: sleep 1000\n"}});
  ASSERT_OK(store_->ChangeConfig(kGlobal, {{"G", "global"}, {"V0", "overridden"}}, false, false));
  ASSERT_OK(store_->ChangeConfig("app", vars, false, false));
  ASSERT_OK(store_->SetScale("app", {{"worker", 1}}, false));
  Deploy("v1");
  const std::vector<std::string> web = docker_.SpecOf("app.web.1")->env,
                                 worker = docker_.SpecOf("app.worker.1")->env;
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_THAT(web, Contains(fmt::format("V{}={}", i, values[i])));
  }
  EXPECT_THAT(web, Contains("G=global"));
  EXPECT_THAT(web, Not(Contains("V0=overridden")));
  EXPECT_THAT(web, Contains("PORT=5000"));  // nginx and the checks connect there
  EXPECT_THAT(web, Not(Contains("PORT=9999")));
  EXPECT_THAT(web, Contains("DYNO=web.1"));
  EXPECT_THAT(web, Not(Contains("DYNO=fake.1")));
  EXPECT_THAT(worker, Contains("PORT=9999"));  // not web: the operator's PORT
  EXPECT_THAT(worker, Contains("DYNO=worker.1"));
  // No value reaches the events (the deploy log).
  const std::vector<std::string> events = EventTexts();
  ASSERT_FALSE(events.empty());
  for (const std::string& text : events) {
    EXPECT_THAT(text, Not(HasSubstr("leading and trailing"))) << text;
  }
}

TEST_F(ReconcilerTest, ARestartingChangeReplacesEveryContainerAndNoRestartNone) {
  AddImage("v1", {{"/app/Procfile", "web: httpd -f -p $PORT\nworker: sleep 1000\n"}});
  ASSERT_OK(store_->SetScale("app", {{"worker", 1}}, false));
  Deploy("v1");
  const std::string web = docker_.Find("app.web.1")->id, worker = docker_.Find("app.worker.1")->id;
  ASSERT_OK(store_->ChangeConfig("app", {{"A", "1"}}, false, false));
  Pass();
  EXPECT_EQ(docker_.Find("app.web.1")->id, web);
  EXPECT_EQ(docker_.Find("app.worker.1")->id, worker);
  ASSERT_OK(store_->ChangeConfig("app", {{"A", "2"}}, false, true));
  Pass();
  clock_.Advance(120'000);  // past wait-to-retire
  Pass();
  std::vector<std::string> running;
  for (const ContainerInfo& c : docker_.Containers()) {
    if (c.state != "running") continue;
    running.push_back(c.id);
    EXPECT_THAT(docker_.SpecOf(c.id)->env, Contains("A=2")) << c.name;
  }
  EXPECT_EQ(running.size(), 2u);
  EXPECT_THAT(running, Not(Contains(web)));
  EXPECT_THAT(running, Not(Contains(worker)));
}

TEST_F(ReconcilerTest, WebListensOnTheImagesExposedPortAndPortsSetMovesIt) {
  ImageInfo info;
  info.working_dir = "/app";
  info.exposed_ports = {"8080/tcp"};
  docker_.AddImage("dokku/app:v1", info, {});
  Deploy("v1");
  auto spec = docker_.SpecOf("app.web.1");
  ASSERT_TRUE(spec.has_value());
  EXPECT_THAT(spec->env, Contains("PORT=8080"));
  EXPECT_EQ(spec->exposed_port, 8080);
  EXPECT_EQ(store_->ListContainers("app")->front().port, 8080);
  const std::string first = docker_.Find("app.web.1")->id;
  // A configured map wins over the detected one; the web container is replaced (start-first).
  ASSERT_OK(store_->ChangePorts("app", Store::PortsOp::kSet, {{"http", 80, 3000}}));
  Pass();
  ASSERT_NE(docker_.Find("app.web.1")->id, first);
  EXPECT_THAT(docker_.SpecOf("app.web.1")->env, Contains("PORT=3000"));
  EXPECT_EQ(docker_.SpecOf("app.web.1")->labels.at("com.dokkud.web-port"), "3000");
  // An unchanged container port (another host port) replaces nothing.
  const std::string second = docker_.Find("app.web.1")->id;
  ASSERT_OK(store_->ChangePorts("app", Store::PortsOp::kSet, {{"http", 8000, 3000}}));
  Pass();
  EXPECT_EQ(docker_.Find("app.web.1")->id, second);
}

TEST_F(ReconcilerTest, MissingImageFailsTheReleaseAndChangesNothing) {
  AddImage("v1");
  Deploy("v1");
  std::string before = docker_.Find("app.web.1")->id;
  Deploy("nope");
  App app = GetApp();
  EXPECT_EQ(app.last_error, "App image (dokku/app:nope) not found");
  EXPECT_EQ(app.observed_generation, app.generation);
  EXPECT_EQ(app.desired_release, app.current_release);
  EXPECT_EQ(docker_.Find("app.web.1")->id, before);
  auto releases = store_->ListReleases("app");
  EXPECT_EQ(releases->back().status, "failed");
}

TEST_F(ReconcilerTest, ProcfileTypesRunThroughTheImageShell) {
  AddImage("v1", {{"/app/Procfile", "web: httpd -f -p $PORT\nworker: sleep 1000\n"}});
  Deploy("v1");
  ASSERT_OK(store_->SetScale("app", {{"worker", 2}}, false));
  Pass();
  auto spec = docker_.SpecOf("app.worker.2");
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(spec->cmd, (std::vector<std::string>{"/bin/sh", "-c", "sleep 1000"}));
  EXPECT_THAT(spec->env, Contains("PORT="));
  EXPECT_EQ(Running("app.worker.").size(), 2u);
  // The web container was not touched by the worker scale-up.
  EXPECT_EQ(docker_.CallCount("create"), 1 /*probe*/ + 1 /*web*/ + 2 /*workers*/);
}

TEST_F(ReconcilerTest, DokkuScaleOverridesTheFormation) {
  AddImage("v1",
           {{"/app/Procfile", "web: a\nworker: b\n"}, {"/app/DOKKU_SCALE", "web=2\nworker=1\n"}});
  Deploy("v1");
  EXPECT_EQ(Running("app.web.").size(), 2u);
  EXPECT_EQ(Running("app.worker.").size(), 1u);
  auto formation = store_->GetFormation("app");
  ASSERT_OK(formation);
  EXPECT_EQ((*formation)[0].proctype, "web");
  EXPECT_EQ((*formation)[0].quantity, 2);
  Status scale = store_->SetScale("app", {{"web", 3}}, false).status();
  EXPECT_EQ(scale.message(), "App app contains DOKKU_SCALE file and cannot be manually scaled");
}

TEST_F(ReconcilerTest, BrokenProcfileFailsTheReleaseWithTheLine) {
  AddImage("v1");
  Deploy("v1");
  AddImage("v2", {{"/app/Procfile", "web: ok\n<<<<<<< HEAD\n"}});
  Deploy("v2");
  EXPECT_THAT(GetApp().last_error, HasSubstr("line 2"));
  EXPECT_EQ(Running("app.web.").size(), 1u);
}

TEST_F(ReconcilerTest, FailedChecksKeepTheOldContainerServing) {
  AddImage("v1");
  Deploy("v1");
  std::string old_id = docker_.Find("app.web.1")->id;
  AddImage("v2", {{"/app/CHECKS", "WAIT=1\nATTEMPTS=2\n/ hello\n"}});
  prober_.fallback = FakeHttpProber::Ok("nope");
  Deploy("v2");
  App app = GetApp();
  EXPECT_EQ(app.last_error, "Could not start due to 1 failed checks");
  EXPECT_EQ(docker_.Find("app.web.1")->id, old_id);
  EXPECT_EQ(Running("app.web.").size(), 1u);  // the new one is gone
  EXPECT_THAT(EventTexts(), Contains(HasSubstr("Start of app container output")));
  EXPECT_THAT(EventTexts(), Contains(HasSubstr("End of app container output")));
  EXPECT_EQ(app.desired_release, app.current_release);
  // Nothing is retried until the user asks again.
  int creates = docker_.CallCount("create");
  Pass();
  EXPECT_EQ(docker_.CallCount("create"), creates);
}

TEST_F(ReconcilerTest, RestartIsStartFirstAndRetiresTheOldContainerLater) {
  AddImage("v1");
  Deploy("v1");
  std::string old_id = docker_.Find("app.web.1")->id;
  ASSERT_OK(store_->Restart("app", ""));
  ReconcileResult r = Pass();
  auto web = docker_.Find("app.web.1");
  ASSERT_TRUE(web.has_value());
  EXPECT_NE(web->id, old_id);
  auto old = docker_.Find(old_id);
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->state, "running");  // still serving in-flight requests
  EXPECT_THAT(old->name, HasSubstr("app.web.1."));
  auto retirements = store_->ListRetirements();
  ASSERT_EQ(retirements->size(), 1u);
  EXPECT_EQ((*retirements)[0].container_id, old_id);
  EXPECT_EQ(r.requeue_after_ms, 60'000);
  EXPECT_THAT(EventTexts(), Contains("Shutting down old containers in 60 seconds"));
  // Due: the next pass stops and removes it.
  clock_.Advance(60'000);
  Pass();
  EXPECT_FALSE(docker_.Find(old_id).has_value());
  EXPECT_TRUE(store_->ListRetirements()->empty());
}

TEST_F(ReconcilerTest, RetirementStopsWithTheAppsStopTimeout) {
  ASSERT_OK(store_->SetProperty("ps", "app", "stop-timeout-seconds", "7"));
  AddImage("v1");
  Deploy("v1");
  std::string old_id = docker_.Find("app.web.1")->id;
  ASSERT_OK(store_->Restart("app", ""));
  Pass();
  clock_.Advance(60'000);
  Pass();
  EXPECT_FALSE(docker_.Find(old_id).has_value());
  EXPECT_THAT(docker_.calls(), Contains("stop " + old_id + " 7"));
}

TEST_F(ReconcilerTest, RefusedProxyConfigKeepsTheOldContainerServing) {
  AddImage("v1");
  Deploy("v1");
  const std::string old_id = docker_.Find("app.web.1")->id;
  proxy_.fail_apply = Status::Internal("nginx configuration test failed");
  ASSERT_OK(store_->Restart("app", ""));
  Pass();
  EXPECT_EQ(docker_.Find("app.web.1")->id, old_id);
  EXPECT_EQ(docker_.Find(old_id)->state, "running");
  EXPECT_TRUE(store_->ListRetirements()->empty());
  EXPECT_EQ(Running("app.web.").size(), 1u);  // the new container is gone again
  App app = GetApp();
  EXPECT_EQ(app.observed_generation, app.generation);
  EXPECT_THAT(app.last_error, HasSubstr("Proxy configuration failed"));
  // Not retried in a loop: the next pass at the same generation does nothing.
  int creates = docker_.CallCount("create");
  Pass();
  EXPECT_EQ(docker_.CallCount("create"), creates);
}

TEST_F(ReconcilerTest, ScaleDownLeavesTheProxyBeforeStopping) {
  AddImage("v1");
  ASSERT_OK(store_->SetScale("app", {{"web", 3}}, false));
  Deploy("v1");
  ASSERT_EQ(Running("app.web.").size(), 3u);
  proxy_.calls.clear();
  docker_.ClearCalls();
  ASSERT_OK(store_->SetScale("app", {{"web", 1}}, false));
  Pass();
  // web.2 and web.3 left the proxy at once and retire after wait-to-retire, so requests that
  // nginx's old workers still hold can finish.
  EXPECT_TRUE(docker_.Find("app.web.1").has_value());
  EXPECT_FALSE(docker_.Find("app.web.2").has_value());
  EXPECT_FALSE(docker_.Find("app.web.3").has_value());
  EXPECT_EQ(proxy_.current["app"], 1u);
  EXPECT_EQ(store_->ListRetirements()->size(), 2u);
  EXPECT_EQ(docker_.CallCount("stop"), 0);
  clock_.Advance(60'000);
  Pass();
  EXPECT_EQ(Running("app.web.").size(), 1u);
  EXPECT_TRUE(store_->ListRetirements()->empty());
}

// domains:add reaches the proxy on the next pass, after the default vhost, and replaces no
// container; the list follows the global vhost too.
TEST_F(ReconcilerTest, ExtraDomainsJoinTheServerNamesWithoutAReplacement) {
  AddImage("v1");
  Deploy("v1");
  const std::string ip = docker_.Find("app.web.1")->ip;
  docker_.ClearCalls();
  ASSERT_OK(store_->SetProperty("domains", "app", "vhosts", "www.example.com,*.example.org"));
  ASSERT_OK(store_->SetProperty("domains", kGlobal, "vhost", "e2e.test"));
  Pass();
  ASSERT_FALSE(proxy_.calls.empty());
  EXPECT_EQ(proxy_.calls.back(), "apply app app.e2e.test,www.example.com,*.example.org " + ip);
  EXPECT_EQ(docker_.CallCount("create"), 0);
  EXPECT_EQ(docker_.CallCount("stop"), 0);
}

TEST_F(ReconcilerTest, ScaleDownOfOtherTypesStopsAtOnce) {
  AddImage("v1", {{"/app/Procfile", "web: a\nworker: b\n"}});
  ASSERT_OK(store_->SetScale("app", {{"worker", 2}}, false));
  Deploy("v1");
  ASSERT_EQ(Running("app.worker.").size(), 2u);
  ASSERT_OK(store_->SetScale("app", {{"worker", 0}}, false));
  Pass();
  EXPECT_TRUE(Running("app.worker.").empty());
  EXPECT_TRUE(store_->ListRetirements()->empty());
}

TEST_F(ReconcilerTest, ChecksDisableMakesTheRestartStopFirst) {
  // Given checks:disable for web, a restart takes the old container out of the proxy, stops and
  // removes it, then starts the new one under its final name without checks; nothing retires.
  AddImage("v1");
  Deploy("v1");
  const std::string old_id = docker_.Find("app.web.1")->id;
  ASSERT_OK(store_->SetChecksMode("app", "disable", {"web"}));
  Pass();
  docker_.ClearCalls();
  proxy_.calls.clear();
  ASSERT_OK(store_->Restart("app", ""));
  Pass();
  EXPECT_FALSE(docker_.Find(old_id).has_value());
  auto web = docker_.Find("app.web.1");
  ASSERT_TRUE(web.has_value());
  EXPECT_EQ(web->state, "running");
  EXPECT_TRUE(store_->ListRetirements()->empty());
  std::vector<std::string> calls = docker_.calls();
  auto stop = std::find(calls.begin(), calls.end(), "stop " + old_id + " 30");
  auto create = std::find(calls.begin(), calls.end(), "create app.web.1");
  ASSERT_NE(stop, calls.end());
  ASSERT_NE(create, calls.end());
  EXPECT_LT(stop, create);
  EXPECT_EQ(docker_.CallCount("rename"), 0);
  ASSERT_FALSE(proxy_.calls.empty());
  EXPECT_EQ(proxy_.calls.front(), "remove app");  // out of the proxy before it stops
  EXPECT_EQ(proxy_.current["app"], 1u);
  std::vector<std::string> events = EventTexts();
  EXPECT_THAT(events,
              Contains("Zero downtime is disabled, stopping currently running containers  (web)"));
  EXPECT_THAT(events, Contains("Stopping " + old_id.substr(0, 12) + " (web)"));
  EXPECT_EQ(std::count(events.begin(), events.end(), "Attempting pre-flight checks (web.1)"), 1);
  EXPECT_EQ(GetApp().last_error, "");
}

TEST_F(ReconcilerTest, ChecksSkipStaysStartFirst) {
  // Given checks:skip for web, a restart still starts the new container next to the old one,
  // says the checks were skipped, and retires the old one.
  AddImage("v1");
  Deploy("v1");
  const std::string old_id = docker_.Find("app.web.1")->id;
  ASSERT_OK(store_->SetChecksMode("app", "skip", {"web"}));
  Pass();
  ASSERT_OK(store_->Restart("app", ""));
  Pass();
  EXPECT_NE(docker_.Find("app.web.1")->id, old_id);
  EXPECT_EQ(docker_.Find(old_id)->state, "running");
  ASSERT_EQ(store_->ListRetirements()->size(), 1u);
  EXPECT_THAT(EventTexts(), Contains("Zero downtime checks have been skipped (web.1)"));
  EXPECT_THAT(EventTexts(), Contains("Scheduling old container shutdown in 60 seconds (web.1)"));
}

TEST_F(ReconcilerTest, SelfHealsAStoppedContainerWithBackoff) {
  AddImage("v1");
  Deploy("v1");
  docker_.Exit("app.web.1", 137);
  Pass();
  EXPECT_EQ(docker_.Find("app.web.1")->state, "running");
  docker_.Exit("app.web.1", 1);
  ReconcileResult r = Pass();
  // Too soon after the last attempt: wait instead of looping.
  EXPECT_EQ(docker_.Find("app.web.1")->state, "exited");
  EXPECT_GT(r.requeue_after_ms, 0);
  clock_.Advance(r.requeue_after_ms);
  Pass();
  EXPECT_EQ(docker_.Find("app.web.1")->state, "running");
}

TEST_F(ReconcilerTest, StopAndStartDoNotFightSelfHealing) {
  AddImage("v1");
  Deploy("v1");
  ASSERT_OK(store_->SetRunning("app", false));
  Pass();
  EXPECT_EQ(docker_.Find("app.web.1")->state, "exited");
  EXPECT_EQ(proxy_.current.count("app"), 0u);
  Pass();
  EXPECT_EQ(docker_.Find("app.web.1")->state, "exited");
  ASSERT_OK(store_->SetRunning("app", true));
  Pass();
  EXPECT_EQ(docker_.Find("app.web.1")->state, "running");
}

TEST_F(ReconcilerTest, DestroyRemovesEverythingAndThenTheApp) {
  AddImage("v1");
  Deploy("v1");
  ASSERT_OK(store_->DestroyApp("app"));
  Pass();
  EXPECT_TRUE(Running("app.").empty());
  EXPECT_TRUE(docker_.Containers().empty());
  EXPECT_THAT(proxy_.calls, Contains("remove app"));
  auto row = store_->FindApp("app");
  ASSERT_OK(row);
  EXPECT_FALSE(row->has_value());
}

TEST_F(ReconcilerTest, ForeignContainersAreNeverTouched) {
  AddImage("v1");
  Deploy("v1");
  ContainerSpec foreign;
  foreign.name = "app.web.7";
  foreign.image = "dokku/app:v1";
  foreign.labels = {{"com.dokku.app-name", "app"}, {"com.dokku.dyno", "web.7"}};
  auto id = docker_.CreateContainer(foreign);
  ASSERT_OK(id);
  Pass();
  EXPECT_TRUE(docker_.Find(*id).has_value());
}

TEST_F(ReconcilerTest, DockerDownIsRetryableAndLeavesTheGenerationUnobserved) {
  AddImage("v1");
  ASSERT_OK(store_->CreateRelease("app", "v1", "tags:deploy"));
  docker_.SetUnavailable(true);
  StatusOr<ReconcileResult> r = reconciler_->Reconcile(store_.get(), "app");
  EXPECT_TRUE(r.status().IsUnavailable());
  App app = GetApp();
  EXPECT_LT(app.observed_generation, app.generation);
  docker_.SetUnavailable(false);
  Pass();
  EXPECT_EQ(Running("app.web.").size(), 1u);
}

TEST_F(ReconcilerTest, CrashBetweenStartAndCutoverIsFinishedByTheNextPass) {
  AddImage("v1");
  Deploy("v1");
  // A leftover from a crashed pass: an upcoming container that never took traffic.
  ContainerSpec spec = *docker_.SpecOf("app.web.1");
  spec.name = "app.web.1.upcoming-dead";
  auto id = docker_.CreateContainer(spec);
  ASSERT_OK(id);
  Pass();
  EXPECT_FALSE(docker_.Find(*id).has_value());
  EXPECT_EQ(Running("app.web.").size(), 1u);
}

TEST_F(ReconcilerTest, ALeftoverDockerRefusesToRemoveDoesNotHoldTheApp) {
  AddImage("v1");
  Deploy("v1");
  ContainerSpec spec = *docker_.SpecOf("app.web.1");
  spec.name = "app.web.1.upcoming-stuck";
  auto id = docker_.CreateContainer(spec);
  ASSERT_OK(id);
  docker_.FailFor("remove", "upcoming-stuck",
                  Status::Conflict("removal of container is already in progress"));
  ASSERT_OK(store_->SetScale("app", {{"web", 2}}, false));
  ReconcileResult r = Pass();
  EXPECT_EQ(Running("app.web.").size(), 2u);
  EXPECT_TRUE(docker_.Find("app.web.2").has_value());
  EXPECT_TRUE(docker_.Find(*id).has_value());  // still there
  EXPECT_EQ(GetApp().last_error, "");
  EXPECT_GT(r.requeue_after_ms, 0);  // the leftover is tried again
  EXPECT_LE(r.requeue_after_ms, 10'000);
  docker_.ClearFailures();
  Pass();
  EXPECT_FALSE(docker_.Find(*id).has_value());
  EXPECT_EQ(Running("app.web.").size(), 2u);
}

TEST_F(ReconcilerTest, TagsCreateAndDestroyGoThroughDocker) {
  AddImage("v1");
  Deploy("v1");
  ASSERT_OK(store_->RequestTagOp("app", "create", "keep"));
  Pass();
  EXPECT_THAT(docker_.ImageTags(), Contains("dokku/app:keep"));
  auto images = store_->ListImages("app");
  ASSERT_OK(images);
  EXPECT_EQ(images->size(), 3u);  // v1, latest, keep
  // The image has other tags: destroying one only untags it.
  auto op = store_->RequestTagOp("app", "destroy", "keep");
  ASSERT_OK(op);
  Pass();
  EXPECT_EQ(store_->GetTagOp(*op)->status, "done");
  EXPECT_THAT(docker_.ImageTags(), ::testing::Not(Contains("dokku/app:keep")));
  // v1's image keeps only its own tag once v2 is live; the retiring v1 container (and
  // release 1, for rollback) still need it.
  AddImage("v2");
  Deploy("v2");
  op = store_->RequestTagOp("app", "destroy", "v1");
  ASSERT_OK(op);
  Pass();
  EXPECT_EQ(store_->GetTagOp(*op)->status, "failed");
  EXPECT_THAT(GetApp().last_error, HasSubstr("still in use"));
  EXPECT_THAT(docker_.ImageTags(), Contains("dokku/app:v1"));
}

TEST_F(ReconcilerTest, FailureSurvivesALaterPassAtTheSameGeneration) {
  AddImage("v1");
  Deploy("v1");
  Deploy("nope");
  Pass();  // e.g. a self-heal pass: nothing new was asked
  EXPECT_EQ(GetApp().last_error, "App image (dokku/app:nope) not found");
}

TEST_F(ReconcilerTest, DestroyRemovesTheAppsImageTags) {
  AddImage("v1");
  Deploy("v1");
  ASSERT_OK(store_->DestroyApp("app"));
  Pass();
  for (const std::string& tag : docker_.ImageTags())
    EXPECT_EQ(tag.rfind("dokku/app:", 0), std::string::npos) << tag;
}

// The handover between schedulers, on the fakes: the new scheduler serves before the proxy
// moves, and what ran on the old one goes only after wait-to-retire.
TEST_F(ReconcilerTest, StorageAndResourcesReachTheSpecAndReplaceTheContainers) {
  AddImage("v1", {{"/app/Procfile", "web: httpd -f -p $PORT\nworker: sleep 1000\n"}});
  Deploy("v1");
  ASSERT_OK(store_->SetScale("app", {{"worker", 1}}, false));
  Pass();
  const std::string web_id = docker_.Find("app.web.1")->id;
  const std::string worker_id = docker_.Find("app.worker.1")->id;
  StorageMount mount = *ParseMountSpec("/srv/data:/data:ro");
  ASSERT_OK(store_->AddStorageMount("app", mount, false));
  ASSERT_OK(store_->SetResources("app", "_default_", "limit", {{"memory", "64m"}}));
  ASSERT_OK(store_->SetResources("app", "web", "limit", {{"cpu", "0.5"}}));
  Pass();
  auto web = docker_.SpecOf("app.web.1");
  ASSERT_TRUE(web.has_value());
  EXPECT_NE(docker_.Find("app.web.1")->id, web_id);
  ASSERT_EQ(web->mounts.size(), 1u);
  EXPECT_EQ(web->mounts[0], (ContainerMount{"bind", "/srv/data", "/data", true, "", false}));
  EXPECT_EQ(web->memory, 64LL << 20);
  EXPECT_EQ(web->nano_cpus, 500'000'000);
  auto worker = docker_.SpecOf("app.worker.1");
  EXPECT_NE(docker_.Find("app.worker.1")->id, worker_id);
  EXPECT_EQ(worker->memory, 64LL << 20);
  EXPECT_EQ(worker->nano_cpus, 0);
  // A web-only change replaces web and leaves the worker alone.
  const std::string worker2 = docker_.Find("app.worker.1")->id;
  ASSERT_OK(store_->SetResources("app", "web", "limit", {{"cpu", "1"}}));
  Pass();
  EXPECT_EQ(docker_.Find("app.worker.1")->id, worker2);
  EXPECT_EQ(docker_.SpecOf("app.web.1")->nano_cpus, 1'000'000'000);
}

TEST_F(ReconcilerTest, AMissingHostDirectoryFailsTheRolloutOnce) {
  AddImage("v1");
  Deploy("v1");
  const std::string old_id = docker_.Find("app.web.1")->id;
  // What Docker answers for a Mounts bind whose source is missing.
  docker_.FailCreateFor("app.web.1",
                        Status::InvalidArgument("create: invalid mount config for type \"bind\": "
                                                "bind source path does not exist: /nope"));
  ASSERT_OK(store_->AddStorageMount("app", *ParseMountSpec("/nope:/data"), false));
  Pass();
  App app = GetApp();
  EXPECT_EQ(app.last_error, "Could not start due to 1 failed checks");
  EXPECT_EQ(app.observed_generation, app.generation);
  EXPECT_THAT(EventTexts(), Contains(HasSubstr("bind source path does not exist: /nope")));
  EXPECT_EQ(docker_.Find("app.web.1")->id, old_id);
  // Not retried (no crash loop) until the user changes something.
  int creates = docker_.CallCount("create");
  Pass();
  EXPECT_EQ(docker_.CallCount("create"), creates);
  docker_.ClearFailures();
  ASSERT_OK(store_->RemoveStorageMount("app", *ParseMountSpec("/nope:/data")));
  Pass();
  EXPECT_EQ(GetApp().last_error, "");
}

class ReconcilerHandoverTest : public ReconcilerTest {
 protected:
  void SetUp() override {
    ReconcilerTest::SetUp();
    MakeReconciler({&backend_});
  }
  std::string LastProxyApply() {
    std::lock_guard<std::mutex> lock(proxy_.mu_);
    for (auto it = proxy_.calls.rbegin(); it != proxy_.calls.rend(); ++it) {
      if (it->rfind("apply ", 0) == 0) return *it;
    }
    return "";
  }
  void Select(const std::string& scheduler) {
    ASSERT_OK(store_->SetProperty("scheduler", "app", "selected", scheduler));
    Pass();
  }

  FakeSwarm swarm_{&clock_};
  SwarmScheduler scheduler_{&swarm_, &clock_};
  SwarmBackend backend_{&scheduler_, &docker_, &sleeper_, &clock_, "teststore"};
};

TEST_F(ReconcilerHandoverTest, LocalToSwarmAndBackKeepsServingThroughout) {
  AddImage("v1");
  Deploy("v1");
  ASSERT_EQ(Running("app.web.").size(), 1u);
  const std::string local_ip = docker_.Find("app.web.1")->ip;
  EXPECT_EQ(LastProxyApply(), "apply app app.localhost " + local_ip);

  // To Swarm: the service runs and the proxy points at its task before the local web leaves.
  Select("docker-swarm");
  std::optional<SwarmService> web = swarm_.ServiceByName("app-web");
  ASSERT_TRUE(web.has_value());
  const std::string after_switch = LastProxyApply();
  // Swarm's web is reached through its published port on the routing mesh.
  EXPECT_EQ(after_switch, "apply app app.localhost 127.0.0.1");
  EXPECT_EQ(proxy_.current["app"], 1u);
  // The local container retires (renamed, still there) until wait-to-retire has passed.
  EXPECT_FALSE(docker_.Find("app.web.1").has_value());
  EXPECT_EQ(docker_.Containers().size(), 1u);
  clock_.Advance(61'000);
  Pass();
  EXPECT_TRUE(docker_.Containers().empty());
  EXPECT_EQ(GetApp().last_error, "");

  // And back: a local container serves first; the services go after wait-to-retire.
  Select("docker-local");
  ASSERT_EQ(Running("app.web.").size(), 1u);
  const std::string back_ip = docker_.Find("app.web.1")->ip;
  EXPECT_EQ(LastProxyApply(), "apply app app.localhost " + back_ip);
  EXPECT_TRUE(swarm_.ServiceByName("app-web").has_value());
  clock_.Advance(61'000);
  Pass();
  EXPECT_FALSE(swarm_.ServiceByName("app-web").has_value());
  EXPECT_EQ(Running("app.web.").size(), 1u);
  EXPECT_EQ(GetApp().last_error, "");
}

TEST_F(ReconcilerHandoverTest, ASwarmAppWithARegistryRunsItsReleasesByDigest) {
  ASSERT_OK(store_->SetProperty("registry", "app", "server", "127.0.0.1:5000/"));
  ASSERT_OK(store_->SetProperty("registry", kGlobal, "push-extra-tags", "edge"));
  Select("docker-swarm");
  AddImage("v1");
  Deploy("v1");
  std::optional<SwarmService> web = swarm_.ServiceByName("app-web");
  ASSERT_TRUE(web.has_value()) << GetApp().last_error;
  const std::string v1 = web->spec.image;
  EXPECT_THAT(v1, ::testing::StartsWith("127.0.0.1:5000/dokku/app@sha256:"));
  EXPECT_THAT(docker_.PushedRefs(), Contains(v1));
  EXPECT_EQ(store_->ListReleases("app")->back().registry_ref, v1);
  EXPECT_EQ(docker_.last_push_auth(), "{}");  // no registry:login
  // The extra tag went first, the release tag last; the registry-format tags are gone again.
  std::vector<std::string> pushes;
  for (const std::string& c : docker_.calls())
    if (c.starts_with("push ")) pushes.push_back(c);
  EXPECT_EQ(pushes, (std::vector<std::string>{"push 127.0.0.1:5000/dokku/app:edge",
                                              "push 127.0.0.1:5000/dokku/app:1"}));
  for (const std::string& tag : docker_.ImageTags()) EXPECT_THAT(tag, Not(HasSubstr("5000")));
  EXPECT_THAT(EventTexts(), Contains("Pushing image to registry"));

  // A refused push fails the release before anything else happens.
  AddImage("v2");
  docker_.FailFor("push", "dokku/app:2", Status::FailedPrecondition("connect: connection refused"));
  const int creates = docker_.CallCount("create");
  Deploy("v2");
  EXPECT_EQ(GetApp().last_error, "Unable to push image to registry: connect: connection refused");
  EXPECT_EQ(store_->ListReleases("app")->back().status, "failed");
  EXPECT_EQ(swarm_.ServiceByName("app-web")->spec.image, v1);
  EXPECT_EQ(docker_.CallCount("create"), creates + 1);  // the probe reading the app's files
  for (const std::string& tag : docker_.ImageTags()) EXPECT_THAT(tag, Not(HasSubstr("5000")));

  // A rollback runs the digest its release was pushed as, and pushes nothing.
  docker_.ClearFailures();
  AddImage("v3");
  Deploy("v3");
  const std::string v3 = swarm_.ServiceByName("app-web")->spec.image;
  ASSERT_NE(v3, v1);
  const int pushes_before = docker_.CallCount("push");
  ASSERT_OK(store_->CreateRollback("app", 1));
  Pass();
  EXPECT_EQ(swarm_.ServiceByName("app-web")->spec.image, v1);
  EXPECT_EQ(docker_.CallCount("push"), pushes_before);
}

// Given an app on Swarm whose only web task died and whose replacement is still starting, the
// pass that sees no endpoint keeps the app's server block (no 404 for an app that runs), and
// the running replacement is routed to.
TEST_F(ReconcilerHandoverTest, ASwarmMomentWithoutEndpointsKeepsTheServerBlock) {
  AddImage("v1");
  Deploy("v1");
  Select("docker-swarm");
  clock_.Advance(61'000);
  Pass();
  ASSERT_TRUE(docker_.Containers().empty());
  std::optional<SwarmService> web = swarm_.ServiceByName("app-web");
  ASSERT_TRUE(web.has_value());
  swarm_.SetTasksStartRunning(false);
  swarm_.KillTask(web->id, 1);
  proxy_.calls.clear();
  Pass();
  EXPECT_THAT(proxy_.calls, ::testing::Not(Contains("remove app")));
  EXPECT_EQ(proxy_.current["app"], 1u);
  swarm_.Settle();
  Pass();
  EXPECT_EQ(LastProxyApply(), "apply app app.localhost 127.0.0.1");
  EXPECT_THAT(proxy_.calls, ::testing::Not(Contains("remove app")));
  // ps:scale web=0 on Swarm still takes the app out of the proxy.
  ASSERT_OK(store_->SetScale("app", {{"web", 0}}, false));
  Pass();
  EXPECT_THAT(proxy_.calls, Contains("remove app"));
  EXPECT_EQ(proxy_.current.count("app"), 0u);
}

// A selected scheduler this host cannot use is one kind of failure, whatever the reason: the
// app's recorded error (the CLI returns with it), the release fails, and what runs keeps serving.
class UnusableSchedulerTest : public ReconcilerHandoverTest {
 protected:
  void ExpectTheOldSideKeepsServing(const std::string& error) {
    AddImage("v1");
    Deploy("v1");
    const std::string local_id = docker_.Find("app.web.1")->id;
    const std::string local_ip = docker_.Find("app.web.1")->ip;
    Select("docker-swarm");
    EXPECT_THAT(GetApp().last_error, HasSubstr(error));
    EXPECT_EQ(GetApp().observed_generation, GetApp().generation);
    AddImage("v2");
    Deploy("v2");
    App app = GetApp();
    EXPECT_THAT(app.last_error, HasSubstr(error));
    EXPECT_EQ(app.desired_release, app.current_release);
    EXPECT_EQ(store_->GetRelease(*app.current_release)->image_ref, "dokku/app:v1");
    EXPECT_EQ(docker_.Find("app.web.1")->id, local_id);
    EXPECT_EQ(Running("app.web.").size(), 1u);
    EXPECT_EQ(LastProxyApply(), "apply app app.localhost " + local_ip);
    EXPECT_FALSE(swarm_.ServiceByName("app-web").has_value());
  }
};

TEST_F(UnusableSchedulerTest, AnEngineThatIsNotASwarmManager) {
  swarm_.SetManager(false);
  ExpectTheOldSideKeepsServing("needs this Docker engine to be a swarm manager");
}

TEST_F(UnusableSchedulerTest, ADokkudWithoutTheSwarmBackend) {
  MakeReconciler({});  // docker-local only
  ExpectTheOldSideKeepsServing("The docker-swarm scheduler is not available in this dokkud");
}

// A backend the core does not name: it vacates while docker-local serves, reports for `ps`
// and is torn down with the app.
class RecordingScheduler : public Scheduler {
 public:
  std::string_view Name() const override { return "docker-recording"; }
  Status RetireDue(AppPass&, int64_t*) override {
    ++retire_due;
    return Status::Ok();
  }
  Status Apply(AppPass&, Applied*) override {
    ++applies;
    return Status::Ok();
  }
  Status Vacate(AppPass&, bool ready, int64_t* requeue_ms) override {
    vacated.push_back(ready);
    if (!ready) *requeue_ms = 1234;
    return Status::Ok();
  }
  Status Teardown(AppPass& pass) override {
    torn_down.push_back(pass.app);
    return Status::Ok();
  }
  StatusOr<std::vector<ObservedContainer>> Observe(AppPass& pass) override {
    ObservedContainer c;
    c.id = "elsewhere-1";
    c.app = pass.app;
    c.name = pass.app + ".worker.1";
    c.proctype = "worker";
    c.index = 1;
    c.state = "running";
    c.role = "live";
    return std::vector<ObservedContainer>{c};
  }
  Status CheckLive(AppPass&, const DesiredProc&, const std::function<bool(int)>&, int*) override {
    return Status::Ok();
  }
  int retire_due = 0, applies = 0;
  std::vector<bool> vacated;
  std::vector<std::string> torn_down;
};

TEST_F(ReconcilerTest, AnotherBackendTakesPartInEveryPassWithoutTheCoreNamingIt) {
  RecordingScheduler other;
  MakeReconciler({&other});
  AddImage("v1");
  Deploy("v1");
  EXPECT_EQ(other.applies, 0);
  EXPECT_EQ(other.retire_due, 1);
  ASSERT_EQ(other.vacated, std::vector<bool>{true});  // docker-local serves
  auto observed = store_->ListContainers("app");
  ASSERT_OK(observed);
  std::vector<std::string> names;
  for (const ObservedContainer& c : *observed) names.push_back(c.name);
  EXPECT_THAT(names, Contains("app.web.1"));
  EXPECT_THAT(names, Contains("app.worker.1"));

  // A failed rollout on docker-local: the other side is told to keep serving, and its wake-up
  // is honoured.
  AddImage("v2", {{"/app/CHECKS", "WAIT=1\nATTEMPTS=1\n/ hello\n"}});
  prober_.fallback = FakeHttpProber::Ok("nope");
  ASSERT_OK(store_->CreateRelease("app", "v2", "tags:deploy"));
  ReconcileResult failed = Pass();
  ASSERT_EQ(other.vacated, (std::vector<bool>{true, false}));
  EXPECT_GT(failed.requeue_after_ms, 0);
  EXPECT_LE(failed.requeue_after_ms, 1234);

  ASSERT_OK(store_->DestroyApp("app"));
  Pass();
  EXPECT_EQ(other.torn_down, std::vector<std::string>{"app"});
  EXPECT_TRUE(docker_.Containers().empty());
}

// ---- app.json: formation max_parallel, startup checks per type, deployment tasks ----

namespace {

// The most containers of `proctype` that ever ran at once, replayed from the fake's events.
size_t PeakRunning(const FakeDocker& docker, const std::string& proctype) {
  std::set<std::string> running;
  size_t peak = 0;
  for (const DockerEvent& e : docker.events()) {
    auto type = e.attributes.find("com.dokku.process-type");
    if (type == e.attributes.end() || type->second != proctype) continue;
    if (e.action == "start") running.insert(e.id);
    if (e.action == "die" || e.action == "destroy") running.erase(e.id);
    peak = std::max(peak, running.size());
  }
  return peak;
}

constexpr char kBatchedAppJson[] = R"({
  "formation": {"web": {"max_parallel": 2}},
  "healthchecks": {"web": [{"type": "startup", "name": "home", "path": "/", "content": "ok",
                            "attempts": 1, "wait": 1}]}
})";

}  // namespace

TEST_F(ReconcilerTest, MaxParallelRollsInBatchesNeverAboveQuantityPlusN) {
  AddImage("v1", {{"/app/app.json", kBatchedAppJson}});
  prober_.fallback = FakeHttpProber::Ok("ok");
  Deploy("v1");
  ASSERT_OK(store_->SetScale("app", {{"web", 6}}, false));
  Pass();
  ASSERT_EQ(Running("app.web.").size(), 6u);
  std::set<std::string> before;
  for (const ContainerInfo& c : Running("app.web.")) before.insert(c.id);
  const size_t events_before = docker_.events().size();
  ASSERT_OK(store_->Restart("app", ""));
  Pass();
  EXPECT_EQ(GetApp().last_error, "");
  std::vector<ContainerInfo> after = Running("app.web.");
  EXPECT_EQ(after.size(), 8u);  // the last batch's two old ones retire later, renamed
  int live_new = 0;
  for (const ContainerInfo& c : after) {
    if (c.name.size() == std::string("app.web.1").size() && !before.count(c.id)) ++live_new;
  }
  EXPECT_EQ(live_new, 6);
  EXPECT_GT(docker_.events().size(), events_before);
  EXPECT_LE(PeakRunning(docker_, "web"), 8u);
  EXPECT_GE(PeakRunning(docker_, "web"), 7u);  // it did start new ones beside the old
}

TEST_F(ReconcilerTest, AFailingBatchStopsTheRolloutWithTheRestStillOld) {
  AddImage("v1", {{"/app/app.json", kBatchedAppJson}});
  prober_.fallback = FakeHttpProber::Ok("ok");
  Deploy("v1");
  ASSERT_OK(store_->SetScale("app", {{"web", 6}}, false));
  Pass();
  std::set<std::string> before;
  for (const ContainerInfo& c : Running("app.web.")) before.insert(c.id);
  // The first batch (web.1, web.2) passes; every later check fails.
  prober_.Push(FakeHttpProber::Ok("ok"));
  prober_.Push(FakeHttpProber::Ok("ok"));
  prober_.fallback = FakeHttpProber::Ok("down");
  ASSERT_OK(store_->Restart("app", ""));
  Pass();
  EXPECT_EQ(GetApp().last_error, "Could not start due to 2 failed checks");  // web.3, web.4
  int old_live = 0;
  for (int n = 1; n <= 6; ++n) {
    auto c = docker_.Find(fmt::format("app.web.{}", n));
    ASSERT_TRUE(c.has_value()) << n;
    EXPECT_EQ(c->state, "running") << n;
    if (before.count(c->id)) ++old_live;
  }
  EXPECT_EQ(old_live, 4);  // web.3 .. web.6 were never replaced
  EXPECT_THAT(EventTexts(), Contains(HasSubstr("Healthcheck failed name='home'")));
}

TEST_F(ReconcilerTest, PsSetMaxParallelBatchesTypesAppJsonDoesNotName) {
  AddImage("v1", {{"/app/Procfile", "web: a\nworker: b\n"}});
  Deploy("v1");
  ASSERT_OK(store_->SetScale("app", {{"web", 1}, {"worker", 4}}, false));
  Pass();
  ASSERT_OK(store_->SetProperty("ps", "app", "max-parallel", "1"));
  ASSERT_OK(store_->Restart("app", "worker"));
  Pass();
  EXPECT_EQ(Running("app.worker.").size(), 4u + 1u);  // the last batch's old one retires later
  EXPECT_LE(PeakRunning(docker_, "worker"), 5u);
}

TEST_F(ReconcilerTest, AppJsonStartupChecksGateEachTypeWithItsOwnKind) {
  AddImage("v1", {{"/app/Procfile", "web: a\nworker: b\n"}, {"/app/app.json", R"({"healthchecks": {
     "web": [{"type": "startup", "name": "hdr", "path": "/up", "port": 9000,
              "httpHeaders": [{"name": "X-Check", "value": "1"}], "attempts": 2, "wait": 3}],
     "worker": [{"type": "startup", "name": "port", "listening": true, "port": 7000,
                 "attempts": 2, "wait": 1},
                {"type": "startup", "name": "probe", "command": ["/bin/check", "-q"]}]}})"}});
  prober_.fallback = FakeHttpProber::Ok("");
  Deploy("v1");
  ASSERT_OK(store_->SetScale("app", {{"worker", 1}}, false));
  Pass();
  EXPECT_EQ(GetApp().last_error, "");
  ASSERT_FALSE(prober_.requests().empty());
  const HttpCheckRequest web = prober_.requests().back();
  EXPECT_EQ(web.path, "/up");
  EXPECT_EQ(web.port, 9000);
  ASSERT_EQ(web.headers.size(), 1u);
  EXPECT_EQ(web.headers[0].first, "X-Check");
  EXPECT_THAT(prober_.connects(), Contains(HasSubstr(":7000")));
  EXPECT_EQ(docker_.CallCount("exec"), 1);
  // A command that starts failing fails the worker's next rollout; the old one keeps running.
  std::string old_worker = docker_.Find("app.worker.1")->id;
  docker_.SetExecResult("app.worker.1.", "/bin/check", ExecResult{1, "no"});
  ASSERT_OK(store_->Restart("app", "worker"));
  Pass();
  EXPECT_EQ(GetApp().last_error, "Could not start due to 1 failed checks");
  EXPECT_EQ(docker_.Find("app.worker.1")->id, old_worker);
  EXPECT_THAT(EventTexts(), Contains(HasSubstr("command exited with code 1")));
}

TEST_F(ReconcilerTest, ABadAppJsonFailsTheReleaseNamingTheField) {
  AddImage("v1");
  Deploy("v1");
  std::string old_id = docker_.Find("app.web.1")->id;
  AddImage("v2", {{"/app/app.json", R"({"healthchecks": {"web": [{"type": "startup",
                                       "attempts": 0}]}})"}});
  Deploy("v2");
  EXPECT_EQ(GetApp().last_error,
            "app.json: healthchecks.web[0].attempts: must be an integer from 1 to 100");
  EXPECT_EQ(docker_.Find("app.web.1")->id, old_id);
}

TEST_F(ReconcilerTest, PredeployRunsOnceBeforeAnyContainerAndPostdeployAfterCutover) {
  ASSERT_OK(store_->ChangeConfig("app", {{"DATABASE_URL", "postgres://db"}}, false, false));
  AddImage("v1", {{"/app/app.json", R"({"scripts": {"dokku": {
      "predeploy": "./migrate", "postdeploy": "./notify"}}})"}});
  docker_.SetTaskExit("predeploy-task", 0, "migrated 3\n");
  Deploy("v1");
  EXPECT_EQ(GetApp().last_error, "");
  std::vector<std::string> creates;
  for (const std::string& call : docker_.calls()) {
    if (call.rfind("create ", 0) == 0) creates.push_back(call);
  }
  ASSERT_EQ(creates.size(), 4u);  // probe, predeploy, web, postdeploy
  EXPECT_THAT(creates[1], HasSubstr("app.predeploy-task-"));
  EXPECT_THAT(creates[2], HasSubstr("app.web.1"));
  EXPECT_THAT(creates[3], HasSubstr("app.postdeploy-task-"));
  Release live = *store_->GetRelease(*GetApp().current_release);
  EXPECT_EQ(live.tasks, "predeploy ok, postdeploy ok");
  EXPECT_THAT(EventTexts(), Contains("Executing predeploy task from app.json: ./migrate"));
  EXPECT_THAT(EventTexts(), Contains("migrated 3"));
  // Task containers are gone, and had the app's env.
  for (const ContainerInfo& c : docker_.Containers())
    EXPECT_EQ(c.name.find("-task-"), std::string::npos) << c.name;
  // A later pass (scale, restart) runs neither again.
  ASSERT_OK(store_->Restart("app", ""));
  Pass();
  int tasks = 0;
  for (const std::string& call : docker_.calls())
    tasks += call.find("-task-") != std::string::npos && call.rfind("create ", 0) == 0;
  EXPECT_EQ(tasks, 2);
}

TEST_F(ReconcilerTest, AFailingPredeployLeavesTheOldReleaseServing) {
  AddImage("v1");
  Deploy("v1");
  std::string old_id = docker_.Find("app.web.1")->id;
  AddImage("v2", {{"/app/app.json", R"({"scripts": {"dokku": {"predeploy": "exit 3"}}})"}});
  docker_.SetTaskExit("predeploy-task", 3, "boom\n");
  Deploy("v2");
  App app = GetApp();
  EXPECT_EQ(app.last_error, "Execution of predeploy task failed: exit 3");
  EXPECT_EQ(docker_.Find("app.web.1")->id, old_id);
  EXPECT_EQ(Running("app.web.").size(), 1u);
  EXPECT_EQ(app.desired_release, app.current_release);
  auto releases = store_->ListReleases("app");
  ASSERT_OK(releases);
  EXPECT_EQ(releases->back().status, "failed");
  EXPECT_EQ(releases->back().tasks, "predeploy failed");
  EXPECT_THAT(EventTexts(), Contains("boom"));
  for (const ContainerInfo& c : docker_.Containers())
    EXPECT_EQ(c.name.find("-task-"), std::string::npos) << c.name;
}

TEST_F(ReconcilerTest, AFailingPostdeployIsReportedNotRolledBack) {
  AddImage("v1", {{"/app/app.json", R"({"scripts": {"dokku": {"postdeploy": "./notify"}}})"}});
  docker_.SetTaskExit("postdeploy-task", 1, "");
  Deploy("v1");
  App app = GetApp();
  EXPECT_EQ(app.last_error, "Execution of postdeploy task failed: ./notify");
  ASSERT_TRUE(app.current_release.has_value());
  Release live = *store_->GetRelease(*app.current_release);
  EXPECT_EQ(live.status, "live");
  EXPECT_EQ(live.tasks, "postdeploy failed");
  EXPECT_EQ(Running("app.web.").size(), 1u);
}

TEST_F(ReconcilerTest, FailingLivenessReplacesTheContainerStartFirstWithBackoff) {
  AddImage("v1", {{"/app/app.json", R"({"healthchecks": {"web": [{"type": "liveness",
      "name": "alive", "path": "/health", "attempts": 2, "wait": 1}]}})"}});
  // The new container's default check sleeps on the fake clock: keep it short.
  ASSERT_OK(store_->SetProperty("checks", kGlobal, "default-wait", "1"));
  prober_.fallback = FakeHttpProber::Ok("");
  Deploy("v1");
  const std::string first = docker_.Find("app.web.1")->id;
  clock_.Advance(1000);
  ReconcileResult r = Pass();
  EXPECT_GT(r.requeue_after_ms, 0);
  EXPECT_LE(r.requeue_after_ms, 1000);  // the next probe
  EXPECT_EQ(docker_.Find("app.web.1")->id, first);
  prober_.fallback = FakeHttpProber::TransportError("curl: (7) Failed to connect");
  clock_.Advance(1000);
  Pass();
  EXPECT_EQ(docker_.Find("app.web.1")->id, first);  // one failure of two
  clock_.Advance(1000);
  Pass();
  const std::string second = docker_.Find("app.web.1")->id;
  EXPECT_NE(second, first);
  EXPECT_THAT(EventTexts(), Contains("Liveness checks failed 2 times; replacing web.1"));
  EXPECT_THAT(EventTexts(), Contains(HasSubstr("Liveness check failed name='alive' (web.1)")));
  auto old = docker_.Find(first);
  ASSERT_TRUE(old.has_value());
  EXPECT_NE(old->name, "app.web.1");  // retiring under another name
  // Still failing: the new one fails twice too, but the index waits out its backoff (10 s).
  clock_.Advance(1000);
  Pass();
  clock_.Advance(1000);
  Pass();
  EXPECT_EQ(docker_.Find("app.web.1")->id, second);
  clock_.Advance(9000);
  Pass();
  EXPECT_NE(docker_.Find("app.web.1")->id, second);
}

TEST_F(ReconcilerTest, FailingReadinessLeavesTheProxyUntilItPassesAgain) {
  AddImage("v1", {{"/app/app.json", R"({"healthchecks": {"web": [{"type": "readiness",
      "name": "ready", "path": "/ready", "attempts": 1, "wait": 2}]}})"}});
  prober_.fallback = FakeHttpProber::Ok("");
  Deploy("v1");
  ASSERT_OK(store_->SetScale("app", {{"web", 2}}, false));
  Pass();
  clock_.Advance(2000);
  Pass();
  EXPECT_EQ(proxy_.current["app"], 2u);
  const std::string id1 = docker_.Find("app.web.1")->id, id2 = docker_.Find("app.web.2")->id;
  prober_.fallback = FakeHttpProber::Ok("", 503);
  clock_.Advance(2000);
  Pass();
  EXPECT_EQ(proxy_.current.count("app"), 0u);  // nothing ready: out of the proxy
  EXPECT_THAT(EventTexts(), Contains("web.1 is not ready; out of the proxy"));
  prober_.fallback = FakeHttpProber::Ok("");
  clock_.Advance(2000);
  Pass();
  EXPECT_EQ(proxy_.current["app"], 2u);
  EXPECT_THAT(EventTexts(), Contains("web.1 is ready again; back in the proxy"));
  // Readiness never replaces anything.
  EXPECT_EQ(docker_.Find("app.web.1")->id, id1);
  EXPECT_EQ(docker_.Find("app.web.2")->id, id2);
}

TEST_F(ReconcilerTest, AStaleRetirementNeverStopsAContainerThatStillHoldsItsLiveName) {
  AddImage("v1", {{"/app/Procfile", "web: a\nworker: b\n"}});
  Deploy("v1");
  ASSERT_OK(store_->SetScale("app", {{"worker", 1}}, false));
  Pass();
  // A rollout that registered worker.1 for retirement and crashed before renaming it.
  const std::string id = docker_.Find("app.worker.1")->id;
  ASSERT_OK(store_->AddRetirement(id, "app", clock_.NowMs()));
  clock_.Advance(1000);
  Pass();
  auto worker = docker_.Find("app.worker.1");
  ASSERT_TRUE(worker.has_value());
  EXPECT_EQ(worker->id, id);
  EXPECT_EQ(worker->state, "running");
  EXPECT_TRUE(store_->ListRetirements()->empty());
}

TEST_F(ReconcilerTest, AContainerDockerCannotRemoveDoesNotHoldTheRestOfTheApp) {
  AddImage("v1");
  Deploy("v1");
  const std::string old_id = docker_.Find("app.web.1")->id;
  ASSERT_OK(store_->Restart("app", ""));
  Pass();
  // Docker answers the retirement's remove with a 500 while the engine itself is fine.
  const std::string retiring = docker_.Find(old_id)->name;  // app.web.1.<time>
  docker_.FailFor("remove", retiring,
                  Status::Unavailable("driver \"overlay2\" failed to remove root filesystem: "
                                      "device or resource busy"));
  clock_.Advance(60'000);
  ASSERT_OK(store_->SetRunning("app", false));
  ReconcileResult r = Pass();
  EXPECT_EQ(GetApp().observed_generation, GetApp().generation);
  EXPECT_TRUE(Running("app.web.").empty());  // ps:stop applied regardless
  EXPECT_TRUE(docker_.Find(old_id).has_value());
  EXPECT_GT(r.requeue_after_ms, 0);
  EXPECT_LE(r.requeue_after_ms, 10'000);  // tried again soon
  docker_.ClearFailures();
  clock_.Advance(10'000);
  Pass();
  EXPECT_FALSE(docker_.Find(old_id).has_value());
  EXPECT_TRUE(store_->ListRetirements()->empty());
}

TEST_F(ReconcilerTest, AppJsonQuantitiesSetTheirTypesAndOthersKeepTheirScale) {
  AddImage("v1", {{"/app/Procfile", "web: a\nworker: b\n"},
                  {"/app/app.json", R"({"formation": {"web": {"quantity": 2}}})"}});
  Deploy("v1");
  EXPECT_EQ(Running("app.web.").size(), 2u);
  ASSERT_OK(store_->SetScale("app", {{"worker", 1}}, false));
  Pass();
  EXPECT_EQ(Running("app.worker.").size(), 1u);  // not listed: the operator's (dokku#5412)
  // app.json wins for web, at every pass and release, whatever the stored quantity says.
  ASSERT_OK(store_->SetScale("app", {{"web", 5}}, false));
  Pass();
  EXPECT_EQ(Running("app.web.").size(), 2u);
  Deploy("v1");
  auto formation = store_->GetFormation("app");
  ASSERT_OK(formation);
  std::map<std::string, int> q;
  for (const FormationEntry& f : *formation) q[f.proctype] = f.quantity;
  EXPECT_EQ(q["web"], 2);
  EXPECT_EQ(q["worker"], 1);
}

TEST_F(ReconcilerTest, AppJsonQuantityOfATypeTheProcfileLacksFailsTheRelease) {
  AddImage("v1", {{"/app/Procfile", "web: a\n"},
                  {"/app/app.json", R"({"formation": {"clock": {"quantity": 1}}})"}});
  Deploy("v1");
  EXPECT_EQ(GetApp().last_error, "clock is not a valid process name to scale up");
  EXPECT_TRUE(docker_.Containers().empty() || Running("app.").empty());  // nothing deployed
}

TEST_F(ReconcilerTest, AContainerDockerRefusesToStartIsReplacedBeforeTheCommandIsDone) {
  AddImage("v1", {{"/app/Procfile", "web: a\nworker: b\n"}});
  Deploy("v1");
  ASSERT_OK(store_->SetScale("app", {{"worker", 1}}, false));
  Pass();
  const std::string old_id = docker_.Find("app.worker.1")->id;
  // After a dockerd restart: the container is down and Docker refuses to start it again.
  docker_.Exit("app.worker.1", 137);
  docker_.FailStartFor("app.worker.1", Status::Internal("task " + old_id + ": already exists"));
  ASSERT_OK(store_->SetScale("app", {{"web", 2}}, false));
  ReconcileResult r = Pass();
  EXPECT_NE(GetApp().observed_generation, GetApp().generation);  // ps:scale keeps waiting
  EXPECT_GT(r.requeue_after_ms, 0);
  EXPECT_LE(r.requeue_after_ms, 250);
  EXPECT_FALSE(docker_.Find(old_id).has_value());
  EXPECT_THAT(EventTexts(), Contains(HasSubstr("Cannot start app.worker.1: task")));
  docker_.ClearFailures();
  Pass();
  auto worker = docker_.Find("app.worker.1");
  ASSERT_TRUE(worker.has_value());
  EXPECT_EQ(worker->state, "running");
  EXPECT_EQ(GetApp().observed_generation, GetApp().generation);
  EXPECT_EQ(Running("app.web.").size(), 2u);
}

TEST_F(ReconcilerTest, AnIndexReplacedTwiceInOneSecondGetsADistinctRetiringName) {
  AddImage("v1");
  Deploy("v1");
  ASSERT_OK(store_->Restart("app", ""));
  Pass();
  ASSERT_OK(store_->Restart("app", ""));
  Pass();  // the same second: app.web.1.<now> is taken by the first retiring container
  EXPECT_EQ(GetApp().last_error, "");
  EXPECT_EQ(GetApp().observed_generation, GetApp().generation);
  int retiring = 0;
  for (const ContainerInfo& c : docker_.Containers()) {
    if (c.name.rfind("app.web.1.", 0) == 0) ++retiring;
  }
  EXPECT_EQ(retiring, 2);
  EXPECT_EQ(Running("app.web.1").size(), 3u);  // the live one and two retiring
}

}  // namespace
}  // namespace dokku

// ps start-cmd and skip-deploy -----------------------------------------------------------------

namespace dokku {
namespace {

TEST_F(ReconcilerTest, StartCmdReplacesTheImageCmdOfWebWithoutAProcfile) {
  AddImage("v1");
  ASSERT_OK(store_->SetProperty("ps", "app", "dockerfile-start-cmd", "httpd -f -p 9999"));
  Deploy("v1");
  EXPECT_EQ(docker_.SpecOf("app.web.1")->cmd,
            (std::vector<std::string>{"/bin/sh", "-c", "httpd -f -p 9999"}));
  ASSERT_OK(store_->SetProperty("ps", "app", "start-cmd", "httpd -f -p $PORT -h /www"));
  Pass();
  EXPECT_EQ(docker_.SpecOf("app.web.1")->cmd,
            (std::vector<std::string>{"/bin/sh", "-c", "httpd -f -p $PORT -h /www"}))
      << "start-cmd wins over dockerfile-start-cmd, and a change rolls web";
  ASSERT_OK(store_->SetProperty("ps", "app", "start-cmd", ""));
  ASSERT_OK(store_->SetProperty("ps", "app", "dockerfile-start-cmd", ""));
  Pass();
  EXPECT_TRUE(docker_.SpecOf("app.web.1")->cmd.empty()) << "unset: the image's CMD again";
}

TEST_F(ReconcilerTest, StartCmdLeavesProcfileTypesAlone) {
  AddImage("v1", {{"Procfile", "web: httpd -f -p $PORT\n"}});
  ASSERT_OK(store_->SetProperty("ps", "app", "start-cmd", "sleep 1"));
  Deploy("v1");
  EXPECT_EQ(docker_.SpecOf("app.web.1")->cmd,
            (std::vector<std::string>{"/bin/sh", "-c", "httpd -f -p $PORT"}));
}

TEST_F(ReconcilerTest, SkipDeployRecordsTheReleaseAndKeepsTheOldOneRunning) {
  const std::string v1 = AddImage("v1");
  Deploy("v1");
  const std::string v2 = AddImage("v2");
  ASSERT_OK(store_->SetProperty("ps", "app", "skip-deploy", "true"));
  Deploy("v2");
  EXPECT_EQ(docker_.SpecOf("app.web.1")->image, v1) << "v2 is recorded, not started";
  App app = GetApp();
  EXPECT_EQ(app.observed_generation, app.generation) << "the deploy command returns";
  EXPECT_EQ(store_->GetRelease(*app.desired_release)->status, "prepared");
  EXPECT_THAT(EventTexts(), Contains(::testing::HasSubstr("ps skip-deploy is true")));
  ASSERT_OK(store_->SetProperty("ps", "app", "skip-deploy", ""));
  Pass();
  EXPECT_EQ(docker_.SpecOf("app.web.1")->image, v2) << "unset: the recorded release starts";
}

}  // namespace
}  // namespace dokku

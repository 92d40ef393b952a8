// SwarmScheduler and the service-spec mapping against FakeSwarm: what each dokku command turns
// into on Swarm (create, scale, restart, stop/start, removal), idempotence, waiting, failures.
#include "controller/scheduler/swarm/swarm_scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "controller/model/naming.h"
#include "tests/testing/fake_swarm.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Advances the fake clock instead of sleeping and lets a test act between polls.
class HookSleeper : public Sleeper {
 public:
  explicit HookSleeper(FakeClock* clock) : clock_(clock) {}
  bool SleepFor(int64_t ms) override {
    sleeps.push_back(ms);
    clock_->Advance(ms);
    if (interrupt) return false;
    if (on_sleep) on_sleep(static_cast<int>(sleeps.size()));
    return true;
  }
  std::function<void(int)> on_sleep;
  bool interrupt = false;
  std::vector<int64_t> sleeps;

 private:
  FakeClock* clock_;
};

SwarmDesired Desired(int web = 2, int worker = 1) {
  SwarmDesired d;
  d.app = "blog";
  d.store_id = "store1";
  d.release_id = 7;
  d.image_id = "sha256:img1";
  d.procs = {{"web", web, "httpd -f -p $PORT", "hash-web", 0, false, false, 1},
             {"worker", worker, "", "hash-worker", 0, false, false, 1}};
  d.restart_policy = "on-failure:10";
  d.stop_timeout_s = 30;
  d.default_wait_s = 10;
  return d;
}

SwarmProc& Proc(SwarmDesired& d, const std::string& proctype) {
  for (SwarmProc& p : d.procs) {
    if (p.proctype == proctype) return p;
  }
  ADD_FAILURE() << "no " << proctype;
  return d.procs.front();
}

class SwarmSchedulerTest : public ::testing::Test {
 protected:
  Status Apply(const SwarmDesired& desired) {
    lines_.clear();
    return scheduler_.Apply(desired, &sleeper_, emit_, &observed_);
  }
  std::string Transcript() const {
    std::string out;
    for (const std::string& l : lines_) out += l + "\n";
    return out;
  }
  std::vector<std::string> Names(const SwarmObserved& o) const {
    std::vector<std::string> out;
    for (const ObservedContainer& c : o.containers) out.push_back(c.name);
    return out;
  }
  SwarmService Service(const std::string& name) const {
    std::optional<SwarmService> s = swarm_.ServiceByName(name);
    EXPECT_TRUE(s.has_value()) << name;
    return s.value_or(SwarmService{});
  }
  int UpdateCalls() const { return swarm_.CountCalls("update ") + swarm_.CountCalls("create "); }

  FakeClock clock_;
  FakeSwarm swarm_{&clock_};
  HookSleeper sleeper_{&clock_};
  SwarmScheduler scheduler_{&swarm_, &clock_};
  std::vector<std::string> lines_;
  Emit emit_ = [this](const std::string& level, const std::string& text) {
    lines_.push_back(level + ": " + text);
  };
  SwarmObserved observed_;
};

// ---- The spec mapping (pure).

TEST(SwarmSpecTest, MountsAndResourcesGoIntoTheTaskTemplate) {
  SwarmDesired d = Desired();
  d.procs[0].mounts = {{"bind", "/srv/data", "/data", true, "", false}};
  d.procs[0].memory = 64LL << 20;
  d.procs[0].nano_cpus = 1'000'000'000;
  d.procs[0].memory_reservation = 1LL << 20;
  std::string note;
  StatusOr<SwarmServiceSpec> spec = BuildServiceSpec(d, d.procs[0], &note);
  ASSERT_OK(spec);
  EXPECT_EQ(spec->mounts, d.procs[0].mounts);
  EXPECT_EQ(spec->limit_memory, 64LL << 20);
  EXPECT_EQ(spec->limit_nano_cpus, 1'000'000'000);
  EXPECT_EQ(spec->reserve_memory, 1LL << 20);
  StatusOr<SwarmServiceSpec> plain = BuildServiceSpec(Desired(), Desired().procs[0], &note);
  EXPECT_NE(plain->labels.at(kLabelSwarmSpec), spec->labels.at(kLabelSwarmSpec));
}

TEST(SwarmSpecTest, PlacementGoesToEveryServiceAndChangesTheSpec) {
  SwarmDesired d = Desired();
  d.constraints = {"node.role==worker"};
  d.max_replicas_per_node = 1;
  std::string note;
  for (const SwarmProc& proc : d.procs) {
    StatusOr<SwarmServiceSpec> spec = BuildServiceSpec(d, proc, &note);
    ASSERT_OK(spec);
    EXPECT_EQ(spec->constraints, std::vector<std::string>{"node.role==worker"}) << proc.proctype;
    EXPECT_EQ(spec->max_replicas_per_node, 1);
    StatusOr<SwarmServiceSpec> plain = BuildServiceSpec(Desired(), proc, &note);
    ASSERT_OK(plain);
    EXPECT_TRUE(plain->constraints.empty());
    EXPECT_NE(plain->labels.at(kLabelSwarmSpec), spec->labels.at(kLabelSwarmSpec))
        << "moving tasks is a spec change";
  }
}

TEST(SwarmSpecTest, ProcessTypeBecomesAReplicatedService) {
  SwarmDesired d = Desired();
  std::string note;
  StatusOr<SwarmServiceSpec> spec = BuildServiceSpec(d, d.procs[0], &note);
  ASSERT_OK(spec);
  EXPECT_EQ(spec->name, "blog-web");
  EXPECT_EQ(spec->image, "sha256:img1");
  EXPECT_EQ(spec->args, (std::vector<std::string>{"/bin/sh", "-c", "httpd -f -p $PORT"}));
  EXPECT_THAT(spec->env, ElementsAre("DYNO=web.{{.Task.Slot}}", "PORT=5000"));
  EXPECT_TRUE(spec->init);
  EXPECT_EQ(spec->stop_grace_ns, 30'000'000'000);
  EXPECT_EQ(spec->restart_condition, "on-failure");
  EXPECT_EQ(spec->restart_max_attempts, 10);
  EXPECT_EQ(spec->replicas, 2);
  EXPECT_EQ(spec->update.order, "start-first");
  EXPECT_EQ(spec->update.parallelism, 1);
  EXPECT_EQ(spec->update.failure_action, "rollback");
  EXPECT_EQ(spec->update.monitor_ns, 10'000'000'000);  // the default uptime check
  EXPECT_EQ(spec->rollback.order, "start-first");
  EXPECT_EQ(spec->rollback.failure_action, "pause");
  EXPECT_EQ(spec->ports, (std::vector<SwarmPort>{{5000, 0, "host"}}));
  EXPECT_FALSE(spec->healthcheck.has_value());
  EXPECT_EQ(spec->labels.at(kLabelApp), "blog");
  EXPECT_EQ(spec->labels.at(kLabelProcType), "web");
  EXPECT_EQ(spec->labels.at(kLabelStore), "store1");
  EXPECT_EQ(spec->labels.at(kLabelRelease), "7");
  EXPECT_EQ(spec->labels.at(kLabelSpecHash), "hash-web");
  EXPECT_FALSE(spec->labels.at(kLabelSwarmSpec).empty());
  EXPECT_EQ(spec->container_labels.at(kLabelApp), "blog");
  EXPECT_EQ(spec->container_labels.at(kLabelSpecHash), "hash-web");
  EXPECT_EQ(spec->container_labels.at(kLabelSwarmStore), "store1");
  // Without com.dokkud.store the docker-local reconciler never lists (or removes) task containers.
  EXPECT_EQ(spec->container_labels.count(kLabelStore), 0u);

  StatusOr<SwarmServiceSpec> worker = BuildServiceSpec(d, d.procs[1], &note);
  ASSERT_OK(worker);
  EXPECT_EQ(worker->name, "blog-worker");
  EXPECT_TRUE(worker->args.empty());  // the image's CMD
  EXPECT_THAT(worker->env, ElementsAre("DYNO=worker.{{.Task.Slot}}", "PORT="));
  EXPECT_TRUE(worker->ports.empty());
}

TEST(SwarmSpecTest, RestartPoliciesMapOntoSwarmConditions) {
  struct Case {
    std::string policy, condition;
    int64_t attempts;
  };
  for (const Case& c : std::vector<Case>{{"on-failure:3", "on-failure", 3},
                                         {"on-failure", "on-failure", 0},
                                         {"always", "any", 0},
                                         {"unless-stopped", "any", 0},
                                         {"no", "none", 0}}) {
    SwarmDesired d = Desired();
    d.restart_policy = c.policy;
    std::string note;
    StatusOr<SwarmServiceSpec> spec = BuildServiceSpec(d, d.procs[0], &note);
    ASSERT_OK(spec);
    EXPECT_EQ(spec->restart_condition, c.condition) << c.policy;
    EXPECT_EQ(spec->restart_max_attempts, c.attempts) << c.policy;
  }
  SwarmDesired bad = Desired();
  bad.restart_policy = "sometimes";
  std::string note;
  EXPECT_EQ(BuildServiceSpec(bad, bad.procs[0], &note).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SwarmSpecTest, ChecksModesChooseOrderAndMonitor) {
  SwarmDesired d = Desired();
  d.checks = ChecksFile{};
  d.checks->checks = {{"http", "", "/", "ok"}};
  std::string note;
  Proc(d, "web").checks_disabled = true;
  StatusOr<SwarmServiceSpec> disabled = BuildServiceSpec(d, Proc(d, "web"), &note);
  ASSERT_OK(disabled);
  EXPECT_EQ(disabled->update.order, "stop-first");  // singletons must not overlap
  EXPECT_EQ(disabled->rollback.order, "stop-first");
  EXPECT_EQ(disabled->update.monitor_ns, 0);
  EXPECT_FALSE(disabled->healthcheck.has_value());

  Proc(d, "web").checks_disabled = false;
  Proc(d, "web").checks_skipped = true;
  Proc(d, "web").parallelism = 3;
  StatusOr<SwarmServiceSpec> skipped = BuildServiceSpec(d, Proc(d, "web"), &note);
  ASSERT_OK(skipped);
  EXPECT_EQ(skipped->update.order, "start-first");
  EXPECT_EQ(skipped->update.parallelism, 3);
  EXPECT_EQ(skipped->update.monitor_ns, 0);
  EXPECT_FALSE(skipped->healthcheck.has_value());
}

TEST(SwarmSpecTest, AppJsonChecksBecomeTheHealthcheckOfAnyType) {
  SwarmDesired d = Desired();
  d.checks = ChecksFile{};  // app.json wins over CHECKS
  d.checks->checks = {{"http", "", "/", "legacy"}};
  SwarmProc worker = Proc(d, "worker");
  HealthCheck listening;
  listening.kind = HealthCheckKind::kListening;
  listening.port = 7000;
  listening.wait = 3;
  listening.attempts = 4;
  listening.initial_delay = 2;
  HealthCheck command;
  command.kind = HealthCheckKind::kCommand;
  command.command = {"/bin/check", "it's"};
  command.wait = 2;
  worker.app_json_checks = {listening, command};
  std::string note;
  StatusOr<SwarmServiceSpec> spec = BuildServiceSpec(d, worker, &note);
  ASSERT_OK(spec);
  EXPECT_TRUE(note.empty()) << note;
  ASSERT_TRUE(spec->healthcheck.has_value());
  EXPECT_THAT(spec->healthcheck->test,
              ElementsAre("CMD-SHELL", "nc -z 127.0.0.1 7000 && '/bin/check' 'it'\\''s'"));
  EXPECT_EQ(spec->healthcheck->interval_ns, 2'000'000'000);
  EXPECT_EQ(spec->healthcheck->retries, 4);
  EXPECT_EQ(spec->healthcheck->start_period_ns, 2'000'000'000);
  EXPECT_EQ(spec->healthcheck->timeout_ns, 10'000'000'000);
  // A path check with headers and content, against the web port.
  SwarmProc web = Proc(d, "web");
  HealthCheck path;
  path.kind = HealthCheckKind::kPath;
  path.path = "/up";
  path.content = "ok";
  path.headers = {{"X-Check", "1"}};
  web.app_json_checks = {path};
  spec = BuildServiceSpec(d, web, &note);
  ASSERT_OK(spec);
  ASSERT_TRUE(spec->healthcheck.has_value());
  EXPECT_THAT(spec->healthcheck->test,
              ElementsAre("CMD-SHELL",
                          "wget -q -O- --header 'X-Check: 1' 'http://127.0.0.1:5000/up' | grep -qF "
                          "-e 'ok'"));
  // https cannot run inside the container: the uptime check, said so.
  web.app_json_checks[0].scheme = "https";
  spec = BuildServiceSpec(d, web, &note);
  ASSERT_OK(spec);
  EXPECT_FALSE(spec->healthcheck.has_value());
  EXPECT_THAT(note, HasSubstr("app.json checks not used as a Swarm healthcheck"));
}

TEST(SwarmSpecTest, WebHealthcheckComesFromChecks) {
  SwarmDesired d = Desired();
  d.checks = ChecksFile{};
  d.checks->wait = 2;
  d.checks->timeout = 7;
  d.checks->attempts = 4;
  d.checks->checks = {{"http", "", "/", "It's up"}, {"http", "blog.example.com", "/health", ""}};
  std::string note;
  StatusOr<SwarmServiceSpec> spec = BuildServiceSpec(d, Proc(d, "web"), &note);
  ASSERT_OK(spec);
  EXPECT_TRUE(note.empty()) << note;
  ASSERT_TRUE(spec->healthcheck.has_value());
  EXPECT_THAT(spec->healthcheck->test,
              ElementsAre("CMD-SHELL",
                          "wget -q -O- 'http://127.0.0.1:5000/' | grep -qF -e 'It'\\''s up'"
                          " && wget -q -O- --header 'Host: blog.example.com' "
                          "'http://127.0.0.1:5000/health' >/dev/null"));
  EXPECT_EQ(spec->healthcheck->interval_ns, 2'000'000'000);
  EXPECT_EQ(spec->healthcheck->timeout_ns, 14'000'000'000);
  EXPECT_EQ(spec->healthcheck->retries, 4);
  EXPECT_EQ(spec->update.monitor_ns, 2'000'000'000);
  // Only web is checked.
  StatusOr<SwarmServiceSpec> worker = BuildServiceSpec(d, Proc(d, "worker"), &note);
  ASSERT_OK(worker);
  EXPECT_FALSE(worker->healthcheck.has_value());
}

TEST(SwarmSpecTest, ChecksThatCannotRunSafelyFallBackToTheUptimeCheck) {
  const std::vector<CheckSpec> unsafe = {
      {"https", "", "/", "ok"},         // busybox wget without TLS
      {"http", "", "/a b", "ok"},       // whitespace in the URL
      {"http", "", "/", "two\nlines"},  // grep -F would read two patterns
      {"http", "", "/", "bell\a"},      // control character
      {"http", "a b", "/", ""},         // not a host name
  };
  for (const CheckSpec& check : unsafe) {
    SwarmDesired d = Desired();
    d.checks = ChecksFile{};
    d.checks->checks = {check};
    std::string note;
    StatusOr<SwarmServiceSpec> spec = BuildServiceSpec(d, Proc(d, "web"), &note);
    ASSERT_OK(spec);
    EXPECT_FALSE(spec->healthcheck.has_value()) << check.path << " " << check.expected;
    EXPECT_THAT(note, HasSubstr("using the uptime check"));
    EXPECT_EQ(spec->update.monitor_ns, 10'000'000'000);
  }
  SwarmDesired no_tools = Desired();
  no_tools.checks = ChecksFile{};
  no_tools.checks->checks = {{"http", "", "/", "ok"}};
  no_tools.healthcheck_tools = false;
  std::string note;
  StatusOr<SwarmServiceSpec> spec = BuildServiceSpec(no_tools, Proc(no_tools, "web"), &note);
  ASSERT_OK(spec);
  EXPECT_FALSE(spec->healthcheck.has_value());
  EXPECT_THAT(note, HasSubstr("lacks /bin/sh and wget"));
}

TEST(SwarmSpecTest, ShellQuoteSurvivesQuotes) {
  EXPECT_EQ(ShellQuote("plain"), "'plain'");
  EXPECT_EQ(ShellQuote("it's $HOME `x`"), "'it'\\''s $HOME `x`'");
  EXPECT_EQ(ShellQuote(""), "''");
}

TEST(SwarmSpecTest, ServiceNamesAreValidAndDistinct) {
  EXPECT_EQ(SwarmServiceName("blog", "web"), "blog-web");
  EXPECT_EQ(SwarmServiceName("my_app", "worker_2"), "my_app-worker_2");
  const std::string dotted = SwarmServiceName("my.app", "web");
  EXPECT_THAT(dotted, ::testing::StartsWith("my-app-web-"));
  EXPECT_EQ(dotted.find('.'), std::string::npos);
  const std::string long_name = SwarmServiceName(std::string(60, 'a'), "worker");
  EXPECT_LE(long_name.size(), 63u);
  EXPECT_NE(SwarmServiceName(std::string(60, 'a'), "worker"),
            SwarmServiceName(std::string(60, 'a'), "worker2"));
  // "a" + "b-web" and "a-b" + "web" both read a-b-web; disambiguation tells them apart.
  EXPECT_NE(SwarmServiceName("a", "b-web", true), SwarmServiceName("a-b", "web", true));
}

TEST(SwarmSpecTest, SpecHashFollowsEveryChangeButNotTheName) {
  SwarmDesired d = Desired();
  std::string note;
  auto hash = [&](const SwarmDesired& desired) {
    StatusOr<SwarmServiceSpec> spec = BuildServiceSpec(desired, desired.procs[0], &note);
    return spec.ok() ? spec->labels.at(kLabelSwarmSpec) : std::string();
  };
  const std::string base = hash(d);
  EXPECT_EQ(hash(d), base);
  SwarmDesired scaled = d;
  scaled.procs[0].quantity = 3;
  EXPECT_NE(hash(scaled), base);
  SwarmDesired restarted = d;
  restarted.procs[0].restart_generation = 1;
  EXPECT_NE(hash(restarted), base);
  SwarmDesired grace = d;
  grace.stop_timeout_s = 5;
  EXPECT_NE(hash(grace), base);
}

// ---- The scheduler.

TEST_F(SwarmSchedulerTest, DeployCreatesOneServicePerProcessType) {
  ASSERT_OK(Apply(Desired(2, 1)));
  EXPECT_EQ(swarm_.CountCalls("create "), 2);
  EXPECT_EQ(Service("blog-web").spec.replicas, 2);
  EXPECT_EQ(Service("blog-worker").spec.replicas, 1);
  EXPECT_EQ(Transcript(),
            "info1: Deploying blog via the docker-swarm scheduler...\n"
            "info1: Deploying web (count=2)\n"
            "verbose: Created service blog-web (start-first, parallelism 1)\n"
            "info1: Deploying worker (count=1)\n"
            "verbose: Created service blog-worker (start-first, parallelism 1)\n"
            "verbose: web: 2/2 tasks running\n"
            "verbose: worker: 1/1 tasks running\n");
  EXPECT_TRUE(observed_.converged);
  EXPECT_EQ(observed_.failure, "");
  EXPECT_THAT(Names(observed_), ElementsAre("blog.web.1", "blog.web.2", "blog.worker.1"));
  for (const ObservedContainer& c : observed_.containers) {
    EXPECT_EQ(c.app, "blog");
    EXPECT_EQ(c.state, "running");
    EXPECT_EQ(c.role, "live");
    EXPECT_EQ(c.release_id, 7);
    EXPECT_EQ(c.image_id, "sha256:img1");
    EXPECT_THAT(c.id, ::testing::StartsWith("ctr"));
    EXPECT_EQ(c.node, "fake") << "the host name of the task's node";
  }
  EXPECT_EQ(observed_.containers[0].port, 5000);
  EXPECT_EQ(observed_.containers[0].host_port, 32768);  // the IPv4 binding of the task
  ASSERT_EQ(observed_.web_upstreams.size(), 2u);
  EXPECT_EQ(observed_.web_upstreams[0].ip, "127.0.0.1");
  EXPECT_EQ(observed_.web_upstreams[0].port, 32768);
  EXPECT_EQ(observed_.web_upstreams[1].port, 32770);
}

TEST_F(SwarmSchedulerTest, UnchangedAppMakesNoChanges) {
  ASSERT_OK(Apply(Desired()));
  swarm_.ClearCalls();
  ASSERT_OK(Apply(Desired()));
  EXPECT_EQ(UpdateCalls(), 0);
  EXPECT_EQ(swarm_.CountCalls("remove "), 0);
  EXPECT_TRUE(lines_.empty()) << Transcript();
  EXPECT_TRUE(sleeper_.sleeps.empty());
  EXPECT_TRUE(observed_.converged);
  EXPECT_EQ(observed_.containers.size(), 3u);
}

TEST_F(SwarmSchedulerTest, ScaleChangesReplicasOnly) {
  ASSERT_OK(Apply(Desired(2, 1)));
  const std::string first = observed_.containers[0].id;
  swarm_.ClearCalls();
  ASSERT_OK(Apply(Desired(3, 1)));
  EXPECT_EQ(swarm_.CountCalls("update "), 1);
  EXPECT_EQ(Service("blog-web").spec.replicas, 3);
  EXPECT_THAT(Transcript(), HasSubstr("info1: Deploying web (count=3)\n"
                                      "verbose: Scaling service blog-web from 2 to 3\n"));
  EXPECT_THAT(Names(observed_),
              ElementsAre("blog.web.1", "blog.web.2", "blog.web.3", "blog.worker.1"));
  EXPECT_EQ(observed_.containers[0].id, first);  // scaling restarts nothing

  ASSERT_OK(Apply(Desired(1, 1)));
  EXPECT_THAT(Transcript(), HasSubstr("Scaling service blog-web from 3 to 1"));
  EXPECT_THAT(Names(observed_), ElementsAre("blog.web.1", "blog.worker.1"));
  EXPECT_EQ(observed_.web_upstreams.size(), 1u);
}

TEST_F(SwarmSchedulerTest, RestartForcesAnUpdateOfThatTypeOnly) {
  ASSERT_OK(Apply(Desired()));
  const SwarmObserved before = observed_;
  swarm_.ClearCalls();
  SwarmDesired d = Desired();
  Proc(d, "web").restart_generation = 1;
  ASSERT_OK(Apply(d));
  EXPECT_EQ(swarm_.CountCalls("update "), 1);
  EXPECT_EQ(Service("blog-web").spec.force_update, 1u);
  EXPECT_THAT(Transcript(), HasSubstr("verbose: Updating service blog-web (start-first"));
  ASSERT_EQ(observed_.containers.size(), 3u);
  EXPECT_NE(observed_.containers[0].id, before.containers[0].id);
  EXPECT_NE(observed_.containers[1].id, before.containers[1].id);
  EXPECT_EQ(observed_.containers[2].id, before.containers[2].id);  // the worker kept running
}

TEST_F(SwarmSchedulerTest, StopKeepsServicesAtZeroAndStartRestoresThem) {
  SwarmDesired d = Desired();
  d.web_publish = SwarmPublish::kIngress;
  ASSERT_OK(Apply(d));
  ASSERT_EQ(observed_.web_upstreams.size(), 1u);
  const int published = observed_.web_upstreams[0].port;
  EXPECT_EQ(published, 30000);
  EXPECT_EQ(observed_.containers[0].host_port, 30000);

  d.running = false;
  ASSERT_OK(Apply(d));
  EXPECT_EQ(Service("blog-web").spec.replicas, 0);
  EXPECT_EQ(Service("blog-worker").spec.replicas, 0);
  EXPECT_THAT(Transcript(), HasSubstr("verbose: Stopping web: service blog-web scaled to 0"));
  EXPECT_TRUE(observed_.containers.empty());
  EXPECT_TRUE(observed_.web_upstreams.empty());
  EXPECT_TRUE(observed_.converged);

  d.running = true;
  ASSERT_OK(Apply(d));
  EXPECT_EQ(Service("blog-web").spec.replicas, 2);
  EXPECT_EQ(observed_.containers.size(), 3u);
  ASSERT_EQ(observed_.web_upstreams.size(), 1u);
  EXPECT_EQ(observed_.web_upstreams[0].port, published);  // nginx keeps its upstream
}

TEST_F(SwarmSchedulerTest, ATypeAtZeroWithoutAServiceCreatesNothing) {
  ASSERT_OK(Apply(Desired(1, 0)));
  EXPECT_EQ(swarm_.CountCalls("create "), 1);
  EXPECT_FALSE(swarm_.ServiceByName("blog-worker").has_value());
}

TEST_F(SwarmSchedulerTest, TypesLeavingTheFormationAndDestroyedAppsLoseTheirServices) {
  ASSERT_OK(Apply(Desired()));
  SwarmDesired d = Desired();
  d.procs.pop_back();  // the Procfile no longer has a worker
  ASSERT_OK(Apply(d));
  EXPECT_FALSE(swarm_.ServiceByName("blog-worker").has_value());
  EXPECT_THAT(Transcript(), HasSubstr("verbose: Removing service blog-worker"));
  EXPECT_THAT(Names(observed_), ElementsAre("blog.web.1", "blog.web.2"));

  ASSERT_OK(scheduler_.RemoveApp("blog", "store1"));
  EXPECT_TRUE(swarm_.Services().empty());
  ASSERT_OK(scheduler_.Observe("blog", "store1", &observed_));
  EXPECT_TRUE(observed_.containers.empty());
}

TEST_F(SwarmSchedulerTest, OtherStoresAndAppsAreLeftAlone) {
  SwarmDesired other = Desired();
  other.store_id = "store2";
  ASSERT_OK(Apply(other));
  SwarmDesired blog2 = Desired();
  blog2.app = "shop";
  ASSERT_OK(Apply(blog2));
  ASSERT_OK(Apply(Desired()));  // blog-web of store2 holds the plain name
  ASSERT_EQ(swarm_.Services().size(), 6u);
  StatusOr<std::vector<std::string>> apps = scheduler_.ListApps("store1");
  ASSERT_OK(apps);
  EXPECT_THAT(*apps, ElementsAre("blog", "shop"));

  ASSERT_OK(scheduler_.RemoveApp("blog", "store1"));
  EXPECT_EQ(swarm_.Services().size(), 4u);
  EXPECT_TRUE(swarm_.ServiceByName("blog-web").has_value());  // store2's
  EXPECT_TRUE(swarm_.ServiceByName("shop-web").has_value());
}

TEST_F(SwarmSchedulerTest, AForeignServiceHoldingTheNameIsWorkedAround) {
  SwarmServiceSpec foreign;
  foreign.name = "blog-web";
  foreign.image = "nginx";
  foreign.replicas = 1;
  ASSERT_OK(swarm_.CreateService(foreign));
  ASSERT_OK(Apply(Desired(1, 0)));
  std::vector<SwarmService> services = swarm_.Services();
  ASSERT_EQ(services.size(), 2u);
  const SwarmService& ours = services[0].spec.name == "blog-web" ? services[1] : services[0];
  EXPECT_THAT(ours.spec.name, ::testing::StartsWith("blog-web-"));
  EXPECT_EQ(Service("blog-web").spec.image, "nginx");  // untouched
  EXPECT_THAT(Names(observed_), ElementsAre("blog.web.1"));
  // The next pass finds it by its labels and leaves it alone.
  swarm_.ClearCalls();
  ASSERT_OK(Apply(Desired(1, 0)));
  EXPECT_EQ(UpdateCalls(), 0);
}

TEST_F(SwarmSchedulerTest, AStaleVersionIsRetriedOnce) {
  ASSERT_OK(Apply(Desired()));
  swarm_.FailNext("update ", Status::Conflict("update out of sequence"));
  ASSERT_OK(Apply(Desired(3, 1)));
  EXPECT_EQ(swarm_.CountCalls("update "), 2);
  EXPECT_EQ(Service("blog-web").spec.replicas, 3);
}

TEST_F(SwarmSchedulerTest, WaitsForTheRollingUpdateAndFeedsTheProxy) {
  ASSERT_OK(Apply(Desired()));
  const std::vector<Upstream> old_upstreams = observed_.web_upstreams;
  swarm_.SetTasksStartRunning(false);
  std::vector<std::vector<Upstream>> fed;
  SwarmDesired d = Desired();
  d.image_id = "sha256:img2";
  d.release_id = 8;
  d.on_web_upstreams = [&](const std::vector<Upstream>& u) { fed.push_back(u); };
  SwarmObserved during;
  sleeper_.on_sleep = [&](int n) {
    if (n == 1) {
      ASSERT_OK(scheduler_.Observe("blog", "store1", &during));
      swarm_.Settle();
    }
  };
  ASSERT_OK(Apply(d));
  EXPECT_EQ(sleeper_.sleeps, std::vector<int64_t>{1000});
  // Mid-rollout: the old tasks run beside their starting replacements.
  EXPECT_FALSE(during.converged);
  int retiring = 0, starting = 0;
  for (const ObservedContainer& c : during.containers) {
    retiring += c.role == "retiring";
    starting += c.state == "starting";
  }
  EXPECT_EQ(retiring, 3);
  EXPECT_EQ(starting, 3);
  EXPECT_THAT(Transcript(), HasSubstr("verbose: web: 2/2 tasks running\n"));
  EXPECT_TRUE(observed_.converged);
  for (const ObservedContainer& c : observed_.containers) {
    EXPECT_EQ(c.release_id, 8);
    EXPECT_EQ(c.role, "live");
  }
  // The proxy heard of the old tasks while the new ones started, then of the new ones.
  ASSERT_EQ(fed.size(), 2u);
  ASSERT_EQ(fed[0].size(), 2u);
  EXPECT_EQ(fed[0][0].port, old_upstreams[0].port);
  ASSERT_EQ(fed[1].size(), 2u);
  EXPECT_EQ(fed[1][0].port, observed_.web_upstreams[0].port);
  EXPECT_NE(observed_.web_upstreams[0].port, old_upstreams[0].port);
}

TEST_F(SwarmSchedulerTest, AFailedUpdateIsReportedAndNotRetriedInTheSameGeneration) {
  SwarmDesired d = Desired();
  d.generation = 4;
  ASSERT_OK(Apply(d));
  const std::string old_hash = Service("blog-web").spec.labels.at(kLabelSwarmSpec);
  swarm_.FailNextUpdate("task: non-zero exit (143): dockerexec: unhealthy container");
  d.image_id = "sha256:broken";
  ASSERT_OK(Apply(d));
  EXPECT_THAT(observed_.failure, HasSubstr("web: the Swarm update was rolled back"));
  EXPECT_THAT(observed_.failure, HasSubstr("unhealthy container"));
  // Swarm restored the previous spec; the old tasks still serve.
  EXPECT_EQ(Service("blog-web").spec.labels.at(kLabelSwarmSpec), old_hash);
  EXPECT_EQ(observed_.containers[0].image_id, "sha256:img1");
  EXPECT_EQ(observed_.containers[0].restart_count, 0);  // the failed new task is not a restart
  EXPECT_EQ(observed_.web_upstreams.size(), 2u);

  swarm_.ClearCalls();
  ASSERT_OK(Apply(d));
  EXPECT_EQ(UpdateCalls(), 0);
  EXPECT_THAT(observed_.blocked, ElementsAre("web"));
  EXPECT_EQ(observed_.failure, "");

  d.generation = 5;  // the user asked again
  ASSERT_OK(Apply(d));
  EXPECT_EQ(swarm_.CountCalls("update "), 1);
  EXPECT_TRUE(observed_.blocked.empty());
  EXPECT_EQ(observed_.failure, "");
  EXPECT_EQ(observed_.containers[0].image_id, "sha256:broken");
}

TEST_F(SwarmSchedulerTest, TheRollbackMessageSurvivesUntilItCompletes) {
  ASSERT_OK(Apply(Desired()));
  swarm_.SetTasksStartRunning(false);
  swarm_.FailNextUpdate("task: non-zero exit (1)");
  sleeper_.on_sleep = [&](int) { swarm_.Settle(); };
  SwarmDesired d = Desired();
  d.image_id = "sha256:broken";
  ASSERT_OK(Apply(d));
  EXPECT_THAT(Transcript(), HasSubstr("web: the update failed, Swarm is rolling back (update "
                                      "rolled back due to failure or early termination of task"));
  EXPECT_THAT(observed_.failure, HasSubstr("early termination of task"));
  EXPECT_THAT(observed_.failure, HasSubstr("last task error: task: non-zero exit (1)"));
}

TEST_F(SwarmSchedulerTest, ServicesThatNeverConvergeTimeOut) {
  swarm_.SetTasksStartRunning(false);
  SwarmDesired d = Desired(2, 0);
  ASSERT_OK(Apply(d));
  EXPECT_THAT(observed_.failure, HasSubstr("web: Swarm did not converge within"));
  EXPECT_FALSE(observed_.converged);
  int64_t slept = 0;
  for (int64_t ms : sleeper_.sleeps) slept += ms;
  EXPECT_GE(slept, 60'000);   // it did wait for a start, the monitor window...
  EXPECT_LE(slept, 400'000);  // ...but not forever
}

TEST_F(SwarmSchedulerTest, RejectedTasksFailAtOnce) {
  swarm_.RejectNewTasks("No such image: sha256:img1");
  ASSERT_OK(Apply(Desired(1, 0)));
  EXPECT_THAT(observed_.failure, HasSubstr("web: Swarm rejected task web.1: No such image"));
  EXPECT_TRUE(sleeper_.sleeps.empty());
}

TEST_F(SwarmSchedulerTest, ANewServiceWhoseTasksKeepCrashingFails) {
  swarm_.CrashNewTasks("task: non-zero exit (127)");
  sleeper_.on_sleep = [&](int) { swarm_.Settle(); };
  ASSERT_OK(Apply(Desired(2, 0)));
  EXPECT_THAT(observed_.failure,
              HasSubstr("web: tasks keep failing (4 failed; last task error: task: non-zero exit "
                        "(127))"));
  EXPECT_EQ(sleeper_.sleeps.size(), 2u);  // two rounds of crashes, not the whole time bound
}

TEST_F(SwarmSchedulerTest, AShutdownCutsTheWaitShort) {
  swarm_.SetTasksStartRunning(false);
  sleeper_.interrupt = true;
  Status st = Apply(Desired());
  EXPECT_TRUE(st.IsUnavailable()) << st.ToString();
}

TEST_F(SwarmSchedulerTest, AKilledTaskIsReplacedAndCounted) {
  ASSERT_OK(Apply(Desired()));
  const std::string killed = observed_.containers[1].id;
  const std::string web = Service("blog-web").id;
  swarm_.KillTask(web, 2);
  ASSERT_OK(scheduler_.Observe("blog", "store1", &observed_));
  EXPECT_TRUE(observed_.converged);
  ASSERT_EQ(observed_.containers[1].name, "blog.web.2");
  EXPECT_NE(observed_.containers[1].id, killed);
  EXPECT_EQ(observed_.containers[1].restart_count, 1);
  EXPECT_EQ(observed_.containers[0].restart_count, 0);
}

TEST_F(SwarmSchedulerTest, APausedUpdateIsReportedAndResumed) {
  ASSERT_OK(Apply(Desired()));
  swarm_.SetUpdateStatus(Service("blog-web").id,
                         {"paused", "update paused due to failure or early termination of task x"});
  ASSERT_OK(scheduler_.Observe("blog", "store1", &observed_));
  EXPECT_FALSE(observed_.converged);
  EXPECT_THAT(observed_.failure, HasSubstr("web: the Swarm update is paused (update paused"));

  swarm_.ClearCalls();
  ASSERT_OK(Apply(Desired()));
  EXPECT_EQ(swarm_.CountCalls("update "), 1);  // the same spec again, which resumes it
  EXPECT_THAT(Transcript(), HasSubstr("Resuming the paused update of service blog-web"));
  EXPECT_TRUE(observed_.converged);
  EXPECT_EQ(observed_.failure, "");
}

TEST_F(SwarmSchedulerTest, AnEngineOutsideASwarmIsAPrecondition) {
  swarm_.SetManager(false);
  Status st = Apply(Desired());
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(st.message(), HasSubstr("docker swarm init"));
  EXPECT_EQ(UpdateCalls(), 0);
  // Nothing can be left to remove when there is no swarm at all.
  EXPECT_OK(scheduler_.RemoveApp("blog", "store1"));
}

TEST_F(SwarmSchedulerTest, BadDesiredStateIsRefusedBeforeAnyCall) {
  SwarmDesired dup = Desired();
  dup.procs.push_back(dup.procs.front());
  EXPECT_EQ(Apply(dup).code(), StatusCode::kInvalidArgument);
  SwarmDesired no_image = Desired();
  no_image.image_id.clear();
  EXPECT_EQ(Apply(no_image).code(), StatusCode::kInvalidArgument);
  SwarmDesired bad_type = Desired();
  bad_type.procs[1].proctype = "no spaces";
  EXPECT_EQ(Apply(bad_type).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(swarm_.calls().empty());
}

TEST_F(SwarmSchedulerTest, DockerErrorsPassThrough) {
  swarm_.FailNext("create ", Status::Unavailable("docker went away"));
  Status st = Apply(Desired());
  EXPECT_TRUE(st.IsUnavailable());
  EXPECT_EQ(st.message(), "docker went away");
}

}  // namespace
}  // namespace dokku

// E2EConcurrencyTest: 100 real `dokku` processes write to 10 deployed apps at once while dokkud
// reconciles them. No write may be lost (each key's final value is its only write; restarts add
// up), nobody may see "database is locked", every writer must see the app's generation move
// past the value it read before writing, and Docker must end up running what the last writes ask.
// A writer reads the generation through its own Store connection before and after its command:
// a committed write bumps it, so "after > before" holds for every writer whatever the
// interleaving, and the final generation must be the initial one plus the number of writes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <latch>
#include <map>
#include <memory>
#include <thread>

#include "store/store.h"
#include "tests/testing/e2e_fixture.h"

namespace dokku::e2e {
namespace {

using testutil::CommandResult;

constexpr int kApps = 10;
constexpr int kWritersPerApp = 10;
constexpr char kProcfile[] = "web: httpd -f -p $PORT -h /app\nworker: sleep 2147483\n";

struct Writer {
  std::string app;
  std::vector<std::string> args;
  int64_t generation_before = -1;
  int64_t generation_after = -1;
  CommandResult result;
};

// The ten writes an app receives: five to distinct keys, five ps:restart whose counts add up.
std::vector<std::vector<std::string>> WritesFor(const std::string& app, int i) {
  return {
      {"ps:scale", app, "web=2"},
      {"ps:scale", app, "worker=1"},
      {"ps:set", app, "stop-timeout-seconds", std::to_string(10 + i)},
      {"ps:set", app, "restart-policy", fmt::format("on-failure:{}", i + 1)},
      {"checks:set", app, "wait-to-retire", std::to_string(1 + i % 2)},
      {"ps:restart", app},
      {"ps:restart", app},
      {"ps:restart", app, "worker"},
      {"ps:restart", app, "worker"},
      {"ps:restart", app, "worker"},
  };
}

class E2EConcurrencyTest : public E2ETest {
 protected:
  std::unique_ptr<Store> OpenStore() {
    StatusOr<std::unique_ptr<Store>> s = Store::OpenStateDir(state_dir());
    EXPECT_OK(s);
    return s.ok() ? std::move(*s) : nullptr;
  }

  // Polls until dokkud has applied every app's latest generation.
  bool Settled(const std::vector<std::string>& apps, int timeout_ms) {
    std::unique_ptr<Store> store = OpenStore();
    if (!store) return false;
    return testutil::WaitFor(
        [&] {
          for (const std::string& app : apps) {
            StatusOr<App> a = store->GetApp(app);
            if (!a.ok() || a->observed_generation != a->generation) return false;
          }
          return true;
        },
        timeout_ms, 100);
  }

  // Reads the app's generation, runs `dokku <args>` (detached for odd writers), reads again.
  void RunWriter(Writer& w, bool detach, std::latch& go) {
    std::unique_ptr<Store> store = OpenStore();
    go.arrive_and_wait();
    if (!store) return;
    StatusOr<App> before = store->GetApp(w.app);
    if (before.ok()) w.generation_before = before->generation;
    std::vector<std::string> argv{DOKKU_BIN};
    if (detach) argv.push_back("--detach");
    argv.insert(argv.end(), w.args.begin(), w.args.end());
    w.result = testutil::RunCommand(argv, {{"DOKKU_LIB_ROOT", state_dir()}}, "", 170);
    StatusOr<App> after = store->GetApp(w.app);
    if (after.ok()) w.generation_after = after->generation;
  }
};

// Given 10 deployed apps and a running dokkud, 100 concurrent writers lose nothing and every
// app converges on the last writes.
TEST_F(E2EConcurrencyTest, HundredWritersAcrossTenAppsWhileReconciling) {
  const std::string src = testutil::UniqueName("conc-src") + ":v1";
  cleanup_.AddImage(src);
  ASSERT_OK(testutil::TestImage::Build(src, {{"Procfile", kProcfile}, {"index.html", "ok\n"}}));
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  std::vector<std::string> apps;
  for (int i = 0; i < kApps; ++i) {
    const std::string app = CreateApp(fmt::format("conc{}", i));
    apps.push_back(app);
    ASSERT_OK(testutil::TestImage::Retag(src, "dokku/" + app + ":v1"));
    ASSERT_NO_FATAL_FAILURE(DokkuOk({"checks:skip", app}));
    ASSERT_NO_FATAL_FAILURE(DokkuOk({"--detach", "tags:deploy", app, "v1"}));
  }
  ASSERT_TRUE(Settled(apps, 120000)) << "the initial deploys did not settle";

  std::unique_ptr<Store> store = OpenStore();
  ASSERT_TRUE(store);
  std::map<std::string, int64_t> initial_generation;
  std::map<std::string, std::map<std::string, int64_t>> initial_restarts;
  for (const std::string& app : apps) {
    StatusOr<App> a = store->GetApp(app);
    ASSERT_OK(a);
    ASSERT_TRUE(a->current_release.has_value()) << app << " did not deploy: " << a->last_error;
    initial_generation[app] = a->generation;
    StatusOr<std::vector<FormationEntry>> f = store->GetFormation(app);
    ASSERT_OK(f);
    for (const FormationEntry& e : *f) initial_restarts[app][e.proctype] = e.restart_generation;
  }
  StatusOr<int64_t> first_change = store->LastChangeSeq();
  ASSERT_OK(first_change);

  // Writers are interleaved across apps so every app is written to by many processes at once.
  std::vector<Writer> writers;
  for (int k = 0; k < kWritersPerApp; ++k) {
    for (int i = 0; i < kApps; ++i) {
      Writer w;
      w.app = apps[i];
      w.args = WritesFor(apps[i], i)[k];
      writers.push_back(std::move(w));
    }
  }
  const int64_t t0 = NowMs();
  {
    std::latch go(static_cast<std::ptrdiff_t>(writers.size()));
    std::vector<std::jthread> threads;
    for (size_t n = 0; n < writers.size(); ++n) {
      threads.emplace_back([&, n] { RunWriter(writers[n], n % 2 == 1, go); });
    }
  }
  std::cout << "100 writers done in " << NowMs() - t0 << " ms" << std::endl;

  for (const Writer& w : writers) {
    const std::string what = fmt::format("{} ({})", fmt::join(w.args, " "), w.app);
    EXPECT_EQ(w.result.exit_code, 0) << what << "\n" << w.result.Describe();
    const std::string output = w.result.out + w.result.err;
    EXPECT_EQ(output.find("locked"), std::string::npos) << what << "\n" << output;
    EXPECT_EQ(output.find("busy"), std::string::npos) << what << "\n" << output;
    // The writer's own change was committed between its two reads.
    EXPECT_GT(w.generation_after, w.generation_before) << what;
    EXPECT_GE(w.generation_before, initial_generation[w.app]) << what;
  }

  ASSERT_TRUE(Settled(apps, 120000)) << "dokkud did not settle after the writers";
  for (int i = 0; i < kApps; ++i) {
    const std::string& app = apps[i];
    StatusOr<App> a = store->GetApp(app);
    ASSERT_OK(a);
    // Exactly one generation per write: none lost, none doubled.
    EXPECT_EQ(a->generation, initial_generation[app] + kWritersPerApp) << app;
    EXPECT_EQ(a->last_error, "") << app;
    StatusOr<std::vector<FormationEntry>> entries = store->GetFormation(app);
    ASSERT_OK(entries);
    std::map<std::string, FormationEntry> formation;
    for (const FormationEntry& e : *entries) formation[e.proctype] = e;
    EXPECT_EQ(formation["web"].quantity, 2) << app;
    EXPECT_EQ(formation["worker"].quantity, 1) << app;
    EXPECT_EQ(formation["web"].restart_generation, initial_restarts[app]["web"] + 2) << app;
    EXPECT_EQ(formation["worker"].restart_generation, initial_restarts[app]["worker"] + 5) << app;
    EXPECT_EQ(*store->GetProperty("ps", app, "stop-timeout-seconds"), std::to_string(10 + i));
    EXPECT_EQ(*store->GetProperty("ps", app, "restart-policy"),
              fmt::format("on-failure:{}", i + 1));
    EXPECT_EQ(*store->GetProperty("checks", app, "wait-to-retire"), std::to_string(1 + i % 2));
  }
  // The change feed holds one entry per write.
  StatusOr<std::vector<std::pair<int64_t, std::string>>> changes =
      store->ChangesAfter(*first_change);
  ASSERT_OK(changes);
  std::map<std::string, int> per_app;
  for (const auto& [seq, app] : *changes) ++per_app[app];
  for (const std::string& app : apps) EXPECT_EQ(per_app[app], kWritersPerApp) << app;

  // A restart policy applies to the containers made after it was set (as in Dokku), and the
  // writers' restarts may all have come before it: one more restart per app, then Docker must
  // run what the last writes ask for: web.1, web.2 and worker.1 with the new policy.
  for (const std::string& app : apps) {
    ASSERT_NO_FATAL_FAILURE(DokkuOk({"--detach", "ps:restart", app}));
  }
  ASSERT_TRUE(Settled(apps, 120000)) << "dokkud did not settle after the final restarts";
  for (int i = 0; i < kApps; ++i) {
    const std::string& app = apps[i];
    std::map<std::string, std::string> live;
    const bool converged = testutil::WaitFor(
        [&] {
          live.clear();
          for (const DockerContainer& c : LiveContainers(app)) live[c.name] = c.state;
          return live == std::map<std::string, std::string>{{app + ".web.1", "running"},
                                                            {app + ".web.2", "running"},
                                                            {app + ".worker.1", "running"}};
        },
        30000, 200);
    EXPECT_TRUE(converged) << app << ": " << testing::PrintToString(live);
    for (const DockerContainer& c : LiveContainers(app)) {
      const nlohmann::json info = InspectContainer(c.id);
      EXPECT_EQ(info["HostConfig"]["RestartPolicy"]["MaximumRetryCount"], i + 1) << c.name;
    }
  }
}

}  // namespace
}  // namespace dokku::e2e

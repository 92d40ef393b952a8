// Store: migrations, apps, the generation/change-feed contract, ps:scale, properties, checks modes
// and concurrent writers. Most tests run on ":memory:" with a FakeClock; file tests use a TempDir.
#include "store/store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <latch>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/migrations.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

using testutil::AsStatus;
using testutil::TempDir;

const char kAppNameRule[] =
    "App name must begin with lowercase alphanumeric character, and may only contain lowercase "
    "alphanumerics, dots, and hyphens";

// Every row of every table (in sqlite_master order) plus user_version, as text: two equal dumps
// mean the database did not change.
std::string DumpAll(SQLite::Database& db) {
  std::vector<std::string> tables;
  {
    SQLite::Statement q(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid");
    while (q.executeStep()) tables.push_back(q.getColumn(0).getString());
  }
  std::string out;
  for (const std::string& table : tables) {
    out += "== " + table + "\n";
    SQLite::Statement q(db, "SELECT * FROM \"" + table + "\" ORDER BY rowid");
    while (q.executeStep()) {
      for (int i = 0; i < q.getColumnCount(); ++i) {
        out += q.getColumnName(i);
        out += '=';
        out += q.isColumnNull(i) ? "NULL" : q.getColumn(i).getString();
        out += '|';
      }
      out += '\n';
    }
  }
  out += "user_version=" + db.execAndGet("PRAGMA user_version").getString() + "\n";
  return out;
}

// The app's generation, also while it is being deleted; -1 if there is no such row.
int64_t GenerationOf(Store& store, const std::string& app) {
  StatusOr<std::vector<App>> apps = store.ListApps(/*include_deleting=*/true);
  if (!apps.ok()) return -1;
  for (const App& a : *apps) {
    if (a.name == app) return a.generation;
  }
  return -1;
}

// What dokkud does when a release goes live: resolved image and files, previous live release
// superseded, current_release moved. None of it bumps the generation.
StatusOr<Release> Deploy(Store& store, const std::string& app, const std::string& tag,
                         std::optional<std::vector<std::string>> proctypes = std::nullopt,
                         std::optional<std::string> dokku_scale = std::nullopt) {
  StatusOr<App> before = store.GetApp(app);
  if (!before.ok()) return before.status();
  StatusOr<Release> r = store.CreateRelease(app, tag, "test");
  if (!r.ok()) return r;
  r->image_id = "sha256:" + tag;
  r->proctypes = proctypes;
  if (proctypes) r->procfile = "web: httpd";
  r->dokku_scale = dokku_scale;
  r->status = "live";
  DOKKU_RETURN_IF_ERROR(store.UpdateRelease(*r));
  if (before->current_release) {
    StatusOr<Release> old = store.GetRelease(*before->current_release);
    if (!old.ok()) return old.status();
    old->status = "superseded";
    DOKKU_RETURN_IF_ERROR(store.UpdateRelease(*old));
  }
  DOKKU_RETURN_IF_ERROR(store.SetCurrentRelease(app, r->id));
  return store.GetRelease(r->id);
}

ObservedContainer MakeContainer(const std::string& app, const std::string& id,
                                const std::string& proctype, int index) {
  ObservedContainer c;
  c.id = id;
  c.app = app;
  c.name = app + "." + proctype + "." + std::to_string(index);
  c.proctype = proctype;
  c.index = index;
  c.state = "running";
  return c;
}

// Gives `app` rows in every table that refers to an app.
void Populate(Store& store, const std::string& app) {
  ASSERT_OK(store.SetScale(app, {{"worker", 2}}, false));
  ASSERT_OK(store.SetProperty("ps", app, "restart-policy", "always"));
  ASSERT_OK(Deploy(store, app, "v1"));
  ASSERT_OK(store.RequestTagOp(app, "create", "v1-copy"));
  ASSERT_OK(store.CreateRequest(app, "checks:run", "web"));
  ASSERT_OK(store.AppendEvent(app, "info1", "Deploying " + app));
  ASSERT_OK(store.ReplaceContainers(app, {MakeContainer(app, "c-" + app, "web", 1)}));
  ASSERT_OK(store.ReplaceImages(app, {{app, "latest", "sha256:v1", 1, 2}}));
  ASSERT_OK(store.AddRetirement("old-" + app, app, 99));
}

const char* const kAppTables[] = {"apps",        "properties", "formation",  "releases",
                                  "tag_ops",     "requests",   "containers", "images",
                                  "retirements", "events",     "changes"};

int64_t RowsFor(Store& store, const std::string& table, const std::string& app) {
  const std::string column = table == "apps" ? "name" : "app";
  SQLite::Statement q(store.db(), "SELECT COUNT(*) FROM " + table + " WHERE " + column + " = ?");
  q.bind(1, app);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::unique_ptr<Store>> opened = Store::Open(":memory:", &clock_);
    ASSERT_OK(opened);
    store_ = std::move(opened).value();
  }
  Store& store() { return *store_; }

  FakeClock clock_;
  std::unique_ptr<Store> store_;
};

// ---------------------------------------------------------------------------------------------
// Migrations and files

TEST_F(StoreTest, MigrationsFreshDatabaseReachesLatestVersion) {
  ASSERT_FALSE(Migrations().empty());
  EXPECT_STREQ(Migrations()[0].name, "001_initial.sql");
  EXPECT_EQ(store().SchemaVersion(), static_cast<int>(Migrations().size()));
  for (const char* table : {"apps", "properties", "formation", "releases", "tag_ops", "requests",
                            "containers", "images", "retirements", "events", "changes", "daemon"}) {
    SQLite::Statement q(store().db(),
                        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?");
    q.bind(1, table);
    q.executeStep();
    EXPECT_EQ(q.getColumn(0).getInt(), 1) << table;
  }
  EXPECT_EQ(store().db().execAndGet("PRAGMA foreign_keys").getInt(), 1);
}

TEST(StoreMigrations, ReopeningChangesNothing) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.Join("dokku.db");
  std::string before;
  {
    auto s = Store::Open(path, &clock);
    ASSERT_OK(s);
    ASSERT_OK((*s)->CreateApp("app"));
    ASSERT_OK((*s)->SetScale("app", {{"worker", 2}}, false));
    before = DumpAll((*s)->db());
  }
  for (int i = 0; i < 2; ++i) {
    auto s = Store::Open(path, &clock);
    ASSERT_OK(s);
    EXPECT_EQ((*s)->SchemaVersion(), static_cast<int>(Migrations().size()));
    EXPECT_EQ(DumpAll((*s)->db()), before);
    EXPECT_EQ((*s)->db().execAndGet("PRAGMA journal_mode").getString(), "wal");
  }
}

TEST(StoreMigrations, StoreIdIsStablePerDatabase) {
  TempDir dir;
  std::string first;
  for (int i = 0; i < 2; ++i) {
    auto s = Store::Open(dir.Join("a.db"));
    ASSERT_OK(s);
    auto id = (*s)->StoreId();
    ASSERT_OK(id);
    EXPECT_EQ(id->size(), 12u);
    EXPECT_EQ(id->find_first_not_of("0123456789abcdef"), std::string::npos) << *id;
    if (i == 0) first = *id;
    EXPECT_EQ(*id, first);
  }
  auto other = Store::Open(dir.Join("b.db"));
  ASSERT_OK(other);
  EXPECT_NE(*(*other)->StoreId(), first);
}

TEST(StoreMigrations, RefusesNewerDatabase) {
  TempDir dir;
  const std::string path = dir.Join("dokku.db");
  const int newer = static_cast<int>(Migrations().size()) + 1;
  {
    auto s = Store::Open(path);
    ASSERT_OK(s);
    (*s)->db().exec("PRAGMA user_version = " + std::to_string(newer));
  }
  auto s = Store::Open(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("schema version " + std::to_string(newer)), std::string::npos)
      << s.status().message();
  EXPECT_NE(s.status().message().find("upgrade dokkud"), std::string::npos);
  // Refusing must not touch the file.
  SQLite::Database raw(path, SQLite::OPEN_READONLY);
  EXPECT_EQ(raw.execAndGet("PRAGMA user_version").getInt(), newer);
}

TEST(StoreMigrations, OpenInMissingDirectoryFails) {
  TempDir dir;
  auto s = Store::Open(dir.Join("no/such/dir/dokku.db"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInternal);
  EXPECT_NE(s.status().message().find("unable to open database file"), std::string::npos)
      << s.status().message();
}

TEST(StoreMigrations, UnusableFilesAreErrors) {
  TempDir dir;
  ASSERT_OK(testutil::WriteFile(dir.Join("garbage.db"), std::string(4096, 'x')));
  auto garbage = Store::Open(dir.Join("garbage.db"));
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), StatusCode::kInternal);
  EXPECT_NE(garbage.status().message().find("not a database"), std::string::npos)
      << garbage.status().message();
  // A planted symlink is not followed (the state dir must not be redirected elsewhere).
  ASSERT_OK(Store::Open(dir.Join("real.db")));
  ASSERT_EQ(symlink(dir.Join("real.db").c_str(), dir.Join("link.db").c_str()), 0);
  auto link = Store::Open(dir.Join("link.db"));
  EXPECT_FALSE(link.ok());
}

TEST(StoreMigrations, DefaultStateDirHonoursDokkuLibRoot) {
  const char* saved = std::getenv("DOKKU_LIB_ROOT");
  const std::string restore = saved ? saved : "";
  setenv("DOKKU_LIB_ROOT", "/tmp/somewhere", 1);
  EXPECT_EQ(DefaultStateDir(), "/tmp/somewhere");
  setenv("DOKKU_LIB_ROOT", "", 1);
  EXPECT_EQ(DefaultStateDir(), "/var/lib/dokku");
  unsetenv("DOKKU_LIB_ROOT");
  EXPECT_EQ(DefaultStateDir(), "/var/lib/dokku");
  EXPECT_EQ(DatabasePath("/var/lib/dokku"), "/var/lib/dokku/dokku.db");
  if (saved) setenv("DOKKU_LIB_ROOT", restore.c_str(), 1);
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

TEST(StoreMigrations, StateDirIsPrivate) {
  for (const char* suffix : {"state/lib", "state2/lib/"}) {
    SCOPED_TRACE(suffix);
    TempDir dir;
    const std::string state = dir.Join(suffix);
    auto s = Store::OpenStateDir(state);
    ASSERT_OK(s);
    std::string trimmed = state;
    while (trimmed.back() == '/') trimmed.pop_back();
    EXPECT_EQ(ModeOf(trimmed), 0700u);
    EXPECT_EQ(ModeOf(DatabasePath(trimmed)), 0600u);
    // SQLite gives the WAL and shared-memory files the database file's mode.
    ASSERT_OK((*s)->CreateApp("app"));
    EXPECT_EQ(ModeOf(DatabasePath(trimmed) + "-wal"), 0600u);
    EXPECT_EQ(ModeOf(DatabasePath(trimmed) + "-shm"), 0600u);
  }
}

TEST(StoreMigrations, ConcurrentFirstOpensFromThreads) {
  TempDir dir;
  const std::string state = dir.Join("state");
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::vector<Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto s = Store::OpenStateDir(state);
      results[i] = s.ok() ? (*s)->CreateApp("app" + std::to_string(i)) : s.status();
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) EXPECT_OK(results[i]);
  auto s = Store::OpenStateDir(state);
  ASSERT_OK(s);
  EXPECT_EQ((*s)->SchemaVersion(), static_cast<int>(Migrations().size()));
  auto apps = (*s)->ListApps();
  ASSERT_OK(apps);
  EXPECT_EQ(apps->size(), static_cast<size_t>(kThreads));
}

TEST(StoreMigrations, ConcurrentFirstOpensFromProcesses) {
  TempDir dir;
  const std::string state = dir.Join("state");
  constexpr int kChildren = 6;
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < kChildren; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(go[1]);
      char c;
      // Blocks until the parent closes its end, so every child opens at the same moment.
      while (read(go[0], &c, 1) > 0) {
      }
      auto s = Store::OpenStateDir(state);
      bool ok = s.ok() && (*s)->CreateApp("proc" + std::to_string(i)).ok();
      _exit(ok ? 0 : 1);
    }
    children.push_back(pid);
  }
  close(go[0]);
  close(go[1]);
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
  auto s = Store::OpenStateDir(state);
  ASSERT_OK(s);
  EXPECT_EQ((*s)->SchemaVersion(), static_cast<int>(Migrations().size()));
  auto apps = (*s)->ListApps();
  ASSERT_OK(apps);
  EXPECT_EQ(apps->size(), static_cast<size_t>(kChildren));
}

// ---------------------------------------------------------------------------------------------
// Apps

TEST_F(StoreTest, CreateAppStartsWithWebOne) {
  clock_.Set(1'700'000'123'456);
  ASSERT_OK(store().CreateApp("app"));
  auto app = store().GetApp("app");
  ASSERT_OK(app);
  EXPECT_EQ(app->name, "app");
  EXPECT_EQ(app->created_at, 1'700'000'123);
  EXPECT_TRUE(app->desired_running);
  EXPECT_FALSE(app->deleting);
  EXPECT_EQ(app->generation, 1);
  EXPECT_EQ(app->observed_generation, 0);
  EXPECT_FALSE(app->desired_release);
  EXPECT_FALSE(app->current_release);
  auto formation = store().GetFormation("app");
  ASSERT_OK(formation);
  EXPECT_EQ(*formation, (std::vector<FormationEntry>{{"web", 1, 0, std::nullopt}}));
  auto changes = store().ChangesAfter(0);
  ASSERT_OK(changes);
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].second, "app");
  auto apps = store().ListApps();
  ASSERT_OK(apps);
  ASSERT_EQ(apps->size(), 1u);
  EXPECT_EQ((*apps)[0].name, "app");
}

TEST_F(StoreTest, CreateAppRejectsTakenAndInvalidNames) {
  ASSERT_OK(store().CreateApp("app"));
  Status dup = store().CreateApp("app");
  EXPECT_EQ(dup.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.message(), "Name is already taken");
  for (const char* bad : {"my_app", "App", "a/b", ".."}) {
    Status s = store().CreateApp(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(s.message(), kAppNameRule);
  }
  auto apps = store().ListApps(true);
  ASSERT_OK(apps);
  EXPECT_EQ(apps->size(), 1u);
}

TEST_F(StoreTest, DestroyAppMarksDeleting) {
  ASSERT_OK(store().CreateApp("app"));
  ASSERT_OK(store().CreateApp("keep"));
  ASSERT_OK(store().SetProperty("ps", "app", "stop-timeout-seconds", "120"));
  auto gen = store().DestroyApp("app");
  ASSERT_OK(gen);
  EXPECT_EQ(*gen, 3);
  for (Status s : {AsStatus(store().GetApp("app")), store().RequireApp("app"),
                   AsStatus(store().SetScale("app", {{"web", 2}}, false))}) {
    EXPECT_EQ(s.code(), StatusCode::kNotFound);
    EXPECT_EQ(s.message(), "App app does not exist");
  }
  auto visible = store().ListApps();
  ASSERT_OK(visible);
  ASSERT_EQ(visible->size(), 1u);
  EXPECT_EQ((*visible)[0].name, "keep");
  auto all = store().ListApps(/*include_deleting=*/true);
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "app");
  EXPECT_TRUE((*all)[0].deleting);
  EXPECT_EQ((*all)[0].generation, 3);
  // dokkud still needs the formation, and stops the containers with the app's stop timeout.
  EXPECT_EQ(RowsFor(store(), "formation", "app"), 1);
  EXPECT_EQ(*store().ComputedProperty("ps", "app", "stop-timeout-seconds", "30"), "120");
  Status again = AsStatus(store().DestroyApp("app"));
  EXPECT_EQ(again.code(), StatusCode::kNotFound);
  EXPECT_EQ(again.message(), "App app does not exist");
}

TEST_F(StoreTest, RecreateWhileDeletingStartsFresh) {
  ASSERT_OK(store().CreateApp("app"));
  ASSERT_OK(store().SetScale("app", {{"worker", 2}}, false));
  ASSERT_OK(store().SetProperty("ps", "app", "stop-timeout-seconds", "5"));
  ASSERT_OK(store().CreateRelease("app", "latest", "test"));
  auto destroyed_gen = store().DestroyApp("app");
  ASSERT_OK(destroyed_gen);
  ASSERT_OK(store().CreateApp("app"));
  auto app = store().GetApp("app");
  ASSERT_OK(app);
  EXPECT_FALSE(app->deleting);
  EXPECT_FALSE(app->desired_release);
  EXPECT_EQ(app->observed_generation, 0);
  // A late SetObserved from a pass over the old app must not cover the new app's generation.
  EXPECT_GT(app->generation, *destroyed_gen);
  ASSERT_OK(store().SetObserved("app", *destroyed_gen, ""));
  EXPECT_LT(store().GetApp("app")->observed_generation, store().GetApp("app")->generation);
  EXPECT_EQ(*store().GetFormation("app"), (std::vector<FormationEntry>{{"web", 1, 0, {}}}));
  EXPECT_TRUE(store().ListReleases("app")->empty());
  EXPECT_TRUE(store().GetProperties("ps", "app")->empty());
  EXPECT_EQ(store().ListApps(true)->size(), 1u);
}

TEST_F(StoreTest, PurgeAppCascades) {
  ASSERT_OK(store().CreateApp("app"));
  ASSERT_OK(store().CreateApp("other"));
  Populate(store(), "app");
  Populate(store(), "other");
  std::map<std::string, int64_t> other_before;
  for (const char* t : kAppTables) {
    EXPECT_GT(RowsFor(store(), t, "app"), 0) << t;
    other_before[t] = RowsFor(store(), t, "other");
  }
  ASSERT_OK(store().DestroyApp("app"));
  ASSERT_OK(store().PurgeApp("app"));
  for (const char* t : kAppTables) {
    const std::string table = t;
    // Retirements outlive the app until their container is gone; the change feed is history.
    if (table == "retirements" || table == "changes") {
      EXPECT_GT(RowsFor(store(), t, "app"), 0) << t;
    } else {
      EXPECT_EQ(RowsFor(store(), t, "app"), 0) << t;
    }
    EXPECT_EQ(RowsFor(store(), t, "other"), other_before[t]) << t;
  }
}

TEST_F(StoreTest, PurgeAppLeavesLiveAppsAlone) {
  ASSERT_OK(store().CreateApp("app"));
  Populate(store(), "app");
  const std::string before = DumpAll(store().db());
  ASSERT_OK(store().PurgeApp("app"));
  EXPECT_EQ(DumpAll(store().db()), before);
}

TEST_F(StoreTest, PurgeAfterRecreateKeepsTheNewApp) {
  ASSERT_OK(store().CreateApp("app"));
  Populate(store(), "app");
  ASSERT_OK(store().DestroyApp("app"));
  ASSERT_OK(store().CreateApp("app"));
  ASSERT_OK(store().AppendEvent("app", "info1", "new app"));
  ASSERT_OK(store().ReplaceContainers("app", {MakeContainer("app", "c-new", "web", 1)}));
  // dokkud finishing the old app's teardown must not wipe what the new app has.
  const std::string before = DumpAll(store().db());
  ASSERT_OK(store().PurgeApp("app"));
  EXPECT_EQ(DumpAll(store().db()), before);
  EXPECT_OK(store().RequireApp("app"));
}

// ---------------------------------------------------------------------------------------------
// The generation contract: one desired write = one bump + one change; a refused write = nothing.

struct WriteOp {
  const char* name;
  std::function<Status(Store&)> run;
};

class StoreGenerationTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ASSERT_OK(store().CreateApp("gen"));
    ASSERT_OK(store().CreateApp("other"));
    auto r = Deploy(store(), "gen", "v1", std::vector<std::string>{"web", "worker"});
    ASSERT_OK(r);
  }
};

TEST_F(StoreGenerationTest, EveryDesiredWriteBumpsOnceAndRecordsOneChange) {
  const WriteOp ops[] = {
      {"SetScale",
       [](Store& s) {
         return AsStatus(s.SetScale("gen", {{"web", 3}, {"worker", 1}}, false));
       }},
      {"SetScale --skip-deploy",
       [](Store& s) {
         return AsStatus(s.SetScale("gen", {{"web", 2}}, true));
       }},
      {"SetScale unchanged",
       [](Store& s) {
         return AsStatus(s.SetScale("gen", {{"web", 2}}, false));
       }},
      {"Restart all", [](Store& s) { return AsStatus(s.Restart("gen", "")); }},
      {"Restart web", [](Store& s) { return AsStatus(s.Restart("gen", "web")); }},
      {"SetRunning false", [](Store& s) { return AsStatus(s.SetRunning("gen", false)); }},
      {"SetRunning true", [](Store& s) { return AsStatus(s.SetRunning("gen", true)); }},
      {"SetProperty set",
       [](Store& s) { return AsStatus(s.SetProperty("ps", "gen", "restart-policy", "always")); }},
      {"SetProperty unset",
       [](Store& s) { return AsStatus(s.SetProperty("ps", "gen", "restart-policy", "")); }},
      {"SetProperty unset absent",
       [](Store& s) { return AsStatus(s.SetProperty("ps", "gen", "procfile-path", "")); }},
      {"SetProperty checks",
       [](Store& s) { return AsStatus(s.SetProperty("checks", "gen", "wait-to-retire", "5")); }},
      {"SetChecksMode disable",
       [](Store& s) { return AsStatus(s.SetChecksMode("gen", "disable", {})); }},
      {"SetChecksMode skip web",
       [](Store& s) { return AsStatus(s.SetChecksMode("gen", "skip", {"web"})); }},
      {"SetChecksMode enable",
       [](Store& s) { return AsStatus(s.SetChecksMode("gen", "enable", {})); }},
      {"CreateRelease",
       [](Store& s) { return AsStatus(s.CreateRelease("gen", "v2", "tags:deploy")); }},
      {"Rebuild", [](Store& s) { return AsStatus(s.Rebuild("gen")); }},
      {"CreateRollback", [](Store& s) { return AsStatus(s.CreateRollback("gen", 1)); }},
      {"RequestTagOp create",
       [](Store& s) { return AsStatus(s.RequestTagOp("gen", "create", "keep")); }},
      {"RequestTagOp destroy",
       [](Store& s) { return AsStatus(s.RequestTagOp("gen", "destroy", "keep")); }},
      {"CreateRequest",
       [](Store& s) { return AsStatus(s.CreateRequest("gen", "checks:run", "")); }},
      {"DestroyApp", [](Store& s) { return AsStatus(s.DestroyApp("gen")); }},
  };
  for (const WriteOp& op : ops) {
    SCOPED_TRACE(op.name);
    const int64_t gen = GenerationOf(store(), "gen");
    const int64_t other = GenerationOf(store(), "other");
    auto seq = store().LastChangeSeq();
    ASSERT_OK(seq);
    ASSERT_OK(op.run(store()));
    EXPECT_EQ(GenerationOf(store(), "gen"), gen + 1);
    EXPECT_EQ(GenerationOf(store(), "other"), other);
    auto changes = store().ChangesAfter(*seq);
    ASSERT_OK(changes);
    ASSERT_EQ(changes->size(), 1u);
    EXPECT_EQ(changes->front().second, "gen");
    EXPECT_GT(changes->front().first, *seq);
  }
}

TEST_F(StoreGenerationTest, WritesReturnTheNewGeneration) {
  const std::vector<std::function<StatusOr<int64_t>(Store&)>> ops = {
      [](Store& s) {
        return s.SetScale("gen", {{"web", 2}}, false);
      },
      [](Store& s) { return s.Restart("gen", ""); },
      [](Store& s) { return s.SetRunning("gen", false); },
      [](Store& s) { return s.SetProperty("ps", "gen", "stop-timeout-seconds", "9"); },
      [](Store& s) { return s.SetChecksMode("gen", "skip", {}); },
      [](Store& s) { return s.DestroyApp("gen"); },
  };
  for (size_t i = 0; i < ops.size(); ++i) {
    SCOPED_TRACE(i);
    auto gen = ops[i](store());
    ASSERT_OK(gen);
    EXPECT_EQ(*gen, GenerationOf(store(), "gen"));
  }
}

TEST_F(StoreGenerationTest, GlobalPropertyBumpsEveryLiveApp) {
  ASSERT_OK(store().CreateApp("gone"));
  ASSERT_OK(store().DestroyApp("gone"));
  const int64_t gen = GenerationOf(store(), "gen"), other = GenerationOf(store(), "other"),
                gone = GenerationOf(store(), "gone");
  auto seq = store().LastChangeSeq();
  ASSERT_OK(seq);
  auto result = store().SetProperty("checks", kGlobal, "wait-to-retire", "30");
  ASSERT_OK(result);
  EXPECT_EQ(*result, 0);
  EXPECT_EQ(GenerationOf(store(), "gen"), gen + 1);
  EXPECT_EQ(GenerationOf(store(), "other"), other + 1);
  EXPECT_EQ(GenerationOf(store(), "gone"), gone);
  auto changes = store().ChangesAfter(*seq);
  ASSERT_OK(changes);
  std::vector<std::string> apps;
  for (const auto& [s, app] : *changes) apps.push_back(app);
  std::sort(apps.begin(), apps.end());
  EXPECT_EQ(apps, (std::vector<std::string>{"gen", "other"}));
  EXPECT_EQ(*store().GetProperty("checks", kGlobal, "wait-to-retire"), "30");
}

struct FailingOp {
  const char* name;
  StatusCode code;
  std::string message;
  std::function<Status(Store&)> run;
};

class StoreNoChangeTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    for (const char* name : {"app", "scaled", "gone", "fresh"}) ASSERT_OK(store().CreateApp(name));
    auto v1 = Deploy(store(), "app", "v1", std::vector<std::string>{"web", "worker"});
    ASSERT_OK(v1);
    // Release 2 failed its checks; dokkud pointed the app back at release 1.
    auto v2 = store().CreateRelease("app", "v2", "tags:deploy");
    ASSERT_OK(v2);
    v2->image_id = "sha256:v2";
    v2->status = "failed";
    v2->error = "checks failed";
    ASSERT_OK(store().UpdateRelease(*v2));
    ASSERT_OK(store().SetDesiredRelease("app", v1->id));
    ASSERT_OK(Deploy(store(), "scaled", "v1", std::vector<std::string>{"web"}, "web=2\n"));
    ASSERT_OK(store().DestroyApp("gone"));
    ASSERT_OK(store().SetChecksMode("app", "disable", {"worker"}));
  }
};

TEST_F(StoreNoChangeTest, RefusedWritesChangeNothing) {
  const StatusCode kInvalid = StatusCode::kInvalidArgument, kNotFound = StatusCode::kNotFound,
                   kPrecondition = StatusCode::kFailedPrecondition;
  const FailingOp ops[] = {
      {"CreateApp bad name", kInvalid, kAppNameRule, [](Store& s) { return s.CreateApp("Bad"); }},
      {"CreateApp too long", kInvalid, kAppNameRule,
       [](Store& s) { return s.CreateApp(std::string(64, 'a')); }},
      {"CreateApp taken", StatusCode::kAlreadyExists, "Name is already taken",
       [](Store& s) { return s.CreateApp("app"); }},
      {"DestroyApp missing", kNotFound, "App nope does not exist",
       [](Store& s) { return AsStatus(s.DestroyApp("nope")); }},
      {"DestroyApp deleting", kNotFound, "App gone does not exist",
       [](Store& s) { return AsStatus(s.DestroyApp("gone")); }},
      {"DestroyApp bad name", kNotFound, "App ../x does not exist",
       [](Store& s) { return AsStatus(s.DestroyApp("../x")); }},
      {"SetScale missing app", kNotFound, "App nope does not exist",
       [](Store& s) {
         return AsStatus(s.SetScale("nope", {{"web", 1}}, false));
       }},
      {"SetScale deleting app", kNotFound, "App gone does not exist",
       [](Store& s) {
         return AsStatus(s.SetScale("gone", {{"web", 1}}, false));
       }},
      {"SetScale negative", kInvalid, "Invalid count for process type worker",
       [](Store& s) {
         return AsStatus(s.SetScale("app", {{"web", 2}, {"worker", -1}}, false));
       }},
      {"SetScale 1001", kInvalid, "Invalid count for process type web",
       [](Store& s) {
         return AsStatus(s.SetScale("app", {{"web", 1001}}, false));
       }},
      {"SetScale bad proctype", kInvalid, "Invalid process type specified (we b)",
       [](Store& s) {
         return AsStatus(s.SetScale("app", {{"web", 1}, {"we b", 1}}, false));
       }},
      {"SetScale not in Procfile", kInvalid, "clock is not a valid process name to scale up",
       [](Store& s) {
         return AsStatus(s.SetScale("app", {{"web", 2}, {"clock", 1}}, false));
       }},
      {"SetScale DOKKU_SCALE", kPrecondition,
       "App scaled contains DOKKU_SCALE file and cannot be manually scaled",
       [](Store& s) {
         return AsStatus(s.SetScale("scaled", {{"web", 3}}, false));
       }},
      {"Restart unknown proctype", kInvalid, "Invalid process type specified (app.clock)",
       [](Store& s) { return AsStatus(s.Restart("app", "clock")); }},
      {"Restart bad proctype", kInvalid, "Invalid process type specified (we b)",
       [](Store& s) { return AsStatus(s.Restart("app", "we b")); }},
      {"Restart missing app", kNotFound, "App nope does not exist",
       [](Store& s) { return AsStatus(s.Restart("nope", "")); }},
      {"SetRunning missing app", kNotFound, "App gone does not exist",
       [](Store& s) { return AsStatus(s.SetRunning("gone", false)); }},
      {"SetProperty unknown key", kInvalid,
       "Invalid property specified, valid properties include: dockerfile-start-cmd, max-parallel, "
       "procfile-path, restart-policy, restore, skip-deploy, start-cmd, stop-timeout-seconds",
       [](Store& s) { return AsStatus(s.SetProperty("ps", "app", "colour", "red")); }},
      {"SetProperty unknown plugin", kInvalid, "Unknown plugin nope",
       [](Store& s) { return AsStatus(s.SetProperty("nope", "app", "x", "y")); }},
      {"SetProperty empty key", kInvalid, "No property specified",
       [](Store& s) { return AsStatus(s.SetProperty("ps", "app", "", "y")); }},
      {"SetProperty bad policy", kInvalid, "Invalid restart-policy specified",
       [](Store& s) {
         return AsStatus(s.SetProperty("ps", "app", "restart-policy", "sometimes"));
       }},
      {"SetProperty bad global policy", kInvalid, "Invalid restart-policy specified",
       [](Store& s) {
         return AsStatus(s.SetProperty("ps", kGlobal, "restart-policy", "on-failure:x"));
       }},
      {"SetProperty restore global", kInvalid, "Property cannot be specified globally",
       [](Store& s) { return AsStatus(s.SetProperty("ps", kGlobal, "restore", "true")); }},
      {"SetProperty default-wait app", kInvalid, "Property can only be specified globally",
       [](Store& s) { return AsStatus(s.SetProperty("checks", "app", "default-wait", "5")); }},
      {"SetProperty bad vhost", kInvalid, "Invalid domain: Bad_Domain",
       [](Store& s) { return AsStatus(s.SetProperty("domains", kGlobal, "vhost", "Bad_Domain")); }},
      {"SetProperty missing app", kNotFound, "App nope does not exist",
       [](Store& s) { return AsStatus(s.SetProperty("ps", "nope", "restart-policy", "no")); }},
      {"SetProperty procfile-path ..", kInvalid,
       "Invalid procfile-path '../x': use a relative path of letters, digits, '.', '_', '-' and "
       "'/'",
       [](Store& s) { return AsStatus(s.SetProperty("ps", "app", "procfile-path", "../x")); }},
      {"SetChecksMode bad kind", kInvalid, "Unknown checks mode toggle",
       [](Store& s) { return AsStatus(s.SetChecksMode("app", "toggle", {})); }},
      {"SetChecksMode bad proctype", kInvalid, "Invalid process type specified (we b)",
       [](Store& s) {
         return AsStatus(s.SetChecksMode("app", "disable", {"web", "we b"}));
       }},
      {"SetChecksMode missing app", kNotFound, "App gone does not exist",
       [](Store& s) { return AsStatus(s.SetChecksMode("gone", "enable", {})); }},
      {"CreateRelease bad tag", kInvalid,
       "Invalid tag: must be 1-128 characters of letters, digits, '_', '.' and '-', not starting "
       "with '.' or '-'",
       [](Store& s) { return AsStatus(s.CreateRelease("app", "a:b", "tags:deploy")); }},
      {"CreateRelease missing app", kNotFound, "App gone does not exist",
       [](Store& s) { return AsStatus(s.CreateRelease("gone", "latest", "x")); }},
      {"Rebuild never deployed", kNotFound, "App fresh has not been deployed",
       [](Store& s) { return AsStatus(s.Rebuild("fresh")); }},
      {"CreateRollback to failed", kPrecondition,
       "Release 2 of app never went live (failed); refusing to roll back to it",
       [](Store& s) { return AsStatus(s.CreateRollback("app", 2)); }},
      {"CreateRollback unknown", kNotFound, "Release 99 not found for app",
       [](Store& s) { return AsStatus(s.CreateRollback("app", 99)); }},
      {"CreateRollback nothing earlier", kNotFound,
       "No earlier live release of app to roll back to",
       [](Store& s) { return AsStatus(s.CreateRollback("app", 0)); }},
      {"CreateRollback never deployed", kNotFound,
       "No earlier live release of fresh to roll back to",
       [](Store& s) { return AsStatus(s.CreateRollback("fresh", 0)); }},
      {"RequestTagOp destroy latest", kInvalid,
       "You can't remove internal dokku tag (latest) for dokku/app",
       [](Store& s) { return AsStatus(s.RequestTagOp("app", "destroy", "latest")); }},
      {"RequestTagOp create undeployed", kPrecondition, "App fresh has not been deployed",
       [](Store& s) { return AsStatus(s.RequestTagOp("fresh", "create", "v2")); }},
      {"RequestTagOp bad op", kInvalid, "Unknown tag operation rename",
       [](Store& s) { return AsStatus(s.RequestTagOp("app", "rename", "v2")); }},
      {"RequestTagOp bad tag", kInvalid,
       "Invalid tag: must be 1-128 characters of letters, digits, '_', '.' and '-', not starting "
       "with '.' or '-'",
       [](Store& s) { return AsStatus(s.RequestTagOp("app", "create", "-x")); }},
      {"CreateRequest missing app", kNotFound, "App nope does not exist",
       [](Store& s) { return AsStatus(s.CreateRequest("nope", "checks:run", "")); }},
  };
  for (const FailingOp& op : ops) {
    SCOPED_TRACE(op.name);
    const std::string before = DumpAll(store().db());
    Status s = op.run(store());
    EXPECT_EQ(s.code(), op.code) << s.ToString();
    EXPECT_EQ(s.message(), op.message);
    EXPECT_EQ(DumpAll(store().db()), before);
  }
}

// ---------------------------------------------------------------------------------------------
// ps:scale

std::optional<FormationEntry> EntryOf(Store& store, const std::string& app,
                                      const std::string& proctype) {
  auto f = store.GetFormation(app);
  if (!f.ok()) return std::nullopt;
  for (const FormationEntry& e : *f) {
    if (e.proctype == proctype) return e;
  }
  return std::nullopt;
}

TEST_F(StoreTest, ScaleCountBounds) {
  ASSERT_OK(store().CreateApp("app"));
  struct Case {
    int count;
    bool ok;
  };
  for (const Case& c : {Case{0, true}, Case{1000, true}, Case{7, true}, Case{1001, false},
                        Case{-1, false}, Case{1 << 30, false}}) {
    SCOPED_TRACE(c.count);
    auto r = store().SetScale("app", {{"web", c.count}}, false);
    EXPECT_EQ(r.ok(), c.ok) << r.status().ToString();
    if (c.ok) {
      EXPECT_EQ(EntryOf(store(), "app", "web")->quantity, c.count);
    } else {
      EXPECT_EQ(r.status().message(), "Invalid count for process type web");
    }
  }
}

TEST_F(StoreTest, ScaleDuplicatesFirstWins) {
  ASSERT_OK(store().CreateApp("app"));
  ASSERT_OK(store().SetScale("app", {{"web", 2}, {"worker", 1}, {"web", 5}}, false));
  EXPECT_EQ(*store().GetFormation("app"),
            (std::vector<FormationEntry>{{"web", 2, 0, {}}, {"worker", 1, 0, {}}}));
}

TEST_F(StoreTest, ScaleWithoutProcfileAcceptsAnyType) {
  ASSERT_OK(store().CreateApp("app"));
  ASSERT_OK(store().SetScale("app", {{"non-existent", 2}}, false));
  ASSERT_OK(Deploy(store(), "app", "v1"));  // an image without a Procfile
  ASSERT_OK(store().SetScale("app", {{"other", 3}}, false));
  EXPECT_EQ(EntryOf(store(), "app", "non-existent")->quantity, 2);
  EXPECT_EQ(EntryOf(store(), "app", "other")->quantity, 3);
}

TEST_F(StoreTest, ScaleChecksReleaseProcessTypes) {
  ASSERT_OK(store().CreateApp("app"));
  ASSERT_OK(Deploy(store(), "app", "v1", std::vector<std::string>{"web", "worker"}));
  auto refused = store().SetScale("app", {{"clock", 1}}, false);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message(), "clock is not a valid process name to scale up");
  ASSERT_OK(store().SetScale("app", {{"clock", 0}, {"worker", 3}}, false));
  EXPECT_EQ(EntryOf(store(), "app", "clock")->quantity, 0);
  EXPECT_EQ(EntryOf(store(), "app", "worker")->quantity, 3);
}

TEST_F(StoreTest, ScalePreparedDesiredReleaseGoverns) {
  ASSERT_OK(store().CreateApp("app"));
  ASSERT_OK(Deploy(store(), "app", "v1", std::vector<std::string>{"web"}));
  auto next = store().CreateRelease("app", "v2", "tags:deploy");
  ASSERT_OK(next);
  // While v2 is pending its files are unknown: the live release still decides.
  EXPECT_FALSE(store().SetScale("app", {{"worker", 2}}, false).ok());
  next->status = "prepared";
  next->image_id = "sha256:v2";
  next->proctypes = std::vector<std::string>{"web", "worker"};
  ASSERT_OK(store().UpdateRelease(*next));
  EXPECT_OK(store().SetScale("app", {{"worker", 2}}, false));
}

TEST_F(StoreTest, ScaleRefusedByDokkuScale) {
  enum class Next { kNone, kPreparedWith, kPreparedWithout, kPendingWithout };
  struct Case {
    const char* name;
    bool live_has_scale;  // DOKKU_SCALE in the live (current) release
    Next next;            // the desired release after it, if any
    bool refused;
  };
  // A prepared desired release is what will run next, so its files decide; a pending one's
  // files are not known yet, so the live release still does.
  const Case cases[] = {
      {"live has it", true, Next::kNone, true},
      {"prepared has it", false, Next::kPreparedWith, true},
      {"live has it, prepared does not", true, Next::kPreparedWithout, false},
      {"live has it, next still pending", true, Next::kPendingWithout, true},
      {"neither", false, Next::kNone, false},
  };
  int i = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string app = "app" + std::to_string(i++);
    ASSERT_OK(store().CreateApp(app));
    std::optional<std::string> live_scale;
    if (c.live_has_scale) live_scale = "web=2";
    ASSERT_OK(Deploy(store(), app, "v1", std::nullopt, live_scale));
    if (c.next != Next::kNone) {
      auto next = store().CreateRelease(app, "v2", "tags:deploy");
      ASSERT_OK(next);
      if (c.next != Next::kPendingWithout) {
        next->status = "prepared";
        next->image_id = "sha256:v2";
        if (c.next == Next::kPreparedWith) next->dokku_scale = "web=3";
        ASSERT_OK(store().UpdateRelease(*next));
      }
    }
    auto r = store().SetScale(app, {{"web", 4}}, false);
    EXPECT_EQ(!r.ok(), c.refused) << r.status().ToString();
    if (c.refused) {
      EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
      EXPECT_EQ(r.status().message(),
                "App " + app + " contains DOKKU_SCALE file and cannot be manually scaled");
    }
  }
}

TEST_F(StoreTest, ScaleSkipDeployHoldsRunningCount) {
  ASSERT_OK(store().CreateApp("app"));
  ASSERT_OK(Deploy(store(), "app", "v1"));
  ASSERT_OK(store().SetScale("app", {{"web", 3}}, /*skip_deploy=*/true));
  EXPECT_EQ(*EntryOf(store(), "app", "web"), (FormationEntry{"web", 3, 0, 1}));
  // A second --skip-deploy keeps what actually runs, not the previous desired count.
  ASSERT_OK(store().SetScale("app", {{"web", 5}, {"worker", 2}}, true));
  EXPECT_EQ(*EntryOf(store(), "app", "web"), (FormationEntry{"web", 5, 0, 1}));
  EXPECT_EQ(*EntryOf(store(), "app", "worker"), (FormationEntry{"worker", 2, 0, 0}));
  // A normal scale deploys the named type; the other keeps its hold.
  ASSERT_OK(store().SetScale("app", {{"web", 2}}, false));
  EXPECT_EQ(*EntryOf(store(), "app", "web"), (FormationEntry{"web", 2, 0, std::nullopt}));
  EXPECT_EQ(*EntryOf(store(), "app", "worker"), (FormationEntry{"worker", 2, 0, 0}));
  ASSERT_OK(store().SetScale("app", {{"web", 4}}, true));
  ASSERT_OK(store().CreateRelease("app", "v2", "tags:deploy"));
  auto formation = store().GetFormation("app");
  ASSERT_OK(formation);
  for (const FormationEntry& e : *formation) EXPECT_FALSE(e.held_quantity) << e.proctype;
}

TEST_F(StoreTest, ScaleSkipDeployOnUndeployedAppHoldsNothing) {
  ASSERT_OK(store().CreateApp("app"));
  ASSERT_OK(store().SetScale("app", {{"web", 3}}, true));
  EXPECT_EQ(*EntryOf(store(), "app", "web"), (FormationEntry{"web", 3, 0, std::nullopt}));
}

TEST_F(StoreTest, RestartBumpsRestartGeneration) {
  ASSERT_OK(store().CreateApp("app"));
  ASSERT_OK(store().SetScale("app", {{"worker", 1}}, false));
  ASSERT_OK(store().Restart("app", "worker"));
  EXPECT_EQ(EntryOf(store(), "app", "web")->restart_generation, 0);
  EXPECT_EQ(EntryOf(store(), "app", "worker")->restart_generation, 1);
  ASSERT_OK(store().Restart("app", ""));
  EXPECT_EQ(EntryOf(store(), "app", "web")->restart_generation, 1);
  EXPECT_EQ(EntryOf(store(), "app", "worker")->restart_generation, 2);
}

TEST_F(StoreTest, RestartDeploysSkippedScaleOfItsTypesOnly) {
  ASSERT_OK(store().CreateApp("app"));
  ASSERT_OK(store().SetScale("app", {{"worker", 1}}, false));
  ASSERT_OK(Deploy(store(), "app", "v1"));
  ASSERT_OK(store().SetScale("app", {{"web", 3}, {"worker", 4}}, /*skip_deploy=*/true));
  ASSERT_OK(store().Restart("app", "web"));
  EXPECT_EQ(*EntryOf(store(), "app", "web"), (FormationEntry{"web", 3, 1, std::nullopt}));
  EXPECT_EQ(*EntryOf(store(), "app", "worker"), (FormationEntry{"worker", 4, 0, 1}));
}

TEST_F(StoreTest, SetRunningWritesRestore) {
  ASSERT_OK(store().CreateApp("app"));
  ASSERT_OK(store().SetRunning("app", false));
  EXPECT_FALSE(store().GetApp("app")->desired_running);
  EXPECT_EQ(*store().GetProperty("ps", "app", "restore"), "false");
  ASSERT_OK(store().SetRunning("app", true));
  EXPECT_TRUE(store().GetApp("app")->desired_running);
  EXPECT_EQ(*store().GetProperty("ps", "app", "restore"), "true");
}

TEST_F(StoreTest, MergeDeployFormation) {
  using Counts = std::vector<std::pair<std::string, int>>;
  using Types = std::optional<std::vector<std::string>>;
  struct Case {
    const char* name;
    Counts start;  // set with ps:scale on an undeployed app (web=1 comes with the app)
    Types proctypes;
    std::optional<Counts> dokku_scale;
    Counts want;  // sorted by proctype
  };
  const Case cases[] = {
      {"Procfile types are added at 0",
       {},
       Types{{"web", "worker"}},
       std::nullopt,
       {{"web", 1}, {"worker", 0}}},
      {"existing quantities are kept",
       {{"worker", 2}},
       Types{{"web", "worker"}},
       std::nullopt,
       {{"web", 1}, {"worker", 2}}},
      {"zero types the Procfile lacks are dropped",
       {{"clock", 0}, {"old", 3}},
       Types{{"web"}},
       std::nullopt,
       {{"old", 3}, {"web", 1}}},
      {"no Procfile drops nothing",
       {{"clock", 0}},
       std::nullopt,
       std::nullopt,
       {{"clock", 0}, {"web", 1}}},
      {"empty Procfile drops every zero type",
       {{"clock", 0}, {"web", 0}},
       Types{std::vector<std::string>{}},
       std::nullopt,
       {}},
      {"DOKKU_SCALE sets its types and zeroes the rest",
       {{"web", 5}, {"extra", 3}},
       Types{{"web", "worker", "clock"}},
       Counts{{"web", 2}, {"worker", 1}},
       {{"clock", 0}, {"web", 2}, {"worker", 1}}},
      {"DOKKU_SCALE without Procfile keeps zeroed types",
       {{"web", 5}, {"extra", 3}},
       std::nullopt,
       Counts{{"web", 2}},
       {{"extra", 0}, {"web", 2}}},
  };
  int i = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string app = "merge" + std::to_string(i++);
    ASSERT_OK(store().CreateApp(app));
    if (!c.start.empty()) ASSERT_OK(store().SetScale(app, c.start, false));
    const int64_t gen = GenerationOf(store(), app);
    const int64_t seq = *store().LastChangeSeq();
    ASSERT_OK(store().MergeDeployFormation(app, c.proctypes, c.dokku_scale));
    auto formation = store().GetFormation(app);
    ASSERT_OK(formation);
    Counts got;
    for (const FormationEntry& e : *formation) got.emplace_back(e.proctype, e.quantity);
    EXPECT_EQ(got, c.want);
    EXPECT_EQ(GenerationOf(store(), app), gen);
    EXPECT_EQ(*store().LastChangeSeq(), seq);
  }
}

TEST_F(StoreTest, MergeDeployFormationKeepsRestartGenerationsAndRejectsBadCounts) {
  ASSERT_OK(store().CreateApp("app"));
  ASSERT_OK(store().Restart("app", "web"));
  ASSERT_OK(store().MergeDeployFormation("app", std::vector<std::string>{"web", "worker"},
                                         std::vector<std::pair<std::string, int>>{{"web", 3}}));
  EXPECT_EQ(*EntryOf(store(), "app", "web"), (FormationEntry{"web", 3, 1, std::nullopt}));
  // A DOKKU_SCALE count the schema cannot hold fails as a whole.
  const std::string before = DumpAll(store().db());
  Status bad = store().MergeDeployFormation(
      "app", std::nullopt, std::vector<std::pair<std::string, int>>{{"web", 1}, {"worker", 5000}});
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(DumpAll(store().db()), before);
}

TEST_F(StoreTest, FindAppSeesDeletingApps) {
  auto none = store().FindApp("app");
  ASSERT_OK(none);
  EXPECT_FALSE(*none);
  ASSERT_OK(store().CreateApp("app"));
  auto live = store().FindApp("app");
  ASSERT_OK(live);
  ASSERT_TRUE(*live);
  EXPECT_FALSE((*live)->deleting);
  ASSERT_OK(store().DestroyApp("app"));
  auto deleting = store().FindApp("app");
  ASSERT_OK(deleting);
  ASSERT_TRUE(*deleting);
  EXPECT_TRUE((*deleting)->deleting);
}

// ---------------------------------------------------------------------------------------------
// Properties

TEST_F(StoreTest, PropertyScopes) {
  ASSERT_OK(store().CreateApp("app"));
  struct Case {
    const char* plugin;
    const char* key;
    const char* value;
    bool app_scope;
    bool global_scope;
  };
  const Case cases[] = {
      {"ps", "restart-policy", "on-failure:5", true, true},
      {"ps", "stop-timeout-seconds", "60", true, true},
      {"ps", "procfile-path", "deploy/Procfile", true, true},
      {"ps", "restore", "false", true, false},
      {"checks", "wait-to-retire", "30", true, true},
      {"checks", "default-wait", "5", false, true},
      {"domains", "vhost", "example.com", false, true},
      {"scheduler", "selected", "docker-local", true, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.plugin) + " " + c.key);
    auto on_app = store().SetProperty(c.plugin, "app", c.key, c.value);
    EXPECT_EQ(on_app.ok(), c.app_scope) << on_app.status().ToString();
    if (!c.app_scope) {
      EXPECT_EQ(on_app.status().message(), "Property can only be specified globally");
    }
    EXPECT_EQ(*store().GetProperty(c.plugin, "app", c.key), c.app_scope ? c.value : "");
    auto global = store().SetProperty(c.plugin, kGlobal, c.key, c.value);
    EXPECT_EQ(global.ok(), c.global_scope) << global.status().ToString();
    if (!c.global_scope) {
      EXPECT_EQ(global.status().message(), "Property cannot be specified globally");
    }
    EXPECT_EQ(*store().GetProperty(c.plugin, kGlobal, c.key), c.global_scope ? c.value : "");
  }
}

TEST_F(StoreTest, PropertyValuesAreValidated) {
  ASSERT_OK(store().CreateApp("app"));
  struct Case {
    const char* plugin;
    const char* key;
    std::string value;
    bool valid;
  };
  const Case cases[] = {
      {"ps", "restart-policy", "no", true},
      {"ps", "restart-policy", "on-failure:-1", false},
      {"ps", "restart-policy", " always", false},
      {"ps", "stop-timeout-seconds", "3600", true},
      {"ps", "stop-timeout-seconds", "3601", false},
      {"ps", "stop-timeout-seconds", "30s", false},
      {"ps", "restore", "true", true},
      {"ps", "restore", "yes", false},
      {"checks", "wait-to-retire", "86400", true},
      {"checks", "wait-to-retire", "-1", false},
      {"scheduler", "selected", "docker-swarm", true},
      {"scheduler", "selected", "k8s", false},
      // procfile-path is resolved under the image's working directory; unlike Dokku, which trims
      // a leading '/', dokkud refuses an absolute path instead of reinterpreting it.
      {"ps", "procfile-path", "Procfile", true},
      {"ps", "procfile-path", "Procfile.prod", true},
      {"ps", "procfile-path", "deploy/Procfile", true},
      {"ps", "procfile-path", "/etc/passwd", false},
      {"ps", "procfile-path", "config/", true},
      {"ps", "procfile-path", "...", true},
      {"ps", "procfile-path", "../x", false},
      {"ps", "procfile-path", "a/../b", false},
      {"ps", "procfile-path", "a/..", false},
      {"ps", "procfile-path", "..", false},
      {"ps", "procfile-path", ".", false},
      {"ps", "procfile-path", "./Procfile", false},
      {"ps", "procfile-path", "a b", false},
      {"ps", "procfile-path", "a;b", false},
      {"ps", "procfile-path", "$(id)", false},
      {"ps", "procfile-path", "a\nb", false},
      {"ps", "procfile-path", "a\\b", false},
      {"ps", "procfile-path", std::string(255, 'p'), true},
      {"ps", "procfile-path", std::string(256, 'p'), false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.plugin) + " " + c.key + " " + c.value);
    ASSERT_OK(store().SetProperty(c.plugin, "app", c.key, ""));
    auto r = store().SetProperty(c.plugin, "app", c.key, c.value);
    EXPECT_EQ(r.ok(), c.valid) << r.status().ToString();
    if (!c.valid) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    }
    EXPECT_EQ(*store().GetProperty(c.plugin, "app", c.key), c.valid ? c.value : "");
  }
}

TEST_F(StoreTest, EmptyValueUnsets) {
  ASSERT_OK(store().CreateApp("app"));
  ASSERT_OK(store().SetProperty("ps", "app", "restart-policy", "always"));
  ASSERT_OK(store().SetProperty("ps", "app", "stop-timeout-seconds", "10"));
  EXPECT_EQ(*store().GetProperties("ps", "app"),
            (std::map<std::string, std::string>{{"restart-policy", "always"},
                                                {"stop-timeout-seconds", "10"}}));
  ASSERT_OK(store().SetProperty("ps", "app", "restart-policy", ""));
  EXPECT_EQ(*store().GetProperty("ps", "app", "restart-policy"), "");
  EXPECT_EQ(*store().GetProperties("ps", "app"),
            (std::map<std::string, std::string>{{"stop-timeout-seconds", "10"}}));
}

TEST_F(StoreTest, ComputedPropertyAppThenGlobalThenFallback) {
  ASSERT_OK(store().CreateApp("app"));
  auto computed = [&] {
    return *store().ComputedProperty("ps", "app", "restart-policy", "on-failure:10");
  };
  EXPECT_EQ(computed(), "on-failure:10");
  ASSERT_OK(store().SetProperty("ps", kGlobal, "restart-policy", "always"));
  EXPECT_EQ(computed(), "always");
  ASSERT_OK(store().SetProperty("ps", "app", "restart-policy", "no"));
  EXPECT_EQ(computed(), "no");
  ASSERT_OK(store().SetProperty("ps", "app", "restart-policy", ""));
  EXPECT_EQ(computed(), "always");
  ASSERT_OK(store().SetProperty("ps", kGlobal, "restart-policy", ""));
  EXPECT_EQ(computed(), "on-failure:10");
}

// ---------------------------------------------------------------------------------------------
// checks:disable / enable / skip (spec §6.1)

TEST_F(StoreTest, ChecksModes) {
  struct Step {
    const char* kind;
    std::vector<std::string> types;
  };
  struct Case {
    const char* name;
    std::vector<Step> steps;
    std::string disabled;
    std::string skipped;
  };
  const Case cases[] = {
      {"disable all clears skipped", {{"skip", {"web"}}, {"disable", {}}}, "_all_", ""},
      {"skip all clears disabled", {{"disable", {"web"}}, {"skip", {}}}, "", "_all_"},
      {"enable all deletes both",
       {{"disable", {"web"}}, {"skip", {"worker"}}, {"enable", {}}},
       "",
       ""},
      {"disable appends",
       {{"disable", {"web"}}, {"disable", {"worker", "urgentworker"}}},
       "web,worker,urgentworker",
       ""},
      {"disable list replaces _all_",
       {{"disable", {}}, {"disable", {"web", "worker"}}},
       "web,worker",
       ""},
      {"disable keeps insertion order",
       {{"disable", {"web", "worker"}}, {"disable", {"web"}}},
       "web,worker",
       ""},
      {"disable takes types out of skipped",
       {{"skip", {"web", "worker"}}, {"disable", {"web"}}},
       "web",
       "worker"},
      {"disable list leaves skip _all_", {{"skip", {}}, {"disable", {"web"}}}, "web", "_all_"},
      {"skip mirrors disable",
       {{"disable", {"web", "worker"}}, {"skip", {"worker"}}},
       "web",
       "worker"},
      {"skip list replaces _all_", {{"skip", {}}, {"skip", {"web"}}}, "", "web"},
      {"enable removes the exact element",
       {{"disable", {"urgentworker", "worker", "web"}}, {"enable", {"worker"}}},
       "urgentworker,web",
       ""},
      {"enable exact element in skipped",
       {{"skip", {"worker", "urgentworker"}}, {"enable", {"worker"}}},
       "",
       "urgentworker"},
      {"enable of a type leaves _all_", {{"disable", {}}, {"enable", {"web"}}}, "_all_", ""},
      {"enable last element", {{"disable", {"web"}}, {"enable", {"web"}}}, "", ""},
      {"duplicates collapse", {{"disable", {"web", "web"}}}, "web", ""},
  };
  int i = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string app = "checks" + std::to_string(i++);
    ASSERT_OK(store().CreateApp(app));
    for (const Step& step : c.steps) ASSERT_OK(store().SetChecksMode(app, step.kind, step.types));
    EXPECT_EQ(*store().GetProperty("checks", app, "disabled"), c.disabled);
    EXPECT_EQ(*store().GetProperty("checks", app, "skipped"), c.skipped);
    // Empty lists are deleted, not stored as "".
    auto props = store().GetProperties("checks", app);
    ASSERT_OK(props);
    EXPECT_EQ(props->count("disabled"), c.disabled.empty() ? 0u : 1u);
    EXPECT_EQ(props->count("skipped"), c.skipped.empty() ? 0u : 1u);
  }
}

// ---------------------------------------------------------------------------------------------
// Concurrent writers: one Store per thread on one file, as many CLIs and dokkud do.

TEST(StoreConcurrency, BusyDatabaseIsUnavailableAndChangesNothing) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.Join("dokku.db");
  auto holder = Store::Open(path, &clock);
  ASSERT_OK(holder);
  ASSERT_OK((*holder)->CreateApp("app"));
  auto writer = Store::Open(path, &clock);
  ASSERT_OK(writer);
  (*writer)->db().setBusyTimeout(0);  // fail at once instead of waiting 10 s
  const std::string before = DumpAll((*writer)->db());
  (*holder)->db().exec("BEGIN IMMEDIATE");
  auto scaled = (*writer)->SetScale("app", {{"web", 2}}, false);
  EXPECT_EQ(scaled.status().code(), StatusCode::kUnavailable) << scaled.status().ToString();
  EXPECT_NE(scaled.status().message().find("state database busy"), std::string::npos);
  // Readers are not blocked by a writer (WAL).
  EXPECT_OK((*writer)->GetApp("app"));
  (*holder)->db().exec("ROLLBACK");
  EXPECT_EQ(DumpAll((*writer)->db()), before);
  EXPECT_OK((*writer)->SetScale("app", {{"web", 2}}, false));
}

TEST(StoreConcurrency, ParallelWritersLoseNothing) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.Join("dokku.db");
  const std::vector<std::string> apps = {"app0", "app1"};
  {
    auto s = Store::Open(path, &clock);
    ASSERT_OK(s);
    for (const std::string& app : apps) ASSERT_OK((*s)->CreateApp(app));
  }
  constexpr int kThreads = 8, kWrites = 50;
  std::latch start(kThreads);
  std::mutex mu;
  std::vector<std::string> errors;
  std::atomic<int64_t> writes[2] = {0, 0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto s = Store::Open(path, &clock);
      start.arrive_and_wait();
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        errors.push_back(s.status().ToString());
        return;
      }
      for (int i = 0; i < kWrites; ++i) {
        const int which = (t + i) % 2;
        Status st =
            i % 2 == 0
                ? AsStatus((*s)->SetScale(apps[which], {{"web", (t * kWrites + i) % 1001}}, false))
                : AsStatus((*s)->SetProperty("ps", apps[which], "restart-policy",
                                             "on-failure:" + std::to_string(i)));
        if (st.ok()) {
          ++writes[which];
        } else {
          std::lock_guard<std::mutex> lock(mu);
          errors.push_back(st.ToString());
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_TRUE(errors.empty()) << errors.size() << " errors, first: " << errors.front();
  auto s = Store::Open(path, &clock);
  ASSERT_OK(s);
  EXPECT_EQ(writes[0] + writes[1], kThreads * kWrites);
  for (int a = 0; a < 2; ++a) {
    auto app = (*s)->GetApp(apps[a]);
    ASSERT_OK(app);
    EXPECT_EQ(app->generation, 1 + writes[a].load()) << apps[a];
  }
  EXPECT_EQ(*(*s)->LastChangeSeq(), 2 + kThreads * kWrites);
}

}  // namespace
}  // namespace dokku

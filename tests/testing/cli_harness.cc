#include "tests/testing/cli_harness.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <sstream>

#include "cli/cli.h"

namespace dokku::testing {

CliHarness::CliHarness() = default;
CliHarness::~CliHarness() = default;

CliResult CliHarness::Run(const std::vector<std::string>& args, const std::string& stdin_data,
                          const std::map<std::string, std::string>& extra_env) {
  std::istringstream in(stdin_data);
  std::ostringstream out, err;
  CliEnv env;
  env.vars = extra_env;
  env.vars["DOKKU_LIB_ROOT"] = dir_.path();
  env.clock = &clock_;
  env.sleep_ms = [this](int64_t ms) {
    clock_.Advance(ms);
    ++sleeps_;
    if (on_sleep_) on_sleep_();
  };
  env.effective_uid = [this] { return uid_; };
  CliResult r;
  r.rc = RunCli(args, {&in, &out, &err}, env);
  r.out = out.str();
  r.err = err.str();
  return r;
}

Store& CliHarness::daemon() {
  if (!daemon_) {
    auto s = Store::OpenStateDir(dir_.path(), &clock_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    daemon_ = std::move(s).value();
  }
  return *daemon_;
}

void CliHarness::Beat() { EXPECT_OK(daemon().Heartbeat(4242, "test", clock_.NowMs())); }

void CliHarness::ApplyAll(const std::string& app,
                          const std::vector<std::pair<std::string, std::string>>& events,
                          const std::string& error) {
  Beat();
  for (const auto& [level, text] : events) EXPECT_OK(daemon().AppendEvent(app, level, text));
  auto a = daemon().GetApp(app);
  ASSERT_OK(a);
  EXPECT_OK(daemon().SetObserved(app, a->generation, error));
}

Release CliHarness::DeployApp(const std::string& app,
                              const std::vector<ObservedContainer>& containers,
                              const std::string& tag) {
  CliResult created = Run({"apps:create", app});
  EXPECT_EQ(created.rc, 0) << created.Describe();
  auto r = daemon().CreateRelease(app, tag, "test");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  Release release = *r;
  release.status = "live";
  release.image_id = "sha256:4a5b6c7d8e9f00112233445566778899aabbccddeeff00112233445566778899";
  release.proctypes = std::vector<std::string>{"web", "worker"};
  EXPECT_OK(daemon().UpdateRelease(release));
  EXPECT_OK(daemon().SetCurrentRelease(app, release.id));
  std::vector<ObservedContainer> cs = containers;
  for (auto& c : cs) {
    if (!c.release_id) c.release_id = release.id;
  }
  EXPECT_OK(daemon().ReplaceContainers(app, cs));
  auto a = daemon().GetApp(app);
  EXPECT_OK(daemon().SetObserved(app, a->generation, ""));
  return release;
}

ObservedContainer CliHarness::Container(const std::string& app, const std::string& proctype,
                                        int index, const std::string& id, const std::string& state,
                                        const std::string& role) {
  ObservedContainer c;
  c.id = id;
  c.app = app;
  c.name = app + "." + proctype + "." + std::to_string(index);
  c.proctype = proctype;
  c.index = index;
  c.state = state;
  c.role = role;
  return c;
}

std::string CliHarness::Dump() {
  SQLite::Database db(DatabasePath(dir_.path()), SQLite::OPEN_READONLY);
  std::ostringstream os;
  SQLite::Statement tables(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  std::vector<std::string> names;
  while (tables.executeStep()) names.push_back(tables.getColumn(0).getString());
  for (const std::string& t : names) {
    os << "== " << t << "\n";
    SQLite::Statement rows(db, "SELECT * FROM \"" + t + "\" ORDER BY rowid");
    while (rows.executeStep()) {
      for (int i = 0; i < rows.getColumnCount(); ++i) {
        os << (rows.isColumnNull(i) ? std::string("NULL") : rows.getColumn(i).getString()) << "|";
      }
      os << "\n";
    }
  }
  return os.str();
}

}  // namespace dokku::testing

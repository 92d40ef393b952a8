// CliAppsTest: apps:report / apps:set / apps:list --format json / apps:lock / locked / unlock /
// apps:clone / apps:rename (spec dokku-next.md §9), the deploy lock's refusals, and the report JSON
// key convention (§0.1) of every *:report.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/testing/cli_harness.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

using testing::CliHarness;
using testing::CliResult;

struct Case {
  std::vector<std::string> args;
  int rc;
  std::string out;
  std::string err;
};

constexpr char kLockedErr[] =
    " !     myapp currently has a deploy lock in place. Exiting...\n"
    " !     Run 'apps:unlock' to release the existing deploy lock\n";

class CliAppsTest : public ::testing::Test {
 protected:
  void RunCases(const std::vector<Case>& cases) {
    for (const Case& c : cases) {
      std::string name;
      for (const std::string& a : c.args) name += a + " ";
      CliResult r = h_.Run(c.args);
      EXPECT_EQ(r.rc, c.rc) << name << r.Describe();
      EXPECT_EQ(r.out, c.out) << name;
      EXPECT_EQ(r.err, c.err) << name;
    }
  }
  void Deploy(const std::string& app) {
    h_.DeployApp(app, {CliHarness::Container(app, "web", 1, "0123456789abcdef0123")});
  }
  // A fake dokkud that applies whatever is pending on every poll.
  void DaemonApplies(const std::string& app) {
    h_.Beat();
    h_.OnSleep([this, app] { h_.ApplyAll(app, {}); });
  }
  nlohmann::json Json(const std::vector<std::string>& args) {
    CliResult r = h_.Run(args);
    EXPECT_EQ(r.rc, 0) << r.Describe();
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  CliHarness h_;
};

TEST_F(CliAppsTest, ReportMatchesDokkuLayout) {
  ASSERT_EQ(h_.Run({"apps:create", "node-js-app"}).rc, 0);
  const std::string created = std::to_string(h_.clock().NowSeconds());
  CliResult r = h_.Run({"apps:report", "node-js-app"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out,
            "=====> node-js-app app information\n"
            "       App created at:                  " +
                created +
                "\n"
                "       App deploy source:               \n"
                "       App deploy source metadata:      \n"
                "       App dir:                         /home/dokku/node-js-app\n"
                "       App global disable autocreation: \n"
                "       App locked:                      false\n");
  EXPECT_EQ(r.err, "");
  RunCases({
      {{"apps:report", "node-js-app", "--app-locked"}, 0, "false\n", ""},
      {{"apps:report", "node-js-app", "--app-created-at"}, 0, created + "\n", ""},
      {{"apps:report", "--global"},
       0,
       "=====> --global app information\n"
       "       App global disable autocreation: \n",
       ""},
      {{"apps:report", "node-js-app", "--app-nope"},
       1,
       "",
       " !     Invalid flag passed, valid flags: --app-created-at, --app-deploy-source, "
       "--app-deploy-source-metadata, --app-dir, --app-global-disable-autocreation, "
       "--app-locked\n"},
      {{"apps:report", "node-js-app", "--format=json"},
       1,
       "",
       " !     Invalid flag passed, valid flags: --app-created-at, --app-deploy-source, "
       "--app-deploy-source-metadata, --app-dir, --app-global-disable-autocreation, "
       "--app-locked\n"},
      {{"apps:report", "node-js-app", "--format", "json", "--app-dir"},
       1,
       "",
       " !     --format flag cannot be specified when specifying an info flag\n"},
      {{"apps:report", "node-js-app", "--format", "yaml"},
       1,
       "",
       " !     Format must be \"stdout\" or \"json\": \"yaml\"\n"},
      {{"apps:report", "missing"}, 20, "", " !     App missing does not exist\n"},
  });
  CliResult dir = h_.Run({"apps:report", "node-js-app", "--app-dir"}, "", {{"DOKKU_ROOT", "/srv"}});
  EXPECT_EQ(dir.out, "/srv/node-js-app\n");
}

TEST_F(CliAppsTest, ReportJsonHasStrippedAndLegacyKeys) {
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  ASSERT_EQ(h_.Run({"apps:lock", "myapp"}).rc, 0);
  nlohmann::json j = Json({"apps:report", "myapp", "--format", "json"});
  for (const char* key : {"created-at", "deploy-source", "deploy-source-metadata", "dir",
                          "global-disable-autocreation", "locked"}) {
    EXPECT_TRUE(j.contains(key)) << key << " " << j.dump();
    EXPECT_TRUE(j.contains(std::string("app-") + key)) << key << " " << j.dump();
  }
  EXPECT_EQ(j.size(), 12u) << j.dump();
  EXPECT_EQ(j["locked"], "true");
  EXPECT_EQ(j["app-locked"], "true");
}

TEST_F(CliAppsTest, SetFollowsDokkusChecksAndStores) {
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  const std::string before = h_.Dump();
  RunCases({
      {{"apps:set", "myapp", "disable-autocreation", "true"},
       1,
       "",
       " !     Property can only be specified globally\n"},
      {{"apps:set", "missing", "deploy-source", "git"},
       20,
       "",
       " !     App missing does not exist\n"},
      {{"apps:set", "--global", "deploy-source", "git"},
       1,
       "",
       " !     Property cannot be specified globally\n"},
      {{"apps:set", "--global"}, 1, "", " !     Property cannot be specified globally\n"},
      {{"apps:set", "myapp"}, 1, "", " !     No property specified\n"},
      {{"apps:set", "myapp", "colour", "red"},
       1,
       "",
       " !     Invalid property specified, valid properties include: deploy-source, "
       "deploy-source-metadata, disable-autocreation\n"},
      {{"apps:set", "myapp", "deploy-source", "bad\nvalue"},
       1,
       "",
       " !     Invalid value: expected one line of at most 4096 bytes\n"},
  });
  EXPECT_EQ(h_.Dump(), before);
  RunCases({
      {{"apps:set", "myapp", "deploy-source", "docker-image"},
       0,
       "=====> Setting deploy-source to docker-image\n",
       ""},
      {{"apps:set", "myapp", "deploy-source-metadata", "nginx:1.27"},
       0,
       "=====> Setting deploy-source-metadata to nginx:1.27\n",
       ""},
      {{"apps:set", "--global", "disable-autocreation", "true"},
       0,
       "=====> Setting disable-autocreation to true\n",
       ""},
      {{"apps:report", "myapp", "--app-deploy-source"}, 0, "docker-image\n", ""},
      {{"apps:report", "myapp", "--app-deploy-source-metadata"}, 0, "nginx:1.27\n", ""},
      {{"apps:report", "myapp", "--app-global-disable-autocreation"}, 0, "true\n", ""},
      {{"apps:set", "myapp", "deploy-source"}, 0, "=====> Unsetting deploy-source\n", ""},
      {{"apps:report", "myapp", "--app-deploy-source"}, 0, "\n", ""},
  });
}

TEST_F(CliAppsTest, ListJson) {
  RunCases({{{"apps:list", "--format", "json"}, 0, "[]\n", ""}});
  ASSERT_EQ(h_.Run({"apps:create", "beta"}).rc, 0);
  ASSERT_EQ(h_.Run({"apps:create", "alpha"}).rc, 0);
  RunCases({
      {{"apps:list", "--format", "json"}, 0, "[\"alpha\",\"beta\"]\n", ""},
      {{"apps:list", "--format=json"}, 0, "[\"alpha\",\"beta\"]\n", ""},
      {{"apps:list", "--format", "stdout"}, 0, "=====> My Apps\nalpha\nbeta\n", ""},
      {{"apps:list", "--format", "yaml"}, 0, "=====> My Apps\nalpha\nbeta\n", ""},
      {{"apps:list", "--format"},
       2,
       "",
       " !     flag needs an argument: --format\nUsage: dokku apps:list [--format stdout|json]\n"},
  });
}

TEST_F(CliAppsTest, LockLockedUnlock) {
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  RunCases({
      {{"apps:lock"}, 1, "", " !     Please specify an app to run the command on\n"},
      {{"apps:lock", "missing"}, 20, "", " !     App missing does not exist\n"},
      {{"apps:locked", "missing"}, 20, "", " !     App missing does not exist\n"},
      {{"apps:unlock", "missing"}, 20, "", " !     App missing does not exist\n"},
      {{"apps:locked", "myapp"}, 1, "", " !     Deploy lock does not exist\n"},
      {{"apps:unlock", "myapp"}, 1, "", " !     Unable to remove deploy lock\n"},
      {{"apps:lock", "myapp"}, 0, "-----> Deploy lock created\n", ""},
      {{"apps:lock", "myapp"}, 0, "-----> Deploy lock created\n", ""},
      {{"apps:locked", "myapp"}, 0, "Deploy lock exists\n", ""},
      {{"--quiet", "apps:locked", "myapp"}, 0, "", ""},
      {{"apps:report", "myapp", "--app-locked"}, 0, "true\n", ""},
      {{"apps:unlock", "myapp"},
       0,
       "-----> Deploy lock removed\n",
       " !     A deploy may be in progress.\n"
       " !     Removing the app lock will not stop in progress deploys.\n"},
      {{"apps:locked", "myapp"}, 1, "", " !     Deploy lock does not exist\n"},
  });
}

// Every command that would deploy or restart a locked app refuses and changes nothing.
TEST_F(CliAppsTest, LockedAppRefusesDeploysAndRestarts) {
  Deploy("myapp");
  ASSERT_EQ(h_.Run({"apps:lock", "myapp"}).rc, 0);
  const std::string before = h_.Dump();
  const std::vector<std::vector<std::string>> refused = {
      {"ps:restart", "myapp"},
      {"ps:restart", "myapp", "web"},
      {"ps:rebuild", "myapp"},
      {"ps:start", "myapp"},
      {"ps:scale", "myapp", "web=2"},
      {"tags:deploy", "myapp", "v2"},
      {"releases:rollback", "myapp"},
      {"config:set", "myapp", "A=1"},
      {"config:unset", "myapp", "A"},
      {"config:clear", "myapp"},
      {"scheduler:set", "myapp", "selected", "docker-swarm"},
  };
  for (const auto& args : refused) {
    CliResult r = h_.Run(args);
    EXPECT_EQ(r.rc, 1) << args[0] << r.Describe();
    EXPECT_EQ(r.out, "") << args[0];
    EXPECT_EQ(r.err, kLockedErr) << args[0];
  }
  EXPECT_EQ(h_.Dump(), before);
  // --all runs count the locked app as an error and go on.
  CliResult all = h_.Run({"ps:restart", "--all"});
  EXPECT_EQ(all.rc, 1) << all.Describe();
  EXPECT_NE(all.err.find("Error running restart against app myapp: myapp currently has a deploy "
                         "lock in place. Exiting..."),
            std::string::npos)
      << all.err;
  EXPECT_EQ(h_.Dump(), before);
  // What neither deploys nor restarts still works: stored-only changes and reports.
  EXPECT_EQ(h_.Run({"config:set", "--no-restart", "myapp", "A=1"}).rc, 0);
  EXPECT_EQ(h_.Run({"ps:scale", "--skip-deploy", "myapp", "web=2"}).rc, 0);
  EXPECT_EQ(h_.Run({"ps:set", "myapp", "restart-policy", "always"}).rc, 0);
  EXPECT_EQ(h_.Run({"ps:report", "myapp"}).rc, 0);
  ASSERT_EQ(h_.Run({"apps:unlock", "myapp"}).rc, 0);
  DaemonApplies("myapp");
  CliResult restart = h_.Run({"ps:restart", "myapp"});
  EXPECT_EQ(restart.rc, 0) << restart.Describe();
}

// Dokku's apps:destroy ignores the lock; the lock goes with the app.
TEST_F(CliAppsTest, DestroyOfLockedApp) {
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  ASSERT_EQ(h_.Run({"apps:lock", "myapp"}).rc, 0);
  CliResult r = h_.Run({"apps:destroy", "myapp", "--force"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  RunCases({{{"apps:report", "myapp", "--app-locked"}, 0, "false\n", ""}});
}

TEST_F(CliAppsTest, CloneErrors) {
  ASSERT_EQ(h_.Run({"apps:create", "old"}).rc, 0);
  ASSERT_EQ(h_.Run({"apps:create", "taken"}).rc, 0);
  const std::string before = h_.Dump();
  RunCases({
      {{"apps:clone"}, 1, "", " !     Please specify an app to run the command on\n"},
      {{"apps:clone", "old"}, 1, "", " !     Please specify an new app name\n"},
      {{"apps:clone", "missing", "new"}, 20, "", " !     App missing does not exist\n"},
      {{"apps:clone", "old", "taken"}, 1, "", " !     Name is already taken\n"},
      {{"apps:clone", "--ignore-existing", "old", "taken"},
       0,
       "",
       " !     Name is already taken\n"},
  });
  CliResult bad = h_.Run({"apps:clone", "old", "Bad_Name"});
  EXPECT_EQ(bad.rc, 1) << bad.Describe();
  EXPECT_NE(bad.err.find("App name must begin with lowercase alphanumeric character"),
            std::string::npos)
      << bad.err;
  EXPECT_EQ(h_.Run({"apps:clone", "old", "a", "b"}).rc, 2);
  EXPECT_EQ(h_.Run({"apps:clone", "--nope", "old", "new"}).rc, 2);
  EXPECT_EQ(h_.Dump(), before);
}

TEST_F(CliAppsTest, CloneCopiesSettings) {
  ASSERT_EQ(h_.Run({"apps:create", "old"}).rc, 0);
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"config:set", "--no-restart", "old", "A=1", "B=two"},
           {"ports:set", "old", "http:80:3000"},
           {"storage:mount", "old", "/var/lib/data:/data"},
           {"docker-options:add", "old", "deploy", "--shm-size 64m"},
           {"resource:limit", "old", "--memory", "100m"},
           {"ps:set", "old", "restart-policy", "always"},
           {"ps:scale", "old", "worker=2"},
           {"checks:disable", "old", "worker"},
           {"scheduler:set", "old", "selected", "docker-swarm"},
           {"apps:lock", "old"},
       }) {
    CliResult r = h_.Run(args);
    ASSERT_EQ(r.rc, 0) << args[0] << r.Describe();
  }
  RunCases({{{"apps:clone", "old", "new"},
             0,
             "-----> Cloning old to new\n-----> Creating new...\n",
             ""}});
  for (const std::vector<std::string>& report : std::vector<std::vector<std::string>>{
           {"config:export", "--format", "json"},
           {"ports:report"},
           {"storage:report"},
           {"docker-options:report"},
           {"resource:report"},
           {"ps:scale"},
           {"checks:report"},
           {"scheduler:report"},
       }) {
    std::vector<std::string> old_args = {report[0], "old"}, new_args = {report[0], "new"};
    old_args.insert(old_args.end(), report.begin() + 1, report.end());
    new_args.insert(new_args.end(), report.begin() + 1, report.end());
    CliResult o = h_.Run(old_args), n = h_.Run(new_args);
    EXPECT_EQ(n.rc, 0) << report[0] << n.Describe();
    std::string expected = o.out;
    for (size_t at; (at = expected.find("old")) != std::string::npos;)
      expected.replace(at, 3, "new");
    EXPECT_EQ(n.out, expected) << report[0];
  }
  // The lock is the old app's own: the clone starts unlocked.
  RunCases({{{"apps:report", "new", "--app-locked"}, 0, "false\n", ""}});
  RunCases({{{"--quiet", "apps:clone", "old", "quiet"}, 0, "", ""}});
}

TEST_F(CliAppsTest, CloneDeploysTheOldAppsImage) {
  Deploy("old");
  RunCases({{{"apps:clone", "--skip-deploy", "old", "skipped"},
             0,
             "-----> Cloning old to skipped\n-----> Creating skipped...\n",
             ""}});
  EXPECT_TRUE(h_.daemon().ListReleases("skipped")->empty());
  DaemonApplies("new");
  CliResult r = h_.Run({"apps:clone", "old", "new"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  std::vector<Release> releases = *h_.daemon().ListReleases("new");
  ASSERT_EQ(releases.size(), 1u);
  const Release live = h_.daemon().ListReleases("old")->front();
  EXPECT_EQ(releases[0].status, "prepared");
  EXPECT_EQ(releases[0].image_id, live.image_id);
  EXPECT_EQ(releases[0].trigger, "apps:clone old");
  EXPECT_EQ(h_.daemon().GetApp("new")->desired_release, releases[0].id);
}

TEST_F(CliAppsTest, RenameErrorsChangeNothing) {
  Deploy("old");
  ASSERT_EQ(h_.Run({"apps:create", "taken"}).rc, 0);
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  ASSERT_EQ(h_.Run({"apps:lock", "myapp"}).rc, 0);
  const std::string before = h_.Dump();
  RunCases({
      {{"apps:rename"}, 1, "", " !     Please specify an app to run the command on\n"},
      {{"apps:rename", "old"}, 1, "", " !     Please specify an new app name\n"},
      {{"apps:rename", "missing", "new"}, 20, "", " !     App missing does not exist\n"},
      {{"apps:rename", "old", "taken"}, 1, "", " !     Name is already taken\n"},
      {{"apps:rename", "old", "old"}, 1, "", " !     Name is already taken\n"},
      {{"apps:rename", "myapp", "new"}, 1, "", kLockedErr},
      {{"apps:rename", "--skip-deploy", "myapp", "new"}, 1, "", kLockedErr},
  });
  CliResult bad = h_.Run({"apps:rename", "old", "Bad_Name"});
  EXPECT_EQ(bad.rc, 1) << bad.Describe();
  EXPECT_NE(bad.err.find("App name must begin with lowercase alphanumeric character"),
            std::string::npos)
      << bad.err;
  EXPECT_EQ(h_.Run({"apps:rename", "old", "a", "b"}).rc, 2);
  EXPECT_EQ(h_.Run({"apps:rename", "--ignore-existing", "old", "new"}).rc, 2);
  EXPECT_EQ(h_.Dump(), before);
}

// A fake dokkud for apps:rename: `app`'s desired release goes live, deleted apps are purged.
void RenameDaemon(CliHarness& h, const std::string& app, const std::string& error = "") {
  h.Beat();
  h.OnSleep([&h, app, error] {
    h.Beat();
    StatusOr<std::vector<App>> apps = h.daemon().ListApps(/*include_deleting=*/true);
    ASSERT_OK(apps);
    for (const App& a : *apps) {
      if (a.deleting) {
        EXPECT_OK(h.daemon().PurgeApp(a.name));
      } else if (a.name == app && a.observed_generation < a.generation && a.desired_release) {
        Release r = *h.daemon().GetRelease(*a.desired_release);
        r.status = error.empty() ? "live" : "failed";
        r.error = error;
        EXPECT_OK(h.daemon().UpdateRelease(r));
        if (error.empty()) EXPECT_OK(h.daemon().SetCurrentRelease(app, r.id));
        h.ApplyAll(app, {}, error);
      }
    }
  });
}

TEST_F(CliAppsTest, RenameMovesSettingsHistoryAndTags) {
  Deploy("old");
  const Release v1 = h_.daemon().ListReleases("old")->front();
  ASSERT_OK(h_.daemon().ReplaceImages(
      "old", {{"old", "v1", v1.image_id, 10, 100}, {"old", "latest", v1.image_id, 10, 100}}));
  ASSERT_EQ(h_.Run({"config:set", "--no-restart", "old", "A=1"}).rc, 0);
  ASSERT_EQ(h_.Run({"ps:scale", "--skip-deploy", "old", "web=2"}).rc, 0);
  const std::string old_config = h_.Run({"config:export", "old", "--format", "json"}).out;
  const std::string old_scale = h_.Run({"ps:scale", "old"}).out;
  RenameDaemon(h_, "new");
  RunCases({{{"apps:rename", "old", "new"},
             0,
             "-----> Renaming old to new\n-----> Creating new...\n"
             "-----> Destroying old (including all add-ons)\n",
             ""}});
  EXPECT_FALSE(h_.daemon().FindApp("old")->has_value());
  EXPECT_EQ(h_.Run({"config:export", "new", "--format", "json"}).out, old_config);
  std::string scale = old_scale;
  for (size_t at; (at = scale.find("old")) != std::string::npos;) scale.replace(at, 3, "new");
  RunCases({{{"ps:scale", "new"}, 0, scale, ""}});
  std::vector<Release> releases = *h_.daemon().ListReleases("new");
  ASSERT_EQ(releases.size(), 2u);
  EXPECT_EQ(releases[0].number, v1.number);
  EXPECT_EQ(releases[0].status, "superseded");
  EXPECT_EQ(releases[0].image_ref, "dokku/new:v1");
  EXPECT_EQ(releases[1].status, "live");
  EXPECT_EQ(releases[1].image_id, v1.image_id);
  EXPECT_EQ(releases[1].image_ref, "dokku/new:v1");
  EXPECT_EQ(releases[1].trigger, "apps:rename old");
  EXPECT_EQ(h_.daemon().GetApp("new")->current_release, releases[1].id);
  std::vector<TagOp> ops = *h_.daemon().PendingTagOps("new");
  ASSERT_EQ(ops.size(), 2u);
  for (const TagOp& op : ops) {
    EXPECT_EQ(op.op, "create");
    EXPECT_EQ(op.image_id, v1.image_id);
  }
  EXPECT_EQ(ops[0].tag, "latest");
  EXPECT_EQ(ops[1].tag, "v1");
}

TEST_F(CliAppsTest, RenameWhoseDeployFailsKeepsTheOldApp) {
  Deploy("old");
  RenameDaemon(h_, "new", "checks failed");
  CliResult r = h_.Run({"apps:rename", "old", "new"});
  EXPECT_NE(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out.find("Destroying old"), std::string::npos) << r.out;
  EXPECT_TRUE(h_.daemon().RequireApp("old").ok());
  EXPECT_FALSE(h_.daemon().FindApp("new")->has_value());
  EXPECT_EQ(h_.daemon().ListContainers("old")->size(), 1u);
}

TEST_F(CliAppsTest, RenameSkipDeployAndNeverDeployed) {
  Deploy("old");
  ASSERT_EQ(h_.Run({"apps:create", "fresh"}).rc, 0);
  RenameDaemon(h_, "none");
  RunCases({
      {{"apps:rename", "--skip-deploy", "old", "new"},
       0,
       "-----> Renaming old to new\n-----> Creating new...\n"
       "-----> Destroying old (including all add-ons)\n",
       ""},
      {{"apps:rename", "fresh", "renamed"},
       0,
       "-----> Renaming fresh to renamed\n-----> Creating renamed...\n"
       "-----> Destroying fresh (including all add-ons)\n",
       ""},
      {{"apps:list"}, 0, "=====> My Apps\nnew\nrenamed\n", ""},
  });
  std::vector<Release> releases = *h_.daemon().ListReleases("new");
  ASSERT_EQ(releases.size(), 1u);  // the history, no new deploy
  EXPECT_EQ(releases[0].status, "superseded");
  EXPECT_FALSE(h_.daemon().GetApp("new")->desired_release.has_value());
}

TEST_F(CliAppsTest, HelpListsTheAppsCommandsInDokkusOrder) {
  CliResult r = h_.Run({"apps:help"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  size_t at = 0;
  for (const char* line :
       {"apps:clone <old-app> <new-app>", "apps:create <app>", "apps:destroy <app>",
        "apps:exists <app>", "apps:list [--format stdout|json]", "apps:lock <app>",
        "apps:locked <app>", "apps:rename [--skip-deploy] <old-app> <new-app>",
        "apps:report [<app>] [<flag>]", "apps:set <app>|--global <key> <value>",
        "apps:unlock <app>"}) {
    size_t found = r.out.find(line, at);
    EXPECT_NE(found, std::string::npos) << line << "\n" << r.out;
    if (found != std::string::npos) at = found;
  }
}

TEST_F(CliAppsTest, PsSetStartCommandsAndSkipDeploy) {
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  RunCases({
      {{"ps:set", "myapp", "start-cmd", "bin/run --fast"},
       0,
       "=====> Setting start-cmd to bin/run --fast\n",
       ""},
      {{"ps:set", "myapp", "dockerfile-start-cmd", "npm start"},
       0,
       "=====> Setting dockerfile-start-cmd to npm start\n",
       ""},
      {{"ps:set", "myapp", "skip-deploy", "true"}, 0, "=====> Setting skip-deploy to true\n", ""},
      {{"ps:set", "--global", "skip-deploy", "false"},
       0,
       "=====> Setting skip-deploy to false\n",
       ""},
      {{"ps:set", "--global", "start-cmd", "x"},
       1,
       "",
       " !     Property cannot be specified globally\n"},
      {{"ps:set", "myapp", "skip-deploy", "yes"},
       1,
       "",
       " !     Invalid value 'yes': expected true or false\n"},
      {{"ps:report", "myapp", "--ps-start-cmd"}, 0, "bin/run --fast\n", ""},
      {{"ps:report", "myapp", "--ps-computed-start-cmd"}, 0, "bin/run --fast\n", ""},
      {{"ps:report", "myapp", "--ps-dockerfile-start-cmd"}, 0, "npm start\n", ""},
      {{"ps:report", "myapp", "--ps-skip-deploy"}, 0, "true\n", ""},
      {{"ps:report", "myapp", "--ps-computed-skip-deploy"}, 0, "true\n", ""},
      {{"ps:report", "myapp", "--ps-global-skip-deploy"}, 0, "false\n", ""},
      {{"ps:report", "--global", "--ps-computed-skip-deploy"}, 0, "false\n", ""},
      {{"ps:set", "myapp", "skip-deploy"}, 0, "=====> Unsetting skip-deploy\n", ""},
      {{"ps:report", "myapp", "--ps-computed-skip-deploy"}, 0, "false\n", ""},
  });
}

TEST_F(CliAppsTest, SchedulerGlobalUnsetAndDomainsGlobal) {
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  RunCases({
      {{"scheduler:set", "--global", "selected", "docker-local"},
       0,
       "=====> Setting selected to docker-local\n",
       ""},
      {{"scheduler:set", "--global", "selected"}, 0, "=====> Unsetting selected\n", ""},
      {{"scheduler:set", "myapp", "constraints", "node.role==worker,node.labels.zone!=b"},
       0,
       "=====> Setting constraints to node.role==worker,node.labels.zone!=b\n",
       ""},
      {{"scheduler:report", "myapp", "--scheduler-computed-constraints"},
       0,
       "node.role==worker,node.labels.zone!=b\n",
       ""},
      {{"scheduler:set", "myapp", "constraints", "role=worker"},
       1,
       "",
       " !     Invalid constraint 'role=worker': expected <attribute>==<value> or "
       "<attribute>!=<value> over node.id, node.hostname, node.role, node.platform.os, "
       "node.platform.arch, node.labels.<key> or engine.labels.<key>\n"},
      {{"scheduler:report", "myapp", "--scheduler-constraints"},
       0,
       "node.role==worker,node.labels.zone!=b\n",
       ""},
      {{"scheduler:set", "myapp", "max-replicas-per-node", "-1"},
       1,
       "",
       " !     Invalid max-replicas-per-node value specified, must be an integer from 0 to 1000\n"},
      {{"scheduler:set", "myapp", "max-replicas-per-node", "2"},
       0,
       "=====> Setting max-replicas-per-node to 2\n",
       ""},
      {{"scheduler:report", "--global", "--scheduler-computed-max-replicas-per-node"},
       0,
       "0\n",
       ""},
      {{"scheduler:set", "myapp", "placement", "x"},
       1,
       "",
       " !     Invalid property specified, valid properties include: selected, constraints, "
       "max-replicas-per-node\n"},
      {{"scheduler:report", "--global", "--scheduler-global-selected"}, 0, "\n", ""},
      {{"domains:report", "--global"},
       0,
       "=====> --global domains information\n"
       "       Domains global enabled:        false\n"
       "       Domains global vhosts:         \n",
       ""},
  });
  CliResult help = h_.Run({"help"});
  EXPECT_NE(help.out.find("Manage domains used by the proxy"), std::string::npos) << help.out;
}

// An app's extra domains: Dokku's messages, validation that changes nothing, the default vhost
// always first, and the list following the app through apps:clone.
TEST_F(CliAppsTest, DomainsAddRemoveSetClearAndReport) {
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  ASSERT_EQ(h_.Run({"domains:set-global", "e2e.test"}).rc, 0);
  RunCases({
      {{"domains:add", "myapp", "WWW.Example.com", "*.api.example.com"},
       0,
       "-----> Added www.example.com to myapp\n-----> Added *.api.example.com to myapp\n",
       ""},
      {{"domains:add", "myapp", "www.example.com"},
       1,
       "",
       " !     www.example.com is already defined for myapp\n"},
      {{"domains:add", "myapp", "myapp.e2e.test"},
       1,
       "",
       " !     myapp.e2e.test is already defined for myapp\n"},
      {{"domains:add", "myapp", "ok.example.com", "bad;name{}"},
       1,
       "",
       " !     bad;name{} is invalid. exiting...\n"},
      {{"domains:add", "myapp"}, 1, "", " !     Please specify a domain\n"},
      {{"domains:add"}, 1, "", " !     Please specify an app to run the command on\n"},
      {{"domains:add", "ghost", "a.example.com"}, 20, "", " !     App ghost does not exist\n"},
      {{"domains:report", "myapp", "--domains-app-vhosts"},
       0,
       "myapp.e2e.test www.example.com *.api.example.com\n",
       ""},
      {{"domains:remove", "myapp", "nope.example.com"},
       1,
       "",
       " !     nope.example.com is not defined for myapp\n"},
      {{"domains:remove", "myapp", "*.api.example.com"},
       0,
       "-----> Removed *.api.example.com from myapp\n",
       ""},
      {{"domains:report", "myapp"},
       0,
       "=====> myapp domains information\n"
       "       Domains app enabled:           true\n"
       "       Domains app vhosts:            myapp.e2e.test www.example.com\n"
       "       Domains global enabled:        true\n"
       "       Domains global vhosts:         e2e.test\n",
       ""},
      {{"domains:set", "myapp", "a.example.com", "b.example.com"},
       0,
       "-----> Set myapp.e2e.test a.example.com b.example.com for myapp\n",
       ""},
  });
  ASSERT_EQ(h_.Run({"apps:clone", "--skip-deploy", "myapp", "copy"}).rc, 0);
  RunCases({
      {{"domains:report", "copy", "--domains-app-vhosts"},
       0,
       "copy.e2e.test a.example.com b.example.com\n",
       ""},
      {{"domains:clear", "myapp"}, 0, "-----> Cleared domains in myapp\n", ""},
      {{"domains:report", "myapp", "--domains-app-vhosts"}, 0, "myapp.e2e.test\n", ""},
  });
}

// Spec §0.1: every flag's value under its stripped key, plus the `<plugin>-` legacy key for the
// plugins whose EmitLegacyPrefix is true; stripped keys only for checks and domains.
TEST_F(CliAppsTest, ReportJsonKeyConvention) {
  Deploy("myapp");
  ASSERT_EQ(h_.Run({"resource:limit", "--memory", "100m", "myapp"}).rc, 0);
  struct Plugin {
    std::string report;
    std::string app;  // "--global" for domains
    bool legacy;
    std::string sample;  // a stripped key that must be there
  };
  const std::vector<Plugin> plugins = {
      {"apps:report", "myapp", true, "locked"},
      {"checks:report", "myapp", false, "disabled-list"},
      {"docker-options:report", "myapp", true, "deploy"},
      {"domains:report", "--global", false, "global-vhosts"},
      {"ports:report", "myapp", true, "map"},
      {"ps:report", "myapp", true, "restart-policy"},
      {"resource:report", "myapp", true, "_default_.limit.memory"},
      {"scheduler:report", "myapp", true, "selected"},
      {"storage:report", "myapp", true, "deploy-mounts"},
  };
  for (const Plugin& p : plugins) {
    nlohmann::json j = Json({p.report, p.app, "--format", "json"});
    ASSERT_TRUE(j.is_object()) << p.report;
    EXPECT_TRUE(j.contains(p.sample)) << p.report << " " << j.dump();
    const std::string prefix = p.report.substr(0, p.report.find(':')) == "apps"
                                   ? "app-"
                                   : p.report.substr(0, p.report.find(':')) + "-";
    bool any_legacy = false;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key().rfind(prefix, 0) != 0) continue;
      any_legacy = true;
      // A legacy key always has its stripped twin with the same value.
      const std::string stripped = it.key().substr(prefix.size());
      ASSERT_TRUE(j.contains(stripped)) << p.report << " " << it.key();
      EXPECT_EQ(j[stripped], it.value()) << p.report << " " << it.key();
    }
    EXPECT_EQ(any_legacy, p.legacy) << p.report << " " << j.dump();
    if (p.legacy) {
      EXPECT_TRUE(j.contains(prefix + p.sample)) << p.report << " " << j.dump();
    }
  }
}

}  // namespace
}  // namespace dokku

// CliTest: exact output and effects of each dokku command, run in-process against a temp
// state dir. The daemon is played by CliHarness where a command follows it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/format.h"
#include "tests/testing/cli_harness.h"

namespace dokku {
namespace {

using testing::CliHarness;
using testing::CliResult;

class CliTest : public ::testing::Test {
 protected:
  int64_t Now() { return h_.clock().NowSeconds(); }
  int64_t Generation(const std::string& app) {
    auto a = h_.daemon().GetApp(app);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? a->generation : -1;
  }
  // A fake dokkud that applies whatever is pending on every poll.
  void DaemonApplies(const std::string& app,
                     std::vector<std::pair<std::string, std::string>> events = {},
                     std::string error = "") {
    h_.Beat();
    h_.OnSleep([this, app, events, error] { h_.ApplyAll(app, events, error); });
  }
  std::string FormationOf(const std::string& app) {
    std::string s;
    auto f = h_.daemon().GetFormation(app);
    for (const auto& e : *f) s += e.proctype + "=" + std::to_string(e.quantity) + " ";
    return s;
  }

  CliHarness h_;
};

TEST_F(CliTest, TopicHelpMatchesDokkuLayout) {
  const std::string tags_help =
      "Usage: dokku tags[:COMMAND]\n"
      "\n"
      "Manage docker image tags\n"
      "\n"
      "Additional commands:\n"
      "    tags <app>                List all app image tags\n"
      "    tags:create <app> <tag>   Add tag to latest running app image\n"
      "    tags:deploy <app> <tag>   Deploy tagged app image\n"
      "    tags:destroy <app> <tag>  Remove app image tag\n";
  for (auto args : {std::vector<std::string>{"tags"}, {"tags:help"}, {"tags", "--help"}}) {
    CliResult r = h_.Run(args);
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(r.out, tags_help) << args[0];
  }
  CliResult ps = h_.Run({"ps"});
  EXPECT_EQ(ps.rc, 0);
  EXPECT_EQ(ps.out.rfind(
                "Usage: dokku ps[:COMMAND]\n\nManage app processes\n\nAdditional commands:\n", 0),
            0u);
  EXPECT_NE(ps.out.find(
                "\n    ps:scale [--skip-deploy] [--format stdout|json] <app> [<proc>=<count>...]  "
                "Get/Set how many instances of a given process to run\n"),
            std::string::npos);
  EXPECT_EQ(ps.out.find("ps:restartall"), std::string::npos);  // hidden alias
  CliResult checks = h_.Run({"checks"});
  EXPECT_NE(checks.out.find("Manage zero-downtime settings"), std::string::npos);
  // Help never creates the database.
  EXPECT_TRUE(h_.Run({"help"}).err.empty());
  EXPECT_FALSE(std::filesystem::exists(DatabasePath(h_.state_dir())));
}

TEST_F(CliTest, CommandHelpAndGlobalHelp) {
  CliResult r = h_.Run({"ps:scale", "--help"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(
      r.out,
      "Usage: dokku ps:scale [--skip-deploy] [--format stdout|json] <app> [<proc>=<count>...]\n"
      "\nGet/Set how many instances of a given process to run\n");
  CliResult all = h_.Run({"help", "--all"});
  EXPECT_NE(all.out.find("    checks:run <app> [process-type(s)]"), std::string::npos);
  CliResult top = h_.Run({});
  EXPECT_EQ(top.rc, 0);
  // Topic names are padded to the longest ("docker-options") plus two spaces.
  EXPECT_NE(top.out.find("Commands:\n\n    apps            Manage apps\n"), std::string::npos)
      << top.out;
  EXPECT_NE(top.out.find("    scheduler       Manage scheduler settings\n"), std::string::npos)
      << top.out;
}

TEST_F(CliTest, UnknownCommandAndVersion) {
  CliResult r = h_.Run({"ps:nope", "app"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err,
            " !     `ps:nope` is not a dokku command.\n"
            " !     See `dokku help` for a list of available commands.\n");
  CliResult v = h_.Run({"version"});
  EXPECT_EQ(v.out, "dokkud " DOKKUD_VERSION "\n");
}

TEST_F(CliTest, UnknownFlagIsAUsageError) {
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  CliResult r = h_.Run({"ps:scale", "--bogus", "myapp"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(
      r.err,
      " !     unknown flag: --bogus\n"
      "Usage: dokku ps:scale [--skip-deploy] [--format stdout|json] <app> [<proc>=<count>...]\n");
  EXPECT_EQ(h_.Run({"ps:scale", "myapp", "--format"}).rc, 2);
  EXPECT_EQ(h_.Run({"apps:create", "a", "b"}).rc, 2);
}

TEST_F(CliTest, AppsCreateListExists) {
  CliResult empty = h_.Run({"apps:list"});
  EXPECT_EQ(empty.rc, 0);
  EXPECT_EQ(empty.out, "");
  EXPECT_EQ(empty.err, " !     You haven't deployed any applications yet\n");

  CliResult c = h_.Run({"apps:create", "beta"});
  EXPECT_EQ(c.rc, 0);
  EXPECT_EQ(c.out, "-----> Creating beta...\n");
  EXPECT_EQ(h_.Run({"--quiet", "apps:create", "alpha"}).out, "");
  CliResult dup = h_.Run({"apps:create", "beta"});
  EXPECT_EQ(dup.rc, 1);
  EXPECT_EQ(dup.err, " !     Name is already taken\n");
  CliResult bad = h_.Run({"apps:create", "Bad_Name"});
  EXPECT_EQ(bad.rc, 1);
  EXPECT_EQ(
      bad.err,
      " !     App name must begin with lowercase alphanumeric character, and may only contain "
      "lowercase alphanumerics, dots, and hyphens\n");
  CliResult none = h_.Run({"apps:create"});
  EXPECT_EQ(none.err, " !     Please specify an app to run the command on\n");

  CliResult list = h_.Run({"apps:list"});
  EXPECT_EQ(list.out, "=====> My Apps\nalpha\nbeta\n");
  EXPECT_EQ(h_.Run({"--quiet", "apps:list"}).out, "alpha\nbeta\n");

  EXPECT_EQ(h_.Run({"apps:exists", "beta"}).rc, 0);
  CliResult missing = h_.Run({"apps:exists", "gamma"});
  EXPECT_EQ(missing.rc, 20);
  EXPECT_EQ(missing.err, " !     App gamma does not exist\n");
}

TEST_F(CliTest, MissingAppExits20Everywhere) {
  const std::vector<std::vector<std::string>> commands = {
      {"ps", "nope"},
      {"ps:scale", "nope"},
      {"ps:scale", "nope", "web=1"},
      {"ps:set", "nope", "restore", "false"},
      {"ps:report", "nope"},
      {"ps:restart", "nope"},
      {"ps:start", "nope"},
      {"ps:stop", "nope"},
      {"ps:rebuild", "nope"},
      {"tags", "nope"},
      {"tags:create", "nope", "v1"},
      {"tags:deploy", "nope", "v1"},
      {"tags:destroy", "nope", "v1"},
      {"releases", "nope"},
      {"releases:rollback", "nope"},
      {"checks:disable", "nope"},
      {"checks:set", "nope", "wait-to-retire", "5"},
      {"checks:report", "nope"},
      {"checks:run", "nope"},
      {"apps:destroy", "--force", "nope"},
  };
  for (const auto& args : commands) {
    CliResult r = h_.Run(args);
    EXPECT_EQ(r.rc, 20) << args[0] << "\n" << r.Describe();
    EXPECT_EQ(r.err, " !     App nope does not exist\n") << args[0];
  }
}

TEST_F(CliTest, AppsDestroyAsksForConfirmation) {
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  const std::string before = h_.Dump();
  CliResult r = h_.Run({"apps:destroy", "myapp"}, "other\n");
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err,
            " !     WARNING: Potentially Destructive Action\n"
            " !     This command will destroy app myapp.\n"
            " !     To proceed, type \"myapp\"\n"
            " !     Confirmation did not match myapp. Aborted.\n");
  EXPECT_EQ(h_.Dump(), before);

  h_.Beat();
  h_.OnSleep([this] {
    h_.Beat();
    auto apps = h_.daemon().ListApps(true);
    for (const App& a : *apps) {
      if (a.deleting) EXPECT_OK(h_.daemon().PurgeApp(a.name));
    }
  });
  h_.DeployApp("deployed", {CliHarness::Container("deployed", "web", 1, "c1")});
  CliResult ok = h_.Run({"apps:destroy", "deployed"}, "deployed\n");
  EXPECT_EQ(ok.rc, 0) << ok.Describe();
  EXPECT_EQ(ok.out, "-----> Destroying deployed (including all add-ons)\n");
  EXPECT_GT(h_.sleeps(), 0);  // it waited for dokkud to tear the containers down
  auto left = h_.daemon().ListApps(true);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().name, "myapp");
}

// Given an app that never had a release, a container or an image tag, when it is destroyed
// without dokkud running, then the command succeeds at once and every command sees it gone; a
// new app of that name starts clean.
TEST_F(CliTest, AppsDestroyOfAnUndeployedAppNeedsNoDaemon) {
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  ASSERT_EQ(h_.Run({"ps:scale", "myapp", "web=2"}).rc, 0);
  CliResult r = h_.Run({"--force", "apps:destroy", "myapp"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out, "-----> Destroying myapp (including all add-ons)\n");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(h_.sleeps(), 0);
  EXPECT_EQ(h_.Run({"apps:exists", "myapp"}).rc, 20);
  CliResult list = h_.Run({"apps:list"});
  EXPECT_EQ(list.err, " !     You haven't deployed any applications yet\n") << list.Describe();
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  CliResult scale = h_.Run({"ps:scale", "myapp"});
  EXPECT_TRUE(scale.out.find("web:  1\n") != std::string::npos) << scale.Describe();
}

TEST_F(CliTest, AppsDestroyForceWithoutDaemonKeepsTheRequest) {
  h_.DeployApp("myapp", {CliHarness::Container("myapp", "web", 1, "c1")});
  CliResult r = h_.Run({"--force", "apps:destroy", "myapp"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(
      r.err,
      " !     dokkud is not running; the change is saved and will be applied when it starts\n");
  EXPECT_EQ(h_.Run({"apps:exists", "myapp"}).rc, 20);
  ASSERT_EQ(h_.daemon().ListApps(true)->size(), 1u);
  EXPECT_TRUE(h_.daemon().ListApps(true)->front().deleting);
}

// Dokku's dispatcher: a leading `--app X` puts X right after the command, so Dokku's own tests'
// `dokku --app APP apps:create` and `dokku --force --app APP apps:destroy` work.
TEST_F(CliTest, GlobalAppFlagNamesTheApp) {
  CliResult created = h_.Run({"--app", "viaflag", "apps:create"});
  EXPECT_EQ(created.rc, 0) << created.Describe();
  EXPECT_EQ(h_.Run({"apps:exists", "viaflag"}).rc, 0);
  CliResult scale = h_.Run({"--app=viaflag", "ps:scale", "web=3"});
  EXPECT_EQ(scale.rc, 0) << scale.Describe();
  EXPECT_TRUE(h_.Run({"ps:scale", "viaflag"}).out.find("web:  3\n") != std::string::npos);
  CliResult destroyed = h_.Run({"--force", "--app", "viaflag", "apps:destroy"});
  EXPECT_EQ(destroyed.rc, 0) << destroyed.Describe();
  EXPECT_EQ(h_.Run({"apps:exists", "viaflag"}).rc, 20);

  const std::string before = h_.Dump();
  CliResult missing = h_.Run({"--app"});
  EXPECT_EQ(missing.rc, 1);
  EXPECT_EQ(missing.err, " !     flag needs an argument: --app\n");
  CliResult twice = h_.Run({"--app", "a", "--app", "b", "apps:create"});
  EXPECT_EQ(twice.rc, 1);
  EXPECT_EQ(twice.err, " !     flag given more than once: --app\n");
  EXPECT_EQ(h_.Dump(), before);
}

TEST_F(CliTest, PsScaleListsFormation) {
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  CliResult set = h_.Run({"ps:scale", "myapp", "worker=0"});
  EXPECT_EQ(set.rc, 0) << set.Describe();
  EXPECT_EQ(set.out, "-----> Scaling myapp processes: worker=0\n");
  EXPECT_EQ(h_.sleeps(), 0);  // not deployed: only stored
  CliResult list = h_.Run({"ps:scale", "myapp"});
  EXPECT_EQ(list.out,
            "-----> Scaling for myapp\n"
            "proctype: qty\n"
            "--------: ---\n"
            "web:  1\n"
            "worker: 0\n");
  EXPECT_EQ(h_.Run({"--quiet", "ps:scale", "myapp"}).out, "web:  1\nworker: 0\n");
  EXPECT_EQ(
      h_.Run({"ps:scale", "myapp", "--format", "json"}).out,
      "[{\"process_type\":\"web\",\"quantity\":1},{\"process_type\":\"worker\",\"quantity\":0}]\n");
  EXPECT_EQ(h_.Run({"ps:scale", "--format=yaml", "myapp"}).out, list.out);  // Dokku: stdout
}

TEST_F(CliTest, PsScaleRejectsBadTuplesWithoutWriting) {
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  const std::string before = h_.Dump();
  CliResult missing = h_.Run({"ps:scale", "myapp", "web"});
  EXPECT_EQ(missing.rc, 1);
  EXPECT_EQ(missing.out, "");  // a malformed tuple is refused before anything is echoed
  EXPECT_EQ(missing.err, " !     Missing count for process type web\n");
  CliResult invalid = h_.Run({"ps:scale", "myapp", "web=2", "worker=abc"});
  EXPECT_EQ(invalid.err, " !     Invalid count for process type worker\n");
  EXPECT_EQ(h_.Run({"ps:scale", "myapp", "web=-1"}).err,
            " !     Invalid count for process type web\n");
  EXPECT_EQ(h_.Dump(), before);
}

TEST_F(CliTest, PsScaleRespectsProcfileAndDokkuScale) {
  Release rel = h_.DeployApp("myapp", {CliHarness::Container("myapp", "web", 1, "c1")});
  const std::string before = h_.Dump();
  CliResult r = h_.Run({"ps:scale", "myapp", "clock=1"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, " !     clock is not a valid process name to scale up\n");
  rel.dokku_scale = "web=1";
  ASSERT_OK(h_.daemon().UpdateRelease(rel));
  const std::string locked = h_.Dump();
  CliResult blocked = h_.Run({"ps:scale", "myapp", "web=2"});
  EXPECT_EQ(blocked.rc, 1);
  EXPECT_EQ(blocked.out, "");
  EXPECT_EQ(blocked.err,
            " !     App myapp contains DOKKU_SCALE file and cannot be manually scaled\n");
  EXPECT_EQ(h_.Dump(), locked);
}

TEST_F(CliTest, PsScaleFollowsTheDaemon) {
  h_.DeployApp("myapp", {CliHarness::Container("myapp", "web", 1, "c1")});
  DaemonApplies("myapp", {{"info1", "Deploying web (count=2)"},
                          {"verbose", "Attempting pre-flight checks (web.2)"},
                          {"output", "line one\nline two"}});
  CliResult r = h_.Run({"ps:scale", "myapp", "web=2"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out,
            "-----> Scaling myapp processes: web=2\n"
            "-----> Deploying web (count=2)\n"
            "       Attempting pre-flight checks (web.2)\n"
            "       line one\n"
            "       line two\n");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(FormationOf("myapp"), "web=2 ");
}

TEST_F(CliTest, PsScaleSkipDeployAndDetachDoNotWait) {
  h_.DeployApp("myapp", {CliHarness::Container("myapp", "web", 1, "c1")});
  int64_t gen = Generation("myapp");
  CliResult skip = h_.Run({"ps:scale", "--skip-deploy", "myapp", "web=3"});
  EXPECT_EQ(skip.rc, 0) << skip.Describe();
  CliResult detach = h_.Run({"--detach", "ps:scale", "myapp", "worker=1"});
  EXPECT_EQ(detach.rc, 0) << detach.Describe();
  EXPECT_EQ(h_.sleeps(), 0);
  EXPECT_EQ(Generation("myapp"), gen + 2);
  EXPECT_EQ(FormationOf("myapp"), "web=3 worker=1 ");
}

TEST_F(CliTest, PsSetFollowsDokkusOrderOfChecks) {
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  struct Case {
    std::vector<std::string> args;
    int rc;
    std::string out, err;
  };
  const std::vector<Case> cases = {
      {{"ps:set", "myapp", "restart-policy", "always"},
       0,
       "=====> Setting restart-policy to always\n",
       ""},
      {{"ps:set", "myapp", "restart-policy"}, 0, "=====> Unsetting restart-policy\n", ""},
      {{"ps:set", "--global", "stop-timeout-seconds", "45"},
       0,
       "=====> Setting stop-timeout-seconds to 45\n",
       ""},
      {{"ps:set", "myapp", "restore", "false"}, 0, "=====> Setting restore to false\n", ""},
      {{"ps:set", "nope", "restart-policy", "sometimes"},
       1,
       "",
       " !     Invalid restart-policy specified\n"},
      {{"ps:set", "nope", "restart-policy", "always"}, 20, "", " !     App nope does not exist\n"},
      {{"ps:set", "--global", "restore", "true"},
       1,
       "",
       " !     Property cannot be specified globally\n"},
      {{"ps:set", "myapp"}, 1, "", " !     No property specified\n"},
      {{"ps:set", "myapp", "colour", "red"},
       1,
       "",
       " !     Invalid property specified, valid properties include: dockerfile-start-cmd, "
       "max-parallel, procfile-path, "
       "restart-policy, restore, skip-deploy, start-cmd, stop-timeout-seconds\n"},
      {{"ps:set", "myapp", "max-parallel", "0"},
       1,
       "",
       " !     Invalid max-parallel value specified, must be an integer from 1 to 1000\n"},
      {{"ps:set", "myapp", "max-parallel", "2x"},
       1,
       "",
       " !     Invalid max-parallel value specified, must be an integer from 1 to 1000\n"},
      {{"ps:set", "myapp", "max-parallel", "3"}, 0, "=====> Setting max-parallel to 3\n", ""},
      {{"ps:set", "myapp", "start-cmd", "bin/run"}, 0, "=====> Setting start-cmd to bin/run\n", ""},
      {{"ps:set", "myapp", "stop-timeout-seconds", "soon"},
       1,
       "",
       " !     Invalid value 'soon': expected whole seconds between 0 and 3600\n"},
  };
  for (const Case& c : cases) {
    CliResult r = h_.Run(c.args);
    EXPECT_EQ(r.rc, c.rc) << c.args[1] << " " << r.Describe();
    EXPECT_EQ(r.out, c.out) << c.args[1];
    EXPECT_EQ(r.err, c.err) << c.args[1];
  }
  EXPECT_EQ(*h_.daemon().GetProperty("ps", kGlobal, "stop-timeout-seconds"), "45");
  EXPECT_EQ(*h_.daemon().GetProperty("ps", "myapp", "restart-policy"), "");
  EXPECT_EQ(*h_.daemon().GetProperty("ps", "myapp", "restore"), "false");
  EXPECT_EQ(*h_.daemon().GetProperty("ps", "myapp", "max-parallel"), "3");
}

TEST_F(CliTest, PsShowsContainerTable) {
  auto web1 = CliHarness::Container("myapp", "web", 1, "0123456789abcdef0123");
  web1.started_at = Now() - 192;
  auto web2 =
      CliHarness::Container("myapp", "web", 2, "fedcba9876543210fedc", "running", "retiring");
  web2.started_at = Now() - 7384;
  auto worker = CliHarness::Container("myapp", "worker", 1, "aaaabbbbccccddddeeee", "exited");
  h_.DeployApp("myapp", {worker, web2, web1});
  CliResult r = h_.Run({"ps", "myapp"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out,
            "NAME             TYPE      STATE                RELEASE   CONTAINER ID   UPTIME\n"
            "myapp.web.1      web       running              v1        0123456789ab   3m12s\n"
            "myapp.web.2      web       running (retiring)   v1        fedcba987654   2h3m4s\n"
            "myapp.worker.1   worker    exited               v1        aaaabbbbcccc   -\n");
}

TEST_F(CliTest, PsShowsHostPortsAndJson) {
  auto web1 = CliHarness::Container("myapp", "web", 1, "0123456789abcdef0123");
  web1.started_at = Now() - 5;
  web1.host_port = 32768;
  web1.ip = "172.17.0.2";
  web1.port = 5000;
  h_.DeployApp("myapp", {web1});
  CliResult r = h_.Run({"ps", "myapp"});
  EXPECT_EQ(r.out,
            "NAME          TYPE      STATE     RELEASE   CONTAINER ID   UPTIME    HOST PORT\n"
            "myapp.web.1   web       running   v1        0123456789ab   5s        32768\n");
  CliResult j = h_.Run({"ps", "myapp", "--format", "json"});
  auto arr = nlohmann::json::parse(j.out);
  ASSERT_EQ(arr.size(), 1u);
  EXPECT_EQ(arr[0]["name"], "myapp.web.1");
  EXPECT_EQ(arr[0]["process_type"], "web");
  EXPECT_EQ(arr[0]["index"], 1);
  EXPECT_EQ(arr[0]["state"], "running");
  EXPECT_EQ(arr[0]["role"], "live");
  EXPECT_EQ(arr[0]["release"], "v1");
  EXPECT_EQ(arr[0]["container_id"], "0123456789abcdef0123");
  EXPECT_EQ(arr[0]["uptime_seconds"], 5);
  EXPECT_EQ(arr[0]["ip"], "172.17.0.2");
  EXPECT_EQ(arr[0]["port"], 5000);
  EXPECT_EQ(arr[0]["host_port"], 32768);
}

TEST_F(CliTest, PsOfUndeployedApp) {
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  CliResult r = h_.Run({"ps", "myapp"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.err, " !     App myapp has not been deployed\n");
  EXPECT_EQ(h_.Run({"ps", "myapp", "--format", "json"}).out, "[]\n");
}

TEST_F(CliTest, LifecycleOnUndeployedAppWarnsAndChangesNothing) {
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  const std::string before = h_.Dump();
  for (const char* cmd : {"ps:restart", "ps:start", "ps:stop", "ps:rebuild"}) {
    CliResult r = h_.Run({cmd, "myapp"});
    EXPECT_EQ(r.rc, 0) << cmd;
    EXPECT_EQ(r.out, "") << cmd;
    EXPECT_EQ(r.err, " !     App myapp has not been deployed\n") << cmd;
  }
  EXPECT_EQ(h_.Dump(), before);
}

TEST_F(CliTest, PsRestartOneProcessType) {
  h_.DeployApp("myapp", {CliHarness::Container("myapp", "web", 1, "c1")});
  ASSERT_EQ(h_.Run({"--detach", "ps:scale", "myapp", "worker=1"}).rc, 0);
  DaemonApplies("myapp", {{"info1", "Deploying worker (count=1)"}});
  CliResult r = h_.Run({"ps:restart", "myapp", "worker"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out, "-----> Deploying worker (count=1)\n");
  auto f = h_.daemon().GetFormation("myapp");
  EXPECT_EQ((*f)[0].restart_generation, 0);  // web
  EXPECT_EQ((*f)[1].restart_generation, 1);  // worker
  CliResult bad = h_.Run({"ps:restart", "myapp", "clock"});
  EXPECT_EQ(bad.rc, 1);
  EXPECT_EQ(bad.err, " !     Invalid process type specified (myapp.clock)\n");
}

TEST_F(CliTest, PsAllFlagErrors) {
  CliResult proc = h_.Run({"ps:restart", "--all", "web"});
  EXPECT_EQ(proc.rc, 1);
  EXPECT_EQ(proc.err, " !     Unable to restart all apps when specifying a process name\n");
  CliResult neg = h_.Run({"ps:restart", "--all", "--parallel", "-2"});
  EXPECT_EQ(neg.rc, 1);
  EXPECT_EQ(neg.err, " !     Invalid value -2 for --parallel flag\n");
  EXPECT_EQ(h_.Run({"ps:stop", "--all", "--parallel", "many"}).rc, 2);
  CliResult none = h_.Run({"ps:restartall"});
  EXPECT_EQ(none.rc, 0);
  EXPECT_EQ(none.err, " !     You haven't deployed any applications yet\n");
}

TEST_F(CliTest, PsRestartAllSerial) {
  h_.DeployApp("alpha", {CliHarness::Container("alpha", "web", 1, "a1")});
  h_.DeployApp("beta", {CliHarness::Container("beta", "web", 1, "b1")});
  ASSERT_EQ(h_.Run({"apps:create", "gamma"}).rc, 0);
  h_.Beat();
  h_.OnSleep([this] {
    h_.ApplyAll("alpha", {});
    h_.ApplyAll("beta", {});
  });
  CliResult r = h_.Run({"ps:restartall"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out,
            "-----> Running restart against app alpha\n"
            "-----> Running restart against app beta\n"
            "-----> Running restart against app gamma\n");
  EXPECT_EQ(r.err,
            " !     Running restart in serial mode\n"
            " !     App gamma has not been deployed\n");
}

TEST_F(CliTest, PsStopAllParallelReportsEachFailure) {
  h_.DeployApp("alpha", {CliHarness::Container("alpha", "web", 1, "a1")});
  h_.DeployApp("beta", {CliHarness::Container("beta", "web", 1, "b1")});
  h_.Beat();
  h_.OnSleep([this] {
    h_.ApplyAll("alpha", {{"info1", "Stopped alpha"}});
    h_.ApplyAll("beta", {{"error", "cannot stop b1"}}, "cannot stop b1");
  });
  CliResult r = h_.Run({"ps:stop", "--all", "--parallel", "4"});
  EXPECT_EQ(r.rc, 1) << r.Describe();
  EXPECT_EQ(r.out,
            "-----> Running command against alpha\n"
            "-----> Stopping alpha\n"
            "-----> Running command against beta\n"
            "-----> Stopping beta\n"
            "-----> Stopped alpha\n");
  EXPECT_EQ(r.err,
            " !     cannot stop b1\n"
            " !     Error running stop against beta: cannot stop b1\n"
            " !     Encountered 1 errors during parallel run\n");
  EXPECT_FALSE(h_.daemon().GetApp("alpha")->desired_running);
  EXPECT_FALSE(h_.daemon().GetApp("beta")->desired_running);
}

TEST_F(CliTest, PsStopAndStart) {
  h_.DeployApp("myapp", {CliHarness::Container("myapp", "web", 1, "c1")});
  CliResult already = h_.Run({"ps:start", "myapp"});
  EXPECT_EQ(already.rc, 0);
  EXPECT_EQ(already.err, " !     App myapp already running\n");

  DaemonApplies("myapp");
  CliResult stop = h_.Run({"ps:stop", "myapp"});
  EXPECT_EQ(stop.rc, 0) << stop.Describe();
  EXPECT_EQ(stop.out, "-----> Stopping myapp\n");
  EXPECT_FALSE(h_.daemon().GetApp("myapp")->desired_running);
  EXPECT_EQ(h_.Run({"ps:report", "myapp", "--restore"}).out, "false\n");

  ASSERT_OK(h_.daemon().ReplaceContainers(
      "myapp", {CliHarness::Container("myapp", "web", 1, "c1", "exited")}));
  CliResult start = h_.Run({"ps:start", "myapp"});
  EXPECT_EQ(start.rc, 0) << start.Describe();
  EXPECT_EQ(start.err, " !     App has been detected as not running, releasing\n");
  EXPECT_TRUE(h_.daemon().GetApp("myapp")->desired_running);
  EXPECT_EQ(h_.Run({"ps:report", "myapp", "--restore"}).out, "true\n");
}

TEST_F(CliTest, PsRebuildCreatesAReleaseOfTheCurrentTag) {
  h_.DeployApp("myapp", {CliHarness::Container("myapp", "web", 1, "c1")}, "v7");
  DaemonApplies("myapp", {{"info1", "Releasing myapp (dokku/myapp:v7)..."}});
  CliResult r = h_.Run({"ps:rebuild", "myapp"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out, "-----> Releasing myapp (dokku/myapp:v7)...\n");
  auto releases = h_.daemon().ListReleases("myapp");
  ASSERT_EQ(releases->size(), 2u);
  EXPECT_EQ(releases->back().tag, "v7");
  EXPECT_EQ(releases->back().trigger, "ps:rebuild");
}

TEST_F(CliTest, TagsListsImagesLikeDocker) {
  h_.DeployApp("myapp", {});
  const std::string id = "sha256:4a5b6c7d8e9f00112233445566778899aabbccddeeff00112233445566778899";
  ASSERT_OK(h_.daemon().ReplaceImages("myapp", {{"myapp", "v0.9.0", id, Now() - 90, 1234567},
                                                {"myapp", "latest", id, Now() - 90, 1234567},
                                                {"myapp", "old", id, Now() - 3 * 86400, 512}}));
  CliResult r = h_.Run({"tags", "myapp"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out,
            "=====> Image tags for dokku/myapp\n"
            "REPOSITORY    TAG       IMAGE ID       CREATED              SIZE\n"
            "dokku/myapp   latest    4a5b6c7d8e9f   About a minute ago   1.23MB\n"
            "dokku/myapp   v0.9.0    4a5b6c7d8e9f   About a minute ago   1.23MB\n"
            "dokku/myapp   old       4a5b6c7d8e9f   3 days ago           512B\n");
}

TEST_F(CliTest, TagsCreateAndDestroyWaitForTheDaemon) {
  h_.DeployApp("myapp", {});
  h_.Beat();
  std::string fail_with;
  bool daemon_reports = false;  // dokkud may print the success line itself
  h_.OnSleep([&] {
    h_.Beat();
    auto ops = h_.daemon().PendingTagOps("myapp");
    for (const TagOp& op : *ops) {
      if (daemon_reports) {
        ASSERT_OK(
            h_.daemon().AppendEvent("myapp", "info2", "Added " + op.tag + " tag to dokku/myapp"));
      }
      ASSERT_OK(h_.daemon().FinishTagOp(op.id, fail_with.empty(), fail_with));
    }
  });
  CliResult created = h_.Run({"tags:create", "myapp", "v2"});
  EXPECT_EQ(created.rc, 0) << created.Describe();
  EXPECT_EQ(created.out, "=====> Added v2 tag to dokku/myapp\n");
  CliResult destroyed = h_.Run({"tags:destroy", "myapp", "v2"});
  EXPECT_EQ(destroyed.rc, 0) << destroyed.Describe();
  EXPECT_EQ(destroyed.out, "       Untagged: dokku/myapp:v2\n");
  fail_with = "No such image: dokku/myapp:v3";
  CliResult failed = h_.Run({"tags:destroy", "myapp", "v3"});
  EXPECT_EQ(failed.rc, 1);
  EXPECT_EQ(failed.err, " !     No such image: dokku/myapp:v3\n");
  fail_with.clear();
  daemon_reports = true;
  CliResult once = h_.Run({"tags:create", "myapp", "v4"});
  EXPECT_EQ(once.rc, 0) << once.Describe();
  EXPECT_EQ(once.out, "=====> Added v4 tag to dokku/myapp\n");
}

TEST_F(CliTest, TagsErrors) {
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  const std::string before = h_.Dump();
  CliResult latest = h_.Run({"tags:destroy", "myapp", "latest"});
  EXPECT_EQ(latest.rc, 1);
  EXPECT_EQ(latest.err, " !     You can't remove internal dokku tag (latest) for dokku/myapp\n");
  CliResult undeployed = h_.Run({"tags:create", "myapp", "v1"});
  EXPECT_EQ(undeployed.rc, 1);
  EXPECT_EQ(undeployed.err, " !     App myapp has not been deployed\n");
  CliResult bad = h_.Run({"tags:deploy", "myapp", "no good"});
  EXPECT_EQ(bad.rc, 1);
  EXPECT_NE(bad.err.find("Invalid tag"), std::string::npos);
  EXPECT_EQ(h_.Run({"tags:deploy", "myapp"}).err, " !     No tag specified\n");
  EXPECT_EQ(h_.Dump(), before);
}

TEST_F(CliTest, TagsDeployReportsTheDaemonsFailureOnce) {
  h_.DeployApp("myapp", {});
  const std::string reason = "App image (dokku/myapp:v9) not found";
  DaemonApplies("myapp", {{"info1", "Releasing myapp (dokku/myapp:v9)..."}, {"error", reason}},
                reason);
  CliResult r = h_.Run({"tags:deploy", "myapp", "v9"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.out, "-----> Releasing myapp (dokku/myapp:v9)...\n");
  EXPECT_EQ(r.err, " !     " + reason + "\n");
  EXPECT_EQ(h_.daemon().ListReleases("myapp")->back().trigger, "tags:deploy");
}

TEST_F(CliTest, PsScaleRefusesTypesAppJsonFormationSets) {
  Release r = h_.DeployApp("myapp", {});
  r.app_json = R"({"formation": {"web": {"quantity": 2}}})";
  ASSERT_OK(h_.daemon().UpdateRelease(r));
  const int64_t generation = h_.daemon().GetApp("myapp")->generation;
  CliResult refused = h_.Run({"ps:scale", "myapp", "web=3"});
  EXPECT_EQ(refused.rc, 1) << refused.Describe();
  EXPECT_EQ(refused.err,
            " !     App myapp contains an app.json file with a formations key and cannot be "
            "manually scaled\n");
  EXPECT_EQ(h_.daemon().GetApp("myapp")->generation, generation);
  // A type app.json does not list stays the operator's.
  CliResult worker = h_.Run({"--detach", "ps:scale", "myapp", "worker=1"});
  EXPECT_EQ(worker.rc, 0) << worker.Describe();
}

TEST_F(CliTest, ReleasesTableAndJson) {
  Release first = h_.DeployApp("myapp", {});
  first.tasks = "predeploy ok, postdeploy ok";
  ASSERT_OK(h_.daemon().UpdateRelease(first));
  h_.clock().Advance(3 * 3600 * 1000);
  auto second = h_.daemon().CreateRelease("myapp", "v2", "tags:deploy");
  ASSERT_OK(second);
  Release failed = *second;
  failed.status = "failed";
  failed.error = "App image (dokku/myapp:v2) not found";
  ASSERT_OK(h_.daemon().UpdateRelease(failed));
  ASSERT_OK(h_.daemon().SetDesiredRelease("myapp", first.id));
  CliResult r = h_.Run({"releases", "myapp"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(
      r.out,
      "=====> myapp releases\n"
      "RELEASE   TAG       IMAGE ID       STATUS           CREATED                  TRIGGER       "
      "TASKS                         ERROR\n"
      "2         v2        -              failed           Less than a second ago   tags:deploy   "
      "-                             App image (dokku/myapp:v2) not found\n"
      "1         v1        4a5b6c7d8e9f   live (current)   3 hours ago              test          "
      "predeploy ok, postdeploy ok   \n");
  auto j = nlohmann::json::parse(h_.Run({"releases", "myapp", "--format", "json"}).out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["number"], 2);
  EXPECT_EQ(j[0]["status"], "failed");
  EXPECT_EQ(j[1]["current"], true);
  EXPECT_EQ(j[1]["image"], "dokku/myapp:v1");
  EXPECT_EQ(j[1]["tasks"], "predeploy ok, postdeploy ok");
  EXPECT_EQ(j[0]["tasks"], "");
}

TEST_F(CliTest, ReleasesRollback) {
  Release first = h_.DeployApp("myapp", {});
  auto second = h_.daemon().CreateRelease("myapp", "v2", "tags:deploy");
  Release live = *second;
  live.status = "live";
  live.image_id = "sha256:99";
  ASSERT_OK(h_.daemon().UpdateRelease(live));
  first.status = "superseded";
  ASSERT_OK(h_.daemon().UpdateRelease(first));
  ASSERT_OK(h_.daemon().SetCurrentRelease("myapp", live.id));

  const std::string before = h_.Dump();
  CliResult bad = h_.Run({"releases:rollback", "myapp", "abc"});
  EXPECT_EQ(bad.rc, 1);
  EXPECT_EQ(bad.err, " !     Invalid release number specified: abc\n");
  CliResult missing = h_.Run({"releases:rollback", "myapp", "9"});
  EXPECT_EQ(missing.err, " !     Release 9 not found for myapp\n");
  EXPECT_EQ(h_.Dump(), before);

  DaemonApplies("myapp", {{"info1", "Deploying web (count=1)"}});
  CliResult r = h_.Run({"releases:rollback", "myapp"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out,
            "-----> Rolling back myapp to release 1 (dokku/myapp:v1)\n"
            "-----> Deploying web (count=1)\n");
  auto releases = h_.daemon().ListReleases("myapp");
  ASSERT_EQ(releases->size(), 3u);
  EXPECT_EQ(releases->back().rollback_of, first.id);
}

TEST_F(CliTest, ChecksModes) {
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  auto lists = [&] {
    return h_.Run({"checks:report", "myapp", "--checks-disabled-list"}).out + "/" +
           h_.Run({"checks:report", "myapp", "--checks-skipped-list"}).out;
  };
  EXPECT_EQ(h_.Run({"checks:disable", "myapp"}).out,
            "-----> Disabling zero downtime for app (myapp)\n");
  EXPECT_EQ(lists(), "_all_\n/none\n");
  EXPECT_EQ(h_.Run({"checks:disable", "myapp", "web,worker"}).out,
            "-----> Disabling zero downtime for app's (myapp) proctypes (web,worker)\n");
  EXPECT_EQ(lists(), "web,worker\n/none\n");
  EXPECT_EQ(h_.Run({"checks:skip", "myapp", "worker"}).out,
            "-----> Skipping zero downtime for app's (myapp) proctypes (worker)\n");
  EXPECT_EQ(lists(), "web\n/worker\n");
  EXPECT_EQ(h_.Run({"checks:skip", "myapp"}).out,
            "-----> Skipping zero downtime for app (myapp)\n");
  EXPECT_EQ(lists(), "none\n/_all_\n");
  EXPECT_EQ(h_.Run({"checks:enable", "myapp"}).out,
            "-----> Enabling zero downtime for app's (myapp)\n");
  EXPECT_EQ(lists(), "none\n/none\n");
  EXPECT_EQ(h_.Run({"checks:enable", "myapp", "web"}).out,
            "-----> Enabling zero downtime for app's (myapp) proctypes (web)\n");
  const std::string before = h_.Dump();
  CliResult bad = h_.Run({"checks:disable", "myapp", "web,,worker"});
  EXPECT_EQ(bad.rc, 1);
  EXPECT_EQ(bad.err, " !     Invalid process type specified ()\n");
  EXPECT_EQ(h_.Dump(), before);
}

TEST_F(CliTest, ChecksSet) {
  ASSERT_EQ(h_.Run({"apps:create", "myapp"}).rc, 0);
  EXPECT_EQ(h_.Run({"checks:set", "myapp", "wait-to-retire", "30"}).out,
            "=====> Setting wait-to-retire to 30\n");
  EXPECT_EQ(h_.Run({"checks:report", "myapp", "--checks-computed-wait-to-retire"}).out, "30\n");
  EXPECT_EQ(h_.Run({"checks:set", "myapp", "wait-to-retire"}).out,
            "=====> Unsetting wait-to-retire\n");
  EXPECT_EQ(h_.Run({"checks:set", "--global", "default-wait", "5"}).out,
            "=====> Setting default-wait to 5\n");
  EXPECT_EQ(h_.Run({"checks:report", "--global", "--checks-computed-default-wait"}).out, "5\n");
  const std::string before = h_.Dump();
  EXPECT_EQ(h_.Run({"checks:set", "myapp"}).err, " !     No key specified\n");
  EXPECT_EQ(h_.Run({"checks:set", "myapp", "wait", "5"}).err,
            " !     Invalid key specified, valid keys include: wait-to-retire\n");
  EXPECT_EQ(h_.Run({"checks:set", "myapp", "default-wait", "5"}).err,
            " !     Invalid key specified, valid keys include: wait-to-retire\n");
  EXPECT_EQ(h_.Run({"checks:set", "myapp", "wait-to-retire", "-5"}).err,
            " !     Invalid value '-5': expected whole seconds between 0 and 86400\n");
  EXPECT_EQ(h_.Dump(), before);
}

TEST_F(CliTest, ChecksRunValidatesTargetsThenFollowsTheRequest) {
  h_.DeployApp("myapp", {CliHarness::Container("myapp", "web", 1, "c1")});
  const std::string before = h_.Dump();
  EXPECT_EQ(h_.Run({"checks:run", "myapp", "web2"}).err,
            " !     Invalid process type specified (myapp.web2)\n");
  EXPECT_EQ(h_.Run({"checks:run", "myapp", "web.3"}).err,
            " !     Invalid container index specified (myapp.web.3)\n");
  EXPECT_EQ(h_.Run({"checks:run", "myapp", "web,web.x"}).err,
            " !     Invalid container index specified (myapp.web.x)\n");
  EXPECT_EQ(h_.Dump(), before);

  h_.Beat();
  std::string result;
  std::string seen_args;
  h_.OnSleep([&] {
    h_.Beat();
    auto requests = h_.daemon().PendingRequests("myapp");
    for (const Request& req : *requests) {
      seen_args = req.args;
      ASSERT_OK(h_.daemon().AppendEvent("myapp", "info1", "Running checks for app (myapp.web.1)"));
      ASSERT_OK(h_.daemon().FinishRequest(req.id, result.empty(), result));
    }
  });
  CliResult ok = h_.Run({"checks:run", "myapp", "web.1"});
  EXPECT_EQ(ok.rc, 0) << ok.Describe();
  EXPECT_EQ(ok.out, "-----> Running checks for app (myapp.web.1)\n");
  EXPECT_EQ(seen_args, "web.1");
  result = "Could not start due to 1 failed checks (web.1)";
  CliResult failed = h_.Run({"checks:run", "myapp"});
  EXPECT_EQ(failed.rc, 1);
  EXPECT_EQ(failed.err, " !     Could not start due to 1 failed checks (web.1)\n");
}

TEST_F(CliTest, DomainsGlobal) {
  CliResult set = h_.Run({"domains:set-global", "example.com"});
  EXPECT_EQ(set.rc, 0);
  EXPECT_EQ(set.out, "-----> Set example.com\n");
  CliResult report = h_.Run({"domains:report", "--global"});
  EXPECT_EQ(report.out,
            "=====> --global domains information\n"
            "       Domains global enabled:        true\n"
            "       Domains global vhosts:         example.com\n");
  EXPECT_EQ(h_.Run({"domains:report", "--global", "--domains-global-vhosts"}).out, "example.com\n");
  const std::string before = h_.Dump();
  CliResult bad = h_.Run({"domains:set-global", "Bad_Domain"});
  EXPECT_EQ(bad.rc, 1);
  EXPECT_EQ(bad.err, " !     Invalid domain: Bad_Domain\n");
  EXPECT_EQ(h_.Run({"domains:set-global"}).err, " !     No domain specified\n");
  EXPECT_EQ(h_.Dump(), before);
}

TEST(CliFormatTest, HumanDurationsAndSizes) {
  EXPECT_EQ(HumanDuration(0), "Less than a second");
  EXPECT_EQ(HumanDuration(1), "1 second");
  EXPECT_EQ(HumanDuration(59), "59 seconds");
  EXPECT_EQ(HumanDuration(60), "About a minute");
  EXPECT_EQ(HumanDuration(119), "About a minute");
  EXPECT_EQ(HumanDuration(120), "2 minutes");
  EXPECT_EQ(HumanDuration(3599), "59 minutes");
  EXPECT_EQ(HumanDuration(3600), "About an hour");
  EXPECT_EQ(HumanDuration(3 * 3600), "3 hours");
  EXPECT_EQ(HumanDuration(47 * 3600), "47 hours");
  EXPECT_EQ(HumanDuration(3 * 86400), "3 days");
  EXPECT_EQ(HumanDuration(20 * 86400), "2 weeks");
  EXPECT_EQ(HumanDuration(90 * 86400), "3 months");
  EXPECT_EQ(HumanDuration(800 * 86400), "2 years");
  EXPECT_EQ(HumanSize(0), "0B");
  EXPECT_EQ(HumanSize(999), "999B");
  EXPECT_EQ(HumanSize(4000), "4kB");
  EXPECT_EQ(HumanSize(1234567), "1.23MB");
  EXPECT_EQ(HumanSize(1025000000), "1.02GB");
  EXPECT_EQ(FormatUptime(45), "45s");
  EXPECT_EQ(FormatUptime(192), "3m12s");
  EXPECT_EQ(FormatUptime(7384), "2h3m4s");
  EXPECT_EQ(FormatUptime(3 * 86400 + 4 * 3600 + 5 * 60 + 6), "3d4h5m");
  EXPECT_EQ(ShortId("sha256:0123456789abcdef", 12), "0123456789ab");
}

}  // namespace
}  // namespace dokku

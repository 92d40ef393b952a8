// CliReportTest: ps:report and checks:report layouts, info flags and JSON, as Dokku renders
// them (spec/dokku-behaviour.md §1, §2.3, §6.1).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/testing/cli_harness.h"

namespace dokku {
namespace {

using testing::CliHarness;
using testing::CliResult;

constexpr char kPsFlags[] =
    "--deployed, --processes, --ps-can-scale, --ps-computed-dockerfile-start-cmd, "
    "--ps-computed-procfile-path, --ps-computed-restart-policy, --ps-computed-skip-deploy, "
    "--ps-computed-start-cmd, --ps-computed-stop-timeout-seconds, --ps-dockerfile-start-cmd, "
    "--ps-global-procfile-path, --ps-global-restart-policy, --ps-global-skip-deploy, "
    "--ps-global-stop-timeout-seconds, --ps-procfile-path, --ps-restart-policy, --ps-skip-deploy, "
    "--ps-start-cmd, --ps-stop-timeout-seconds, --restore, --running, --status-web.1";

class CliReportTest : public ::testing::Test {
 protected:
  void DeployNodeApp() {
    h_.DeployApp("node-js-app",
                 {CliHarness::Container("node-js-app", "web", 1, "0123456789abcdef0123")});
  }
  CliHarness h_;
};

TEST_F(CliReportTest, PsReportMatchesDokkuLayout) {
  DeployNodeApp();
  CliResult r = h_.Run({"ps:report", "node-js-app"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out,
            "=====> node-js-app ps information\n"
            "       Deployed:                         true\n"
            "       Processes:                        1\n"
            "       Ps can scale:                     true\n"
            "       Ps computed dockerfile start cmd: \n"
            "       Ps computed procfile path:        Procfile\n"
            "       Ps computed restart policy:       on-failure:10\n"
            "       Ps computed skip deploy:          false\n"
            "       Ps computed start cmd:            \n"
            "       Ps computed stop timeout seconds: 30\n"
            "       Ps dockerfile start cmd:          \n"
            "       Ps global procfile path:          \n"
            "       Ps global restart policy:         \n"
            "       Ps global skip deploy:            \n"
            "       Ps global stop timeout seconds:   \n"
            "       Ps procfile path:                 \n"
            "       Ps restart policy:                \n"
            "       Ps skip deploy:                   \n"
            "       Ps start cmd:                     \n"
            "       Ps stop timeout seconds:          \n"
            "       Restore:                          true\n"
            "       Running:                          true\n"
            "       Status web 1:                     running (CID: 0123456789a)\n");
  EXPECT_EQ(r.err, "");
  // --quiet drops the header only.
  CliResult quiet = h_.Run({"--quiet", "ps:report", "node-js-app"});
  EXPECT_EQ(quiet.out, r.out.substr(r.out.find('\n') + 1));
}

TEST_F(CliReportTest, PsReportComputedValues) {
  DeployNodeApp();
  ASSERT_EQ(h_.Run({"ps:set", "--global", "restart-policy", "always"}).rc, 0);
  ASSERT_EQ(h_.Run({"ps:set", "--global", "stop-timeout-seconds", "45"}).rc, 0);
  ASSERT_EQ(h_.Run({"ps:set", "node-js-app", "stop-timeout-seconds", "10"}).rc, 0);
  auto flag = [&](const char* f) { return h_.Run({"ps:report", "node-js-app", f}).out; };
  EXPECT_EQ(flag("--ps-computed-restart-policy"), "always\n");
  EXPECT_EQ(flag("--ps-restart-policy"), "\n");
  EXPECT_EQ(flag("--ps-global-restart-policy"), "always\n");
  EXPECT_EQ(flag("--ps-computed-stop-timeout-seconds"), "10\n");
  EXPECT_EQ(flag("--ps-global-stop-timeout-seconds"), "45\n");
}

TEST_F(CliReportTest, PsReportJsonHasPluginAndLegacyKeys) {
  DeployNodeApp();
  CliResult r = h_.Run({"ps:report", "node-js-app", "--format", "json"});
  EXPECT_EQ(r.rc, 0);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.size(), 5u + 2 * 17u);
  EXPECT_EQ(j["deployed"], "true");
  EXPECT_EQ(j["processes"], "1");
  EXPECT_EQ(j["running"], "true");
  EXPECT_EQ(j["restore"], "true");
  EXPECT_EQ(j["status-web.1"], "running (CID: 0123456789a)");
  EXPECT_EQ(j["computed-restart-policy"], "on-failure:10");
  EXPECT_EQ(j["ps-computed-restart-policy"], "on-failure:10");
  EXPECT_EQ(j["can-scale"], "true");
  EXPECT_EQ(j["ps-can-scale"], "true");
  EXPECT_FALSE(j.contains("ps-deployed"));
}

TEST_F(CliReportTest, PsReportInfoFlags) {
  DeployNodeApp();
  CliResult one = h_.Run({"ps:report", "node-js-app", "--status-web.1"});
  EXPECT_EQ(one.out, "running (CID: 0123456789a)\n");
  CliResult bad = h_.Run({"ps:report", "node-js-app", "--bogus"});
  EXPECT_EQ(bad.rc, 1);
  EXPECT_EQ(bad.err, std::string(" !     Invalid flag passed, valid flags: ") + kPsFlags + "\n");
  CliResult two = h_.Run({"ps:report", "node-js-app", "--deployed", "--running"});
  EXPECT_EQ(two.rc, 0);
  EXPECT_EQ(two.out + two.err, "");
  CliResult json_flag = h_.Run({"ps:report", "node-js-app", "--format", "json", "--deployed"});
  EXPECT_EQ(json_flag.rc, 1);
  EXPECT_EQ(json_flag.err,
            " !     --format flag cannot be specified when specifying an info flag\n");
  CliResult format = h_.Run({"ps:report", "node-js-app", "--format", "xml"});
  EXPECT_EQ(format.rc, 1);
  EXPECT_EQ(format.err, " !     Format must be \"stdout\" or \"json\": \"xml\"\n");
}

TEST_F(CliReportTest, PsReportGlobal) {
  ASSERT_EQ(h_.Run({"ps:set", "--global", "procfile-path", "deploy/Procfile"}).rc, 0);
  CliResult r = h_.Run({"ps:report", "--global"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out,
            "=====> --global ps information\n"
            "       Ps computed procfile path:        deploy/Procfile\n"
            "       Ps computed restart policy:       on-failure:10\n"
            "       Ps computed skip deploy:          false\n"
            "       Ps computed stop timeout seconds: 30\n"
            "       Ps global procfile path:          deploy/Procfile\n"
            "       Ps global restart policy:         \n"
            "       Ps global skip deploy:            \n"
            "       Ps global stop timeout seconds:   \n");
}

TEST_F(CliReportTest, PsReportStates) {
  ASSERT_EQ(h_.Run({"apps:create", "fresh"}).rc, 0);
  auto flag = [&](const std::string& app, const char* f) {
    return h_.Run({"ps:report", app, f}).out;
  };
  EXPECT_EQ(flag("fresh", "--deployed"), "false\n");
  EXPECT_EQ(flag("fresh", "--running"), "false\n");
  EXPECT_EQ(flag("fresh", "--processes"), "0\n");

  Release rel = h_.DeployApp(
      "mixed", {CliHarness::Container("mixed", "web", 1, "a1"),
                CliHarness::Container("mixed", "worker", 1, "b1", "exited"),
                CliHarness::Container("mixed", "web", 2, "c1", "running", "retiring")});
  EXPECT_EQ(flag("mixed", "--running"), "mixed\n");
  EXPECT_EQ(flag("mixed", "--processes"), "2\n");
  EXPECT_EQ(flag("mixed", "--status-worker.1"), "exited (CID: b1)\n");
  EXPECT_EQ(h_.Run({"ps:report", "mixed", "--status-web.2"}).rc, 1);  // retiring: not a live slot
  // A swarm task names the node it runs on.
  ObservedContainer task = CliHarness::Container("mixed", "web", 1, "a1");
  task.node = "node2";
  ASSERT_OK(h_.daemon().ReplaceContainers("mixed", {task}));
  EXPECT_EQ(flag("mixed", "--status-web.1"), "running (CID: a1, node: node2)\n");
  rel.dokku_scale = "web=1";
  ASSERT_OK(h_.daemon().UpdateRelease(rel));
  EXPECT_EQ(flag("mixed", "--ps-can-scale"), "false\n");
}

TEST_F(CliReportTest, ReportWithoutAppCoversEveryApp) {
  CliResult none = h_.Run({"ps:report"});
  EXPECT_EQ(none.rc, 0);
  EXPECT_EQ(none.err, " !     You haven't deployed any applications yet\n");
  ASSERT_EQ(h_.Run({"apps:create", "beta"}).rc, 0);
  ASSERT_EQ(h_.Run({"apps:create", "alpha"}).rc, 0);
  CliResult r = h_.Run({"checks:report"});
  EXPECT_EQ(r.rc, 0);
  size_t a = r.out.find("=====> alpha checks information\n");
  size_t b = r.out.find("=====> beta checks information\n");
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  EXPECT_LT(a, b);
  EXPECT_EQ(h_.Run({"ps:report", "--deployed"}).out, "false\nfalse\n");
}

TEST_F(CliReportTest, ChecksReportMatchesDokkuLayout) {
  ASSERT_EQ(h_.Run({"apps:create", "node-js-app"}).rc, 0);
  CliResult r = h_.Run({"checks:report", "node-js-app"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out,
            "=====> node-js-app checks information\n"
            "       Checks computed wait to retire: 60\n"
            "       Checks disabled list:           none\n"
            "       Checks global wait to retire:   \n"
            "       Checks skipped list:            none\n"
            "       Checks wait to retire:          \n");
  ASSERT_EQ(h_.Run({"checks:set", "--global", "wait-to-retire", "90"}).rc, 0);
  ASSERT_EQ(h_.Run({"checks:disable", "node-js-app", "worker"}).rc, 0);
  auto j = nlohmann::json::parse(h_.Run({"checks:report", "node-js-app", "--format", "json"}).out);
  EXPECT_EQ(j, nlohmann::json({{"computed-wait-to-retire", "90"},
                               {"disabled-list", "worker"},
                               {"global-wait-to-retire", "90"},
                               {"skipped-list", "none"},
                               {"wait-to-retire", ""}}));
  CliResult global = h_.Run({"checks:report", "--global"});
  EXPECT_EQ(global.out,
            "=====> --global checks information\n"
            "       Checks computed default wait:   10\n"
            "       Checks computed wait to retire: 90\n"
            "       Checks global default wait:     \n"
            "       Checks global wait to retire:   90\n");
}

}  // namespace
}  // namespace dokku

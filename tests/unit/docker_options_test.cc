// docker-options: shell-style words without expansion, one stored entry per flag, the accepted
// flags and their Engine API fields, the CLI's Dokku output and that bad input changes nothing.
#include "store/docker_options.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "controller/docker/docker_codec.h"
#include "controller/scheduler/scheduler.h"
#include "tests/testing/cli_harness.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

using testing::CliHarness;
using testing::CliResult;
using Words = std::vector<std::string>;

TEST(TokenizeShellWordsTest, Table) {
  struct Case {
    const char* text;
    Words words;
  };
  const Case cases[] = {
      {"", {}},
      {"  -v  /a:/b ", {"-v", "/a:/b"}},
      {"--label 'a b=c d'", {"--label", "a b=c d"}},
      {"--label \"x=\\\"y\\\"\"", {"--label", "x=\"y\""}},
      {"-e A=$(id) -e B=`id` -e C=$HOME", {"-e", "A=$(id)", "-e", "B=`id`", "-e", "C=$HOME"}},
      {"a\\ b", {"a b"}},
      {"''", {""}},
      {"x'y'\"z\"", {"xyz"}},
  };
  for (const Case& c : cases) {
    StatusOr<Words> w = TokenizeShellWords(c.text);
    ASSERT_OK(w);
    EXPECT_EQ(*w, c.words) << c.text;
  }
  for (const char* bad : {"'open", "\"open", "trailing\\"}) {
    EXPECT_EQ(
        TokenizeShellWords(bad).status().message().rfind("Unable to parse docker option: ", 0), 0u)
        << bad;
  }
}

TEST(SplitDockerOptionsTest, OneEntryPerFlag) {
  struct Case {
    const char* text;
    Words entries;
  };
  const Case cases[] = {
      {"--memory 64m -v /a:/b", {"--memory 64m", "-v /a:/b"}},
      {"--memory=64m --cpus 1.5", {"--memory=64m", "--cpus 1.5"}},
      {"-l 'team=a b' --label x", {"-l 'team=a b'", "--label x"}},
      {"--add-host db:10.0.0.2 --ulimit nofile=1024:2048 --shm-size 64m",
       {"--add-host db:10.0.0.2", "--ulimit nofile=1024:2048", "--shm-size 64m"}},
      {"--cap-add NET_ADMIN --cap-drop ALL --network net1 --net=bridge -e A=$(id)",
       {"--cap-add NET_ADMIN", "--cap-drop ALL", "--network net1", "--net=bridge", "-e 'A=$(id)'"}},
  };
  for (const Case& c : cases) {
    StatusOr<Words> e = SplitDockerOptions(c.text);
    ASSERT_OK(e);
    EXPECT_EQ(*e, c.entries) << c.text;
  }
}

TEST(SplitDockerOptionsTest, RefusesWhatItCannotMap) {
  struct Case {
    const char* text;
    const char* error_prefix;
  };
  const Case cases[] = {
      {"--privileged", "Unsupported docker option '--privileged': dokkud accepts -v/--volume"},
      {"--restart always", "Unsupported docker option '--restart'"},
      {"--link db", "Unsupported docker option '--link'"},
      {"64m", "Unsupported docker option '64m'"},
      {"--memory", "flag needs an argument: --memory"},
      {"--memory lots", "Invalid --memory value 'lots'"},
      {"--cpus 0", "Invalid --cpus value '0'"},
      {"-v rel/x:/b", "Invalid --volume value 'rel/x:/b'"},
      {"-v /a:/b:z", "Invalid --volume value"},
      {"--label com.dokku.app-name=x", "Invalid --label value 'com.dokku.app-name=x'"},
      {"--label =x", "Invalid --label value"},
      {"--network 'a b'", "Invalid --network value"},
      {"--add-host nocolon", "Invalid --add-host value"},
      {"--ulimit bogus=1", "Invalid --ulimit value"},
      {"--ulimit nofile=x", "Invalid --ulimit value"},
      {"--cap-add 'A;B'", "Invalid --cap-add value"},
      {"-e NOEQUALS", "Invalid --env value"},
      {"-e =x", "Invalid --env value"},
      {"--memory 'unterminated", "Unable to parse docker option: "},
  };
  for (const Case& c : cases) {
    Status st = SplitDockerOptions(c.text).status();
    EXPECT_EQ(st.message().rfind(c.error_prefix, 0), 0u) << c.text << ": " << st.message();
  }
}

TEST(ApplyDockerOptionTest, FieldsOfEachFlag) {
  DockerRunOptions o;
  for (const char* entry :
       {"-v /a:/b:ro", "--volume=vol:/c", "--memory 64m", "--cpus=0.5", "-l team=a", "--label x",
        "--network net1", "--add-host db:10.0.0.2", "--ulimit nofile=1024:2048",
        "--ulimit nproc=-1", "--shm-size 1g", "--cap-add NET_ADMIN", "--cap-drop ALL", "-e A=1"}) {
    ASSERT_OK(ApplyDockerOption(entry, &o));
  }
  EXPECT_EQ(o.binds, (Words{"/a:/b:ro", "vol:/c"}));
  EXPECT_EQ(o.memory, 64LL << 20);
  EXPECT_EQ(o.nano_cpus, 500'000'000);
  EXPECT_EQ(o.labels, (std::map<std::string, std::string>{{"team", "a"}, {"x", ""}}));
  EXPECT_EQ(o.network, "net1");
  EXPECT_EQ(o.extra_hosts, (Words{"db:10.0.0.2"}));
  EXPECT_EQ(o.ulimits, (std::vector<Ulimit>{{"nofile", 1024, 2048}, {"nproc", -1, -1}}));
  EXPECT_EQ(o.shm_size, 1LL << 30);
  EXPECT_EQ(o.cap_add, (Words{"NET_ADMIN"}));
  EXPECT_EQ(o.cap_drop, (Words{"ALL"}));
  EXPECT_EQ(o.env, (Words{"A=1"}));
  EXPECT_FALSE(ApplyDockerOption("--memory 1g 2g", &o).ok());
  EXPECT_FALSE(ApplyDockerOption("--memory=1g 2g", &o).ok());
  EXPECT_FALSE(ApplyDockerOption("", &o).ok());
}

TEST(ParseDockerOptionPhasesTest, Table) {
  EXPECT_EQ(*ParseDockerOptionPhases("deploy"), (Words{"deploy"}));
  EXPECT_EQ(*ParseDockerOptionPhases("build,run,build"), (Words{"build", "run"}));
  for (const char* bad : {"", "deploy,", "release", "Deploy", ",run"}) {
    EXPECT_EQ(ParseDockerOptionPhases(bad).status().message(),
              "Phase(s) must be one of [build deploy run]")
        << bad;
  }
}

TEST(HostSettingsTest, DeployOptionsMergeIntoTheSpecAndTheHash) {
  AppPass pass;
  pass.docker_options = {{"_default_", "deploy", "--memory 128m"},
                         {"_default_", "deploy", "-l team=a"},
                         {"_default_", "run", "--shm-size 1g"},  // not a deploy container
                         {"_default_", "build", "-e X=1"},
                         {"web", "deploy", "--cpus 2"},
                         {"web", "deploy", "-l com.dokku.app-name=forged"}};  // skipped
  HostSettings web = HostSettingsOf(pass, "web");
  HostSettings worker = HostSettingsOf(pass, "worker");
  EXPECT_EQ(web.options.nano_cpus, 2'000'000'000);
  EXPECT_EQ(worker.options.nano_cpus, 0);
  EXPECT_EQ(worker.options.shm_size, 0);
  EXPECT_TRUE(worker.options.env.empty());
  EXPECT_NE(web.HashKey(), worker.HashKey());
  EXPECT_EQ(HostSettingsOf(AppPass{}, "web").HashKey(), "");
  ContainerSpec spec;
  spec.labels = {{"com.dokku.app-name", "app"}};
  spec.env = {"DYNO=web.1"};
  pass.resources = {{"_default_", "limit", "memory", "64m"}};  // resource wins over --memory
  ApplyHostSettings(HostSettingsOf(pass, "web"), &spec);
  EXPECT_EQ(spec.memory, 64LL << 20);
  EXPECT_EQ(spec.nano_cpus, 2'000'000'000);
  EXPECT_EQ(spec.labels.at("team"), "a");
  EXPECT_EQ(spec.labels.at("com.dokku.app-name"), "app");
  auto host = nlohmann::json::parse(*EncodeCreateBody(spec));
  EXPECT_EQ(host["Labels"]["team"], "a");
}

TEST(DockerCodecTest, CreateBodyCarriesDockerOptionFields) {
  ContainerSpec spec;
  spec.image = "img";
  spec.binds = {"/a:/b:ro"};
  spec.network_mode = "net1";
  spec.extra_hosts = {"db:10.0.0.2"};
  spec.ulimits = {{"nofile", 1024, 2048}};
  spec.shm_size = 64LL << 20;
  spec.cap_add = {"NET_ADMIN"};
  spec.cap_drop = {"ALL"};
  auto host = nlohmann::json::parse(*EncodeCreateBody(spec))["HostConfig"];
  EXPECT_EQ(host["Binds"], nlohmann::json({"/a:/b:ro"}));
  EXPECT_EQ(host["NetworkMode"], "net1");
  EXPECT_EQ(host["ExtraHosts"], nlohmann::json({"db:10.0.0.2"}));
  EXPECT_EQ(host["Ulimits"].dump(), R"([{"Hard":2048,"Name":"nofile","Soft":1024}])");
  EXPECT_EQ(host["ShmSize"], 67108864);
  EXPECT_EQ(host["CapAdd"], nlohmann::json({"NET_ADMIN"}));
  EXPECT_EQ(host["CapDrop"], nlohmann::json({"ALL"}));
}

class CliDockerOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(h_.Run({"apps:create", "app"}).rc, 0); }
  CliHarness h_;
};

TEST_F(CliDockerOptionsTest, AddRemoveClearListReport) {
  const int64_t gen = h_.daemon().GetApp("app")->generation;
  CliResult r =
      h_.Run({"docker-options:add", "app", "deploy,run", "--memory", "64m", "-l", "team=a"});
  ASSERT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(h_.daemon().GetApp("app")->generation, gen + 1);
  ASSERT_EQ(h_.Run({"docker-options:add", "--process", "web", "app", "deploy", "--cpus 2"}).rc, 0);
  r = h_.Run({"docker-options:list", "app", "--phase", "deploy"});
  EXPECT_EQ(r.out, "--memory 64m\n-l team=a\n");
  r = h_.Run({"docker-options:report", "app", "--docker-options-deploy"});
  EXPECT_EQ(r.out, "--memory 64m -l team=a\n");
  r = h_.Run({"docker-options:report", "app"});
  EXPECT_EQ(r.out,
            "=====> app docker-options information\n"
            "       Docker options build:          \n"
            "       Docker options deploy:         --memory 64m -l team=a\n"
            "       Docker options deploy web:     --cpus 2\n"
            "       Docker options run:            --memory 64m -l team=a\n");
  r = h_.Run({"docker-options:report", "app", "--format", "json"});
  EXPECT_EQ(
      r.out,
      R"({"build":"","build-list":[],"deploy":"--memory 64m -l team=a",)"
      R"("deploy-list":["--memory 64m","-l team=a"],"deploy.web":"--cpus 2",)"
      R"("deploy.web-list":["--cpus 2"],"docker-options-build":"",)"
      R"("docker-options-deploy":"--memory 64m -l team=a",)"
      R"("docker-options-deploy.web":"--cpus 2","docker-options-run":"--memory 64m -l team=a",)"
      R"("run":"--memory 64m -l team=a","run-list":["--memory 64m","-l team=a"]})"
      "\n");
  r = h_.Run({"docker-options:report", "app", "--docker-options-run", "--docker-options-build"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, " !     docker-options:report command allows only a single flag\n");
  r = h_.Run({"docker-options:remove", "app", "run", "-l   team=a"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(h_.Run({"docker-options:list", "app", "--phase", "run"}).out, "--memory 64m\n");
  r = h_.Run({"docker-options:clear", "app", "build,run"});
  EXPECT_EQ(r.out,
            "-----> Clearing docker-options for app on phase build\n"
            "-----> Clearing docker-options for app on phase run\n");
  r = h_.Run({"docker-options:clear", "--process", "web", "app"});
  EXPECT_EQ(r.out, "-----> Clearing docker-options for app on phase deploy for process web\n");
  r = h_.Run({"docker-options:clear", "app"});
  EXPECT_EQ(r.out, "-----> Clearing docker-options for app on all phases\n");
  EXPECT_EQ(h_.Run({"docker-options:report", "app", "--docker-options-deploy"}).out, "\n");
}

TEST_F(CliDockerOptionsTest, BadInputChangesNothing) {
  ASSERT_EQ(h_.Run({"docker-options:add", "app", "deploy", "--memory 64m"}).rc, 0);
  const std::vector<std::vector<std::string>> cases = {
      {"docker-options:add", "app", "deploy", "--privileged"},
      {"docker-options:add", "app", "deploy", "--memory", "64m", "--restart", "always"},
      {"docker-options:add", "app", "deploy"},
      {"docker-options:add", "app", "release", "--memory 1g"},
      {"docker-options:add", "app", "--memory 1g"},
      {"docker-options:add", "app", "deploy", "--label 'open"},
      {"docker-options:add", "app", "deploy", "-v /var/run/docker.sock:/s"},
      {"docker-options:add", "app", "deploy", "-v " + h_.state_dir() + ":/s"},
      {"docker-options:add", "--process", "web", "app", "run", "--memory 1g"},
      {"docker-options:add", "--process", "_default_", "app", "deploy", "--memory 1g"},
      {"docker-options:add", "--process", "web", "--process", "a b", "app", "deploy", "-m 1g"},
      {"docker-options:add", "nope", "deploy", "--memory 1g"},
      {"docker-options:remove", "app", "deploy"},
      {"docker-options:clear", "app", "nope"},
      {"docker-options:list", "app"},
      {"docker-options:list", "app", "--phase", "x"},
  };
  for (const auto& args : cases) {
    const std::string before = h_.Dump();
    CliResult r = h_.Run(args);
    EXPECT_NE(r.rc, 0) << args[1] << " " << args[2];
    EXPECT_EQ(r.err.rfind(" !     ", 0), 0u) << r.Describe();
    EXPECT_EQ(h_.Dump(), before) << r.Describe();
  }
  EXPECT_EQ(h_.Run({"docker-options:add", "app", "deploy"}).err,
            " !     Please specify docker options to add to the phase\n");
  EXPECT_EQ(h_.Run({"--force", "docker-options:add", "app", "deploy",
                    "-v /var/run/docker.sock:/var/run/docker.sock"})
                .rc,
            0);
}

}  // namespace
}  // namespace dokku

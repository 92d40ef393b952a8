// Config vars: key and value rules, every config:export format, base64 and JSON escaping as
// Dokku's Go code does them, the store's exact round trip of a hostile corpus, the CLI's
// output, errors and restarts, and how the vars reach docker-local and Swarm containers.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/config_format.h"
#include "controller/scheduler/swarm/swarm_spec.h"
#include "store/text.h"
#include "store/validation.h"
#include "tests/testing/cli_harness.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

using testing::CliHarness;
using testing::CliResult;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ConfigRulesTest, KeysFollowDokkusPattern) {
  const struct {
    std::string key;
    bool ok;
  } cases[] = {
      {"A", true},     {"_", true},    {"DATABASE_URL", true}, {"aKey9", true},
      {"_9", true},    {"", false},    {"9A", false},          {"A-B", false},
      {"A.B", false},  {"A B", false}, {"A=B", false},         {"É", false},
      {"A\nB", false}, {"$A", false},  {"A;B", false},         {std::string("A\0B", 3), false},
  };
  for (const auto& c : cases) {
    Status s = ValidateConfigKey(c.key);
    EXPECT_EQ(s.ok(), c.ok) << c.key;
    if (!c.ok) {
      EXPECT_EQ(s.message(), "Invalid key name: '" + c.key + "'");
    }
  }
}

TEST(ConfigRulesTest, ValuesAreUtf8WithoutNulUpToOneMiB) {
  const struct {
    std::string value;
    bool ok;
  } cases[] = {
      {"", true},
      {"plain", true},
      {"a=b=c", true},
      {"line1\nline2\r\n", true},
      {"it's \"q\" $HOME `id` \\ !", true},
      {"h\xc3\xa9llo \xf0\x9f\x98\x80", true},
      {std::string(kMaxConfigValueSize, 'x'), true},
      {std::string(kMaxConfigValueSize + 1, 'x'), false},
      {std::string("a\0b", 3), false},
      {"\xff", false},
      {"\xc3", false},          // truncated sequence
      {"\xed\xa0\x80", false},  // a surrogate
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ValidateConfigValue("K", c.value).ok(), c.ok) << c.value.substr(0, 20);
  }
}

TEST(ConfigFormatTest, EveryExportFormat) {
  const ConfigVars t = {{"BKEY", "true"}, {"aKey", "true"}, {"bKey", "true"}, {"zKey", "true"}};
  const ConfigVars q = {{"A", "it's"}, {"B", "x\ny"}, {"N", "7"}, {"Z", "007"}};
  const struct {
    const ConfigVars* vars;
    std::string format, out;
  } cases[] = {
      {&t, "shell", "BKEY='true' aKey='true' bKey='true' zKey='true' "},
      {&t, "pretty", "BKEY:  true\naKey:  true\nbKey:  true\nzKey:  true\n"},
      {&q, "exports", "export A='it'\\''s'\nexport B='x\ny'\nexport N='7'\nexport Z='007'\n"},
      {&q, "envfile", "A=\"it's\"\nB=\"x\\ny\"\nN=7\nZ=\"007\"\n"},
      {&q, "docker-args", "--env=A='it'\\''s' --env=B='x\ny' --env=N='7' --env=Z='007'\n"},
      {&q, "docker-args-keys", "--env=A --env=B --env=N --env=Z\n"},
      {&q, "pack-keys", "--env A --env B --env N --env Z\n"},
      {&q, "json", "{\"A\":\"it's\",\"B\":\"x\\ny\",\"N\":\"7\",\"Z\":\"007\"}\n"},
      {&q, "json-list",
       "[{\"name\":\"A\",\"value\":\"it's\"},{\"name\":\"B\",\"value\":\"x\\ny\"},"
       "{\"name\":\"N\",\"value\":\"7\"},{\"name\":\"Z\",\"value\":\"007\"}]\n"},
  };
  for (const auto& c : cases) EXPECT_EQ(ExportConfig(*c.vars, c.format), c.out) << c.format;
  const ConfigVars none;
  EXPECT_EQ(ExportConfig(none, "exports"), "\n");
  EXPECT_EQ(ExportConfig(none, "json"), "{}\n");
  EXPECT_EQ(ExportConfig(none, "json-list"), "null\n");
  EXPECT_EQ(ExportConfig(none, "shell"), "");
  EXPECT_EQ(ExportConfig(none, "bogus"), std::nullopt);
}

TEST(ConfigFormatTest, EnvfileEscapesAndSortsWholeLines) {
  // Lines are sorted as strings: "A_B=..." sorts before "A=..." ('_' > '=' is false: '=' < '_').
  EXPECT_EQ(ExportConfig({{"A", "1"}, {"A_B", "2"}}, "envfile"), "A=1\nA_B=2\n");
  EXPECT_EQ(ExportConfig({{"K", "\\\n\r\"!$`"}}, "envfile"), "K=\"\\\\\\n\\r\\\"\\!\\$\\`\"\n");
  // Values ending in a quote or a backslash stay exact (Dokku's writer mangles them).
  EXPECT_EQ(ExportConfig({{"K", "end\""}}, "envfile"), "K=\"end\\\"\"\n");
  EXPECT_EQ(ExportConfig({{"K", "-0"}}, "envfile"), "K=\"-0\"\n");
  EXPECT_EQ(ExportConfig({{"K", "-12"}}, "envfile"), "K=-12\n");
}

TEST(ConfigFormatTest, GoJsonEscaping) {
  const std::pair<std::string, std::string> cases[] = {
      {"plain", "\"plain\""},
      {"<a&b>", "\"\\u003ca\\u0026b\\u003e\""},
      {"q\"\\", "\"q\\\"\\\\\""},
      {"\n\r\t", "\"\\n\\r\\t\""},
      {std::string("\x01\x1f", 2), "\"\\u0001\\u001f\""},
      {"\xe2\x80\xa8\xe2\x80\xa9", "\"\\u2028\\u2029\""},
      {"h\xc3\xa9", "\"h\xc3\xa9\""},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(GoJsonString(in), out) << in;
}

TEST(ConfigFormatTest, Base64AsGoDecodesIt) {
  const struct {
    std::string in;
    std::optional<std::string> out;
    size_t bad;
  } cases[] = {
      {"aGVsbG8K", "hello\n", 0},
      {"aGVsbG8=", "hello", 0},
      {"aGk=", "hi", 0},
      {"aA==", "h", 0},
      {"", "", 0},
      {"aGVs\nbG8K\n", "hello\n", 0},
      {"aGVsbG8", std::nullopt, 4},  // missing padding: the last quantum
      {"aGV*", std::nullopt, 3},
      {"a===", std::nullopt, 1},
      {"aA==x", std::nullopt, 4},
  };
  for (const auto& c : cases) {
    size_t bad = 99;
    EXPECT_EQ(DecodeBase64(c.in, &bad), c.out) << c.in;
    if (!c.out) {
      EXPECT_EQ(bad, c.bad) << c.in;
    }
  }
}

TEST(ConfigFormatTest, GoTemplateEscapingKeepsTextLiteral) {
  const std::pair<std::string, std::string> cases[] = {
      {"plain", "plain"},
      {"{{.Node.Hostname}}", "{{\"{{\"}}.Node.Hostname}}"},
      {"a{b}c}}", "a{b}c}}"},
      {"{{{", "{{\"{{\"}}{"},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(EscapeGoTemplate(in), out) << in;
}

// Values a shell can pass that break naive env handling.
std::vector<std::string> HostileValues() {
  return {"",
          "=",
          "a=b=c",
          "line1\nline2",
          "\r\n\r\n",
          " leading and trailing ",
          "it's \"quoted\"",
          "$HOME ${PATH} $(id) `id`",
          "\\ \\n \\\\",
          "!history",
          "{{.Node.Hostname}}",
          "h\xc3\xa9llo \xe2\x80\xa8 \xf0\x9f\x98\x80",
          "ends with quote\"",
          "ends with backslash\\",
          "#not a comment",
          "export X=1",
          std::string(64 * 1024, 'v')};
}

TEST(ConfigStoreTest, HostileValuesRoundTripExactly) {
  FakeClock clock;
  auto store = Store::Open(":memory:", &clock);
  ASSERT_OK(store);
  ASSERT_OK((*store)->CreateApp("app"));
  std::map<std::string, std::optional<std::string>> changes;
  const std::vector<std::string> values = HostileValues();
  for (size_t i = 0; i < values.size(); ++i) changes[fmt::format("K{}", i)] = values[i];
  ASSERT_OK((*store)->ChangeConfig("app", changes, false, false));
  auto got = (*store)->GetConfig("app");
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(got->at(fmt::format("K{}", i)), values[i]);
}

TEST(ConfigStoreTest, AppVarsWinOverGlobalOnes) {
  FakeClock clock;
  auto store = Store::Open(":memory:", &clock);
  ASSERT_OK(store);
  Store& s = **store;
  ASSERT_OK(s.CreateApp("app"));
  ASSERT_OK(s.ChangeConfig(kGlobal, {{"A", "global"}, {"G", "g"}}, false, false));
  ASSERT_OK(s.ChangeConfig("app", {{"A", "app"}}, false, false));
  auto merged = s.GetMergedConfig("app");
  ASSERT_OK(merged);
  EXPECT_EQ(*merged, (ConfigVars{{"A", "app"}, {"G", "g"}}));
  EXPECT_EQ(s.GetConfig("app")->size(), 1u);
  // A global change bumps no app; an app change does.
  const int64_t gen = s.GetApp("app")->generation;
  auto global = s.ChangeConfig(kGlobal, {{"G", "g2"}}, false, true);
  ASSERT_OK(global);
  EXPECT_EQ(global->generation, 0);
  EXPECT_EQ(s.GetApp("app")->generation, gen);
  EXPECT_EQ(s.GetFormation("app")->front().restart_generation, 0);
  auto app = s.ChangeConfig("app", {{"A", "app2"}}, false, true);
  ASSERT_OK(app);
  EXPECT_GT(app->generation, gen);
  EXPECT_EQ(s.GetFormation("app")->front().restart_generation, 1);
  // Destroying and re-creating the app starts it without vars.
  ASSERT_OK(s.DestroyApp("app"));
  ASSERT_OK(s.CreateApp("app"));
  EXPECT_TRUE(s.GetConfig("app")->empty());
  EXPECT_EQ(s.GetConfig(kGlobal)->size(), 2u);
}

class ConfigCliTest : public ::testing::Test {
 protected:
  void SetUp() override { h_.DeployApp("app", {CliHarness::Container("app", "web", 1, "c1")}); }
  int64_t RestartGeneration() {
    return h_.daemon().GetFormation("app")->front().restart_generation;
  }
  CliHarness h_;
};

TEST_F(ConfigCliTest, SetPrintsSortedColumnsAndRestartsTheApp) {
  CliResult r =
      h_.Run({"--detach", "config:set", "app", "ZED=z", "A=  padded  ", "URL=p://u@h/d?x=1"});
  ASSERT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out,
            "-----> Setting config vars\n"
            "       A:    padded\n"
            "       URL:  p://u@h/d?x=1\n"
            "       ZED:  z\n"
            "-----> Restarting app app\n");
  EXPECT_EQ(RestartGeneration(), 1);
  EXPECT_EQ(h_.Run({"config:get", "app", "A"}).out, "  padded  \n");
  EXPECT_EQ(h_.Run({"config:get", "--quoted", "app", "A"}).out, "'  padded  '\n");
  CliResult show = h_.Run({"config", "app"});
  EXPECT_EQ(show.out, "=====> app env vars\nA:    padded\nURL:  p://u@h/d?x=1\nZED:  z\n");
}

TEST_F(ConfigCliTest, NoRestartOnlyRecords) {
  CliResult r = h_.Run({"config:set", "--no-restart", "app", "A=1"});
  ASSERT_EQ(r.rc, 0) << r.Describe();
  EXPECT_THAT(r.out, Not(HasSubstr("Restarting")));
  EXPECT_EQ(RestartGeneration(), 0);
  EXPECT_EQ(h_.Run({"config:get", "app", "A"}).out, "1\n");
}

TEST_F(ConfigCliTest, UnsetSkipsMissingKeysAndChangesNothingWhenAllAreMissing) {
  ASSERT_EQ(h_.Run({"config:set", "--no-restart", "app", "A=1"}).rc, 0);
  const std::string before = h_.Dump();
  CliResult r = h_.Run({"--detach", "config:unset", "app", "NOPE"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, "-----> Skipping NOPE, it is not set in the environment\n");
  EXPECT_EQ(h_.Dump(), before);
  r = h_.Run({"--detach", "config:unset", "app", "A", "NOPE"});
  EXPECT_EQ(r.out,
            "-----> Unsetting A\n-----> Skipping NOPE, it is not set in the environment\n"
            "-----> Restarting app app\n");
  EXPECT_EQ(RestartGeneration(), 1);
}

TEST_F(ConfigCliTest, GlobalVarsAndMergedViews) {
  ASSERT_EQ(h_.Run({"config:set", "--global", "G=1", "A=global"}).rc, 0);
  ASSERT_EQ(h_.Run({"config:set", "--no-restart", "app", "A=app"}).rc, 0);
  EXPECT_EQ(h_.Run({"config:keys", "app"}).out, "A\n");
  EXPECT_EQ(h_.Run({"config:keys", "--merged", "app"}).out, "A\nG\n");
  EXPECT_EQ(h_.Run({"config:export", "--merged", "--format", "json", "app"}).out,
            "{\"A\":\"app\",\"G\":\"1\"}\n");
  EXPECT_EQ(h_.Run({"config", "--global"}).out, "=====> global env vars\nA:  global\nG:  1\n");
  // Flags of the top-level `config` count only before the app (Go's flag package).
  EXPECT_EQ(h_.Run({"config", "app", "--merged"}).out, "=====> app env vars\nA:  app\n");
  EXPECT_EQ(RestartGeneration(), 0);  // global changes restart nothing
  CliResult shell = h_.Run({"config", "--shell", "app"});
  EXPECT_EQ(shell.out, "A='app' ");
  EXPECT_THAT(shell.err, HasSubstr("Deprecated: Use 'config:export --format shell' instead"));
}

TEST_F(ConfigCliTest, EncodedValuesKeepEveryByte) {
  ASSERT_EQ(h_.Run({"config:set", "--no-restart", "--encoded", "app", "E=aGVsbG8K"}).rc, 0);
  EXPECT_EQ(h_.daemon().GetConfig("app")->at("E"), "hello\n");
}

TEST_F(ConfigCliTest, BadInputIsRefusedAndChangesNothing) {
  ASSERT_EQ(h_.Run({"config:set", "--no-restart", "app", "KEEP=1"}).rc, 0);
  const std::string nul("A=x\0y", 5);
  const struct {
    std::vector<std::string> args;
    std::string err;
    int rc;
  } cases[] = {
      {{"config:set", "app", "1BAD=x"}, "Invalid key name: '1BAD'", 1},
      {{"config:set", "app", "GOOD=1", "B-AD=x"}, "Invalid key name: 'B-AD'", 1},
      {{"config:set", "app", "=x"}, "Invalid key name: ''", 1},
      {{"config:set", "app", "nopair"}, "Invalid env pair: nopair", 1},
      {{"config:set", "app"}, "At least one env pair must be given", 1},
      {{"config:set", "--encoded", "app", "E=aGVsbG8"},
       "illegal base64 data at input byte 4 for key 'E'",
       1},
      {{"config:set", "app", nul}, "contains a NUL byte", 1},
      {{"config:set", "app", "U=\xff"}, "is not valid UTF-8", 1},
      {{"config:set", "app", "BIG=" + std::string(kMaxConfigValueSize + 1, 'x')}, "larger", 1},
      {{"config:set", "--global", "app", "K=V"}, "Invalid env pair: app", 1},
      {{"config:set", "nosuch", "K=V"}, "App nosuch does not exist", 20},
      {{"config:unset", "app"}, "At least one key must be given", 1},
      {{"config:unset", "app", "BAD-KEY"}, "Invalid key name: 'BAD-KEY'", 1},
      {{"config:get", "app"}, "Expected: key", 1},
      {{"config:get", "app", "a", "b", "c"}, "Unexpected argument(s): [b c]", 1},
      {{"config:export", "--format", "yaml", "app"}, "Unknown export format: yaml", 1},
      {{"config", "--shell", "--export", "app"}, "Only one of --shell and --export", 1},
      {{"config:clear", "nosuch"}, "App nosuch does not exist", 20},
      {{"config:set", "", "K=V"}, "Please specify an app to run the command on", 1},
  };
  for (const auto& c : cases) {
    const std::string before = h_.Dump();
    CliResult r = h_.Run(c.args);
    EXPECT_EQ(r.rc, c.rc) << c.args[0] << " " << c.err << "\n" << r.Describe();
    EXPECT_THAT(r.err, HasSubstr(c.err)) << r.Describe();
    EXPECT_EQ(h_.Dump(), before) << c.err;
  }
  // An absent key: nothing printed, exit 1.
  CliResult absent = h_.Run({"config:get", "app", "NOPE"});
  EXPECT_EQ(absent.rc, 1);
  EXPECT_EQ(absent.out + absent.err, "");
}

TEST(ConfigSwarmTest, ServiceEnvKeepsValuesLiteralUnderSwarmTemplates) {
  SwarmDesired d;
  d.app = "app";
  d.image_id = "sha256:1";
  d.env = {"T={{.Node.Hostname}}", "PORT=9", "DYNO=x", "A=1"};
  d.procs = {{"web", 1, "", "h", 0, false, false, 1}, {"worker", 1, "", "h", 0, false, false, 1}};
  std::string note;
  auto web = BuildServiceSpec(d, d.procs[0], &note);
  ASSERT_OK(web);
  EXPECT_THAT(web->env, Contains("T={{\"{{\"}}.Node.Hostname}}"));
  EXPECT_THAT(web->env, Contains("PORT=5000"));
  EXPECT_THAT(web->env, Not(Contains("PORT=9")));
  EXPECT_THAT(web->env, Not(Contains("DYNO=x")));
  EXPECT_THAT(web->env, Contains("DYNO=web.{{.Task.Slot}}"));
  auto worker = BuildServiceSpec(d, d.procs[1], &note);
  ASSERT_OK(worker);
  EXPECT_THAT(worker->env, Contains("PORT=9"));
  EXPECT_THAT(worker->env, Not(Contains("PORT=")));
}

}  // namespace
}  // namespace dokku

// CliBadInputTest: every malformed input is refused with a non-zero exit and leaves the
// database byte-for-byte as it was: hostile app names, values, keys, tags, domains, release
// numbers and flags, including path tricks, quotes, control characters, NULs and 10 MB strings.
#include <gtest/gtest.h>

#include "tests/testing/cli_harness.h"

namespace dokku {
namespace {

using testing::CliHarness;
using testing::CliResult;

struct BadCase {
  BadCase(std::vector<std::string> a, std::string in = "")
      : args(std::move(a)), stdin_data(std::move(in)) {}
  std::vector<std::string> args;
  std::string stdin_data;
};

// Short printable form of a case for failure messages (arguments can be 10 MB).
std::string Label(const BadCase& c) {
  std::string out;
  for (const std::string& a : c.args) {
    std::string shown;
    for (char ch : a.substr(0, 40)) {
      shown += (static_cast<unsigned char>(ch) < 0x20) ? '?' : ch;
    }
    out += "[" + shown + (a.size() > 40 ? "...(" + std::to_string(a.size()) + ")" : "") + "] ";
  }
  return out;
}

std::vector<std::string> HostileNames(const std::string& big) {
  return {"a/b",
          "..",
          "../etc",
          "a..b",
          "a;b",
          "a b",
          "a\nb",
          "a\"b",
          "a'b",
          "MyApp",
          std::string("a\0b", 3),
          "\x01",
          "a\tb",
          "$(id)",
          "`id`",
          "a_b",
          "-x",
          "web.1?",
          big,
          "/etc/passwd",
          "a\\b"};
}

std::vector<BadCase> AppNameCases(const std::string& name) {
  std::vector<BadCase> cases = {
      {{"apps:create", name}},
      {{"apps:destroy", "--force", name}},
      {{"apps:exists", name}},
      {{"ps", name}},
      {{"ps:scale", name, "web=1"}},
      {{"ps:set", name, "restore", "false"}},
      {{"ps:restart", name}},
      {{"ps:start", name}},
      {{"ps:stop", name}},
      {{"ps:rebuild", name}},
      {{"tags", name}},
      {{"tags:create", name, "v2"}},
      {{"tags:deploy", name, "v2"}},
      {{"tags:destroy", name, "v2"}},
      {{"releases", name}},
      {{"releases:rollback", name}},
      {{"checks:disable", name}},
      {{"checks:set", name, "wait-to-retire", "5"}},
      {{"checks:run", name}},
      {{"checks:report", name}},
      {{"ps:report", name}},
  };
  return cases;
}

std::vector<BadCase> ValueCases(const std::string& big) {
  const std::string nul_tag("v\0", 2), nul_scale("we\0b=1", 6), nul_path("P\0f", 3);
  std::vector<BadCase> cases;
  for (const std::string& t :
       {std::string("web=abc"), std::string("web=-1"), std::string("web=1001"),
        std::string("web=1.5"), std::string("we b=1"), std::string("web"), std::string("=1"),
        std::string("web=1;drop table apps"), std::string("web="), std::string("w/eb=1"),
        std::string("../x=1"), big + "=1", "web=" + big, nul_scale, std::string("web=1\n2"),
        std::string("WEB$=1"), std::string("clock=1"), std::string("web=0x10"),
        std::string("web=+1")}) {
    cases.push_back({{"ps:scale", "good", t}});
  }
  cases.push_back({{"ps:scale", "good", "web=1", "worker=x"}});
  for (const std::string& v : {std::string("always;rm"), std::string("on-failure:abc"),
                               std::string("on-failure:-1"), std::string("ALWAYS"), big}) {
    cases.push_back({{"ps:set", "good", "restart-policy", v}});
  }
  for (const std::string& v : {std::string("abc"), std::string("-1"), std::string("99999999999999"),
                               std::string("1 0"), std::string("3601"), big}) {
    cases.push_back({{"ps:set", "good", "stop-timeout-seconds", v}});
  }
  for (const std::string& v : {std::string("../etc/passwd"), std::string("/x/../y"),
                               std::string("a;b"), std::string("with space"), nul_path, big}) {
    cases.push_back({{"ps:set", "good", "procfile-path", v}});
  }
  cases.push_back({{"ps:set", "good", "restore", "yes"}});
  for (const std::string& k : {std::string("RESTART-POLICY"), std::string("restart-policy\n"), big,
                               std::string("skip-deploy")}) {
    cases.push_back({{"ps:set", "good", k, "x"}});
  }
  cases.push_back({{"ps:set", "good", "start-cmd", "a\nb"}});
  cases.push_back({{"ps:set", "good", "dockerfile-start-cmd", big + big}});
  cases.push_back({{"ps:set", "--global", "start-cmd", "x"}});
  cases.push_back({{"apps:set", "good", "deploy-source", "a\nb"}});
  cases.push_back({{"apps:set", "good", "disable-autocreation", "true"}});
  cases.push_back({{"apps:clone", "good", "Bad_Name"}});
  cases.push_back({{"apps:clone", "good", "good"}});
  cases.push_back({{"ps:set", "--global", "restore", "true"}});
  cases.push_back({{"ps:set", "--global", "bogus", "x"}});
  cases.push_back({{"ps:set", "--global", "restart-policy", "nope"}});
  for (const std::string& l :
       {std::string(","), std::string("web,,worker"), std::string("a b"), std::string("\n"),
        std::string("../x"), big, std::string("web;rm")}) {
    cases.push_back({{"checks:disable", "good", l}});
    cases.push_back({{"checks:skip", "good", l}});
    cases.push_back({{"checks:enable", "good", l}});
  }
  for (const std::string& v :
       {std::string("abc"), std::string("-1"), std::string("1e3"), std::string("86401"), big}) {
    cases.push_back({{"checks:set", "good", "wait-to-retire", v}});
  }
  cases.push_back({{"checks:set", "--global", "default-wait", "x"}});
  cases.push_back({{"checks:set", "good", "default-wait", "5"}});
  cases.push_back({{"checks:set", "good", "nokey", "1"}});
  cases.push_back({{"checks:set", "good"}});
  for (const std::string& l : {std::string("web2"), std::string("web.9"), std::string("web.x"),
                               std::string("web.-1"), std::string("../x"), big}) {
    cases.push_back({{"checks:run", "good", l}});
  }
  for (const std::string& t :
       {std::string("bad tag"), std::string("-x"), std::string("../x"), std::string("a/b"),
        std::string("UP:per"), big, std::string(""), std::string(".hidden"), nul_tag}) {
    cases.push_back({{"tags:create", "good", t}});
    cases.push_back({{"tags:deploy", "good", t}});
    cases.push_back({{"tags:destroy", "good", t}});
  }
  cases.push_back({{"tags:destroy", "good", "latest"}});
  for (const std::string& n : {std::string("abc"), std::string("-1"), std::string("0"),
                               std::string("1.5"), std::string("99"), std::string("+1"), big}) {
    cases.push_back({{"releases:rollback", "good", n}});
  }
  for (const std::string& d : {std::string("Bad_Domain"), std::string("a..b"), std::string("-x"),
                               std::string("x y"), std::string("a;b"), big, std::string(""),
                               std::string("example.com/../x"), std::string("exa\nmple.com")}) {
    cases.push_back({{"domains:set-global", d}});
  }
  // Issue "run a real app": each of these changes nothing.
  cases.push_back({{"config:set", "good", "1BAD=x"}});
  cases.push_back({{"config:set", "good", "K=\xff"}});
  cases.push_back({{"ports:set", "good", "http:80"}});
  cases.push_back({{"ports:add", "good", "http:80:99999"}});
  cases.push_back({{"storage:mount", "good", "relative/dir:/data"}});
  cases.push_back({{"storage:mount", "good", "/srv/../etc:/data"}});
  cases.push_back({{"docker-options:add", "good", "deploy", "--privileged"}});
  cases.push_back({{"resource:limit", "--memory", "lots", "good"}});
  cases.push_back({{"ps:restart", "good", "bogus"}});
  cases.push_back({{"ps:restart", "good", "../x"}});
  cases.push_back({{"ps:restart", "--parallel", "abc", "--all"}});
  cases.push_back({{"ps:restart", "--all", "web"}});
  cases.push_back({{"ps:restart", "--all", "--parallel", "-5"}});
  cases.push_back({{"ps:scale", "good", "--format"}});
  cases.push_back({{"ps:scale", "--nope", "good", "web=1"}});
  cases.push_back({{"apps:create", "good"}});
  cases.push_back({{"apps:destroy", "good"}, "bad\n"});
  cases.push_back({{"apps:destroy", "good"}, ""});
  cases.push_back({{"ps:nope", "good"}});
  cases.push_back({{"--bogus-global", "ps:report"}});
  return cases;
}

TEST(CliBadInputTest, RefusedWithoutChangingTheDatabase) {
  CliHarness h;
  h.DeployApp("good", {CliHarness::Container("good", "web", 1, "c1")});
  const std::string big(10 * 1024 * 1024, 'a');
  std::vector<BadCase> cases = ValueCases(big);
  for (const std::string& name : HostileNames(big)) {
    for (BadCase& c : AppNameCases(name)) cases.push_back(std::move(c));
  }
  for (const BadCase& c : cases) {
    const std::string before = h.Dump();
    CliResult r = h.Run(c.args, c.stdin_data);
    EXPECT_NE(r.rc, 0) << Label(c) << "\n" << r.out.substr(0, 400);
    EXPECT_NE(r.err, "") << Label(c);
    EXPECT_EQ(r.err.find("internal error"), std::string::npos) << Label(c);
    EXPECT_EQ(r.err.find("database is locked"), std::string::npos) << Label(c);
    EXPECT_EQ(h.Dump(), before) << Label(c);
  }
  // The good app is intact and nothing else appeared.
  auto apps = h.daemon().ListApps(true);
  ASSERT_EQ(apps->size(), 1u);
  EXPECT_EQ(apps->front().name, "good");
}

TEST(CliBadInputTest, UnsettingAMissingConfigKeyChangesNothing) {
  CliHarness h;
  h.DeployApp("good", {CliHarness::Container("good", "web", 1, "c1")});
  const std::string before = h.Dump();
  CliResult r = h.Run({"--detach", "config:unset", "good", "MISSING"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(h.Dump(), before);
}

TEST(CliBadInputTest, ExitCodesByKind) {
  CliHarness h;
  ASSERT_EQ(h.Run({"apps:create", "good"}).rc, 0);
  EXPECT_EQ(h.Run({"ps:restart", "a/b"}).rc, 20);
  EXPECT_EQ(h.Run({"ps:restart", ""}).rc, 1);
  EXPECT_EQ(h.Run({"ps:scale", "good", "web=x"}).rc, 1);
  EXPECT_EQ(h.Run({"ps:scale", "-x", "good"}).rc, 2);
  CliResult missing = h.Run({"ps:scale", "My\nApp", "web=1"});
  EXPECT_EQ(missing.rc, 20);
  // The error stays one line: control characters from the input are shown escaped.
  EXPECT_EQ(missing.err, " !     App My\\x0aApp does not exist\n");
}

}  // namespace
}  // namespace dokku

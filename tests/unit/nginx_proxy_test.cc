// NginxProxy with a fake command runner: the rendered file, idempotence, atomic replacement,
// restoring the previous file when the nginx test fails, and refusal of every injection attempt.
#include "controller/proxy/nginx_proxy.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>

#include "tests/testing/testutil.h"

namespace dokku {
namespace {

using testutil::ReadFileOr;
using testutil::TempDir;

class FakeCommandRunner : public CommandRunner {
 public:
  int Run(const std::string& command_line, std::string* output) override {
    commands.push_back(command_line);
    if (on_run) on_run(command_line);
    auto it = results.find(command_line);
    if (it == results.end()) {
      output->clear();
      return 0;
    }
    *output = it->second.second;
    return it->second.first;
  }
  std::vector<std::string> commands;
  std::map<std::string, std::pair<int, std::string>> results;  // command -> (exit, output)
  std::function<void(const std::string&)> on_run;
};

std::vector<std::string> DirListing(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class NginxProxyTest : public ::testing::Test {
 protected:
  NginxProxyOptions Options() {
    NginxProxyOptions o;
    o.conf_dir = dir_.path();
    o.listen = "127.0.0.1:8080";
    o.test_cmd = "nginx-test";
    o.reload_cmd = "nginx-reload";
    return o;
  }
  Emit Collect() {
    return [this](const std::string& level, const std::string& text) {
      lines_.push_back(level + ": " + text);
    };
  }

  TempDir dir_;
  FakeCommandRunner runner_;
  NginxProxy proxy_{Options(), &runner_};
  std::vector<std::string> lines_;
};

constexpr char kExpectedConf[] =
    "# Written by dokkud for app node-js-app. Changes will be overwritten.\n"
    "upstream node-js-app-5000 {\n"
    "  server 172.17.0.3:5000;\n"
    "  server 172.17.0.12:5000;\n"
    "}\n"
    "\n"
    "server {\n"
    "  listen 127.0.0.1:8080;\n"
    "  server_name node-js-app.dokku.me www.node-js-app.dokku.me;\n"
    "  location / {\n"
    "    proxy_pass http://node-js-app-5000;\n"
    "    proxy_http_version 1.1;\n"
    "    proxy_set_header Upgrade $http_upgrade;\n"
    "    proxy_set_header Connection $http_connection;\n"
    "    proxy_set_header Host $http_host;\n"
    "    proxy_set_header X-Forwarded-For $remote_addr;\n"
    "    proxy_set_header X-Forwarded-Port $server_port;\n"
    "    proxy_set_header X-Forwarded-Proto $scheme;\n"
    "    proxy_set_header X-Request-Start $msec;\n"
    "    proxy_next_upstream error timeout http_502;\n"
    "  }\n"
    "}\n";

const std::vector<std::string> kNames = {"node-js-app.dokku.me", "www.node-js-app.dokku.me"};

TEST_F(NginxProxyTest, WritesTheConfigTestsThenReloadsAndSaysSo) {
  ASSERT_OK(proxy_.Apply("node-js-app", kNames, {{"172.17.0.3", 5000}, {"172.17.0.12", 5000}},
                         Collect()));
  EXPECT_EQ(ReadFileOr(dir_.Join("node-js-app.conf")), kExpectedConf);
  EXPECT_EQ(runner_.commands, (std::vector<std::string>{"nginx-test", "nginx-reload"}));
  const std::vector<std::string> want = {
      "info1: Configuring node-js-app.dokku.me...",
      "info1: Configuring www.node-js-app.dokku.me...",
      "info1: Creating http nginx.conf",
      "verbose: Reloading nginx",
  };
  EXPECT_EQ(lines_, want);
  EXPECT_EQ(DirListing(dir_.path()), (std::vector<std::string>{"node-js-app.conf"}));
}

TEST_F(NginxProxyTest, UnchangedConfigIsNeitherRewrittenNorReloaded) {
  ASSERT_OK(proxy_.Apply("node-js-app", kNames, {{"172.17.0.3", 5000}, {"172.17.0.12", 5000}},
                         Collect()));
  runner_.commands.clear();
  lines_.clear();
  // Same containers in another order: same file.
  ASSERT_OK(proxy_.Apply("node-js-app", kNames, {{"172.17.0.12", 5000}, {"172.17.0.3", 5000}},
                         Collect()));
  EXPECT_TRUE(runner_.commands.empty());
  EXPECT_TRUE(lines_.empty());

  ASSERT_OK(proxy_.Apply("node-js-app", kNames, {{"172.17.0.4", 5000}}, Collect()));
  EXPECT_EQ(runner_.commands, (std::vector<std::string>{"nginx-test", "nginx-reload"}));
  EXPECT_NE(ReadFileOr(dir_.Join("node-js-app.conf")).find("  server 172.17.0.4:5000;\n}"),
            std::string::npos);
}

TEST_F(NginxProxyTest, TheTestSeesTheCompleteNewFileAndNoTemporaryFile) {
  std::string seen;
  std::vector<std::string> listing;
  runner_.on_run = [&](const std::string& cmd) {
    if (cmd != "nginx-test") return;
    seen = ReadFileOr(dir_.Join("node-js-app.conf"));
    listing = DirListing(dir_.path());
  };
  ASSERT_OK(proxy_.Apply("node-js-app", kNames, {{"172.17.0.3", 5000}, {"172.17.0.12", 5000}},
                         Collect()));
  EXPECT_EQ(seen, kExpectedConf);
  EXPECT_EQ(listing, (std::vector<std::string>{"node-js-app.conf"}));
}

TEST_F(NginxProxyTest, FailedTestRestoresThePreviousFileAndSkipsTheReload) {
  ASSERT_OK(proxy_.Apply("node-js-app", kNames, {{"172.17.0.3", 5000}}, Collect()));
  const std::string before = ReadFileOr(dir_.Join("node-js-app.conf"));
  runner_.commands.clear();
  runner_.results["nginx-test"] = {1, "nginx: [emerg] host not found in upstream\n"};
  const Status st = proxy_.Apply("node-js-app", kNames, {{"172.17.0.9", 5000}}, Collect());
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_EQ(st.message(),
            "nginx configuration test failed: nginx: [emerg] host not found in upstream");
  EXPECT_EQ(ReadFileOr(dir_.Join("node-js-app.conf")), before);
  EXPECT_EQ(runner_.commands, (std::vector<std::string>{"nginx-test"}));
  EXPECT_EQ(DirListing(dir_.path()), (std::vector<std::string>{"node-js-app.conf"}));
}

TEST_F(NginxProxyTest, FailedTestOfANewAppRemovesItsFile) {
  runner_.results["nginx-test"] = {1, "bad"};
  const Status st = proxy_.Apply("fresh", {"fresh.example.com"}, {{"10.0.0.2", 5000}}, Collect());
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(DirListing(dir_.path()).empty());
}

TEST_F(NginxProxyTest, FailedReloadIsRetriedByTheNextApply) {
  runner_.results["nginx-reload"] = {1, "nginx: [error] invalid PID number"};
  Status st = proxy_.Apply("app", {"app.example.com"}, {{"10.0.0.2", 5000}}, Collect());
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_EQ(st.message(), "nginx reload failed: nginx: [error] invalid PID number");
  runner_.results.clear();
  runner_.commands.clear();
  // Same content, but nginx never loaded it: reload again (no need to test an unchanged file).
  ASSERT_OK(proxy_.Apply("app", {"app.example.com"}, {{"10.0.0.2", 5000}}, Collect()));
  EXPECT_EQ(runner_.commands, (std::vector<std::string>{"nginx-reload"}));
  runner_.commands.clear();
  ASSERT_OK(proxy_.Apply("app", {"app.example.com"}, {{"10.0.0.2", 5000}}, Collect()));
  EXPECT_TRUE(runner_.commands.empty());
}

TEST_F(NginxProxyTest, NoUpstreamsMeansRemove) {
  ASSERT_OK(proxy_.Apply("app", {"app.example.com"}, {{"10.0.0.2", 5000}}, Collect()));
  runner_.commands.clear();
  ASSERT_OK(proxy_.Apply("app", {"app.example.com"}, {}, Collect()));
  EXPECT_TRUE(DirListing(dir_.path()).empty());
  EXPECT_EQ(runner_.commands, (std::vector<std::string>{"nginx-test", "nginx-reload"}));
}

TEST_F(NginxProxyTest, RemoveIsIdempotentAndRestoresOnFailedTest) {
  ASSERT_OK(proxy_.Remove("never-configured"));
  EXPECT_TRUE(runner_.commands.empty());

  ASSERT_OK(proxy_.Apply("app", {"app.example.com"}, {{"10.0.0.2", 5000}}, Collect()));
  const std::string before = ReadFileOr(dir_.Join("app.conf"));
  runner_.results["nginx-test"] = {1, "broken elsewhere"};
  EXPECT_FALSE(proxy_.Remove("app").ok());
  EXPECT_EQ(ReadFileOr(dir_.Join("app.conf")), before);
  runner_.results.clear();
  ASSERT_OK(proxy_.Remove("app"));
  EXPECT_TRUE(DirListing(dir_.path()).empty());
}

TEST_F(NginxProxyTest, CreatesAMissingConfDir) {
  NginxProxyOptions o = Options();
  o.conf_dir = dir_.Join("sub/dir");
  NginxProxy proxy(o, &runner_);
  ASSERT_OK(proxy.Apply("app", {"app.example.com"}, {{"10.0.0.2", 5000}}, Collect()));
  EXPECT_FALSE(ReadFileOr(dir_.Join("sub/dir/app.conf")).empty());
}

// domains:add's wildcard: a leading "*." is nginx's own wildcard server name and is written as is.
TEST_F(NginxProxyTest, AcceptsALeadingWildcardServerName) {
  ASSERT_OK(
      proxy_.Apply("app", {"app.example.com", "*.example.org"}, {{"10.0.0.2", 5000}}, Collect()));
  const std::string conf = ReadFileOr(dir_.Join("app.conf"));
  EXPECT_NE(conf.find("server_name app.example.com *.example.org;"), std::string::npos) << conf;
}

TEST_F(NginxProxyTest, RejectsInjectionThroughEveryField) {
  const std::vector<std::string> names = {"ok.example.com"};
  const std::vector<Upstream> ups = {{"10.0.0.2", 5000}};
  for (const std::string& app :
       std::vector<std::string>{"", "../etc", "a/b", "a;b", "a b", "App", "a\nb", "-a", ".a", "a{",
                                std::string(64, 'a'), "a$b"}) {
    EXPECT_EQ(proxy_.Apply(app, names, ups, Collect()).code(), StatusCode::kInvalidArgument) << app;
    EXPECT_EQ(proxy_.Remove(app).code(), StatusCode::kInvalidArgument) << app;
  }
  for (const std::string& name : std::vector<std::string>{
           "", "x;", "a b", "a}", "*example.com", "a.*.com", "*.", "*.*.a.com", "$host", "x\ny",
           "a..b", "-a.com", "a-.com", "UPPER.com", "a.com;include /etc/passwd",
           std::string(64, 'a') + ".com", "~regex"}) {
    EXPECT_EQ(proxy_.Apply("app", {"good.com", name}, ups, Collect()).code(),
              StatusCode::kInvalidArgument)
        << name;
  }
  EXPECT_EQ(proxy_.Apply("app", {}, ups, Collect()).code(), StatusCode::kInvalidArgument);
  for (const std::string& ip :
       std::vector<std::string>{"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ",
                                "1.2.3.4;", "localhost", "::1", "1.2.3.4:80", "1.2.3.-4"}) {
    EXPECT_EQ(proxy_.Apply("app", names, {{"10.0.0.2", 5000}, {ip, 5000}}, Collect()).code(),
              StatusCode::kInvalidArgument)
        << ip;
  }
  for (int port : {0, -1, 65536, 1 << 30}) {
    EXPECT_EQ(proxy_.Apply("app", names, {{"10.0.0.2", port}}, Collect()).code(),
              StatusCode::kInvalidArgument)
        << port;
  }
  for (const std::string& listen :
       std::vector<std::string>{"", "80; include /etc/passwd", "abc", "1.2.3.4:", ":80", "[::]:80",
                                "0", "65536", "1.2.3.4:80:81", "80 ssl"}) {
    NginxProxyOptions o = Options();
    o.listen = listen;
    NginxProxy proxy(o, &runner_);
    EXPECT_EQ(proxy.Apply("app", names, ups, Collect()).code(), StatusCode::kInvalidArgument)
        << listen;
  }
  EXPECT_TRUE(DirListing(dir_.path()).empty());
  EXPECT_TRUE(runner_.commands.empty());
  EXPECT_TRUE(lines_.empty());
}

TEST_F(NginxProxyTest, AcceptsTheListenForms) {
  for (const std::string& listen :
       std::vector<std::string>{"80", "8080", "0.0.0.0:80", "127.0.0.1:65535"}) {
    NginxProxyOptions o = Options();
    o.listen = listen;
    NginxProxy proxy(o, &runner_);
    EXPECT_OK(proxy.Apply("app", {"app.example.com", "localhost"}, {{"10.0.0.2", 1}}, Collect()));
    EXPECT_NE(ReadFileOr(dir_.Join("app.conf")).find("  listen " + listen + ";\n"),
              std::string::npos);
  }
}

TEST(NginxProxyShellRunnerTest, CapturesOutputAndExitStatus) {
  ShellCommandRunner runner;
  std::string output;
  EXPECT_EQ(runner.Run("echo out; echo err >&2; exit 3", &output), 3);
  EXPECT_EQ(output, "out\nerr\n");
  EXPECT_EQ(runner.Run("true", &output), 0);
  EXPECT_EQ(output, "");
  EXPECT_EQ(runner.Run("cat", &output), 0);  // stdin is /dev/null, so this ends at once
  EXPECT_EQ(runner.Run("kill -TERM $$", &output), 128 + 15);
  EXPECT_EQ(runner.Run("/nonexistent/command", &output), 127);
  EXPECT_NE(output.find("not found"), std::string::npos) << output;
}

TEST(NginxProxyShellRunnerTest, KillsCommandsThatOverrunTheTimeout) {
  ShellCommandRunner runner(/*timeout_s=*/1);
  std::string output;
  EXPECT_EQ(runner.Run("echo started; sleep 30", &output), 128 + 9);
  EXPECT_EQ(output, "started\n\n(killed after timeout)");
}

}  // namespace
}  // namespace dokku

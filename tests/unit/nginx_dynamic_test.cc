// NginxProxy's dynamic upstreams with a fake command runner and a fake control server: the
// control file and the fallback when nginx refuses it, peer changes without reloads, reloads
// for server-block changes, a failed push made good by a reload (and undone when that fails
// too), re-feeding a restarted nginx, and the lua/config pieces.
#include "controller/proxy/nginx_dynamic.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <map>

#include "controller/proxy/nginx_proxy.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

using testutil::ReadFileOr;
using testutil::TempDir;

class FakeRunner : public CommandRunner {
 public:
  int Run(const std::string& command_line, std::string* output) override {
    commands.push_back(command_line);
    output->clear();
    auto it = exit_codes.find(command_line);
    if (it == exit_codes.end()) return 0;
    *output = "nginx: [emerg] unknown directive \"lua_shared_dict\"";
    return it->second;
  }
  std::vector<std::string> commands;
  std::map<std::string, int> exit_codes;
};

// The control API of nginx_dynamic.cc's lua, in memory.
class FakeControl : public HttpTransport {
 public:
  StatusOr<HttpResponse> Request(const std::string& method, const std::string& path,
                                 const std::string& body, const std::string&,
                                 std::chrono::milliseconds) override {
    requests.push_back(method + " " + path + (body.empty() ? "" : " " + body));
    if (down) return Status::Unavailable("connect: refused");
    HttpResponse r;
    r.status = 200;
    if (path == "/fed") {
      if (method == "PUT") fed = body;
      r.body = fed;
      return r;
    }
    if (path.rfind("/peers/", 0) == 0) {
      const std::string app = path.substr(7);
      if (method == "PUT" && put_status != 200) {
        r.status = put_status;
        return r;
      }
      if (method == "PUT" && body.empty()) {
        peers.erase(app);
      } else if (method == "PUT") {
        peers[app] = body;
      } else if (peers.contains(app)) {
        r.body = peers[app];
      } else {
        r.status = 404;
      }
      return r;
    }
    if (path.rfind("/active/", 0) == 0) {
      r.body = std::to_string(active[path.substr(8)]);
      return r;
    }
    r.status = 404;
    return r;
  }
  StatusOr<HttpResponse> Stream(const std::string&, const std::function<void(std::string_view)>&,
                                const std::atomic<bool>&) override {
    return Status::Unavailable("no streams");
  }
  // A restarted nginx: empty shared dictionaries.
  void Restart() {
    peers.clear();
    fed.clear();
  }

  std::vector<std::string> requests;
  std::map<std::string, std::string> peers;
  std::map<std::string, int64_t> active;
  std::string fed;
  bool down = false;
  int put_status = 200;
};

const std::vector<std::string> kNames = {"web-app.dokku.me"};
const std::vector<Upstream> kOne = {{"172.17.0.3", 5000}};
const std::vector<Upstream> kTwo = {{"172.17.0.12", 5000}, {"172.17.0.4", 5000}};

class NginxDynamicTest : public ::testing::Test {
 protected:
  NginxProxyOptions Options() {
    NginxProxyOptions o;
    o.conf_dir = dir_.Join("conf.d");
    o.listen = "127.0.0.1:8080";
    o.test_cmd = "nginx-test";
    o.reload_cmd = "nginx-reload";
    o.control_socket = dir_.Join("control/nginx.sock");
    return o;
  }
  void StartDynamic() {
    ASSERT_TRUE(proxy_.Start(&control_, /*watch=*/false));
    runner_.commands.clear();
    control_.requests.clear();
  }
  Emit Collect() {
    return [this](const std::string& level, const std::string& text) {
      lines_.push_back(level + ": " + text);
    };
  }
  std::string AppConf() { return ReadFileOr(dir_.Join("conf.d/web-app.conf")); }
  static std::string PeersOf(const std::string& body) { return body.substr(body.find(' ') + 1); }

  TempDir dir_;
  FakeRunner runner_;
  FakeControl control_;
  NginxProxy proxy_{Options(), &runner_};
  std::vector<std::string> lines_;
};

TEST_F(NginxDynamicTest, StartWritesTheControlServerTestsAndReloads) {
  ASSERT_TRUE(proxy_.Start(&control_, /*watch=*/false));
  EXPECT_TRUE(proxy_.dynamic());
  const std::string conf = ReadFileOr(dir_.Join("conf.d/_dokkud-control.conf"));
  EXPECT_NE(conf.find("listen unix:" + dir_.Join("control/nginx.sock") + ";"), std::string::npos);
  EXPECT_EQ(conf.find("listen 127"), std::string::npos) << "the control server is never on TCP";
  EXPECT_NE(conf.find("lua_shared_dict dokkud_peers"), std::string::npos);
  EXPECT_EQ(runner_.commands, (std::vector<std::string>{"nginx-test", "nginx-reload"}));
  struct stat st {};
  ASSERT_EQ(stat(dir_.Join("control").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0007, 0u) << "others must not reach the control socket";
}

TEST_F(NginxDynamicTest, StartAgainWithTheSameFileAndAFedNginxDoesNotReload) {
  ASSERT_TRUE(proxy_.Start(&control_, false));
  NginxProxy again(Options(), &runner_);
  runner_.commands.clear();
  control_.fed = "someone";
  ASSERT_TRUE(again.Start(&control_, false));
  EXPECT_TRUE(runner_.commands.empty());
}

TEST_F(NginxDynamicTest, WithoutTheLuaModuleStartFallsBackToReloadsAndRemovesTheFile) {
  runner_.exit_codes["nginx-test"] = 1;
  EXPECT_FALSE(proxy_.Start(&control_, false));
  EXPECT_FALSE(proxy_.dynamic());
  EXPECT_FALSE(std::filesystem::exists(dir_.Join("conf.d/_dokkud-control.conf")));
  runner_.exit_codes.clear();
  ASSERT_OK(proxy_.Apply("web-app", kNames, kOne, nullptr));
  EXPECT_NE(AppConf().find("  server 172.17.0.3:5000;\n"), std::string::npos) << AppConf();
  EXPECT_EQ(AppConf().find("balancer_by_lua"), std::string::npos);
  EXPECT_TRUE(control_.requests.empty());
}

TEST_F(NginxDynamicTest, NoSocketOrAnOpenDirectoryMeansReloads) {
  NginxProxyOptions o = Options();
  o.control_socket = "";
  NginxProxy none(o, &runner_);
  EXPECT_FALSE(none.Start(&control_, false));
  o.control_socket = "/tmp/x y;.sock";
  NginxProxy bad(o, &runner_);
  EXPECT_FALSE(bad.Start(&control_, false));
  std::filesystem::create_directories(dir_.Join("open"));
  chmod(dir_.Join("open").c_str(), 0777);
  o.control_socket = dir_.Join("open/nginx.sock");
  NginxProxy open(o, &runner_);
  EXPECT_FALSE(open.Start(&control_, false));
  EXPECT_FALSE(std::filesystem::exists(dir_.Join("conf.d/_dokkud-control.conf")));
}

TEST_F(NginxDynamicTest, FirstApplyWritesTestsPushesAndReloads) {
  StartDynamic();
  ASSERT_OK(proxy_.Apply("web-app", kNames, kTwo, Collect()));
  const std::string conf = AppConf();
  EXPECT_NE(conf.find("balancer_by_lua_block"), std::string::npos) << conf;
  EXPECT_NE(conf.find(", \"172.17.0.4:5000 172.17.0.12:5000\")\n"), std::string::npos) << conf;
  EXPECT_NE(conf.find("  keepalive 32;\n"), std::string::npos);
  EXPECT_NE(conf.find("log_by_lua_block { dokkud.done() }"), std::string::npos);
  EXPECT_NE(conf.find("proxy_set_header Connection $dokkud_connection;"), std::string::npos);
  EXPECT_EQ(runner_.commands, (std::vector<std::string>{"nginx-test", "nginx-reload"}));
  ASSERT_EQ(control_.requests.size(), 1u);
  EXPECT_EQ(PeersOf(control_.peers["web-app"]), "172.17.0.4:5000 172.17.0.12:5000");
  EXPECT_EQ(lines_, (std::vector<std::string>{"info1: Configuring web-app.dokku.me...",
                                              "info1: Creating http nginx.conf",
                                              "verbose: Reloading nginx"}));
}

TEST_F(NginxDynamicTest, APeerChangeRewritesTheFileAndPushesWithoutAReload) {
  StartDynamic();
  ASSERT_OK(proxy_.Apply("web-app", kNames, kOne, nullptr));
  const std::string before = AppConf();
  const std::string pushed_before = control_.peers["web-app"];
  runner_.commands.clear();
  ASSERT_OK(proxy_.Apply("web-app", kNames, kTwo, Collect()));
  EXPECT_TRUE(runner_.commands.empty()) << "no nginx -t, no reload";
  EXPECT_EQ(lines_, (std::vector<std::string>{"verbose: Switching nginx upstreams (no reload)"}));
  const std::string after = AppConf();
  EXPECT_NE(after, before);
  EXPECT_EQ(ConfStructure(after), ConfStructure(before));
  int64_t gen_before = 0, gen_after = 0;
  std::string peers;
  ASSERT_TRUE(ParseBalancerLine(before, &gen_before, &peers));
  EXPECT_EQ(peers, "172.17.0.3:5000");
  ASSERT_TRUE(ParseBalancerLine(after, &gen_after, &peers));
  EXPECT_EQ(peers, "172.17.0.4:5000 172.17.0.12:5000") << "the fallback for a restarted nginx";
  EXPECT_GT(gen_after, gen_before);
  EXPECT_EQ(control_.peers["web-app"], fmt::format("{} {}", gen_after, peers));
  EXPECT_NE(control_.peers["web-app"], pushed_before);
}

TEST_F(NginxDynamicTest, UnchangedPeersDoNothing) {
  StartDynamic();
  ASSERT_OK(proxy_.Apply("web-app", kNames, kTwo, nullptr));
  runner_.commands.clear();
  control_.requests.clear();
  const std::vector<Upstream> reordered = {kTwo[1], kTwo[0]};
  ASSERT_OK(proxy_.Apply("web-app", kNames, reordered, Collect()));
  EXPECT_TRUE(runner_.commands.empty());
  EXPECT_TRUE(control_.requests.empty());
  EXPECT_TRUE(lines_.empty());
}

TEST_F(NginxDynamicTest, ARestartedDaemonPushesOnceWithoutReloading) {
  StartDynamic();
  ASSERT_OK(proxy_.Apply("web-app", kNames, kTwo, nullptr));
  const std::string conf = AppConf();
  NginxProxy restarted(Options(), &runner_);
  ASSERT_TRUE(restarted.Start(&control_, false));
  runner_.commands.clear();
  control_.requests.clear();
  ASSERT_OK(restarted.Apply("web-app", kNames, kTwo, nullptr));
  EXPECT_TRUE(runner_.commands.empty());
  EXPECT_EQ(control_.requests.size(), 1u);
  EXPECT_EQ(AppConf(), conf) << "same peers, same generation";
}

TEST_F(NginxDynamicTest, ADomainChangeReloads) {
  StartDynamic();
  ASSERT_OK(proxy_.Apply("web-app", kNames, kTwo, nullptr));
  runner_.commands.clear();
  ASSERT_OK(proxy_.Apply("web-app", {"web-app.dokku.me", "www.example.test"}, kTwo, nullptr));
  EXPECT_EQ(runner_.commands, (std::vector<std::string>{"nginx-test", "nginx-reload"}));
}

TEST_F(NginxDynamicTest, AFailedPushIsMadeGoodByAReload) {
  StartDynamic();
  ASSERT_OK(proxy_.Apply("web-app", kNames, kOne, nullptr));
  runner_.commands.clear();
  control_.put_status = 507;
  ASSERT_OK(proxy_.Apply("web-app", kNames, kTwo, Collect()));
  EXPECT_EQ(runner_.commands, (std::vector<std::string>{"nginx-reload"}));
  std::string peers;
  int64_t gen = 0;
  ASSERT_TRUE(ParseBalancerLine(AppConf(), &gen, &peers));
  EXPECT_EQ(peers, "172.17.0.4:5000 172.17.0.12:5000") << "the reload loads the new peers";
  // The next Apply pushes again (the dictionary's entry is older than the file's).
  control_.put_status = 200;
  control_.requests.clear();
  ASSERT_OK(proxy_.Apply("web-app", kNames, kTwo, nullptr));
  EXPECT_EQ(control_.requests.size(), 1u);
}

TEST_F(NginxDynamicTest, WhenPushAndReloadFailTheFileIsRestored) {
  StartDynamic();
  ASSERT_OK(proxy_.Apply("web-app", kNames, kOne, nullptr));
  const std::string before = AppConf();
  control_.down = true;
  runner_.exit_codes["nginx-reload"] = 1;
  Status st = proxy_.Apply("web-app", kNames, kTwo, nullptr);
  EXPECT_TRUE(st.IsUnavailable()) << st.message();
  EXPECT_EQ(AppConf(), before) << "a restarting nginx must not pick up peers nobody switched to";
}

TEST_F(NginxDynamicTest, AReloadFailureAfterASuccessfulPushPutsTheOldPeersBack) {
  StartDynamic();
  ASSERT_OK(proxy_.Apply("web-app", kNames, kOne, nullptr));
  runner_.exit_codes["nginx-reload"] = 1;
  Status st = proxy_.Apply("web-app", {"web-app.dokku.me", "www.example.test"}, kTwo, nullptr);
  EXPECT_TRUE(st.IsUnavailable()) << st.message();
  EXPECT_EQ(PeersOf(control_.peers["web-app"]), "172.17.0.3:5000");
  int64_t file_gen = 0;
  std::string peers;
  ASSERT_TRUE(ParseBalancerLine(AppConf(), &file_gen, &peers));
  EXPECT_GT(std::atoll(control_.peers["web-app"].c_str()), file_gen)
      << "the dictionary's old list must win over the new file's";
}

TEST_F(NginxDynamicTest, ResyncFeedsARestartedNginxEveryApp) {
  StartDynamic();
  ASSERT_OK(proxy_.Apply("web-app", kNames, kTwo, nullptr));
  ASSERT_OK(proxy_.Apply("other", {"other.dokku.me"}, kOne, nullptr));
  proxy_.Resync();
  const std::map<std::string, std::string> fed = control_.peers;
  ASSERT_FALSE(control_.fed.empty());
  control_.requests.clear();
  proxy_.Resync();
  EXPECT_EQ(control_.requests, (std::vector<std::string>{"GET /fed"})) << "nothing to do";
  control_.Restart();
  runner_.commands.clear();
  proxy_.Resync();
  EXPECT_EQ(control_.peers, fed);
  EXPECT_FALSE(control_.fed.empty());
  EXPECT_TRUE(runner_.commands.empty());
}

TEST_F(NginxDynamicTest, RemoveReloadsAndForgetsThePeers) {
  StartDynamic();
  ASSERT_OK(proxy_.Apply("web-app", kNames, kTwo, nullptr));
  runner_.commands.clear();
  ASSERT_OK(proxy_.Remove("web-app"));
  EXPECT_EQ(runner_.commands, (std::vector<std::string>{"nginx-test", "nginx-reload"}));
  EXPECT_FALSE(control_.peers.contains("web-app"));
  EXPECT_FALSE(std::filesystem::exists(dir_.Join("conf.d/web-app.conf")));
}

TEST_F(NginxDynamicTest, ActiveRequestsAsksTheControlServer) {
  EXPECT_FALSE(proxy_.ActiveRequests(kOne[0]).ok()) << "not before Start";
  StartDynamic();
  control_.active["172.17.0.3:5000"] = 3;
  StatusOr<int64_t> n = proxy_.ActiveRequests(kOne[0]);
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(*n, 3);
  EXPECT_FALSE(proxy_.ActiveRequests({"1.2.3.4;", 5}).ok());
  control_.down = true;
  EXPECT_TRUE(proxy_.ActiveRequests(kOne[0]).status().IsUnavailable());
}

TEST_F(NginxDynamicTest, InjectionIsRefusedInDynamicModeToo) {
  StartDynamic();
  EXPECT_FALSE(proxy_.Apply("web-app", kNames, {{"1.2.3.4; }", 80}}, nullptr).ok());
  EXPECT_FALSE(proxy_.Apply("web-app", {"a.test; }"}, kOne, nullptr).ok());
  EXPECT_FALSE(proxy_.Apply("Web\"App", kNames, kOne, nullptr).ok());
  EXPECT_TRUE(control_.requests.empty());
  EXPECT_FALSE(std::filesystem::exists(dir_.Join("conf.d/web-app.conf")));
}

TEST(NginxDynamicPieces, BalancerLineRoundTripsAndStructureIgnoresIt) {
  const std::string line = BalancerLine("a", 1733000000123, "10.0.0.1:80 10.0.0.2:80");
  EXPECT_EQ(line, "    dokkud.balance(\"a\", 1733000000123, \"10.0.0.1:80 10.0.0.2:80\")\n");
  int64_t gen = 0;
  std::string peers;
  ASSERT_TRUE(ParseBalancerLine("x\n" + line + "y\n", &gen, &peers));
  EXPECT_EQ(gen, 1733000000123);
  EXPECT_EQ(peers, "10.0.0.1:80 10.0.0.2:80");
  EXPECT_EQ(ConfStructure("x\n" + line + "y\n"), "x\ny\n");
  EXPECT_FALSE(ParseBalancerLine("no line here\n", &gen, &peers));
  EXPECT_EQ(PeerList({{"10.0.0.1", 80}, {"10.0.0.2", 81}}), "10.0.0.1:80 10.0.0.2:81");
}

TEST(NginxDynamicPieces, ControlConfListensOnTheSocketOnly) {
  const std::string conf = RenderNginxControlConf("/run/dokkud/nginx-control.sock");
  EXPECT_NE(conf.find("  listen unix:/run/dokkud/nginx-control.sock;\n"), std::string::npos);
  size_t listens = 0;
  for (size_t at = conf.find("listen "); at != std::string::npos; at = conf.find("listen ", at + 1))
    ++listens;
  EXPECT_EQ(listens, 1u);
  EXPECT_NE(conf.find("balancer.set_more_tries"), std::string::npos);
  EXPECT_NE(conf.find("safe_set"), std::string::npos) << "a full dictionary must not evict apps";
  EXPECT_TRUE(IsValidControlSocketPath("/run/dokkud/nginx-control.sock"));
  EXPECT_FALSE(IsValidControlSocketPath("relative.sock"));
  EXPECT_FALSE(IsValidControlSocketPath("/run/a b.sock"));
  EXPECT_FALSE(IsValidControlSocketPath("/run/a;b.sock"));
  EXPECT_FALSE(IsValidControlSocketPath("/" + std::string(120, 'a')));
}

}  // namespace
}  // namespace dokku

// NginxProxy against a real, private nginx (own prefix, pid, logs and port) proxying to busybox
// httpd upstreams on loopback: traffic follows Apply, and a failing configuration test leaves
// the previous configuration serving.
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "controller/checks/checks_runner.h"
#include "controller/proxy/nginx_proxy.h"
#include "tests/testing/e2e_fixture.h"
#include "tests/testing/testutil.h"

extern char** environ;

namespace dokku {
namespace {

using testutil::TempDir;
using testutil::WaitFor;
using testutil::WriteFile;

class NginxIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists("/usr/sbin/nginx")) << "nginx is not installed";
    // Reload-based: this suite covers the server-block path, so no lua module.
    ASSERT_OK(nginx_.Start(/*lua=*/false));
    port_ = nginx_.port();
  }

  NginxProxyOptions Options(const std::string& test_suffix = "") {
    NginxProxyOptions o;
    o.conf_dir = nginx_.conf_dir();
    o.listen = nginx_.address();
    o.test_cmd = nginx_.TestCommand() + test_suffix;
    o.reload_cmd = nginx_.ReloadCommand();
    return o;
  }

  // An upstream serving index.txt = `content` on a free loopback port.
  std::unique_ptr<testutil::BackgroundProcess> StartUpstream(const std::string& content,
                                                             int* port) {
    const std::string root = prefix_.path() + "/www-" + content.substr(content.size() - 3);
    std::filesystem::create_directories(root);
    EXPECT_OK(WriteFile(root + "/index.txt", content));
    *port = e2e::FreeLoopbackPort();
    auto server = std::make_unique<testutil::BackgroundProcess>(std::vector<std::string>{
        "/bin/busybox", "httpd", "-f", "-p", fmt::format("127.0.0.1:{}", *port), "-h", root});
    EXPECT_TRUE(server->started());
    const int p = *port;
    EXPECT_TRUE(WaitFor(
        [&] {
          return prober_.Get({"http", "127.0.0.1", p, "/index.txt", "", 2, {}}).status == 200;
        },
        10000));
    return server;
  }

  HttpResult Get(const std::string& host) {
    return prober_.Get({"http", "127.0.0.1", port_, "/index.txt", host, 5, {}});
  }
  // Processes whose parent is the nginx master: its workers.
  int WorkerCount() {
    const std::string ppid_field = fmt::format(" {} ", nginx_.MasterPid());
    int workers = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      const std::string stat = testutil::ReadFileOr(entry.path().string() + "/stat");
      // "<pid> (<comm>) <state> <ppid> ...": the ppid follows the state after the comm.
      const size_t close = stat.rfind(')');
      if (close == std::string::npos || close + 3 >= stat.size()) continue;
      if (stat.compare(close + 3, ppid_field.size(), ppid_field) == 0) ++workers;
    }
    return workers;
  }
  // nginx reloads asynchronously: until the old worker has exited it may still accept
  // connections with the old configuration.
  bool EventuallyServes(const std::string& host, const std::string& body) {
    return WaitFor(
        [&] {
          const HttpResult r = Get(host);
          return r.status == 200 && r.body == body && WorkerCount() == 1;
        },
        10000);
  }

  TempDir prefix_;  // upstream document roots
  e2e::PrivateNginx nginx_;
  int port_ = 0;
  bool started_ = false;
  ShellCommandRunner shell_;
  CurlHttpProber prober_;
  std::vector<std::string> lines_;
  Emit emit_ = [this](const std::string& level, const std::string& text) {
    lines_.push_back(level + ": " + text);
  };
};

TEST_F(NginxIntegrationTest, TrafficFollowsApplyAndSurvivesFailedTests) {
  const std::string host = "web.dokkutest.example";
  int port_one = 0, port_two = 0;
  auto one = StartUpstream("version one", &port_one);
  auto two = StartUpstream("version two", &port_two);
  NginxProxy proxy(Options(), &shell_);

  ASSERT_OK(proxy.Apply("itest-app", {host}, {{"127.0.0.1", port_one}}, emit_));
  EXPECT_TRUE(EventuallyServes(host, "version one"));
  EXPECT_EQ(Get("other.example").status, 404);
  EXPECT_EQ(lines_, (std::vector<std::string>{"info1: Configuring web.dokkutest.example...",
                                              "info1: Creating http nginx.conf",
                                              "verbose: Reloading nginx"}));

  // The test command fails: the previous file is put back and nginx keeps the old upstream.
  const std::string conf = proxy.ConfPath("itest-app");
  const std::string before = testutil::ReadFileOr(conf);
  NginxProxy failing(Options(" && echo simulated failure && false"), &shell_);
  const Status st = failing.Apply("itest-app", {host}, {{"127.0.0.1", port_two}}, emit_);
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_NE(st.message().find("simulated failure"), std::string::npos) << st.message();
  EXPECT_EQ(testutil::ReadFileOr(conf), before);
  EXPECT_EQ(Get(host).body, "version one");

  ASSERT_OK(proxy.Apply("itest-app", {host}, {{"127.0.0.1", port_two}}, emit_));
  EXPECT_TRUE(EventuallyServes(host, "version two"));

  // A real `nginx -t` failure (another file in the directory is broken): same protection.
  const std::string broken = nginx_.conf_dir() + "/zz-broken.conf";
  ASSERT_OK(WriteFile(broken, "this is not nginx syntax\n"));
  const Status real = proxy.Apply("itest-app", {host}, {{"127.0.0.1", port_one}}, emit_);
  EXPECT_EQ(real.code(), StatusCode::kInternal);
  EXPECT_NE(real.message().find("zz-broken.conf"), std::string::npos) << real.message();
  EXPECT_NE(testutil::ReadFileOr(conf).find(fmt::format(":{};", port_two)), std::string::npos);
  std::filesystem::remove(broken);
  EXPECT_EQ(Get(host).body, "version two");

  // Both upstreams at once: nginx balances between them.
  ASSERT_OK(
      proxy.Apply("itest-app", {host}, {{"127.0.0.1", port_one}, {"127.0.0.1", port_two}}, emit_));
  EXPECT_TRUE(EventuallyServes(host, "version one"));
  EXPECT_TRUE(EventuallyServes(host, "version two"));  // round robin: the next request

  ASSERT_OK(proxy.Remove("itest-app"));
  EXPECT_FALSE(std::filesystem::exists(conf));
  EXPECT_TRUE(WaitFor([&] { return Get(host).status == 404 && WorkerCount() == 1; }, 10000));
}

}  // namespace
}  // namespace dokku

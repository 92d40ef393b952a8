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
#include "tests/testutil.h"

extern char** environ;

namespace dokku {
namespace {

using testutil::TempDir;
using testutil::WaitFor;
using testutil::WriteFile;

constexpr char kNginx[] = "/usr/sbin/nginx";

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

class NginxIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kNginx)) << "nginx is not installed";
    const std::string p = prefix_.path();
    std::filesystem::create_directories(p + "/conf.d");
    std::filesystem::create_directories(p + "/tmp");
    port_ = FreeLoopbackPort();
    ASSERT_OK(WriteFile(p + "/nginx.conf", fmt::format(R"(daemon on;
worker_processes 1;
pid {0}/nginx.pid;
error_log {0}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {0}/tmp/body;
  proxy_temp_path {0}/tmp/proxy;
  fastcgi_temp_path {0}/tmp/fastcgi;
  uwsgi_temp_path {0}/tmp/uwsgi;
  scgi_temp_path {0}/tmp/scgi;
  server {{ listen 127.0.0.1:{1} default_server; return 404; }}
  include {0}/conf.d/*.conf;
}}
)",
                                                       p, port_)));
    flags_ = fmt::format(" -p {0}/ -c {0}/nginx.conf -e {0}/error.log", p);
    std::string output;
    ASSERT_EQ(shell_.Run(kNginx + flags_ + " >" + p + "/start.log 2>&1", &output), 0)
        << testutil::ReadFileOr(p + "/start.log") << testutil::ReadFileOr(p + "/error.log");
    started_ = true;
    ASSERT_TRUE(WaitFor([&] { return Get("nobody.example.test").status == 404; }, 10000));
  }

  void TearDown() override {
    if (!started_) return;
    const std::string pid_text = testutil::ReadFileOr(prefix_.path() + "/nginx.pid");
    std::string output;
    (void)shell_.Run(std::string(kNginx) + flags_ + " -s stop", &output);
    const pid_t pid = static_cast<pid_t>(std::atoi(pid_text.c_str()));
    if (pid > 0 && !WaitFor([&] { return kill(pid, 0) != 0; }, 10000)) kill(pid, SIGKILL);
  }

  NginxProxyOptions Options(const std::string& test_suffix = "") {
    NginxProxyOptions o;
    o.conf_dir = prefix_.path() + "/conf.d";
    o.listen = fmt::format("127.0.0.1:{}", port_);
    o.test_cmd = std::string(kNginx) + " -t -q" + flags_ + test_suffix;
    o.reload_cmd = std::string(kNginx) + flags_ + " -s reload";
    return o;
  }

  // An upstream serving index.txt = `content` on a free loopback port.
  std::unique_ptr<testutil::BackgroundProcess> StartUpstream(const std::string& content,
                                                             int* port) {
    const std::string root = prefix_.path() + "/www-" + content.substr(content.size() - 3);
    std::filesystem::create_directories(root);
    EXPECT_OK(WriteFile(root + "/index.txt", content));
    *port = FreeLoopbackPort();
    auto server = std::make_unique<testutil::BackgroundProcess>(std::vector<std::string>{
        "/bin/busybox", "httpd", "-f", "-p", fmt::format("127.0.0.1:{}", *port), "-h", root});
    EXPECT_TRUE(server->started());
    const int p = *port;
    EXPECT_TRUE(WaitFor(
        [&] {
          return prober_.Get({"http", "127.0.0.1", p, "/index.txt", "", 2}).status == 200;
        },
        10000));
    return server;
  }

  HttpResult Get(const std::string& host) {
    return prober_.Get({"http", "127.0.0.1", port_, "/index.txt", host, 5});
  }
  // Processes whose parent is the nginx master: its workers.
  int WorkerCount() {
    const std::string master = testutil::ReadFileOr(prefix_.path() + "/nginx.pid");
    const std::string ppid_field = fmt::format(" {} ", std::atoi(master.c_str()));
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

  TempDir prefix_;
  std::string flags_;
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
  const std::string broken = prefix_.path() + "/conf.d/zz-broken.conf";
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

// Dynamic upstreams against a real, private nginx with Debian's lua module and busybox httpd
// upstreams on loopback: switches under keep-alive clients lose no request and reload nothing,
// a killed and restarted nginx serves the last peers at once and is fed again, requests in
// flight are counted per peer, and without the module the proxy falls back to reloads.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "controller/env/command_runner.h"
#include "controller/proxy/nginx_proxy.h"
#include "tests/testing/e2e_fixture.h"
#include "tests/testing/keepalive_client.h"
#include "tests/testing/testutil.h"

extern char** environ;

namespace dokku {
namespace {

using e2e::PrivateNginx;
using testutil::WaitFor;
using testutil::WriteFile;

// A foreground busybox httpd serving `body` (and a slow CGI) on a free loopback port.
class LoopbackServer {
 public:
  LoopbackServer(const std::string& root, const std::string& body) {
    std::filesystem::create_directories(root + "/cgi-bin");
    EXPECT_OK(WriteFile(root + "/index.html", body));
    EXPECT_OK(
        WriteFile(root + "/cgi-bin/slow",
                  "#!/bin/sh\nsleep 3\nprintf 'Content-Type: text/plain\\r\\n\\r\\nslow\\n'\n"));
    chmod((root + "/cgi-bin/slow").c_str(), 0755);
    port_ = e2e::FreeLoopbackPort();
    server_ = std::make_unique<testutil::BackgroundProcess>(std::vector<std::string>{
        "/bin/busybox", "httpd", "-f", "-p", fmt::format("127.0.0.1:{}", port_), "-h", root});
    WaitFor([&] { return testutil::HttpGet(address(), "/", "") == body; }, 5000);
  }
  Upstream peer() const { return {"127.0.0.1", port_}; }
  std::string address() const { return fmt::format("127.0.0.1:{}", port_); }

 private:
  int port_ = 0;
  std::unique_ptr<testutil::BackgroundProcess> server_;
};

class NginxDynamicIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists("/usr/sbin/nginx")) << "nginx is not installed";
    // scripts/test installs the module; without it these tests have nothing to test.
    ASSERT_FALSE(PrivateNginx::LuaModuleLines().empty())
        << "libnginx-mod-http-lua is not installed (apt-get install libnginx-mod-http-lua)";
  }
  NginxProxyOptions Options() {
    NginxProxyOptions o;
    o.conf_dir = nginx_.conf_dir();
    o.listen = nginx_.address();
    o.test_cmd = nginx_.TestCommand();
    o.reload_cmd = nginx_.ReloadCommand();
    o.control_socket = nginx_.control_socket();
    return o;
  }
  // Starts nginx and `proxy_` in dynamic mode, waiting until nginx has loaded the control
  // server (the reload is asynchronous).
  void StartDynamic() {
    ASSERT_OK(nginx_.Start());
    control_ = std::make_unique<CurlUnixTransport>(nginx_.control_socket());
    proxy_ = std::make_unique<NginxProxy>(Options(), &shell_);
    ASSERT_TRUE(proxy_->Start(control_.get(), /*watch=*/false));
    ASSERT_TRUE(WaitFor([&] { return ControlGet("/fed").has_value(); }, 10000));
  }
  std::optional<std::string> ControlGet(const std::string& path) {
    StatusOr<HttpResponse> r = control_->Request("GET", path, "", "", std::chrono::seconds(2));
    if (!r.ok() || r->status != 200) return std::nullopt;
    return r->body;
  }
  std::string Get(const std::string& host) {
    return testutil::HttpGet(nginx_.address(), "/", host);
  }
  bool Serves(const std::string& host, const std::string& body) {
    return WaitFor([&] { return Get(host) == body; }, 5000, 5);
  }
  // The first deploy's reload is asynchronous: until the old worker has gone it may still take
  // connections (and answer 404 for the new host, or count requests of its own).
  bool OldWorkersGone() {
    return WaitFor(
        [&] {
          const std::string w = nginx_.WorkerPids();
          return !w.empty() && w.find(' ') == std::string::npos;
        },
        10000);
  }

  testutil::TempDir www_;
  PrivateNginx nginx_;
  ShellCommandRunner shell_;
  std::unique_ptr<CurlUnixTransport> control_;
  std::unique_ptr<NginxProxy> proxy_;
};

TEST_F(NginxDynamicIntegrationTest, SwitchesUnderKeepAliveClientsLoseNothingAndReloadNothing) {
  ASSERT_NO_FATAL_FAILURE(StartDynamic());
  LoopbackServer a(www_.Join("a"), "aaa\n"), b(www_.Join("b"), "bbb\n");
  const std::string host = "dyn.example.test";
  ASSERT_OK(proxy_->Apply("dyn", {host}, {a.peer()}, nullptr));
  ASSERT_TRUE(Serves(host, "aaa\n"));
  ASSERT_TRUE(OldWorkersGone());
  const std::string workers = nginx_.WorkerPids();

  testutil::KeepAliveLoop clients(nginx_.address(), host, 12, {"aaa\n", "bbb\n"}, 1);
  clients.Start();
  std::vector<int64_t> switch_us;
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    const bool to_b = i % 2 == 0;
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_OK(proxy_->Apply("dyn", {host}, {to_b ? b.peer() : a.peer()}, nullptr));
    // The next request (on a new connection) already goes to the new peer.
    EXPECT_EQ(Get(host), to_b ? "bbb\n" : "aaa\n") << "switch " << i;
    switch_us.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
            .count());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  clients.Stop();
  std::sort(switch_us.begin(), switch_us.end());
  std::cout << fmt::format(
      "MEASURE dynamic_switch_to_first_answer_us median={} max={} keepalive_requests={} "
      "reused={} connections={}\n",
      switch_us[switch_us.size() / 2], switch_us.back(), clients.total(), clients.reused(),
      clients.connections());
  EXPECT_EQ(clients.failed(), 0) << clients.Problems();
  EXPECT_EQ(clients.bad_content(), 0) << clients.Problems();
  EXPECT_GT(clients.count("aaa\n"), 0);
  EXPECT_GT(clients.count("bbb\n"), 0);
  EXPECT_GT(clients.reused(), clients.connections()) << "the clients' connections stayed open";
  EXPECT_EQ(nginx_.WorkerPids(), workers) << "nginx was reloaded";
}

TEST_F(NginxDynamicIntegrationTest, AKilledNginxStartsAgainOnTheLastPeersAndIsFedAgain) {
  ASSERT_NO_FATAL_FAILURE(StartDynamic());
  LoopbackServer a(www_.Join("a"), "aaa\n"), b(www_.Join("b"), "bbb\n");
  const std::string host = "restart.example.test";
  ASSERT_OK(proxy_->Apply("restart", {host}, {a.peer()}, nullptr));
  ASSERT_TRUE(Serves(host, "aaa\n"));
  ASSERT_TRUE(OldWorkersGone()) << "the first reload's old worker did not exit";
  ASSERT_OK(proxy_->Apply("restart", {host}, {b.peer()}, nullptr));  // no reload
  ASSERT_EQ(Get(host), "bbb\n");
  proxy_->Resync();
  const std::optional<std::string> fed = ControlGet("/peers/restart");
  ASSERT_TRUE(fed.has_value());

  ASSERT_OK(nginx_.Kill());
  ASSERT_TRUE(std::filesystem::exists(nginx_.control_socket())) << "a crash leaves the socket";
  proxy_->Resync();  // notices the stale socket
  EXPECT_FALSE(std::filesystem::exists(nginx_.control_socket()));
  ASSERT_OK(nginx_.StartAgain());
  // From its first answer on, the restarted nginx (empty dictionary) serves the peers dokkud
  // last switched to, from the file, never the older ones it was loaded with.
  ASSERT_TRUE(WaitFor([&] { return !Get(host).empty(); }, 10000, 5));
  for (int i = 0; i < 50; ++i) ASSERT_EQ(Get(host), "bbb\n") << "request " << i;
  EXPECT_FALSE(ControlGet("/peers/restart").has_value()) << "the dictionary starts empty";
  proxy_->Resync();
  EXPECT_EQ(ControlGet("/peers/restart"), fed) << "fed again without a deploy";
  ASSERT_OK(proxy_->Apply("restart", {host}, {a.peer()}, nullptr));
  EXPECT_EQ(Get(host), "aaa\n");
}

TEST_F(NginxDynamicIntegrationTest, CountsRequestsInFlightPerPeer) {
  ASSERT_NO_FATAL_FAILURE(StartDynamic());
  LoopbackServer a(www_.Join("a"), "aaa\n");
  const std::string host = "drain.example.test";
  ASSERT_OK(proxy_->Apply("drain", {host}, {a.peer()}, nullptr));
  ASSERT_TRUE(Serves(host, "aaa\n"));
  ASSERT_TRUE(OldWorkersGone());
  // The count drops in nginx's log phase, which runs after the response has been sent.
  EXPECT_TRUE(WaitFor(
      [&] {
        StatusOr<int64_t> n = proxy_->ActiveRequests(a.peer());
        return n.ok() && *n == 0;
      },
      2000, 10));
  std::string slow;
  std::thread request([&] { slow = testutil::HttpGet(nginx_.address(), "/cgi-bin/slow", host); });
  EXPECT_TRUE(WaitFor(
      [&] {
        StatusOr<int64_t> n = proxy_->ActiveRequests(a.peer());
        return n.ok() && *n == 1;
      },
      2500, 10));
  request.join();
  EXPECT_EQ(slow, "slow\n");
  EXPECT_TRUE(WaitFor(
      [&] {
        StatusOr<int64_t> n = proxy_->ActiveRequests(a.peer());
        return n.ok() && *n == 0;
      },
      2000, 10));
}

TEST_F(NginxDynamicIntegrationTest, WithoutTheLuaModuleItReloadsAsBefore) {
  ASSERT_OK(nginx_.Start(/*lua=*/false));
  control_ = std::make_unique<CurlUnixTransport>(nginx_.control_socket());
  proxy_ = std::make_unique<NginxProxy>(Options(), &shell_);
  EXPECT_FALSE(proxy_->Start(control_.get(), /*watch=*/false));
  EXPECT_FALSE(std::filesystem::exists(nginx_.conf_dir() + "/_dokkud-control.conf"));
  LoopbackServer a(www_.Join("a"), "aaa\n"), b(www_.Join("b"), "bbb\n");
  const std::string host = "plain.example.test";
  ASSERT_OK(proxy_->Apply("plain", {host}, {a.peer()}, nullptr));
  EXPECT_TRUE(Serves(host, "aaa\n"));
  ASSERT_OK(proxy_->Apply("plain", {host}, {b.peer()}, nullptr));
  EXPECT_TRUE(Serves(host, "bbb\n"));
}

}  // namespace
}  // namespace dokku

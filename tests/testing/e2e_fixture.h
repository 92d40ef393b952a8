// End-to-end fixture: each test gets a private state dir, its own dokkud process, the real
// `dokku` CLI and the real dockerd (plus, when asked, a private nginx). Probes read Docker and
// HTTP directly, so tests assert what really runs rather than what the CLI says.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/testing/testutil.h"

namespace dokku::e2e {

// One container as `docker ps -a` reports it.
struct DockerContainer {
  std::string id;  // full id
  std::string name;
  std::string state;  // created, running, exited, restarting, ...
};

// Every container labelled com.dokku.app-name=<app>, sorted by name.
std::vector<DockerContainer> AppContainers(const std::string& app);
// The container called exactly `name` among the app's containers.
std::optional<DockerContainer> FindContainer(const std::string& app, const std::string& name);
// The app's containers with a live name `<app>.<proctype>.<n>`.
std::vector<DockerContainer> LiveContainers(const std::string& app);
// `docker inspect <id>`: the object itself, or null when the container does not exist.
nlohmann::json InspectContainer(const std::string& id);
// "127.0.0.1:<port>" published for the container's 5000/tcp, or "" when none.
std::string PublishedAddress(const std::string& id);
// The id of a running container named `name` once one exists (polling), or "" on timeout.
std::string WaitForRunning(const std::string& app, const std::string& name, int timeout_ms);
// True if `haystack` contains `needle`.
inline bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}
// The zero-downtime workload the keep-alive tests run: 10 deploys alternating `a` and `b`
// (ending on `b`), 5 restarts and a scale 2 -> 6 -> 2 of web, as dokku commands.
std::vector<std::vector<std::string>> DeployRestartScaleSteps(const std::string& app,
                                                              const std::string& a,
                                                              const std::string& b);
// A TCP port on 127.0.0.1 that nothing listens on right now.
int FreeLoopbackPort();
// Milliseconds on a monotonic clock.
int64_t NowMs();

// A private nginx (own prefix, pid, logs, temp files and loopback port) that includes the
// *.conf files dokkud writes into conf_dir(). Stopped by the destructor.
class PrivateNginx {
 public:
  PrivateNginx() = default;
  ~PrivateNginx();
  PrivateNginx(const PrivateNginx&) = delete;
  PrivateNginx& operator=(const PrivateNginx&) = delete;

  // Writes nginx.conf, starts nginx and waits until its default server answers 404. `lua`:
  // load the lua module when it is installed (dynamic upstreams).
  Status Start(bool lua = true);
  void Stop();
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string conf_dir() const { return prefix_.Join("conf.d"); }
  // The dokkud flags that point the daemon's nginx proxy at this instance.
  std::vector<std::string> DaemonFlags() const;
  // Where dokkud is told to make nginx's control server listen (dynamic upstreams).
  std::string control_socket() const { return prefix_.Join("control/nginx.sock"); }
  // load_module lines for the lua module, or "" when it is not installed.
  static std::string LuaModuleLines();
  // The test and reload commands for this instance.
  std::string TestCommand() const;
  std::string ReloadCommand() const;
  pid_t MasterPid() const;
  // The pids of the workers (they change on every reload), space-separated.
  std::string WorkerPids() const;
  // SIGKILL to master and workers (a crash: the control socket file stays behind), and
  // starting again from the same configuration.
  Status Kill();
  Status StartAgain();

 private:
  std::string NginxArgs() const;

  testutil::TempDir prefix_;
  int port_ = 0;
  bool started_ = false;
};

// The base of every E2E suite. SetUp checks Docker and sets `checks default-wait 1` and
// `checks wait-to-retire 1` globally so deploys and retirements are quick; TearDown stops
// dokkud (printing its log when the test failed) and removes every container and image of the
// apps the test created.
class E2ETest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  const std::string& state_dir() const { return state_.path(); }

  // `dokku <args>` against this test's state dir.
  testutil::CommandResult Dokku(const std::vector<std::string>& args, int timeout_s = 120);
  // Fails the test fatally (use ASSERT_NO_FATAL_FAILURE) unless `dokku <args>` exits 0.
  void DokkuOk(const std::vector<std::string>& args, testutil::CommandResult* result = nullptr);

  // Starts dokkud with `args` (default --proxy none) and waits for a fresh heartbeat. Later
  // calls (after daemon().Stop() or Kill9()) start it again with the first call's arguments.
  void StartDaemon(std::vector<std::string> args = {});
  testutil::DaemonProcess& daemon() { return *daemon_; }

  // A fresh app name, created with apps:create and registered for cleanup.
  std::string CreateApp(std::string_view prefix);
  // Builds dokku/<app>:<tag> (see testutil::TestImage::Build); returns the image id.
  std::string BuildImage(const std::string& app, const std::string& tag,
                         const std::map<std::string, std::string>& files,
                         const std::vector<std::string>& cmd = {});
  // The state database's id, which dokkud puts in the com.dokkud.store label.
  std::string StoreId();
  // `apps:destroy --force`, then asserts Docker holds no container labelled with the app.
  void DestroyApp(const std::string& app);
  // `ps <app> --format json`: live name -> "<container id> <state>", to compare with Docker.
  std::map<std::string, std::string> StoreLiveView(const std::string& app);
  // Docker's view of the same containers (those with this store's label), in the same shape.
  std::map<std::string, std::string> DockerLiveView(const std::string& app);
  // True once `ps` and Docker agree on the app's live containers (polling up to timeout_ms).
  bool StoreAgreesWithDocker(const std::string& app, int timeout_ms);

  testutil::TempDir state_;
  testutil::DockerCleanup cleanup_;
  std::unique_ptr<testutil::DaemonProcess> daemon_;
};

}  // namespace dokku::e2e

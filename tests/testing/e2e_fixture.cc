#include "tests/testing/e2e_fixture.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>
#include <sstream>

#include "store/store.h"

namespace dokku::e2e {
namespace {

using testutil::CommandResult;
using testutil::RunDocker;

constexpr char kNginx[] = "/usr/sbin/nginx";

std::vector<DockerContainer> ListContainers(const std::vector<std::string>& label_filters) {
  std::vector<std::string> args{"ps", "-a", "--no-trunc", "--format",
                                "{{.ID}}\t{{.Names}}\t{{.State}}"};
  for (const std::string& f : label_filters) args.insert(args.end(), {"--filter", "label=" + f});
  std::vector<DockerContainer> out;
  for (const std::string& line : testutil::NonEmptyLines(RunDocker(args).out)) {
    std::istringstream fields(line);
    DockerContainer c;
    std::getline(fields, c.id, '\t');
    std::getline(fields, c.name, '\t');
    std::getline(fields, c.state, '\t');
    out.push_back(c);
  }
  std::sort(out.begin(), out.end(),
            [](const DockerContainer& a, const DockerContainer& b) { return a.name < b.name; });
  return out;
}

bool IsLiveName(const std::string& app, const std::string& name) {
  static const std::regex kSuffix(R"(\.[A-Za-z0-9_-]+\.[1-9][0-9]*)");
  return name.size() > app.size() && name.compare(0, app.size(), app) == 0 &&
         std::regex_match(name.substr(app.size()), kSuffix);
}

// The last `n` lines of `text`.
std::string Tail(const std::string& text, size_t n) {
  std::vector<std::string> lines = testutil::NonEmptyLines(text);
  std::string out;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) {
    out += lines[i] + "\n";
  }
  return out;
}

}  // namespace

// ---- Docker probes ----

std::vector<DockerContainer> AppContainers(const std::string& app) {
  return ListContainers({"com.dokku.app-name=" + app});
}

std::optional<DockerContainer> FindContainer(const std::string& app, const std::string& name) {
  for (const DockerContainer& c : AppContainers(app)) {
    if (c.name == name) return c;
  }
  return std::nullopt;
}

std::vector<std::vector<std::string>> DeployRestartScaleSteps(const std::string& app,
                                                              const std::string& a,
                                                              const std::string& b) {
  std::vector<std::vector<std::string>> steps;
  for (int i = 0; i < 10; ++i) {
    steps.push_back({"tags:deploy", app, i % 2 == 0 ? a : b});
    if (i % 2 == 1) steps.push_back({"ps:restart", app});
    if (i == 4) steps.push_back({"ps:scale", app, "web=6"});
    if (i == 6) steps.push_back({"ps:scale", app, "web=2"});
  }
  return steps;
}

std::vector<DockerContainer> LiveContainers(const std::string& app) {
  std::vector<DockerContainer> live;
  for (const DockerContainer& c : AppContainers(app)) {
    if (IsLiveName(app, c.name)) live.push_back(c);
  }
  return live;
}

nlohmann::json InspectContainer(const std::string& id) {
  CommandResult r = RunDocker({"inspect", "--type", "container", id});
  if (r.exit_code != 0) return nullptr;
  nlohmann::json parsed = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array() || parsed.empty()) return nullptr;
  return parsed[0];
}

std::string PublishedAddress(const std::string& id) {
  const nlohmann::json info = InspectContainer(id);
  if (info.is_null()) return "";
  const nlohmann::json ports = info["NetworkSettings"]["Ports"];
  if (!ports.is_object() || !ports.contains("5000/tcp") || !ports["5000/tcp"].is_array()) {
    return "";
  }
  for (const nlohmann::json& binding : ports["5000/tcp"]) {
    const std::string host_port = binding.value("HostPort", "");
    if (!host_port.empty()) return "127.0.0.1:" + host_port;
  }
  return "";
}

std::string WaitForRunning(const std::string& app, const std::string& name, int timeout_ms) {
  std::string id;
  testutil::WaitFor(
      [&] {
        std::optional<DockerContainer> c = FindContainer(app, name);
        if (c && c->state == "running") id = c->id;
        return !id.empty();
      },
      timeout_ms, 100);
  return id;
}

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// ---- PrivateNginx ----

PrivateNginx::~PrivateNginx() { Stop(); }

std::string PrivateNginx::NginxArgs() const {
  return fmt::format("-p {0} -c {0}/nginx.conf", prefix_.path());
}

Status PrivateNginx::Start(bool lua) {
  const std::string p = prefix_.path();
  std::error_code ec;
  std::filesystem::create_directories(p + "/logs", ec);
  std::filesystem::create_directories(p + "/tmp", ec);
  std::filesystem::create_directories(conf_dir(), ec);
  port_ = FreeLoopbackPort();
  DOKKU_RETURN_IF_ERROR(testutil::WriteFile(
      p + "/nginx.conf", fmt::format(R"(daemon on;
worker_processes 1;
pid {0}/nginx.pid;
error_log {0}/logs/error.log warn;
{3}events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {0}/tmp/client_body;
  proxy_temp_path {0}/tmp/proxy;
  fastcgi_temp_path {0}/tmp/fastcgi;
  uwsgi_temp_path {0}/tmp/uwsgi;
  scgi_temp_path {0}/tmp/scgi;
  server_names_hash_bucket_size 128;
  server {{ listen 127.0.0.1:{1} default_server; server_name _; return 404; }}
  include {2}/*.conf;
}}
)",
                                     p, port_, conf_dir(), lua ? LuaModuleLines() : "")));
  CommandResult r =
      testutil::RunCommand({kNginx, "-p", p, "-c", p + "/nginx.conf", "-e", p + "/logs/error.log"});
  if (r.exit_code != 0) return Status::Internal("nginx did not start: " + r.Describe());
  started_ = true;
  int status = 0;
  bool up = testutil::WaitFor(
      [&] {
        testutil::HttpGet(address(), "/", "nobody.invalid", &status);
        return status == 404;
      },
      10000, 50);
  if (!up) return Status::Internal("private nginx does not answer on " + address());
  return Status::Ok();
}

void PrivateNginx::Stop() {
  if (!started_) return;
  started_ = false;
  const std::string pid_text = testutil::ReadFileOr(prefix_.Join("nginx.pid"));
  const std::string p = prefix_.path();
  testutil::RunCommand(
      {kNginx, "-p", p, "-c", p + "/nginx.conf", "-e", p + "/logs/error.log", "-s", "stop"});
  const pid_t pid = static_cast<pid_t>(std::atoi(pid_text.c_str()));
  if (pid > 0 && !testutil::WaitFor([&] { return kill(pid, 0) != 0; }, 10000)) kill(pid, SIGKILL);
}

std::vector<std::string> PrivateNginx::DaemonFlags() const {
  return {"--proxy",          "nginx",       "--nginx-conf-dir",       conf_dir(),
          "--nginx-test-cmd", TestCommand(), "--nginx-reload-cmd",     ReloadCommand(),
          "--proxy-listen",   address(),     "--nginx-control-socket", control_socket()};
}

std::string PrivateNginx::TestCommand() const {
  return fmt::format("{} -t -q {}", kNginx, NginxArgs());
}

std::string PrivateNginx::ReloadCommand() const {
  return fmt::format("{} -s reload {}", kNginx, NginxArgs());
}

std::string PrivateNginx::LuaModuleLines() {
  // Debian's libnginx-mod-http-lua (with its ndk dependency): dynamic upstreams.
  const char* ndk = "/usr/lib/nginx/modules/ndk_http_module.so";
  const char* lua = "/usr/lib/nginx/modules/ngx_http_lua_module.so";
  if (!std::filesystem::exists(ndk) || !std::filesystem::exists(lua)) return "";
  return fmt::format("load_module {};\nload_module {};\n", ndk, lua);
}

pid_t PrivateNginx::MasterPid() const {
  return static_cast<pid_t>(std::atoi(testutil::ReadFileOr(prefix_.Join("nginx.pid")).c_str()));
}

std::string PrivateNginx::WorkerPids() const {
  // A reload replaces the workers; the master stays.
  std::string children =
      testutil::ReadFileOr(fmt::format("/proc/{0}/task/{0}/children", MasterPid()));
  while (!children.empty() && children.back() == ' ') children.pop_back();
  return children;
}

Status PrivateNginx::Kill() {
  const pid_t master = MasterPid();
  if (master <= 0) return Status::Internal("no nginx master pid");
  std::vector<pid_t> pids = {master};
  std::istringstream workers(WorkerPids());
  for (pid_t w; workers >> w;) pids.push_back(w);
  for (pid_t pid : pids) kill(pid, SIGKILL);
  for (pid_t pid : pids) {
    if (!testutil::WaitFor([&] { return kill(pid, 0) != 0; }, 10000)) {
      return Status::Internal("nginx did not die");
    }
  }
  started_ = false;
  return Status::Ok();
}

Status PrivateNginx::StartAgain() {
  const std::string p = prefix_.path();
  CommandResult r =
      testutil::RunCommand({kNginx, "-p", p, "-c", p + "/nginx.conf", "-e", p + "/logs/error.log"});
  if (r.exit_code != 0) return Status::Internal("nginx did not start: " + r.Describe());
  started_ = true;
  return Status::Ok();
}

// ---- E2ETest ----

void E2ETest::SetUp() {
  ASSERT_TRUE(testutil::DockerAvailable()) << "dockerd must answer on /var/run/docker.sock";
  ASSERT_FALSE(state_.path().empty());
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"checks:set", "--global", "default-wait", "1"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"checks:set", "--global", "wait-to-retire", "1"}));
}

void E2ETest::TearDown() {
  if (daemon_) {
    daemon_->Stop();
    if (HasFailure()) {
      std::cout << "---- last lines of " << daemon_->LogPath() << "\n"
                << Tail(daemon_->Log(), 400) << "----\n";
    }
  }
  cleanup_.CleanupNow();
}

CommandResult E2ETest::Dokku(const std::vector<std::string>& args, int timeout_s) {
  return testutil::RunDokku(state_.path(), args, "", timeout_s);
}

void E2ETest::DokkuOk(const std::vector<std::string>& args, CommandResult* result) {
  CommandResult r = Dokku(args);
  std::string joined;
  for (const std::string& a : args) joined += " " + a;
  ASSERT_EQ(r.exit_code, 0) << "dokku" << joined << "\n" << r.Describe();
  if (result != nullptr) *result = std::move(r);
}

void E2ETest::StartDaemon(std::vector<std::string> args) {
  if (!daemon_) daemon_ = std::make_unique<testutil::DaemonProcess>(state_.path(), std::move(args));
  ASSERT_OK(daemon_->Start());
  // Commands run before the first heartbeat would report "dokkud is not running".
  std::unique_ptr<Store> store;
  ASSERT_TRUE(testutil::WaitFor(
      [&] {
        if (!daemon_->Running()) return true;  // reported below
        if (!store) {
          StatusOr<std::unique_ptr<Store>> opened = Store::OpenStateDir(state_.path());
          if (!opened.ok()) return false;
          store = std::move(*opened);
        }
        StatusOr<std::optional<int64_t>> age = store->HeartbeatAgeMs();
        return age.ok() && age->has_value() && **age < 1000;
      },
      10000, 50))
      << daemon_->Log();
  ASSERT_TRUE(daemon_->Running()) << "dokkud exited at start:\n" << daemon_->Log();
}

std::string E2ETest::CreateApp(std::string_view prefix) {
  std::string app = testutil::UniqueName(prefix);
  cleanup_.AddApp(app);
  CommandResult r = Dokku({"apps:create", app});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  return app;
}

std::string E2ETest::BuildImage(const std::string& app, const std::string& tag,
                                const std::map<std::string, std::string>& files,
                                const std::vector<std::string>& cmd) {
  StatusOr<std::string> id = testutil::TestImage::Build("dokku/" + app + ":" + tag, files, cmd);
  EXPECT_OK(id);
  return id.ok() ? *id : "";
}

std::string E2ETest::StoreId() {
  StatusOr<std::unique_ptr<Store>> store = Store::OpenStateDir(state_.path());
  EXPECT_OK(store);
  if (!store.ok()) return "";
  StatusOr<std::string> id = (*store)->StoreId();
  EXPECT_OK(id);
  return id.ok() ? *id : "";
}

void E2ETest::DestroyApp(const std::string& app) {
  CommandResult r = Dokku({"apps:destroy", app, "--force"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  std::vector<DockerContainer> left = AppContainers(app);
  std::string names;
  for (const DockerContainer& c : left) names += c.name + " (" + c.state + ")\n";
  EXPECT_TRUE(left.empty()) << "left behind after apps:destroy:\n" << names;
  EXPECT_EQ(Dokku({"apps:exists", app}).exit_code, 20);
}

std::map<std::string, std::string> E2ETest::StoreLiveView(const std::string& app) {
  std::map<std::string, std::string> view;
  CommandResult r = Dokku({"ps", app, "--format", "json"});
  if (r.exit_code != 0) return view;
  nlohmann::json rows = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  if (!rows.is_array()) return view;
  for (const nlohmann::json& row : rows) {
    if (row.value("role", "") != "live") continue;
    view[row.value("name", "")] = row.value("container_id", "") + " " + row.value("state", "");
  }
  return view;
}

std::map<std::string, std::string> E2ETest::DockerLiveView(const std::string& app) {
  std::map<std::string, std::string> view;
  for (const DockerContainer& c :
       ListContainers({"com.dokku.app-name=" + app, "com.dokkud.store=" + StoreId()})) {
    if (IsLiveName(app, c.name)) view[c.name] = c.id + " " + c.state;
  }
  return view;
}

bool E2ETest::StoreAgreesWithDocker(const std::string& app, int timeout_ms) {
  std::map<std::string, std::string> store_view, docker_view;
  const bool agreed = testutil::WaitFor(
      [&] {
        docker_view = DockerLiveView(app);
        store_view = StoreLiveView(app);
        return store_view == docker_view;
      },
      timeout_ms, 100);
  if (!agreed) {
    std::string text;
    for (const auto& [name, v] : store_view) text += "  ps:     " + name + " " + v + "\n";
    for (const auto& [name, v] : docker_view) text += "  docker: " + name + " " + v + "\n";
    ADD_FAILURE() << "`dokku ps` and Docker disagree after " << timeout_ms << " ms:\n" << text;
  }
  return agreed;
}

}  // namespace dokku::e2e

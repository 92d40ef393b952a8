// End to end: `scheduler:set` moves a deployed app between docker-local and docker-swarm
// through the real CLI, daemon, dockerd (a one-node swarm made and left by the test) and nginx,
// with requests flowing through nginx the whole time.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "tests/e2e_fixture.h"

namespace dokku::e2e {
namespace {

using testutil::CommandResult;
using testutil::RunCommand;

CommandResult Docker(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/docker"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

// Holds the machine-wide swarm lock (shared with the other swarm tests), makes a one-node swarm
// if there is none, and leaves it again if it made it.
class OneNodeSwarm {
 public:
  OneNodeSwarm() {
    fd_ = open("/tmp/dokkutest-swarm.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0666);
    if (fd_ >= 0) flock(fd_, LOCK_EX);
    std::string state = Docker({"info", "--format", "{{.Swarm.LocalNodeState}}"}).out;
    if (state.rfind("inactive", 0) == 0) {
      created_ = Docker({"swarm", "init", "--advertise-addr", "127.0.0.1"}).exit_code == 0;
    }
  }
  ~OneNodeSwarm() {
    if (created_) Docker({"swarm", "leave", "--force"});
    if (fd_ >= 0) close(fd_);
  }

 private:
  int fd_ = -1;
  bool created_ = false;
};

// Keeps a few requests in flight through nginx and counts answers that are not "hello".
class Traffic {
 public:
  Traffic(std::string address, std::string host)
      : address_(std::move(address)), host_(std::move(host)) {
    for (int i = 0; i < 4; ++i) {
      threads_.emplace_back([this] {
        const int64_t deadline = NowMs() + 240'000;
        while (!stop_ && NowMs() < deadline) {
          int status = 0;
          std::string body = testutil::HttpGet(address_, "/", host_, &status);
          ++total_;
          if (status != 200 || body != "hello\n") {
            if (failed_++ < 3) {
              std::lock_guard<std::mutex> lock(mu_);
              first_failures_ += std::to_string(status) + " " + body.substr(0, 80) + "\n";
            }
          }
        }
      });
    }
  }
  ~Traffic() { Stop(); }
  void Stop() {
    stop_ = true;
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  int total() const { return total_; }
  int failed() const { return failed_; }
  std::string first_failures() {
    std::lock_guard<std::mutex> lock(mu_);
    return first_failures_;
  }

 private:
  std::string address_, host_;
  std::atomic<bool> stop_{false};
  std::atomic<int> total_{0}, failed_{0};
  std::mutex mu_;
  std::string first_failures_;
  std::vector<std::thread> threads_;
};

std::vector<std::string> Services(const std::string& store) {
  std::vector<std::string> out;
  std::string names = Docker({"service", "ls", "--format", "{{.Name}}", "--filter",
                              "label=com.dokkud.store=" + store})
                          .out;
  size_t start = 0;
  while (start < names.size()) {
    size_t nl = names.find('\n', start);
    if (nl == std::string::npos) nl = names.size();
    if (nl > start) out.push_back(names.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

class E2ESchedulerTest : public E2ETest {};

TEST_F(E2ESchedulerTest, SwitchesBetweenLocalAndSwarmWithoutDowntime) {
  OneNodeSwarm swarm;
  PrivateNginx nginx;
  ASSERT_OK(nginx.Start());
  StartDaemon(nginx.DaemonFlags());
  const std::string app = CreateApp("sched");
  BuildImage(app, "v1",
             {{"index.html", "hello\n"}, {"Procfile", "web: httpd -f -p $PORT -h /app\n"}});
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"domains:set-global", "dokku.test"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}));
  const std::string host = app + ".dokku.test";
  // nginx applies a reload asynchronously (new workers), so give it a moment.
  ASSERT_TRUE(testutil::WaitFor(
      [&] { return testutil::HttpGet(nginx.address(), "/", host) == "hello\n"; }, 10000, 100));
  const std::string local_id = LiveContainers(app).at(0).id;

  Traffic traffic(nginx.address(), host);
  CommandResult to_swarm;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"scheduler:set", app, "selected", "docker-swarm"}, &to_swarm));
  EXPECT_TRUE(Contains(to_swarm.out, "docker-swarm")) << to_swarm.out;
  EXPECT_EQ(Services(StoreId()), std::vector<std::string>{app + "-web"});
  // The local container is gone; the web task serves through nginx.
  EXPECT_FALSE(FindContainer(app, app + ".web.1").has_value() &&
               FindContainer(app, app + ".web.1")->id == local_id);
  CommandResult report = Dokku({"scheduler:report", app, "--scheduler-computed-selected"});
  EXPECT_EQ(report.out, "docker-swarm\n");
  EXPECT_EQ(testutil::HttpGet(nginx.address(), "/", host), "hello\n");

  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:scale", app, "web=2"}));
  CommandResult ps = Dokku({"ps", app});
  EXPECT_TRUE(Contains(ps.out, app + ".web.2")) << ps.out;

  ASSERT_NO_FATAL_FAILURE(DokkuOk({"scheduler:set", app, "selected", "docker-local"}));
  traffic.Stop();
  EXPECT_GT(traffic.total(), 20);
  EXPECT_EQ(traffic.failed(), 0) << "of " << traffic.total() << " requests:\n"
                                 << traffic.first_failures();
  // The services drain for wait-to-retire (1 s here), then go.
  EXPECT_TRUE(testutil::WaitFor([&] { return Services(StoreId()).empty(); }, 15000, 200));
  EXPECT_EQ(LiveContainers(app).size(), 2u);
  EXPECT_EQ(testutil::HttpGet(nginx.address(), "/", host), "hello\n");
  DestroyApp(app);
}

}  // namespace
}  // namespace dokku::e2e

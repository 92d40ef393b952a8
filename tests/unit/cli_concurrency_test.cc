// CliConcurrencyTest: 50 real `dokku` processes (DOKKU_BIN) released at the same instant write
// to one state dir — the same app and different apps. Every one must succeed without "database
// is locked", every write must land, and each desired write must bump the generation once.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <thread>

#include "store/store.h"
#include "tests/testing/testutil.h"

extern char** environ;

namespace dokku {
namespace {

struct Child {
  pid_t pid = -1;
  std::vector<std::string> args;
  std::string out_path, err_path;
  int exit_code = -1;
};

// Starts `flock -s <lock> dokku <args>` so every child blocks until the test drops its
// exclusive lock, then all run at once.
pid_t SpawnDokku(const std::string& state_dir, const std::string& lock,
                 const std::vector<std::string>& args, const std::string& out,
                 const std::string& err) {
  std::vector<std::string> argv = {"/usr/bin/flock", "-s", lock, DOKKU_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    if (std::string(*e).rfind("DOKKU_LIB_ROOT=", 0) != 0) env.emplace_back(*e);
  }
  env.push_back("DOKKU_LIB_ROOT=" + state_dir);
  std::vector<char*> cargv, cenv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  for (auto& e : env) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0].c_str(), &fa, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

// Reaps every child, killing the stragglers after `timeout`.
void WaitAll(std::vector<Child>& children, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t left = children.size();
  while (left > 0) {
    for (Child& c : children) {
      if (c.pid <= 0 || c.exit_code != -1) continue;
      int status = 0;
      if (waitpid(c.pid, &status, WNOHANG) == c.pid) {
        c.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        --left;
      }
    }
    if (left == 0) break;
    if (std::chrono::steady_clock::now() > deadline) {
      for (Child& c : children) {
        if (c.pid > 0 && c.exit_code == -1) kill(c.pid, SIGKILL);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // reaping real processes
  }
}

TEST(CliConcurrencyTest, FiftyConcurrentWritersLoseNothing) {
  testutil::TempDir dir;
  const std::string state = dir.path();
  std::vector<std::string> apps = {"shared"};
  for (int k = 0; k < 10; ++k) apps.push_back("app-" + std::to_string(k));
  for (const std::string& app : apps) {
    auto r = testutil::RunDokku(state, {"apps:create", app});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
  }
  std::map<std::string, int64_t> gen_before;
  {
    auto store = Store::OpenStateDir(state);
    ASSERT_OK(store);
    for (const std::string& app : apps) gen_before[app] = (*store)->GetApp(app)->generation;
  }

  std::vector<Child> children(50);
  for (int i = 0; i < 50; ++i) {
    std::vector<std::string>& a = children[i].args;
    if (i < 20) {
      a = {"--detach", "ps:scale", "shared", fmt::format("p{}={}", i, i % 5 + 1)};
    } else if (i < 30) {
      a = {"ps:set", "shared", "stop-timeout-seconds", std::to_string(i)};
    } else if (i < 40) {
      a = {"--detach", "ps:scale", fmt::format("app-{}", i - 30), fmt::format("web={}", i % 4 + 2)};
    } else {
      a = {"ps:set", fmt::format("app-{}", i - 40), "restart-policy",
           fmt::format("on-failure:{}", i)};
    }
  }

  const std::string lock = dir.Join("start.lock");
  int lock_fd = open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(lock_fd, 0);
  ASSERT_EQ(flock(lock_fd, LOCK_EX), 0);
  for (int i = 0; i < 50; ++i) {
    Child& c = children[i];
    c.out_path = dir.Join("out-" + std::to_string(i));
    c.err_path = dir.Join("err-" + std::to_string(i));
    c.pid = SpawnDokku(state, lock, c.args, c.out_path, c.err_path);
    EXPECT_GT(c.pid, 0) << i;
  }
  flock(lock_fd, LOCK_UN);  // go
  close(lock_fd);
  WaitAll(children, std::chrono::seconds(120));

  for (const Child& c : children) {
    std::string out = testutil::ReadFileOr(c.out_path), err = testutil::ReadFileOr(c.err_path);
    EXPECT_EQ(c.exit_code, 0) << c.args[1] << " " << c.args[2] << "\n" << out << err;
    EXPECT_EQ(err, "") << c.args[1];
    EXPECT_EQ((out + err).find("locked"), std::string::npos) << out << err;
    EXPECT_EQ((out + err).find("busy"), std::string::npos) << out << err;
  }

  auto store = Store::OpenStateDir(state);
  ASSERT_OK(store);
  Store& s = **store;
  std::map<std::string, int> shared;
  auto formation = s.GetFormation("shared");
  ASSERT_OK(formation);
  for (const auto& e : *formation) shared[e.proctype] = e.quantity;
  EXPECT_EQ(shared.size(), 21u);
  EXPECT_EQ(shared["web"], 1);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(shared[fmt::format("p{}", i)], i % 5 + 1) << i;
  std::string timeout = *s.GetProperty("ps", "shared", "stop-timeout-seconds");
  std::set<std::string> written;
  for (int i = 20; i < 30; ++i) written.insert(std::to_string(i));
  EXPECT_TRUE(written.count(timeout)) << timeout;
  EXPECT_EQ(s.GetApp("shared")->generation, gen_before["shared"] + 30);
  for (int k = 0; k < 10; ++k) {
    const std::string app = "app-" + std::to_string(k);
    auto f = s.GetFormation(app);
    ASSERT_EQ(f->size(), 1u);
    EXPECT_EQ(f->front().quantity, (30 + k) % 4 + 2) << app;
    EXPECT_EQ(*s.GetProperty("ps", app, "restart-policy"), "on-failure:" + std::to_string(40 + k));
    EXPECT_EQ(s.GetApp(app)->generation, gen_before[app] + 2) << app;
  }
}

}  // namespace
}  // namespace dokku

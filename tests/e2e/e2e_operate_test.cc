// End to end, issue "operate it like Dokku": logs (following a scale), run (exit code, env,
// nothing left behind), enter, ps:inspect, a locked app, and the control socket's access rule:
// a non-root member of the control group runs the CLI; a user outside it is refused by the
// file modes and, with those opened up, by dokkud's own SO_PEERCRED check. Real dokku, dokkud
// and dockerd.
#include <fmt/format.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include "controller/control/protocol.h"
#include "tests/testing/e2e_fixture.h"
#include "tests/testing/keepalive_client.h"
#include "tests/testing/traffic_loop.h"

namespace dokku::e2e {
namespace {

using testutil::CommandResult;
using testutil::WaitFor;

// Prints a line a second with its dyno, as a real app logs.
const std::map<std::string, std::string> kTalker = {
    {"Procfile",
     "web: while true; do echo \"tick from $DYNO\"; sleep 1; done\n"
     "worker: while true; do echo \"work from $DYNO\"; sleep 1; done\n"},
};

class E2EOperateTest : public E2ETest {
 protected:
  std::string DeployTalker(const std::string& prefix) {
    const std::string app = CreateApp(prefix);
    BuildImage(app, "v1", kTalker);
    EXPECT_EQ(Dokku({"config:set", "--no-restart", app, "SECRET=s3cr3t"}).exit_code, 0);
    EXPECT_EQ(Dokku({"ps:scale", "--skip-deploy", app, "web=1", "worker=1"}).exit_code, 0);
    CommandResult r = Dokku({"tags:deploy", app, "v1"});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return app;
  }
  std::vector<DockerContainer> RunContainersOf(const std::string& app) {
    std::vector<DockerContainer> out;
    for (const DockerContainer& c : AppContainers(app)) {
      if (c.name.find(".run.") != std::string::npos) out.push_back(c);
    }
    return out;
  }
};

TEST_F(E2EOperateTest, LogsTailShowsAContainerStartedAfterTheCommandBegan) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  const std::string app = DeployTalker("logs");
  ASSERT_FALSE(HasFailure());
  CommandResult recent = Dokku({"logs", app, "-n", "2"});
  ASSERT_EQ(recent.exit_code, 0) << recent.Describe();
  EXPECT_TRUE(Contains(recent.out, "app[web.1]:\x1b[0m tick from web.1")) << recent.out;
  EXPECT_TRUE(Contains(recent.out, "app[worker.1]:\x1b[0m work from worker.1")) << recent.out;
  CommandResult quiet = Dokku({"logs", app, "-q", "-p", "worker", "-n", "1"});
  EXPECT_EQ(quiet.out, "work from worker.1\n") << quiet.Describe();

  CommandResult followed;
  std::thread follower([&] { followed = Dokku({"logs", app, "-t", "-p", "web"}, 25); });
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the follow has begun
  CommandResult scaled = Dokku({"ps:scale", app, "web=2"});
  EXPECT_EQ(scaled.exit_code, 0) << scaled.Describe();
  follower.join();  // ended by its 25 s timeout, as an operator's Ctrl-C ends it
  EXPECT_TRUE(followed.timed_out);
  EXPECT_TRUE(Contains(followed.out, "app[web.2]:\x1b[0m tick from web.2")) << followed.out;
  EXPECT_FALSE(Contains(followed.out, "worker")) << "-p web follows web only";
  DestroyApp(app);
}

TEST_F(E2EOperateTest, RunPropagatesTheExitCodeSeesTheEnvAndLeavesNoContainer) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  const std::string app = DeployTalker("run");
  ASSERT_FALSE(HasFailure());
  CommandResult r =
      Dokku({"run", app, "sh", "-c", "echo \"$SECRET $DYNO $EXTRA\"; echo oops >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3) << r.Describe();
  EXPECT_TRUE(r.out.starts_with("s3cr3t run.")) << r.out;
  EXPECT_EQ(r.err, "oops\n");
  EXPECT_TRUE(RunContainersOf(app).empty()) << "run removes its container";
  r = Dokku({"run", "--env", "EXTRA=given", app, "sh", "-c", "echo $EXTRA; cat"}, 120);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "given\n") << r.Describe();
  r = testutil::RunDokku(state_dir(), {"run", app, "cat"}, "piped through\n");
  EXPECT_EQ(r.out, "piped through\n") << "stdin reaches the command: " << r.Describe();

  r = Dokku({"run:detached", app, "sh", "-c", "echo detached says hi; sleep 300"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string name = testutil::NonEmptyLines(r.out).back();
  EXPECT_TRUE(name.starts_with(app + ".run.")) << name;
  r = Dokku({"run:list", app});
  EXPECT_TRUE(Contains(r.out, name)) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "echo detached says hi; sleep 300\"")) << r.out;
  const std::string number = name.substr(name.rfind('.') + 1);
  EXPECT_TRUE(WaitFor(
      [&] {
        return Contains(Dokku({"run:logs", app}).out,
                        "app[" + number + "]:\x1b[0m detached says hi");
      },
      10000))
      << Dokku({"run:logs", app}).Describe();
  EXPECT_EQ(Dokku({"run:logs", "--container", name, "-q"}).out, "detached says hi\n");
  // The reconciler leaves run containers alone: a restart replaces web and worker only.
  ASSERT_EQ(Dokku({"ps:restart", app}).exit_code, 0);
  EXPECT_EQ(FindContainer(app, name)->state, "running");
  r = Dokku({"run:stop", "--container", name});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(WaitFor([&] { return RunContainersOf(app).empty(); }, 20000))
      << "a detached run is removed when it stops";
  DestroyApp(app);
}

TEST_F(E2EOperateTest, EnterAndInspectReachTheNamedContainer) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  const std::string app = DeployTalker("enter");
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(Dokku({"ps:scale", app, "web=2"}).exit_code, 0);
  const std::optional<DockerContainer> web2 = FindContainer(app, app + ".web.2");
  ASSERT_TRUE(web2.has_value());
  CommandResult r = Dokku({"enter", app, "web.2", "sh", "-c", "echo $DYNO; hostname; exit 4"});
  EXPECT_EQ(r.exit_code, 4) << r.Describe();
  EXPECT_EQ(r.out, "web.2\n" + web2->id.substr(0, 12) + "\n");
  r = Dokku({"enter", app, "--container-id", web2->id.substr(0, 8), "sh", "-c", "echo $DYNO"});
  EXPECT_EQ(r.out, "web.2\n") << r.Describe();
  r = Dokku({"enter", app});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format(" !     No container type specified.\n"
                               " !     Available types for app ({}): web worker\n",
                               app));
  r = Dokku({"ps:inspect", app});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  nlohmann::json docs = nlohmann::json::parse(r.out);
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0]["Name"], "/" + app + ".web.1");
  const std::string env = docs[0]["Config"]["Env"].dump();
  EXPECT_TRUE(Contains(env, "SECRET=XXXXXX")) << env;
  EXPECT_FALSE(Contains(env, "s3cr3t"));
  EXPECT_TRUE(Contains(env, "DYNO=web.1"));
  DestroyApp(app);
}

TEST_F(E2EOperateTest, ALockedAppRefusesRestartsAndIsStillHealed) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  const std::string app = DeployTalker("lock");
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(Dokku({"apps:lock", app}).exit_code, 0);
  const std::string before = FindContainer(app, app + ".web.1")->id;
  CommandResult r = Dokku({"ps:restart", app});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format(" !     {} currently has a deploy lock in place. Exiting...\n"
                               " !     Run 'apps:unlock' to release the existing deploy lock\n",
                               app));
  EXPECT_EQ(FindContainer(app, app + ".web.1")->id, before) << "nothing was restarted";
  ASSERT_EQ(testutil::RunDocker({"rm", "-f", before}).exit_code, 0);
  EXPECT_FALSE(WaitForRunning(app, app + ".web.1", 30000).empty()) << "dokkud heals a locked app";
  ASSERT_EQ(Dokku({"apps:unlock", app}).exit_code, 0);
  DestroyApp(app);
}

// apps:rename of a serving app with a domain of its own, under fresh and keep-alive load on
// that domain: no fresh-connection request fails, no answer has another body, and a keep-alive
// client that sends a request again when a reused connection closes without answering (as
// browsers do) loses none. The rename adds and removes a server block, so nginx reloads twice:
// a strict keep-alive client loses at most the one request per connection that races each
// reload (controller/proxy/nginx_dynamic.h), and never gets an error status. Afterwards the new
// name serves on its default vhost, the old default vhost is gone, and the domain and config
// followed.
TEST_F(E2EOperateTest, RenameUnderLoadLosesNoRequest) {
  PrivateNginx nginx;
  ASSERT_OK(nginx.Start());
  const std::string app = CreateApp("ren");
  const std::string renamed = app + "-new";
  cleanup_.AddApp(renamed);
  BuildImage(app, "v1",
             {{"Procfile", "web: httpd -f -p $PORT -h /app\n"}, {"index.html", "renamed ok\n"}});
  ASSERT_FALSE(HasFailure());
  ASSERT_NO_FATAL_FAILURE(StartDaemon(nginx.DaemonFlags()));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"domains:set-global", "e2e.test"}));
  const std::string domain = fmt::format("www.{}.test", app);
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"domains:add", app, domain}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"config:set", "--no-restart", app, "KEPT=yes"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:scale", "--skip-deploy", app, "web=2"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}));
  auto serves = [&](const std::string& host) {
    return WaitFor([&] { return testutil::HttpGet(nginx.address(), "/", host) == "renamed ok\n"; },
                   15000);
  };
  ASSERT_TRUE(serves(domain));
  ASSERT_TRUE(serves(app + ".e2e.test"));

  testutil::TrafficOptions options;
  options.threads = 6;
  options.good_bodies = {"renamed ok\n"};
  constexpr int kClients = 4;
  testutil::TrafficLoop traffic(nginx.address(), domain, options);
  testutil::KeepAliveLoop strict(nginx.address(), domain, kClients, options.good_bodies);
  testutil::KeepAliveLoop retrying(nginx.address(), domain, kClients, options.good_bodies);
  retrying.RetryOnStaleConnection();
  traffic.Start();
  strict.Start();
  retrying.Start();
  CommandResult r;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"apps:rename", app, renamed}, &r));
  EXPECT_TRUE(Contains(r.out, fmt::format("-----> Renaming {} to {}", app, renamed))) << r.out;
  EXPECT_TRUE(serves(renamed + ".e2e.test"));
  // The old name's containers retire after wait-to-retire (1 s here); keep the load on past it.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  traffic.Stop();
  strict.Stop();
  retrying.Stop();
  std::cout << fmt::format(
      "MEASURE apps_rename fresh={} failed={} keepalive_strict={} failed={} (stale {}) "
      "keepalive_retrying={} failed={} (sent again {})\n",
      traffic.total(), traffic.failed(), strict.total(), strict.failed(), strict.stale(),
      retrying.total(), retrying.failed(), retrying.retried());
  EXPECT_GT(traffic.total(), 100);
  EXPECT_EQ(traffic.failed(), 0) << traffic.Problems();
  EXPECT_EQ(traffic.bad_content(), 0) << traffic.Problems();
  for (testutil::KeepAliveLoop* loop : {&strict, &retrying}) {
    EXPECT_GT(loop->reused(), 100);
    EXPECT_EQ(loop->bad_content(), 0) << loop->Problems();
  }
  EXPECT_EQ(retrying.failed(), 0) << retrying.Problems();
  EXPECT_EQ(strict.failed(), strict.stale()) << "only reload races, no error status\n"
                                             << strict.Problems();
  EXPECT_LE(strict.stale(), 2 * kClients) << strict.Problems();

  int status = 0;
  testutil::HttpGet(nginx.address(), "/", app + ".e2e.test", &status);
  EXPECT_EQ(status, 404) << "the old default vhost is gone";
  EXPECT_EQ(Dokku({"apps:exists", app}).exit_code, 20);
  EXPECT_EQ(Dokku({"domains:report", renamed, "--domains-app-vhosts"}).out,
            fmt::format("{}.e2e.test {}\n", renamed, domain));
  EXPECT_EQ(Dokku({"config:get", renamed, "KEPT"}).out, "yes\n");
  EXPECT_TRUE(WaitFor([&] { return AppContainers(app).empty(); }, 30000))
      << "the old name's containers retire";
  EXPECT_EQ(WaitForRunning(renamed, renamed + ".web.2", 1000).empty(), false);
  DestroyApp(renamed);
}

// A group and two users of this test run, removed at the end.
class ScopedUsers {
 public:
  ScopedUsers() {
    const std::string tag = std::to_string(getpid());
    group = "dokkutest-g" + tag;
    member = "dokkutest-in" + tag;
    outsider = "dokkutest-out" + tag;
    ok = testutil::RunCommand({"/usr/sbin/groupadd", group}).exit_code == 0 &&
         testutil::RunCommand({"/usr/sbin/useradd", "-M", "-N", "-G", group, member}).exit_code ==
             0 &&
         testutil::RunCommand({"/usr/sbin/useradd", "-M", "-N", outsider}).exit_code == 0;
  }
  ~ScopedUsers() {
    testutil::RunCommand({"/usr/sbin/userdel", member});
    testutil::RunCommand({"/usr/sbin/userdel", outsider});
    testutil::RunCommand({"/usr/sbin/groupdel", group});
  }
  std::string group, member, outsider;
  bool ok = false;
};

// The control socket as seen by `user`: the first frame dokkud answers, from a child process
// that became that user ("" when it could not connect at all). A `late` client waits up to a
// second for dokkud to speak first before it writes its request, as a slow client would.
std::string AskAs(const std::string& user, const std::string& socket, bool late = false) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) return "<pipe>";
  pid_t pid = ::fork();
  if (pid == 0) {
    passwd* pw = ::getpwnam(user.c_str());
    if (pw == nullptr || ::initgroups(user.c_str(), pw->pw_gid) != 0 || ::setgid(pw->pw_gid) != 0 ||
        ::setuid(pw->pw_uid) != 0)
      _exit(2);
    ::signal(SIGPIPE, SIG_IGN);
    std::string answer;
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket.c_str());
    const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (connected && late) {
      pollfd p{fd, POLLIN, 0};
      (void)::poll(&p, 1, 1000);
    }
    if (connected &&
        control::WriteFrame(fd, control::FrameKind::kRequest, R"({"op":"run:list","app":"x"})")
            .ok()) {
      StatusOr<control::Frame> f = control::ReadFrame(fd);
      answer = f.ok() ? f->payload : "<no frame>";
    }
    (void)!::write(pipefd[1], answer.data(), answer.size());
    _exit(0);
  }
  ::close(pipefd[1]);
  std::string answer;
  char buf[512];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) answer.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  ::waitpid(pid, nullptr, 0);
  return answer;
}

TEST_F(E2EOperateTest, AGroupMemberOperatesWithoutRootAndOthersAreRefused) {
  ScopedUsers users;
  ASSERT_TRUE(users.ok) << "cannot create the test's users";
  ASSERT_NO_FATAL_FAILURE(StartDaemon({"--proxy", "none", "--control-group", users.group}));
  const std::string app = DeployTalker("nonroot");
  ASSERT_FALSE(HasFailure());
  // The CLI binary where every user can run it (the build tree may be private).
  testutil::TempDir bin;
  ASSERT_EQ(::chmod(bin.path().c_str(), 0755), 0);
  std::filesystem::copy_file(DOKKU_BIN, bin.Join("dokku"));
  auto as = [&](const std::string& user, std::vector<std::string> args) {
    std::vector<std::string> argv = {
        "/usr/sbin/runuser", "-u", user, "--", "/usr/bin/env", "DOKKU_LIB_ROOT=" + state_dir(),
        bin.Join("dokku")};
    argv.insert(argv.end(), args.begin(), args.end());
    return testutil::RunCommand(argv);
  };
  CommandResult r = as(users.member, {"run", app, "sh", "-c", "echo member $SECRET; exit 5"});
  EXPECT_EQ(r.exit_code, 5) << r.Describe();
  EXPECT_EQ(r.out, "member s3cr3t\n");
  r = as(users.member, {"ps:scale", app, "web=2"});
  EXPECT_EQ(r.exit_code, 0) << "a member writes desired state: " << r.Describe();
  r = as(users.member, {"logs", app, "-n", "1", "-p", "worker"});
  EXPECT_TRUE(Contains(r.out, "work from worker.1")) << r.Describe();

  // The database is theirs to write, but it gives a container no more of the host than the
  // app's storage: a host mount outside it fails the deploy and changes nothing.
  const std::string web1 = FindContainer(app, app + ".web.1")->id;
  r = as(users.member, {"storage:mount", app, "/etc:/host-etc"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = as(users.member, {"ps:restart", app});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.out + r.err, "needs root")) << r.Describe();
  EXPECT_EQ(FindContainer(app, app + ".web.1")->id, web1);
  r = as(users.member, {"run", app, "true"});
  EXPECT_TRUE(Contains(r.err, "needs root")) << r.Describe();
  ASSERT_EQ(as(users.member, {"storage:unmount", app, "/etc:/host-etc"}).exit_code, 0);

  r = as(users.outsider, {"run", app, "true"});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  r = as(users.outsider, {"ps:report", app});
  EXPECT_NE(r.exit_code, 0) << "the state database is closed to others: " << r.Describe();
  const std::string socket = control::SocketPath(state_dir());
  EXPECT_EQ(AskAs(users.outsider, socket), "") << "the socket's modes keep others out";
  EXPECT_EQ(testutil::FileMode(socket), 0660);
  // With the modes opened up, dokkud still refuses them.
  ASSERT_EQ(::chmod(state_dir().c_str(), 02771), 0);
  ASSERT_EQ(::chmod(socket.c_str(), 0666), 0);
  EXPECT_TRUE(Contains(AskAs(users.outsider, socket), "Permission denied"));
  EXPECT_TRUE(Contains(AskAs(users.outsider, socket, /*late=*/true), "Permission denied"))
      << "a client still writing when it is refused learns why";
  EXPECT_EQ(AskAs(users.member, socket).rfind(" !     ", 0), std::string::npos)
      << "a member gets an answer";
  ASSERT_EQ(::chmod(state_dir().c_str(), 02770), 0);
  DestroyApp(app);
}

}  // namespace
}  // namespace dokku::e2e

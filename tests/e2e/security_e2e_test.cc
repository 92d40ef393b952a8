// SecurityIntegrationTest, with dockerd and nginx: the state the daemon creates is private;
// nginx configuration is built only from validated names (directive injection through every
// user-controlled field that reaches the proxy fails, also when the CLI is bypassed); user input
// never reaches a host shell; dokkud listens on no TCP port.
#include <dirent.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "store/store.h"
#include "tests/testing/e2e_fixture.h"

namespace dokku::e2e {
namespace {

using testutil::CommandResult;
using testutil::RunDokku;
using testutil::ScopedUmask;

std::string Sqlite(const std::string& db, const std::string& sql) {
  CommandResult r = testutil::RunCommand({"sqlite3", "-cmd", ".timeout 10000", db, sql});
  EXPECT_EQ(r.exit_code, 0) << sql << "\n" << r.Describe();
  return r.out;
}

// Every file below `dir` with its content.
std::map<std::string, std::string> Files(const std::string& dir) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file()) out[e.path().string()] = testutil::ReadFileOr(e.path().string());
  }
  return out;
}

class SecurityIntegrationTest : public E2ETest {
 protected:
  std::string Db() const { return state_.Join("dokku.db"); }
  // The database dump without the daemon's heartbeat row, which moves every second.
  std::string DumpDb() {
    std::istringstream in(Sqlite(Db(), ".dump"));
    std::string out;
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("INSERT INTO daemon ", 0) != 0) out += line + "\n";
    }
    return out;
  }

  // Inode numbers of TCP sockets in LISTEN state in `pid`'s network namespace.
  static std::set<std::string> ListeningInodes(pid_t pid) {
    std::set<std::string> inodes;
    for (const char* table : {"tcp", "tcp6"}) {
      std::istringstream in(testutil::ReadFileOr(fmt::format("/proc/{}/net/{}", pid, table)));
      std::string line;
      std::getline(in, line);  // header
      while (std::getline(in, line)) {
        std::istringstream f(line);
        std::vector<std::string> cols;
        for (std::string c; f >> c;) cols.push_back(c);
        if (cols.size() > 9 && cols[3] == "0A") inodes.insert(cols[9]);
      }
    }
    return inodes;
  }
  // Inode numbers of every socket `pid` holds open.
  static std::set<std::string> SocketInodes(pid_t pid) {
    std::set<std::string> inodes;
    const std::string dir = fmt::format("/proc/{}/fd", pid);
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      std::string target = std::filesystem::read_symlink(e.path(), ec).string();
      if (target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
    }
    return inodes;
  }
};

// Given dokkud started by itself on a fresh state dir under umask 000, the dir is 0700 and the
// database and its WAL files 0600.
TEST_F(SecurityIntegrationTest, StateCreatedByTheDaemonIsPrivate) {
  testutil::TempDir tmp;
  // DaemonProcess makes its own dir (for the log): dokkud must create the state dir below it.
  const std::string state = tmp.Join("own/fresh");
  testutil::DaemonProcess daemon(tmp.Join("own"), {"--state-dir", state});
  {
    ScopedUmask open_umask(0);
    ASSERT_OK(daemon.Start());
  }
  ASSERT_TRUE(
      testutil::WaitFor([&] { return testutil::FileMode(state + "/dokku.db-wal") != -1; }, 10000))
      << daemon.Log();
  EXPECT_EQ(testutil::FileMode(state), 0700);
  EXPECT_EQ(testutil::FileMode(state + "/dokku.db"), 0600);
  EXPECT_EQ(testutil::FileMode(state + "/dokku.db-wal"), 0600);
  EXPECT_EQ(testutil::FileMode(state + "/dokku.db-shm"), 0600);
  EXPECT_EQ(daemon.Stop(), 0);
}

// Given a deployed app behind nginx, no directive can be smuggled into a conf file: not through
// app names or the global domain on the command line, not through a hostile domain written
// straight into the database, and not through dokkud's --proxy-listen.
TEST_F(SecurityIntegrationTest, NginxConfigOnlyFromValidatedNames) {
  PrivateNginx nginx;
  ASSERT_OK(nginx.Start());
  ASSERT_NO_FATAL_FAILURE(StartDaemon(nginx.DaemonFlags()));
  const std::string app = CreateApp("nginx");
  BuildImage(app, "v1", {{"index.html", "safe\n"}});
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"checks:skip", app}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"domains:set-global", "safe.test"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}));
  // nginx -s reload only signals nginx: its new workers take over a moment later.
  auto serves = [&](const std::string& host) {
    return testutil::WaitFor(
        [&] { return testutil::HttpGet(nginx.address(), "/", host) == "safe\n"; }, 5000, 50);
  };
  ASSERT_TRUE(serves(app + ".safe.test"));

  const std::vector<std::string> directives = {"x.test; include /etc/passwd",
                                               "x.test;",
                                               "x.test{",
                                               "x.test}",
                                               "x.test\nserver_name evil.test",
                                               "x test",
                                               "x.test#",
                                               "$host",
                                               "x.test'",
                                               "x.test\"",
                                               "*.x.test",
                                               "x.test:80",
                                               "x.test/../..",
                                               "x.test\\;",
                                               "x.test\r\nreturn",
                                               "{x.test}"};
  const std::string before = DumpDb();
  for (const std::string& d : directives) {
    CommandResult r = Dokku({"domains:set-global", d});
    EXPECT_NE(r.exit_code, 0) << "domain accepted: " << d;
    CommandResult c = Dokku({"apps:create", "a" + d});
    EXPECT_NE(c.exit_code, 0) << "app name accepted: a" << d;
  }
  EXPECT_EQ(DumpDb(), before) << "a refused value reached the database";

  // Bypassing the CLI: a hostile domain stored directly. dokkud must refuse to render it and
  // keep serving the last good configuration.
  const std::string conf_before = testutil::ReadFileOr(nginx.conf_dir() + "/" + app + ".conf");
  ASSERT_NE(conf_before.find("server_name " + app + ".safe.test;"), std::string::npos)
      << conf_before;
  Sqlite(Db(),
         "UPDATE properties SET value = 'evil.test; include /etc/passwd' "
         "WHERE plugin = 'domains' AND app = '--global' AND key = 'vhost'");
  CommandResult restart = Dokku({"ps:restart", app}, 60);
  EXPECT_FALSE(restart.timed_out) << "ps:restart got no answer within 60 s";
  EXPECT_NE(restart.exit_code, 0) << "a hostile stored domain was accepted\n" << restart.Describe();
  // Past wait-to-retire (1 s): the old container must still serve, as nginx was not switched.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_TRUE(daemon().Running()) << daemon().Log();
  for (const auto& [path, content] : Files(nginx.conf_dir())) {
    EXPECT_EQ(content.find("passwd"), std::string::npos) << path << ":\n" << content;
    EXPECT_EQ(content.find("evil"), std::string::npos) << path << ":\n" << content;
  }
  EXPECT_EQ(testutil::ReadFileOr(nginx.conf_dir() + "/" + app + ".conf"), conf_before);
  EXPECT_EQ(testutil::HttpGet(nginx.address(), "/", app + ".safe.test"), "safe\n")
      << "the old container was retired although nginx still routes to it";

  // Putting a valid domain back recovers.
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"domains:set-global", "fixed.test"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:restart", app}));
  EXPECT_TRUE(serves(app + ".fixed.test"));

  // The operator's --proxy-listen is validated too: dokkud refuses to start with a directive.
  testutil::TempDir other_state, other_conf;
  CommandResult bad_listen = testutil::RunCommand(
      {DOKKUD_BIN, "--state-dir", other_state.path(), "--proxy", "nginx", "--nginx-conf-dir",
       other_conf.path(), "--nginx-test-cmd", "true", "--nginx-reload-cmd", "true",
       "--proxy-listen", "80; include /etc/passwd", "--once"},
      {{"DOKKU_LIB_ROOT", other_state.path()}}, "", 60);
  EXPECT_NE(bad_listen.exit_code, 0) << bad_listen.Describe();
  EXPECT_NE(bad_listen.err.find("listen"), std::string::npos) << bad_listen.Describe();
  EXPECT_TRUE(Files(other_conf.path()).empty());
  ASSERT_NO_FATAL_FAILURE(DestroyApp(app));
}

// Given Procfile commands and a CHECKS path full of shell syntax, they run (if at all) in the
// container's shell: files they create exist inside the container, never on the host.
TEST_F(SecurityIntegrationTest, UserCommandsNeverReachAHostShell) {
  const std::string marker = fmt::format("/tmp/{}", testutil::UniqueName("pwned"));
  std::vector<std::string> host_files;
  for (const char* s : {"-web", "-worker", "-checks", "-sub"}) host_files.push_back(marker + s);
  struct Remove {
    std::vector<std::string>* files;
    ~Remove() {
      for (const std::string& f : *files) unlink(f.c_str());
    }
  } remove{&host_files};

  const std::string app = CreateApp("shell");
  const std::string procfile = fmt::format(
      "web: touch {0}-web && httpd -f -p $PORT -h /app\n"
      "worker: touch {0}-worker; echo $(touch {0}-sub) `id`; sleep 2147483\n",
      marker);
  BuildImage(app, "v1", {{"Procfile", procfile}, {"index.html", "ok\n"}});
  BuildImage(
      app, "v2",
      {{"Procfile", procfile},
       {"index.html", "ok\n"},
       {"CHECKS", fmt::format("WAIT=1\nATTEMPTS=1\n/$(touch${{IFS}}{0}-checks) ok\n", marker)}});
  ASSERT_FALSE(HasFailure());
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"checks:skip", app}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:scale", app, "worker=1"}));

  for (const char* proc : {"web", "worker"}) {
    std::optional<DockerContainer> c = FindContainer(app, fmt::format("{}.{}.1", app, proc));
    ASSERT_TRUE(c.has_value()) << proc;
    // The command is handed to the container's /bin/sh untouched.
    const nlohmann::json cmd = InspectContainer(c->id)["Config"]["Cmd"];
    ASSERT_TRUE(cmd.is_array() && cmd.size() == 3) << cmd.dump();
    EXPECT_EQ(cmd[0], "/bin/sh");
    EXPECT_EQ(cmd[1], "-c");
    EXPECT_TRUE(testutil::WaitFor(
        [&] {
          return testutil::RunDocker({"exec", c->id, "ls", marker + "-" + proc}).exit_code == 0;
        },
        5000))
        << "the " << proc << " command did not run inside its container";
  }
  EXPECT_EQ(testutil::RunDocker(
                {"exec", FindContainer(app, app + ".worker.1")->id, "ls", marker + "-sub"})
                .exit_code,
            0);

  // With checks enabled again, v2's CHECKS path holds shell syntax. Whether the check fails
  // or the file is refused, nothing may run on the host.
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"checks:enable", app}));
  CommandResult v2 = Dokku({"tags:deploy", app, "v2"});
  std::cout << "tags:deploy v2 with a hostile CHECKS path: exit " << v2.exit_code << std::endl;
  for (const std::string& f : host_files) {
    EXPECT_EQ(testutil::FileMode(f), -1) << f << " was created on the host";
  }
  ASSERT_NO_FATAL_FAILURE(DestroyApp(app));
}

// Given dokkud deploying an app with HTTP checks, it holds no listening TCP socket at any time.
TEST_F(SecurityIntegrationTest, DaemonOpensNoTcpPort) {
  const std::string app = CreateApp("port");
  BuildImage(app, "v1", {{"index.html", "ok\n"}, {"CHECKS", "WAIT=1\n/ ok\n"}});
  ASSERT_FALSE(HasFailure());
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  const pid_t pid = daemon().pid();
  std::set<std::string> leaked;
  auto sample = [&] {
    const std::set<std::string> listening = ListeningInodes(pid);
    for (const std::string& inode : SocketInodes(pid)) {
      if (listening.count(inode)) leaked.insert(inode);
    }
  };
  sample();
  // Sample while a deploy with checks runs, then once it is done.
  std::jthread deploy([&] { DokkuOk({"tags:deploy", app, "v1"}); });
  for (int i = 0; i < 20; ++i) {
    sample();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  deploy.join();
  sample();
  EXPECT_TRUE(leaked.empty()) << "dokkud listens on TCP socket inode(s) "
                              << testing::PrintToString(leaked);
  EXPECT_FALSE(SocketInodes(pid).empty()) << "sanity: dokkud holds its Docker socket";
  ASSERT_NO_FATAL_FAILURE(DestroyApp(app));
}

}  // namespace
}  // namespace dokku::e2e

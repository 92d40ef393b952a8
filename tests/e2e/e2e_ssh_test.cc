// End to end, issue "remote use": scripts/install into a private prefix (user, group, home,
// .sshcommand), a real sshd on a loopback port with its own host key and config, a key added
// with ssh-keys:add, Dokku commands driven with the real ssh client, what a key holder cannot
// do (a shell, a pty, a forward, shell metacharacters, the Docker socket), the key's name in
// the release's trigger, and a removed key refused. `scripts/install --uninstall` at the end.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tests/testing/e2e_fixture.h"

namespace dokku::e2e {
namespace {

using testutil::CommandResult;
using testutil::RunCommand;

// The installed host: scripts/install with a private prefix and home, removed by the destructor.
class InstalledHost {
 public:
  InstalledHost(const std::string& state_dir, const std::string& root) {
    // The name operators type, unless this machine already has a `dokku` user of its own.
    user = ::getpwnam("dokku") == nullptr ? "dokku" : fmt::format("dokkutest-ssh{}", ::getpid());
    env = {{"DOKKU_PREFIX", root + "/prefix"}, {"DOKKU_LIB_ROOT", state_dir},
           {"DOKKU_ROOT", root + "/home"},     {"DOKKU_SYSTEM_USER", user},
           {"DOKKU_SYSTEM_GROUP", user},       {"DOKKU_BIN", DOKKU_BIN},
           {"DOKKUD_BIN", DOKKUD_BIN},         {"DOKKU_SKIP_UNIT", "1"}};
    result = RunCommand({std::string(DOKKUD_SOURCE_DIR) + "/scripts/install"}, env);
  }
  ~InstalledHost() {
    RunCommand({std::string(DOKKUD_SOURCE_DIR) + "/scripts/install", "--uninstall"}, env);
  }
  std::string dokku() const { return env.at("DOKKU_PREFIX") + "/bin/dokku"; }
  std::string home() const { return env.at("DOKKU_ROOT"); }

  std::string user;
  std::map<std::string, std::string> env;
  CommandResult result;
};

// scripts/sshd on 127.0.0.1:<port> (its own host key, config and pid file, forwarding and ttys
// allowed by the config so that refusals come from the keys); stopped by the destructor.
class PrivateSshd {
 public:
  PrivateSshd(const std::string& dir, const std::string& user) : dir_(dir) {
    port = FreeLoopbackPort();
    started = RunCommand({Script(), "start", dir, std::to_string(port), user});
  }
  ~PrivateSshd() { RunCommand({Script(), "stop", dir_}); }
  std::string log() const { return testutil::ReadFileOr(dir_ + "/sshd.log"); }

  int port = 0;
  CommandResult started;

 private:
  static std::string Script() { return std::string(DOKKUD_SOURCE_DIR) + "/scripts/sshd"; }
  std::string dir_;
};

class E2ESshTest : public E2ETest {};

TEST_F(E2ESshTest, AKeyHolderRunsDokkuCommandsAndNothingElse) {
  testutil::TempDir root;
  ASSERT_EQ(::chmod(root.path().c_str(), 0755), 0);
  const std::string parent = std::filesystem::path(state_dir()).parent_path();  // /tmp
  const int parent_mode = testutil::FileMode(parent);
  InstalledHost host(state_dir(), root.path());
  ASSERT_EQ(host.result.exit_code, 0) << host.result.Describe();
  EXPECT_EQ(testutil::FileMode(parent), parent_mode) << "install leaves existing parents alone";
  EXPECT_NE(testutil::ReadFileOr(host.home() + "/.sshcommand").find("DOKKU_BIN=" + host.dokku()),
            std::string::npos);
  ASSERT_NO_FATAL_FAILURE(StartDaemon({"--proxy", "none", "--control-group", host.user}));
  PrivateSshd sshd(root.path(), host.user);
  ASSERT_EQ(sshd.started.exit_code, 0) << sshd.started.Describe();

  const std::string key = root.Join("laptop");
  ASSERT_EQ(
      RunCommand({"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key}).exit_code, 0);
  const std::map<std::string, std::string> root_env = {{"DOKKU_LIB_ROOT", state_dir()},
                                                       {"DOKKU_ROOT", host.home()}};
  CommandResult r = RunCommand({host.dokku(), "ssh-keys:add", "laptop", key + ".pub"}, root_env);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();

  auto ssh = [&](std::vector<std::string> words, std::vector<std::string> opts = {}) {
    std::vector<std::string> argv = {"/usr/bin/ssh",
                                     "-F",
                                     "/dev/null",
                                     "-i",
                                     key,
                                     "-p",
                                     std::to_string(sshd.port),
                                     "-o",
                                     "BatchMode=yes",
                                     "-o",
                                     "IdentitiesOnly=yes",
                                     "-o",
                                     "StrictHostKeyChecking=no",
                                     "-o",
                                     "UserKnownHostsFile=" + root.Join("known_hosts")};
    argv.insert(argv.end(), opts.begin(), opts.end());
    argv.push_back(host.user + "@127.0.0.1");
    argv.insert(argv.end(), words.begin(), words.end());
    return RunCommand(argv, {}, "", 180);
  };

  const std::string app = testutil::UniqueName("ssh");
  cleanup_.AddApp(app);
  r = ssh({"apps:create", app});
  ASSERT_EQ(r.exit_code, 0) << r.Describe() << sshd.log();
  BuildImage(app, "v1",
             {{"Procfile", "web: while true; do echo \"tick from $DYNO\"; sleep 1; done\n"}});
  r = ssh({"tags:deploy", app, "v1"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("Trigger: tags:deploy by ssh key laptop"), std::string::npos) << r.out;
  r = ssh({"ps:scale", app, "web=2"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_FALSE(WaitForRunning(app, app + ".web.2", 30000).empty());
  r = ssh({"ps:report", app, "--processes"});
  EXPECT_EQ(r.out, "2\n") << r.Describe();
  r = ssh({"logs", app, "-n", "1", "-q"});
  EXPECT_NE(r.out.find("tick from web."), std::string::npos) << r.Describe();
  r = ssh({"releases", app, "--format", "json"});
  EXPECT_NE(r.out.find("tags:deploy by ssh key laptop"), std::string::npos) << r.Describe();
  r = ssh({"--", "--quiet", "apps:list"});
  EXPECT_NE(r.out.find(app), std::string::npos) << r.Describe();

  // The laptop client: host, port, user and app from the git remote, words quoted as typed.
  const std::string git_dir = root.Join("checkout/.git");
  ASSERT_EQ(RunCommand({"/usr/bin/git", "init", "-q", root.Join("checkout")}).exit_code, 0);
  RunCommand({"/usr/bin/git", "--git-dir", git_dir, "remote", "add", "dokku",
              fmt::format("ssh://{}@127.0.0.1:{}/{}", host.user, sshd.port, app)});
  RunCommand({"/usr/bin/git", "--git-dir", git_dir, "remote", "add", "staging",
              fmt::format("{}@127.0.0.1:{}", host.user, app)});
  const std::string client = std::string(DOKKUD_SOURCE_DIR) + "/packaging/dokku-client";
  std::map<std::string, std::string> laptop = {
      {"GIT_DIR", git_dir},
      {"DOKKU_SSH", fmt::format("/usr/bin/ssh -F /dev/null -i {} -o BatchMode=yes -o "
                                "IdentitiesOnly=yes -o StrictHostKeyChecking=no -o "
                                "UserKnownHostsFile={}",
                                key, root.Join("known_hosts"))}};
  r = RunCommand({client, "config:set", "--no-restart", "GREETING=it's \"quoted\" $HOME"}, laptop);
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  r = RunCommand({client, "config:get", "GREETING"}, laptop);
  EXPECT_EQ(r.out, "it's \"quoted\" $HOME\n") << r.Describe();
  r = RunCommand({client, "ps:scale", "web=1"}, laptop);
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(ssh({"ps:report", app, "--processes"}).out, "1\n");
  laptop["DOKKU_PORT"] = std::to_string(sshd.port);
  r = RunCommand({client, "--remote", "staging", "apps:exists"}, laptop);
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  r = RunCommand({client, "apps:list"}, laptop);
  EXPECT_NE(r.out.find(app), std::string::npos) << "apps:list takes no app: " << r.Describe();

  // Nothing but Dokku commands: no shell, no metacharacters, no pty, no forward, no root work.
  const std::string marker = root.Join("pwned");
  for (const std::string& evil :
       {std::string("sh -c 'touch ") + marker + "'", "apps:list; touch " + marker,
        "apps:list $(touch " + marker + ")", "apps:list `touch " + marker + "`"}) {
    r = ssh({evil});
    EXPECT_NE(r.exit_code, 0) << evil << ": " << r.Describe();
  }
  EXPECT_FALSE(std::filesystem::exists(marker));
  r = ssh({"apps:create", "../etc"});
  EXPECT_NE(r.exit_code, 0);
  r = ssh({"ssh-keys:add", "intruder", "/dev/null"});
  EXPECT_NE(r.err.find("This command must be run as root"), std::string::npos) << r.Describe();
  r = ssh({"apps:list"}, {"-tt"});
  EXPECT_NE(r.err.find("PTY allocation request failed"), std::string::npos) << r.Describe();
  // ssh -tt gives up when the pty is refused (255); either way no terminal is ever granted.
  EXPECT_TRUE(r.exit_code == 255 || r.out.find(app) != std::string::npos) << r.Describe();
  r = ssh({});
  EXPECT_NE(r.out.find("Usage: dokku"), std::string::npos)
      << "no command is help, not a shell: " << r.Describe();
  r = ssh({}, {"-W", "127.0.0.1:" + std::to_string(sshd.port)});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("administratively prohibited"), std::string::npos) << r.Describe();
  r = RunCommand({"/usr/sbin/runuser", "-u", host.user, "--", "/usr/bin/docker", "version"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("permission denied"), std::string::npos) << r.Describe();

  r = RunCommand({host.dokku(), "ssh-keys:remove", "laptop"}, root_env);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = ssh({"apps:list"});
  EXPECT_EQ(r.exit_code, 255) << r.Describe();
  EXPECT_NE(r.err.find("Permission denied (publickey)"), std::string::npos) << r.Describe();
  DestroyApp(app);
}

}  // namespace
}  // namespace dokku::e2e

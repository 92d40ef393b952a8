// SecurityTest: the state the CLI creates is private (dir 0700, database files 0600, whatever the
// umask), and the systemd unit verifies and is sandboxed. The daemon's side, with dockerd and
// nginx, is tests/e2e/security_e2e_test.cc.
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

// ---- Without Docker ----

// Given a state dir that does not exist yet and umask 000, the first `dokku` command creates it
// 0700 and the database 0600.
TEST(SecurityTest, StateCreatedByTheCliIsPrivate) {
  testutil::TempDir tmp;
  const std::string state = tmp.Join("nested/state");
  {
    ScopedUmask open_umask(0);
    CommandResult r = RunDokku(state, {"apps:create", "perm"});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
  }
  EXPECT_EQ(testutil::FileMode(state), 0700);
  EXPECT_EQ(testutil::FileMode(state + "/dokku.db"), 0600);
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    const int mode = testutil::FileMode(state + "/dokku.db" + suffix);
    if (mode != -1) {
      EXPECT_EQ(mode, 0600) << suffix;
    }
  }
  // A later command under the same umask does not loosen anything.
  {
    ScopedUmask open_umask(0);
    ASSERT_EQ(RunDokku(state, {"ps:set", "perm", "restart-policy", "no"}).exit_code, 0);
  }
  EXPECT_EQ(testutil::FileMode(state), 0700);
  EXPECT_EQ(testutil::FileMode(state + "/dokku.db"), 0600);
}

// Given packaging/dokkud.service pointed at the built dokkud, `systemd-analyze verify` passes and
// the unit carries the sandboxing options that fit a root daemon talking to Docker and nginx.
TEST(SecurityTest, SystemdUnitVerifiesAndIsSandboxed) {
  const std::string unit =
      testutil::ReadFileOr(std::string(DOKKUD_SOURCE_DIR) + "/packaging/dokkud.service");
  ASSERT_FALSE(unit.empty());
  testutil::TempDir tmp;
  const std::string copy = tmp.Join("dokkud.service");
  const std::string pointed =
      std::regex_replace(unit, std::regex("^ExecStart=[^ \n]*", std::regex::multiline),
                         std::string("ExecStart=") + DOKKUD_BIN);
  ASSERT_NE(pointed.find(std::string("ExecStart=") + DOKKUD_BIN), std::string::npos);
  ASSERT_OK(testutil::WriteFile(copy, pointed));

  CommandResult verify = testutil::RunCommand({"systemd-analyze", "verify", copy});
  EXPECT_EQ(verify.exit_code, 0) << verify.Describe();
  EXPECT_EQ(verify.out + verify.err, "") << "systemd-analyze verify complained";

  std::map<std::string, std::string> keys;
  std::istringstream in(unit);
  for (std::string line; std::getline(in, line);) {
    const size_t eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    keys[line.substr(0, eq)] = line.substr(eq + 1);
  }
  const std::set<std::string> yes = {"yes", "true", "1", "on"};
  EXPECT_TRUE(keys["ProtectSystem"] == "strict" || keys["ProtectSystem"] == "full")
      << keys["ProtectSystem"];
  for (const char* key :
       {"PrivateTmp", "NoNewPrivileges", "ProtectKernelTunables", "ProtectKernelModules",
        "ProtectControlGroups", "RestrictSUIDSGID", "LockPersonality", "RestrictRealtime"}) {
    EXPECT_TRUE(yes.count(keys[key])) << key << "=" << keys[key];
  }
  EXPECT_TRUE(keys["ProtectHome"] == "yes" || keys["ProtectHome"] == "read-only" ||
              keys["ProtectHome"] == "true")
      << keys["ProtectHome"];
  EXPECT_EQ(keys["UMask"], "0077");
  // systemd creates (and chmods) the StateDirectory with this mode: the state dir stays 0700.
  if (keys.count("StateDirectory")) {
    EXPECT_EQ(keys["StateDirectoryMode"], "0700");
  }
  EXPECT_EQ(keys["RestrictAddressFamilies"], "AF_UNIX AF_INET AF_INET6");
  EXPECT_TRUE(keys.count("ReadWritePaths"));

  // systemd's own exposure score (0 safe .. 10 unsafe) stays in the "MEDIUM" band or better:
  // root plus the Docker socket rules out more.
  CommandResult score =
      testutil::RunCommand({"systemd-analyze", "security", "--offline=true", copy});
  std::smatch m;
  const std::string text = score.out + score.err;
  ASSERT_TRUE(
      std::regex_search(text, m, std::regex(R"(Overall exposure level for [^:]+: ([0-9.]+))")))
      << score.Describe();
  EXPECT_LE(std::stod(m[1].str()), 6.0) << text;
}

// ---- With Docker (and nginx) ----

}  // namespace
}  // namespace dokku::e2e

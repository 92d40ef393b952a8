// storage:* and resource:* through the CLI: Dokku's output, reports, generation bumps, and every
// bad input refused with " !     <message>" and the database left byte-identical.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "store/host_config.h"
#include "tests/testing/cli_harness.h"

namespace dokku {
namespace {

using testing::CliHarness;
using testing::CliResult;

class CliHostConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(h_.Run({"apps:create", "app"}).rc, 0); }
  int64_t Generation() { return h_.daemon().GetApp("app")->generation; }
  CliResult Run(const std::vector<std::string>& args) { return h_.Run(args); }
  CliHarness h_;
};

TEST_F(CliHostConfigTest, MountListUnmount) {
  int64_t gen = Generation();
  CliResult r = Run({"storage:mount", "app", "/srv/data:/data"});
  ASSERT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out, "");  // Dokku prints nothing
  EXPECT_EQ(Generation(), gen + 1);
  ASSERT_EQ(Run({"storage:mount", "app", "/srv/logs:/logs:ro"}).rc, 0);
  // Dokku's order: by entry name (a hash of the host path), then container path.
  std::vector<std::string> lines = {"/srv/data:/data", "/srv/logs:/logs:ro"};
  if (ParseMountSpec(lines[1])->EntryName() < ParseMountSpec(lines[0])->EntryName()) {
    std::swap(lines[0], lines[1]);
  }
  r = Run({"storage:list", "app"});
  EXPECT_EQ(r.out,
            "-----> app volume bind-mounts:\n       " + lines[0] + "\n       " + lines[1] + "\n");
  r = Run({"--quiet", "storage:list", "app"});
  EXPECT_EQ(r.out, lines[0] + "\n" + lines[1] + "\n");
  r = Run({"storage:list", "app", "--format", "json"});
  EXPECT_NE(r.out.find(R"("container_path":"/logs","entry_name":"legacy-)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(R"("readonly":true)"), std::string::npos) << r.out;

  r = Run({"storage:mount", "app", "/srv/data:/data:ro"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, " !     Mount path already exists.\n");
  r = Run({"storage:unmount", "app", "/srv/data:/data"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out, "");
  r = Run({"storage:unmount", "app", "/srv/data:/data"});
  EXPECT_EQ(r.err, " !     Mount path does not exist.\n");
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(Run({"storage:list", "app", "--format", "json"}).out.find("/srv/data"),
            std::string::npos);
}

TEST_F(CliHostConfigTest, StorageReport) {
  ASSERT_EQ(Run({"storage:mount", "app", "/srv/a:/a"}).rc, 0);
  ASSERT_EQ(Run({"storage:mount", "app", "vol1:/b:ro"}).rc, 0);
  CliResult r = Run({"storage:report", "app", "--storage-deploy-mounts"});
  EXPECT_EQ(r.out, "-v /srv/a:/a -v vol1:/b:ro\n");
  r = Run({"storage:report", "app", "--storage-attachment.2.readonly"});
  EXPECT_EQ(r.out, "true\n");
  r = Run({"storage:report", "app"});
  EXPECT_NE(r.out.find("=====> app storage information\n"), std::string::npos) << r.out;
  // Width grows to the longest flag ("--storage-attachment.1.container-path", 37).
  EXPECT_NE(r.out.find("       Storage attachment 1 host path:      /srv/a\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("       Storage build mounts:                \n"), std::string::npos);
  r = Run({"storage:report", "app", "--format", "json"});
  EXPECT_NE(r.out.find(R"("attachment.1.host-path":"/srv/a")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("storage-run-mounts":"-v /srv/a:/a -v vol1:/b:ro")"), std::string::npos);
}

TEST_F(CliHostConfigTest, ProtectedHostPathsNeedForce) {
  const std::string state = h_.state_dir();
  for (const std::string& path : {state, state + "/data", std::string("/"),
                                  std::string("/var/run/docker.sock"), std::string("/var/run")}) {
    const std::string before = h_.Dump();
    CliResult r = Run({"storage:mount", "app", path + ":/x"});
    EXPECT_EQ(r.rc, 1) << path;
    EXPECT_NE(r.err.find("use --force to mount it anyway"), std::string::npos) << r.err;
    EXPECT_EQ(h_.Dump(), before) << path;
  }
  EXPECT_EQ(
      Run({"storage:mount", "--force", "app", "/var/run/docker.sock:/var/run/docker.sock"}).rc, 0);
  EXPECT_EQ(Run({"--force", "storage:mount", "app", "/:/host:ro"}).rc, 0);
  EXPECT_EQ(Run({"storage:unmount", "app", "/:/host"}).rc, 0);
}

TEST_F(CliHostConfigTest, BadInputChangesNothing) {
  const std::vector<std::vector<std::string>> cases = {
      {"storage:mount", "app"},
      {"storage:mount", "app", "/a"},
      {"storage:mount", "app", "rel/dir:/a"},
      {"storage:mount", "app", "/a/../b:/c"},
      {"storage:mount", "app", "/a:/"},
      {"storage:mount", "app", "/a:/b:Z"},
      {"storage:mount", "app", "/a:/b", "extra"},
      {"storage:mount", "nope", "/a:/b"},
      {"storage:mount", "", "/a:/b"},
      {"storage:unmount", "app", "/a:/b"},
      {"storage:list", "app", "--format", "yaml"},
      {"storage:list", "nope"},
      {"storage:ensure-directory", "a/b"},
      {"storage:ensure-directory", ""},
      {"storage:ensure-directory", "--chown", "nobody", "dir"},
      {"resource:limit", "--memory", "lots", "app"},
      {"resource:limit", "--memory", "64m", "--cpu", "x", "app"},
      {"resource:limit", "--cpu", "0", "app"},
      {"resource:limit", "--memory-swap", "1.5g", "app"},
      {"resource:limit", "--nvidia-gpu", "some", "app"},
      {"resource:limit", "--process-type", "bad type", "--memory", "1g", "app"},
      {"resource:limit", "--disk", "1g", "app"},
      {"resource:limit", "--memory", "1g"},
      {"resource:limit", "--memory", "1g", "nope"},
      {"resource:reserve", "--memory", "-5", "app"},
      {"resource:limit-clear", "--process-type", "a.b", "app"},
      {"resource:limit-clear", "nope"},
      {"resource:limit", "--memory-swap", "32m", "app"},  // below the 1g memory limit
      {"resource:limit", "--process-type", "web", "--memory-swap", "2g", "--memory", "3g", "app"},
  };
  ASSERT_EQ(Run({"resource:limit", "--memory", "1g", "app"}).rc, 0);
  for (const auto& args : cases) {
    const std::string before = h_.Dump();
    CliResult r = Run(args);
    EXPECT_NE(r.rc, 0) << args[0] << " " << (args.size() > 1 ? args[1] : "");
    EXPECT_EQ(r.err.rfind(" !     ", 0), 0u) << r.Describe();
    EXPECT_EQ(h_.Dump(), before) << r.Describe();
  }
  CliResult r = Run({"resource:limit", "--memory", "lots", "app"});
  EXPECT_EQ(r.err, " !     Invalid --memory value 'lots': Invalid size 'lots'\n");
  EXPECT_EQ(Run({"storage:mount", "nope", "/a:/b"}).rc, 20);
}

TEST_F(CliHostConfigTest, ResourceLimitAndReport) {
  int64_t gen = Generation();
  CliResult r = Run({"resource:limit", "--memory", "64m", "--cpu", "0.5", "app"});
  ASSERT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out, "=====> Setting resource limits for app\n       cpu: 0.5\n       memory: 64m\n");
  EXPECT_EQ(Generation(), gen + 1);
  r = Run({"resource:reserve", "--process-type", "web", "--memory", "32m", "app"});
  EXPECT_EQ(r.out, "=====> Setting resource reservation for app (web)\n       memory: 32m\n");
  r = Run({"resource:limit", "--cpu", "clear", "app"});
  EXPECT_EQ(r.out, "=====> Setting resource limits for app\n       cpu: cleared\n");
  r = Run({"resource:limit", "app"});
  EXPECT_EQ(r.out,
            "=====> resource limits app information [defaults]\n       cpu: \n       memory: 64m\n"
            "       memory-swap: \n       network: \n       network-ingress: \n"
            "       network-egress: \n       nvidia-gpu: \n");
  r = Run({"resource:report", "app"});
  EXPECT_EQ(r.out,
            "=====> app resource information\n"
            "       resource _default_ limit memory: 64m\n"
            "       resource web reserve memory:     32m\n");
  r = Run({"resource:report", "app", "--resource-web.reserve.memory"});
  EXPECT_EQ(r.out, "32m\n");
  r = Run({"resource:report", "app", "--format", "json"});
  EXPECT_EQ(r.out, R"({"_default_.limit.memory":"64m","resource-_default_.limit.memory":"64m",)"
                   R"("resource-web.reserve.memory":"32m","web.reserve.memory":"32m"})"
                   "\n");
  r = Run({"resource:report", "app", "--resource-web.limit.cpu"});
  EXPECT_EQ(r.rc, 1);
}

TEST_F(CliHostConfigTest, ResourceClear) {
  ASSERT_EQ(Run({"resource:limit", "--memory", "64m", "app"}).rc, 0);
  ASSERT_EQ(Run({"resource:limit", "--process-type", "web", "--memory", "1g", "app"}).rc, 0);
  ASSERT_EQ(Run({"resource:reserve", "--memory", "1m", "app"}).rc, 0);
  CliResult r = Run({"resource:limit-clear", "--process-type", "web", "app"});
  EXPECT_EQ(r.out, "=====> clearing app limits (web)\n");
  r = Run({"resource:report", "app", "--format", "json"});
  EXPECT_EQ(r.out.find("web."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("_default_.reserve.memory"), std::string::npos) << r.out;
  // Without --process-type every resource value goes, reservations too (Dokku's rule).
  r = Run({"resource:limit-clear", "app"});
  EXPECT_EQ(r.out, "=====> clearing app limits\n");
  EXPECT_EQ(Run({"resource:report", "app"}).out, "=====> app resource information\n");
}

TEST_F(CliHostConfigTest, DestroyRemovesTheRows) {
  ASSERT_EQ(Run({"storage:mount", "app", "/srv/a:/a"}).rc, 0);
  ASSERT_EQ(Run({"resource:limit", "--memory", "64m", "app"}).rc, 0);
  ASSERT_EQ(Run({"apps:destroy", "app", "--force"}).rc, 0);
  ASSERT_OK(h_.daemon().PurgeApp("app"));
  ASSERT_EQ(Run({"apps:create", "app"}).rc, 0);
  EXPECT_EQ(Run({"storage:report", "app", "--storage-deploy-mounts"}).out, "\n");
  EXPECT_EQ(Run({"resource:report", "app"}).out, "=====> app resource information\n");
}

TEST_F(CliHostConfigTest, EnsureDirectory) {
  CliResult r = Run({"storage:ensure-directory", "--chown", "false", "mydir"});
  ASSERT_EQ(r.rc, 0) << r.Describe();
  const std::string path = h_.state_dir() + "/data/storage/mydir";
  EXPECT_EQ(r.out, "-----> Ensuring " + path + " exists\n       Directory ready for mounting\n");
  EXPECT_EQ(r.err,
            " !     Deprecated: please use 'storage:create' instead of "
            "'storage:ensure-directory'\n");
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
}

}  // namespace
}  // namespace dokku

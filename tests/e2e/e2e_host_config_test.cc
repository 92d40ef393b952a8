// End to end, issue 13 (storage, resource, docker-options): a host directory mounted with
// storage:mount is in every new container and survives redeploys; resource:limit --memory and
// deploy docker-options reach Docker's HostConfig; a mount of a missing directory fails that
// rollout and the old container serves on.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/testing/e2e_fixture.h"

namespace dokku::e2e {
namespace {

using testutil::CommandResult;
using testutil::RunDocker;

class E2EHostConfigTest : public E2ETest {
 protected:
  // `cat <path>` inside the live web.1 container, or a <...> marker.
  static std::string ReadInWeb(const std::string& app, const std::string& path) {
    std::optional<DockerContainer> web = FindContainer(app, app + ".web.1");
    if (!web || web->state != "running") return "<web.1 not running>";
    CommandResult r = RunDocker({"exec", web->id, "cat", path});
    return r.exit_code == 0 ? r.out : "<cat failed: " + r.err + ">";
  }
  static std::string WebId(const std::string& app) {
    std::optional<DockerContainer> web = FindContainer(app, app + ".web.1");
    return web ? web->id : "";
  }
};

TEST_F(E2EHostConfigTest, MountSurvivesRedeployAndMemoryLimitReachesDocker) {
  const std::string app = CreateApp("hostcfg");
  BuildImage(app, "v1", {{"Procfile", "web: httpd -f -p $PORT -h /app\n"}, {"index.html", "v1\n"}});
  ASSERT_FALSE(HasFailure());
  testutil::TempDir host;  // removed by its destructor
  { std::ofstream(host.Join("hello.txt")) << "persisted\n"; }
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}));

  ASSERT_NO_FATAL_FAILURE(DokkuOk({"storage:mount", app, host.path() + ":/data"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:rebuild", app}));
  EXPECT_EQ(ReadInWeb(app, "/data/hello.txt"), "persisted\n");
  // A redeploy makes a new container that has the mount too.
  const std::string before = WebId(app);
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:rebuild", app}));
  EXPECT_NE(WebId(app), before);
  EXPECT_EQ(ReadInWeb(app, "/data/hello.txt"), "persisted\n");

  CommandResult limited;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"resource:limit", "--memory", "64m", app}, &limited));
  EXPECT_TRUE(Contains(limited.out, "=====> Setting resource limits for " + app)) << limited.out;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:rebuild", app}));
  const nlohmann::json info = InspectContainer(WebId(app));
  EXPECT_EQ(info["HostConfig"]["Memory"], 67108864) << info["HostConfig"].dump();
  EXPECT_EQ(info["HostConfig"]["Mounts"][0]["Source"], host.path());
  EXPECT_EQ(ReadInWeb(app, "/data/hello.txt"), "persisted\n");

  // A host directory that does not exist: the rollout fails with Docker's reason, once, and the
  // old container keeps serving.
  const std::string serving = WebId(app);
  const std::string missing = host.Join("missing");
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"storage:mount", app, missing + ":/missing"}));
  CommandResult failed = Dokku({"ps:rebuild", app});
  EXPECT_NE(failed.exit_code, 0) << failed.Describe();
  EXPECT_TRUE(Contains(failed.out + failed.err, "does not exist")) << failed.Describe();
  EXPECT_EQ(WebId(app), serving);
  EXPECT_EQ(FindContainer(app, app + ".web.1")->state, "running");
  EXPECT_FALSE(std::filesystem::exists(missing)) << "Docker must not create the directory";
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"storage:unmount", app, missing + ":/missing"}));

  // docker-options of the deploy phase reach the next containers (through the Engine API).
  ASSERT_NO_FATAL_FAILURE(
      DokkuOk({"docker-options:add", app, "deploy", "--label team=web --shm-size 32m"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:rebuild", app}));
  const nlohmann::json opts = InspectContainer(WebId(app));
  EXPECT_EQ(opts["Config"]["Labels"]["team"], "web");
  EXPECT_EQ(opts["HostConfig"]["ShmSize"], 33554432);
  EXPECT_EQ(opts["HostConfig"]["Memory"], 67108864);

  DestroyApp(app);
}

}  // namespace
}  // namespace dokku::e2e

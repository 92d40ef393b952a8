// End to end, issue "registry": a docker-swarm app with `registry:set server` pushes every
// release to a real registry (Debian's docker-registry on a loopback port, started by
// scripts/registry) before rollout and runs it by digest; a rollback runs the old digest without
// pushing; a push to a stopped registry fails the release and changes nothing. One-node swarm.
#include <fmt/format.h>
#include <signal.h>

#include "tests/testing/e2e_fixture.h"
#include "tests/testing/private_registry.h"
#include "tests/testing/swarm_guard.h"

namespace dokku::e2e {
namespace {

using testutil::CommandResult;
using testutil::RunCommand;

CommandResult Docker(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/docker"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

class E2ERegistryTest : public E2ETest {};

TEST_F(E2ERegistryTest, SwarmReleasesArePushedAndRunByDigest) {
  testutil::SwarmGuard swarm;
  ASSERT_OK(swarm.Init());
  PrivateRegistry registry;
  ASSERT_EQ(registry.started.exit_code, 0) << registry.started.Describe();
  PrivateNginx nginx;
  ASSERT_OK(nginx.Start());
  StartDaemon(nginx.DaemonFlags());
  const std::string app = CreateApp("reg");
  const std::string repo = registry.address() + "/dokku/" + app;
  DigestCleanup digests{repo};
  constexpr char kProcfile[] = "web: httpd -f -p $PORT -h /app\n";
  constexpr char kChecks[] = "WAIT=1\nATTEMPTS=5\n/ hello\n";
  for (const char* tag : {"v1", "v2", "v3"}) {
    BuildImage(app, tag,
               {{"index.html", fmt::format("hello {}\n", tag)},
                {"Procfile", kProcfile},
                {"CHECKS", kChecks}});
  }
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"domains:set-global", "dokku.test"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"scheduler:set", app, "selected", "docker-swarm"}));
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"registry:set", app, "server", registry.address()}));
  // This registry takes anonymous pushes, so the engine accepts any login for it; the login is
  // still checked (POST /auth), stored where only root reads it, and sent with each push.
  const std::string password = "pw-" + testutil::UniqueName("secret");
  CommandResult login = Dokku({"registry:login", app, registry.address(), "deployer", password});
  ASSERT_EQ(login.exit_code, 0) << login.Describe();
  EXPECT_NE(login.err.find("Login Succeeded for " + app), std::string::npos) << login.err;
  const std::string credentials = state_dir() + "/registry/credentials.json";
  EXPECT_EQ(testutil::FileMode(credentials), 0600);
  EXPECT_EQ(testutil::FileMode(state_dir() + "/registry"), 0700);

  auto service_image = [&] {
    return testutil::TrimTrailing(
        Docker({"service", "inspect", "-f", "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
                app + "-web"})
            .out);
  };
  const std::string host = app + ".dokku.test";
  auto serves = [&](const std::string& body) {
    return testutil::WaitFor([&] { return testutil::HttpGet(nginx.address(), "/", host) == body; },
                             20000, 100);
  };

  CommandResult v1;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}, &v1));
  EXPECT_NE(v1.out.find("-----> Pushing image to registry"), std::string::npos) << v1.out;
  EXPECT_NE(v1.out.find(fmt::format("Pushing {}:1", repo)), std::string::npos) << v1.out;
  const std::string v1_ref = service_image();
  EXPECT_TRUE(v1_ref.starts_with(repo + "@sha256:")) << v1_ref;
  EXPECT_TRUE(serves("hello v1\n"));
  EXPECT_EQ(Dokku({"registry:report", app, "--registry-pushed-image"}).out, v1_ref + "\n");
  EXPECT_EQ(Dokku({"registry:report", app, "--registry-computed-push-on-release"}).out, "true\n");
  // The registry holds it under the release number; no registry-format tag is left locally.
  EXPECT_NE(RunCommand({"/usr/bin/curl", "-s",
                        fmt::format("http://{}/v2/dokku/{}/tags/list", registry.address(), app)})
                .out.find("\"1\""),
            std::string::npos);
  EXPECT_EQ(testutil::TrimTrailing(Docker({"images", "-q", repo + ":1"}).out), "");

  CommandResult v2;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v2"}, &v2));
  const std::string v2_ref = service_image();
  EXPECT_TRUE(v2_ref.starts_with(repo + "@sha256:")) << v2_ref;
  EXPECT_NE(v2_ref, v1_ref);
  EXPECT_TRUE(serves("hello v2\n"));

  // A rollback runs the digest release 1 was pushed as, and pushes nothing.
  CommandResult back;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"releases:rollback", app, "1"}, &back));
  EXPECT_EQ(back.out.find("Pushing"), std::string::npos) << back.out;
  EXPECT_EQ(service_image(), v1_ref);
  EXPECT_TRUE(serves("hello v1\n"));

  // With the registry down the push fails, the release fails, and nothing else moves.
  registry.Stop();
  CommandResult v3 = Dokku({"tags:deploy", app, "v3"});
  EXPECT_EQ(v3.exit_code, 1) << v3.Describe();
  EXPECT_NE((v3.out + v3.err).find("Unable to push image to registry"), std::string::npos)
      << v3.Describe();
  EXPECT_EQ(service_image(), v1_ref);
  EXPECT_EQ(testutil::HttpGet(nginx.address(), "/", host), "hello v1\n");
  CommandResult releases = Dokku({"releases", app, "--format", "json"});
  EXPECT_NE(releases.out.find("\"failed\""), std::string::npos) << releases.out;

  // The password went to dokkud's file and nowhere else.
  for (const std::string& text : {v1.out, v2.out, back.out, v3.out, v3.err, login.out, login.err,
                                  daemon().Log(), releases.out}) {
    EXPECT_EQ(text.find(password), std::string::npos);
  }
  EXPECT_NE(testutil::ReadFileOr(credentials).find(password), std::string::npos);
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"registry:logout", app, registry.address()}));
  EXPECT_EQ(testutil::ReadFileOr(credentials).find(password), std::string::npos);
  DestroyApp(app);
}

}  // namespace
}  // namespace dokku::e2e

// The shared test utilities against the real dockerd: local images and their cleanup.
#include <gtest/gtest-spi.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "tests/testing/testutil.h"

namespace dokku::testutil {
namespace {

TEST(TestUtilImageIntegration, BuildsRunnableImageAndRemovesIt) {
  ASSERT_TRUE(DockerAvailable()) << "dockerd is not answering on /var/run/docker.sock";
  const std::string app = UniqueName("img");
  const std::string ref = "dokku/" + app + ":v1";
  const std::string retagged = "dokku/" + app + ":v2";
  DockerCleanup cleanup;
  cleanup.AddApp(app);

  StatusOr<std::string> id = TestImage::Build(ref,
                                              {{"hello", "hello from the image\n"},
                                               {"/etc/motd", "motd\n"},
                                               {"run.sh", "#!/bin/sh\necho ran\n"}},
                                              {}, {{"link", "/app/hello"}});
  ASSERT_OK(id);
  EXPECT_EQ(id->rfind("sha256:", 0), 0u) << *id;

  CommandResult cat = RunDocker({"run", "--rm", ref, "cat", "/app/hello", "/etc/motd", "link"});
  EXPECT_EQ(cat.exit_code, 0) << cat.Describe();
  EXPECT_EQ(cat.out, "hello from the image\nmotd\nhello from the image\n");
  CommandResult script = RunDocker({"run", "--rm", ref, "./run.sh"});
  EXPECT_EQ(script.out, "ran\n") << script.Describe();
  CommandResult cmd = RunDocker(
      {"image", "inspect", "--format", "{{json .Config.Cmd}} {{.Config.WorkingDir}}", ref});
  EXPECT_EQ(cmd.out, "[\"/bin/sh\",\"-c\",\"httpd -f -p $PORT -h /app\"] /app\n");

  ASSERT_OK(TestImage::Retag(ref, retagged));
  ASSERT_OK(TestImage::RemoveImage(ref));
  EXPECT_NE(RunDocker({"image", "inspect", ref}).exit_code, 0);
  EXPECT_EQ(RunDocker({"image", "inspect", retagged}).exit_code, 0);
  ASSERT_OK(TestImage::RemoveImage(retagged));
  EXPECT_NE(RunDocker({"image", "inspect", *id}).exit_code, 0);
  EXPECT_OK(TestImage::RemoveImage(retagged));  // already gone: still OK
}

TEST(TestUtilImageIntegration, DefaultCmdServesAppOverHttpAndCleanupRemovesContainers) {
  ASSERT_TRUE(DockerAvailable()) << "dockerd is not answering on /var/run/docker.sock";
  const std::string app = UniqueName("web");
  const std::string ref = "dokku/" + app + ":v1";
  {
    DockerCleanup cleanup;
    cleanup.AddApp(app);
    ASSERT_OK(TestImage::Build(ref, {{"index.html", "it works\n"}}));
    CommandResult run = RunDocker({"run", "-d", "--name", app + ".web.1", "--label",
                                   "com.dokku.app-name=" + app, "-e", "PORT=5000", ref});
    ASSERT_EQ(run.exit_code, 0) << run.Describe();
    std::string ip =
        RunDocker({"inspect", "--format",
                   "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", app + ".web.1"})
            .out;
    ip = ip.substr(0, ip.find('\n'));
    int status = 0;
    std::string body;
    EXPECT_TRUE(WaitFor(
        [&] {
          body = HttpGet(ip + ":5000", "/index.html", "", &status);
          return status == 200;
        },
        10000))
        << "status " << status;
    EXPECT_EQ(body, "it works\n");
  }
  EXPECT_EQ(RunDocker({"ps", "-aq", "--filter", "label=com.dokku.app-name=" + app}).out, "");
  EXPECT_NE(RunDocker({"image", "inspect", ref}).exit_code, 0);
}

}  // namespace
}  // namespace dokku::testutil

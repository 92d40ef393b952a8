// ReadAppFiles against the real dockerd: Docker's own archives and symlinks, no probe left behind.
#include <gtest/gtest.h>

#include "controller/docker/docker_client.h"
#include "controller/docker/image_files.h"
#include "controller/http/http_transport.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

// The same against the real dockerd and an image built from busybox: Docker's own archives,
// symlinks as Docker reports them, and no probe left behind.
TEST(ImageFilesDockerTest, ReadsFilesFromARealImage) {
  ASSERT_TRUE(testutil::DockerAvailable()) << "dockerd is not answering on /var/run/docker.sock";
  testutil::DockerCleanup cleanup;
  const std::string ref = testutil::UniqueName("imgfiles") + ":1";
  const std::string probe = testutil::UniqueName("imgfiles-probe");
  cleanup.AddImage(ref);
  cleanup.AddContainerPrefix(probe);
  StatusOr<std::string> image =
      testutil::TestImage::Build(ref,
                                 {{"Procfile", "web: httpd -f -p $PORT\nworker: sleep 1000\n"},
                                  {"conf/CHECKS.real", "WAIT=1\n/ ok\n"}},
                                 {}, {{"CHECKS", "conf/CHECKS.real"}, {"DOKKU_SCALE", "/nowhere"}});
  ASSERT_OK(image);
  CurlUnixTransport transport(testutil::kDockerSocket);
  DockerClient docker(&transport);
  StatusOr<ImageInfo> info = docker.InspectImage(*image);
  ASSERT_OK(info);
  EXPECT_EQ(info->working_dir, "/app");

  StatusOr<AppFiles> files = ReadAppFiles(&docker, *image, info->working_dir, "", probe, "app");
  ASSERT_OK(files);
  EXPECT_EQ(files->procfile, "web: httpd -f -p $PORT\nworker: sleep 1000\n");
  EXPECT_EQ(files->checks, "WAIT=1\n/ ok\n");
  EXPECT_FALSE(files->dokku_scale.has_value());
  EXPECT_TRUE(docker.InspectContainer(probe).status().IsNotFound());

  StatusOr<AppFiles> other = ReadAppFiles(&docker, *image, "/", "app/Procfile", probe, "app");
  ASSERT_OK(other);
  EXPECT_EQ(other->procfile, files->procfile);
  EXPECT_FALSE(other->checks.has_value());
  EXPECT_TRUE(docker.InspectContainer(probe).status().IsNotFound());
}

}  // namespace
}  // namespace dokku

// ReadAppFiles against FakeDocker: where files are looked up, symlinks, limits, and that the
// probe container is labelled as a probe and always removed.
#include "controller/docker/image_files.h"

#include <gtest/gtest.h>

#include "tests/testing/fake_docker.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

class ImageFilesTest : public ::testing::Test {
 protected:
  std::string AddImage(const std::string& working_dir,
                       const std::map<std::string, std::string>& files,
                       const std::map<std::string, std::string>& symlinks = {}) {
    ImageInfo info;
    info.working_dir = working_dir;
    return docker_.AddImage("dokku/app:latest", info, files, symlinks);
  }
  // No container may be left behind, whatever happened.
  void ExpectNoContainers() { EXPECT_TRUE(docker_.Containers().empty()); }

  FakeClock clock_;
  FakeDocker docker_{&clock_};
};

TEST_F(ImageFilesTest, ReadsAllThreeFilesFromTheWorkingDir) {
  const std::string image = AddImage("/app", {{"Procfile", "web: serve\n"},
                                              {"CHECKS", "/ ok\n"},
                                              {"DOKKU_SCALE", "web=2\n"},
                                              {"/Procfile", "not this one\n"}});
  StatusOr<AppFiles> files = ReadAppFiles(&docker_, image, "/app", "", "app-probe-1", "app");
  ASSERT_OK(files);
  EXPECT_EQ(files->procfile, "web: serve\n");
  EXPECT_EQ(files->checks, "/ ok\n");
  EXPECT_EQ(files->dokku_scale, "web=2\n");
  ExpectNoContainers();
}

TEST_F(ImageFilesTest, TheProbeIsLabelledAndNeverStarted) {
  const std::string image = AddImage("/app", {{"Procfile", "web: serve\n"}});
  ASSERT_OK(ReadAppFiles(&docker_, image, "/app", "", "app-probe-1", "app"));
  EXPECT_EQ(docker_.CallCount("start"), 0);
  EXPECT_EQ(docker_.CallCount("create"), 1);
  EXPECT_EQ(docker_.CallCount("remove"), 1);
  const std::vector<std::string> calls = docker_.calls();
  EXPECT_EQ(calls.front(), "create app-probe-1");
  EXPECT_EQ(calls.back().rfind("remove ", 0), 0u) << calls.back();
  // Labels are checked on a probe that is kept alive by failing its removal.
  docker_.FailFor("remove", "app-probe-2", Status::Unavailable("injected"));
  ASSERT_OK(ReadAppFiles(&docker_, image, "/app", "", "app-probe-2", "app"));
  std::optional<ContainerSpec> spec = docker_.SpecOf("app-probe-2");
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(spec->labels, (std::map<std::string, std::string>{{"com.dokku.role", "probe"},
                                                              {"com.dokku.probe-for", "app"}}));
  EXPECT_EQ(spec->cmd, (std::vector<std::string>{"/bin/true"}));
  EXPECT_EQ(spec->labels.count("com.dokku.app-name"), 0u);
}

TEST_F(ImageFilesTest, MissingFilesAreNullopt) {
  const std::string image = AddImage("/app", {{"Procfile", "web: serve\n"}});
  StatusOr<AppFiles> files = ReadAppFiles(&docker_, image, "/app", "", "probe", "app");
  ASSERT_OK(files);
  EXPECT_TRUE(files->procfile.has_value());
  EXPECT_FALSE(files->checks.has_value());
  EXPECT_FALSE(files->dokku_scale.has_value());
  ExpectNoContainers();
}

TEST_F(ImageFilesTest, EmptyWorkingDirMeansRoot) {
  const std::string image = AddImage("", {{"/Procfile", "web: root\n"}, {"/CHECKS", "/ x\n"}});
  StatusOr<AppFiles> files = ReadAppFiles(&docker_, image, "", "", "probe", "app");
  ASSERT_OK(files);
  EXPECT_EQ(files->procfile, "web: root\n");
  EXPECT_EQ(files->checks, "/ x\n");
}

TEST_F(ImageFilesTest, ProcfilePathIsRelativeToTheWorkingDir) {
  const std::string image =
      AddImage("/app", {{"Procfile", "web: default\n"}, {"deploy/Procfile.prod", "web: prod\n"}});
  StatusOr<AppFiles> files =
      ReadAppFiles(&docker_, image, "/app", "/deploy/Procfile.prod/", "probe", "app");
  ASSERT_OK(files);
  EXPECT_EQ(files->procfile, "web: prod\n");
}

TEST_F(ImageFilesTest, ProcfilePathMayNotLeaveTheAppDir) {
  const std::string image = AddImage("/app", {{"/etc/passwd", "root:x:0:0\n"}});
  for (const std::string& path :
       std::vector<std::string>{"../etc/passwd", "a/../../etc/passwd", ".."}) {
    StatusOr<AppFiles> files = ReadAppFiles(&docker_, image, "/app", path, "probe", "app");
    EXPECT_EQ(files.status().code(), StatusCode::kInvalidArgument) << path;
  }
  EXPECT_EQ(docker_.CallCount("create"), 0);
}

TEST_F(ImageFilesTest, FollowsOneSymlink) {
  const std::string image = AddImage(
      "/app", {{"procfiles/web", "web: linked\n"}, {"/shared/CHECKS", "/ s\n"}},
      {{"Procfile", "procfiles/web"}, {"CHECKS", "/shared/CHECKS"}, {"DOKKU_SCALE", "nowhere"}});
  StatusOr<AppFiles> files = ReadAppFiles(&docker_, image, "/app", "", "probe", "app");
  ASSERT_OK(files);
  EXPECT_EQ(files->procfile, "web: linked\n");
  EXPECT_EQ(files->checks, "/ s\n");
  EXPECT_FALSE(files->dokku_scale.has_value());  // dangling link: no file
  ExpectNoContainers();
}

TEST_F(ImageFilesTest, RelativeSymlinkResolvesFromItsOwnDirectory) {
  const std::string image =
      AddImage("/app", {{"/app/conf/real", "web: conf\n"}}, {{"/app/conf/Procfile", "./real"}});
  StatusOr<AppFiles> files = ReadAppFiles(&docker_, image, "/app", "conf/Procfile", "probe", "app");
  ASSERT_OK(files);
  EXPECT_EQ(files->procfile, "web: conf\n");
}

TEST_F(ImageFilesTest, SymlinkChainsAreRefused) {
  const std::string image =
      AddImage("/app", {{"real", "web: x\n"}}, {{"Procfile", "hop"}, {"hop", "real"}});
  StatusOr<AppFiles> files = ReadAppFiles(&docker_, image, "/app", "", "probe", "app");
  EXPECT_EQ(files.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(files.status().message(), "Procfile is a symlink to a symlink");
  ExpectNoContainers();
}

TEST_F(ImageFilesTest, OversizedFilesAreErrorsAndTheProbeIsStillRemoved) {
  const std::string image =
      AddImage("/app", {{"Procfile", "web: x\n"}, {"CHECKS", std::string(64 * 1024 + 1, '#')}});
  StatusOr<AppFiles> files = ReadAppFiles(&docker_, image, "/app", "", "probe", "app");
  EXPECT_EQ(files.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(files.status().message(), "CHECKS is larger than 64 KiB");
  ExpectNoContainers();
  EXPECT_EQ(docker_.CallCount("remove"), 1);
}

TEST_F(ImageFilesTest, DockerErrorsPropagateAndTheProbeIsStillRemoved) {
  const std::string image = AddImage("/app", {{"Procfile", "web: x\n"}});
  docker_.FailFor("archive", "", Status::Unavailable("docker went away"));
  StatusOr<AppFiles> files = ReadAppFiles(&docker_, image, "/app", "", "probe", "app");
  EXPECT_EQ(files.status().code(), StatusCode::kUnavailable);
  ExpectNoContainers();
}

TEST_F(ImageFilesTest, CreateFailuresAreReported) {
  StatusOr<AppFiles> files = ReadAppFiles(&docker_, "sha256:missing", "/app", "", "probe", "app");
  EXPECT_EQ(files.status().code(), StatusCode::kNotFound);
  ExpectNoContainers();
}

TEST_F(ImageFilesTest, ALeftoverProbeIsReplacedButOtherContainersAreNot) {
  const std::string image = AddImage("/app", {{"Procfile", "web: x\n"}});
  ContainerSpec leftover;
  leftover.name = "app-probe";
  leftover.image = image;
  leftover.labels = {{"com.dokku.role", "probe"}};
  ASSERT_OK(docker_.CreateContainer(leftover));
  ASSERT_OK(ReadAppFiles(&docker_, image, "/app", "", "app-probe", "app"));
  ExpectNoContainers();

  ContainerSpec app_container;
  app_container.name = "app.web.1";
  app_container.image = image;
  app_container.labels = {{"com.dokku.app-name", "app"}};
  ASSERT_OK(docker_.CreateContainer(app_container));
  StatusOr<AppFiles> files = ReadAppFiles(&docker_, image, "/app", "", "app.web.1", "app");
  EXPECT_EQ(files.status().code(), StatusCode::kConflict);
  EXPECT_TRUE(docker_.Find("app.web.1").has_value());
}

TEST(ImageFilesPathTest, NormalizeImagePath) {
  EXPECT_EQ(NormalizeImagePath(""), "/");
  EXPECT_EQ(NormalizeImagePath("/"), "/");
  EXPECT_EQ(NormalizeImagePath("app"), "/app");
  EXPECT_EQ(NormalizeImagePath("/app//x/./y/"), "/app/x/y");
  EXPECT_EQ(NormalizeImagePath("/app/../../etc"), "/etc");
  EXPECT_EQ(NormalizeImagePath("/../.."), "/");
}

}  // namespace
}  // namespace dokku

// Registries: the computed target (table), the push stream, registry:login's credential file,
// PushReleaseImage's steps on FakeDocker, and registry:set/report through the CLI.
#include "store/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "controller/docker/docker_codec.h"
#include "controller/registry/registry_credentials.h"
#include "controller/registry/registry_push.h"
#include "tests/testing/cli_harness.h"
#include "tests/testing/fake_docker.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

using ::testing::HasSubstr;

// RegistrySettings in field order; unnamed ones are unset.
RegistrySettings S(std::string app, std::string scheduler, std::string server = "",
                   std::string global_server = "", std::string image_repo = "",
                   std::string push = "", std::string global_push = "", std::string tags = "",
                   std::string global_tags = "") {
  RegistrySettings s;
  s.app = std::move(app);
  s.scheduler = std::move(scheduler);
  s.server = std::move(server);
  s.global_server = std::move(global_server);
  s.image_repo = std::move(image_repo);
  s.push_on_release = std::move(push);
  s.global_push_on_release = std::move(global_push);
  s.push_extra_tags = std::move(tags);
  s.global_push_extra_tags = std::move(global_tags);
  return s;
}

struct TargetCase {
  const char* name;
  RegistrySettings in;
  std::string server, repo;
  bool push;
  std::vector<std::string> extra;
};

TEST(RegistryTargetTest, ComputedFromAppThenGlobalSettings) {
  const TargetCase cases[] = {
      {"nothing set", S("blog", "docker-local"), "", "dokku/blog", false, {}},
      {"swarm without a server runs the local image",
       S("blog", "docker-swarm"),
       "",
       "dokku/blog",
       false,
       {}},
      {"swarm with a global server pushes",
       S("blog", "docker-swarm", "", "reg.example.com:5000/"),
       "reg.example.com:5000",
       "dokku/blog",
       true,
       {}},
      {"the app's server wins",
       S("blog", "docker-swarm", "a.example", "b.example"),
       "a.example",
       "dokku/blog",
       true,
       {}},
      {"local pushes only with push-on-release",
       S("blog", "docker-local", "a.example", "", "team/blog", "true"),
       "a.example",
       "team/blog",
       true,
       {}},
      {"push-on-release is only the string true",
       S("blog", "docker-local", "a.example", "", "", "yes"),
       "a.example",
       "dokku/blog",
       false,
       {}},
      {"Docker Hub's names mean no server",
       S("blog", "docker-swarm", "hub.docker.com"),
       "",
       "dokku/blog",
       false,
       {}},
      {"the app's push-on-release wins over the global",
       S("blog", "docker-local", "", "", "", "false", "true"),
       "",
       "dokku/blog",
       false,
       {}},
      {"extra tags: app, else global, trimmed and deduplicated",
       S("blog", "docker-local", "", "", "", "", "", "", " edge, edge,stable"),
       "",
       "dokku/blog",
       false,
       {"edge", "stable"}},
  };
  for (const TargetCase& c : cases) {
    RegistryTarget t = ComputeRegistryTarget(c.in);
    EXPECT_EQ(t.server, c.server) << c.name;
    EXPECT_EQ(t.repo, c.repo) << c.name;
    EXPECT_EQ(t.push, c.push) << c.name;
    EXPECT_EQ(t.extra_tags, c.extra) << c.name;
  }
  RegistryTarget hub = ComputeRegistryTarget(S("blog", "docker-local"));
  EXPECT_EQ(hub.Reference(), "dokku/blog");
  RegistryTarget own = ComputeRegistryTarget(S("blog", "docker-swarm", "127.0.0.1:5000"));
  EXPECT_EQ(own.Reference(), "127.0.0.1:5000/dokku/blog");
}

TEST(PushStreamTest, DigestProgressAndErrors) {
  StatusOr<PushResult> ok = DecodePushStream(
      "{\"status\":\"The push refers to repository [127.0.0.1:5000/dokku/blog]\"}\n"
      "{\"status\":\"Preparing\",\"progressDetail\":{},\"id\":\"5f70bf18a086\"}\n"
      "{\"status\":\"Pushing\",\"progressDetail\":{\"current\":512},\"id\":\"5f70bf18a086\"}\n"
      "{\"status\":\"Pushed\",\"progressDetail\":{},\"id\":\"5f70bf18a086\"}\n"
      "{\"status\":\"Layer already exists\",\"progressDetail\":{},\"id\":\"aa11\"}\n"
      "{\"status\":\"1: digest: sha256:abc size: 528\"}\n"
      "{\"progressDetail\":{},\"aux\":{\"Tag\":\"1\",\"Digest\":\"sha256:abc\",\"Size\":528}}\n");
  ASSERT_OK(ok);
  EXPECT_EQ(ok->digest, "sha256:abc");
  EXPECT_EQ(ok->progress,
            (std::vector<std::string>{"5f70bf18a086: Pushed", "aa11: Layer already exists",
                                      "1: digest: sha256:abc size: 528"}));

  StatusOr<PushResult> refused = DecodePushStream(
      "{\"status\":\"The push refers to repository [127.0.0.1:1/x]\"}\n"
      "{\"errorDetail\":{\"message\":\"dial tcp 127.0.0.1:1: connect: connection refused\"},"
      "\"error\":\"dial tcp 127.0.0.1:1: connect: connection refused\"}\n");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("connection refused"));

  StatusOr<PushResult> torn = DecodePushStream("{\"status\":\"Pushed\",\"id\":\"a\"}\n{\"aux\":");
  ASSERT_FALSE(torn.ok());
  EXPECT_EQ(torn.status().message(), "the push ended without a manifest digest");
}

TEST(RegistryCredentialsTest, AppBeforeGlobalKeptPrivately) {
  testutil::TempDir dir;
  RegistryCredentials creds(dir.path());
  StatusOr<std::optional<RegistryCredential>> none = creds.Lookup("blog", "reg.example");
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
  ASSERT_OK(creds.Save("--global", "reg.example", {"ops", "global-pw"}));
  ASSERT_OK(creds.Save("blog", "reg.example", {"blogger", "blog-pw"}));
  EXPECT_EQ((*creds.Lookup("blog", "reg.example"))->username, "blogger");
  EXPECT_EQ((*creds.Lookup("shop", "reg.example"))->password, "global-pw");
  EXPECT_FALSE(creds.Lookup("blog", "other.example")->has_value());
  EXPECT_EQ(testutil::FileMode(creds.path()), 0600);
  EXPECT_EQ(testutil::FileMode(dir.Join("registry")), 0700);

  EXPECT_TRUE(*creds.Remove("blog", "reg.example"));
  EXPECT_FALSE(*creds.Remove("blog", "reg.example"));
  EXPECT_EQ((*creds.Lookup("blog", "reg.example"))->username, "ops");

  EXPECT_EQ(RegistryAuthJson(std::nullopt, "reg.example"), "{}");
  EXPECT_EQ(RegistryAuthJson(RegistryCredential{"u", "p"}, ""),
            "{\"password\":\"p\",\"serveraddress\":\"https://index.docker.io/v1/\","
            "\"username\":\"u\"}");
}

TEST(RegistryCredentialsTest, AFileThatIsNotJsonIsAnErrorNotAnEmptyLogin) {
  testutil::TempDir dir;
  ::mkdir(dir.Join("registry").c_str(), 0700);
  ASSERT_OK(testutil::WriteFile(dir.Join("registry/credentials.json"), "{not json"));
  RegistryCredentials creds(dir.path());
  EXPECT_FALSE(creds.Lookup("blog", "x").ok());
  EXPECT_FALSE(creds.Save("blog", "x", {"u", "p"}).ok());
  EXPECT_EQ(testutil::ReadFileOr(dir.Join("registry/credentials.json")), "{not json");
}

class PushReleaseImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    image_ = docker_.AddImage("dokku/blog:v1", ImageInfo{});
    emit_ = [this](const std::string& level, const std::string& text) {
      lines_.push_back(level + " " + text);
    };
  }
  FakeClock clock_;
  FakeDocker docker_{&clock_};
  std::string image_;
  std::vector<std::string> lines_;
  Emit emit_;
};

TEST_F(PushReleaseImageTest, TagsPushesUntagsAndAnswersTheDigestReference) {
  RegistryTarget t =
      ComputeRegistryTarget(S("blog", "docker-swarm", "127.0.0.1:5000", "", "", "", "", "latest"));
  StatusOr<std::string> ref =
      PushReleaseImage(docker_, t, image_, "4", "{\"username\":\"u\"}", emit_);
  ASSERT_OK(ref);
  EXPECT_THAT(*ref, ::testing::StartsWith("127.0.0.1:5000/dokku/blog@sha256:"));
  EXPECT_EQ(docker_.PushedRefs().size(), 1u);  // one image, one repo: one digest
  EXPECT_EQ(docker_.last_push_auth(), "{\"username\":\"u\"}");
  EXPECT_EQ(docker_.ImageTags(), std::vector<std::string>{"dokku/blog:v1"});
  EXPECT_EQ(lines_.front(), "info1 Pushing image to registry");
  EXPECT_THAT(lines_, ::testing::Contains("verbose Pushing 127.0.0.1:5000/dokku/blog:4"));
  EXPECT_THAT(lines_, ::testing::Contains("verbose Untagging extra tag latest"));
  // The digest reference resolves to the release image on this engine.
  EXPECT_EQ(docker_.InspectImage(*ref)->id, image_);
}

TEST_F(PushReleaseImageTest, ARefusedPushLeavesNoRegistryTagBehind) {
  docker_.FailFor("push", "blog:4", Status::FailedPrecondition("denied: requested access"));
  RegistryTarget t = ComputeRegistryTarget(
      S("blog", "docker-local", "127.0.0.1:5000", "", "", "true", "", "edge"));
  StatusOr<std::string> ref = PushReleaseImage(docker_, t, image_, "4", "{}", emit_);
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(docker_.ImageTags(), std::vector<std::string>{"dokku/blog:v1"});
}

TEST_F(PushReleaseImageTest, NoDaemonIsRetryable) {
  docker_.SetUnavailable(true);
  RegistryTarget t = ComputeRegistryTarget(S("blog", "docker-swarm", "127.0.0.1:5000"));
  StatusOr<std::string> ref = PushReleaseImage(docker_, t, image_, "1", "{}", emit_);
  ASSERT_FALSE(ref.ok());
  EXPECT_TRUE(ref.status().IsUnavailable());
}

class CliRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(h_.Run({"apps:create", "blog"}).rc, 0); }
  testing::CliHarness h_;
};

TEST_F(CliRegistryTest, SetValidatesAndReportComputes) {
  testing::CliResult r = h_.Run({"registry:set", "blog", "server", "127.0.0.1:5000/"});
  ASSERT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out, "=====> Setting server to 127.0.0.1:5000/\n");
  ASSERT_EQ(h_.Run({"scheduler:set", "blog", "selected", "docker-swarm"}).rc, 0);
  EXPECT_EQ(h_.Run({"registry:report", "blog", "--registry-computed-server"}).out,
            "127.0.0.1:5000/\n");
  EXPECT_EQ(h_.Run({"registry:report", "blog", "--registry-computed-image-repo"}).out,
            "dokku/blog\n");
  EXPECT_EQ(h_.Run({"registry:report", "blog", "--registry-computed-push-on-release"}).out,
            "true\n");
  testing::CliResult report = h_.Run({"registry:report", "blog"});
  EXPECT_THAT(report.out, HasSubstr("=====> blog registry information\n"));
  EXPECT_THAT(report.out, HasSubstr("Registry computed server:"));
  testing::CliResult global = h_.Run({"registry:report", "--global"});
  EXPECT_THAT(global.out, Not(HasSubstr("image repo")));

  const std::string before = h_.Dump();
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"registry:set", "blog", "server", "bad host"},
           {"registry:set", "blog", "image-repo", "Team/App"},
           {"registry:set", "blog", "push-on-release", "yes"},
           {"registry:set", "blog", "push-extra-tags", "ok,-bad"},
           {"registry:set", "--global", "image-repo", "team/app"},
           {"registry:set", "blog", "nope", "x"},
           {"registry:set", "ghost", "server", "a.example"},
       }) {
    testing::CliResult b = h_.Run(bad);
    EXPECT_NE(b.rc, 0) << ::testing::PrintToString(bad) << b.Describe();
    EXPECT_THAT(b.err, ::testing::StartsWith(" !     ")) << b.err;
  }
  EXPECT_EQ(h_.Dump(), before);
}

TEST_F(CliRegistryTest, LoginArgumentsAreCheckedBeforeAnythingIsSent) {
  EXPECT_EQ(h_.Run({"registry:login", "blog", "reg.example"}).err,
            " !     Missing username argument\n");
  EXPECT_EQ(h_.Run({"registry:login", "--global"}).err, " !     Missing server argument\n");
  EXPECT_EQ(h_.Run({"registry:login", "blog", "reg.example", "me", "--password-stdin"}, "\n").err,
            " !     Missing password argument\n");
  testing::CliResult ghost = h_.Run({"registry:login", "ghost", "reg.example", "me", "pw"});
  EXPECT_EQ(ghost.rc, 20);  // Dokku's exit code for a missing app
  EXPECT_THAT(ghost.err, HasSubstr("App ghost does not exist"));
  // Three positionals without --global is Dokku's deprecated global form; with no daemon to
  // check the login, it fails without storing anything.
  testing::CliResult legacy = h_.Run({"registry:login", "reg.example", "me", "pw"});
  EXPECT_THAT(legacy.err, HasSubstr("Deprecated: please use --global flag"));
  EXPECT_EQ(legacy.rc, 1);
  struct stat st;
  EXPECT_NE(::stat((h_.state_dir() + "/registry").c_str(), &st), 0);
}

}  // namespace
}  // namespace dokku

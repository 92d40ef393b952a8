// End to end, issue "releases": Procfile process types, tags, release history, rollback,
// broken Procfiles that must not disturb the running release, CRLF Procfiles, DOKKU_SCALE and
// ps:rebuild of a re-tagged image. Real dokku, dokkud and dockerd; web is published on loopback.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <regex>

#include "tests/testing/e2e_fixture.h"

namespace dokku::e2e {
namespace {

using testutil::CommandResult;
using testutil::RunDocker;

constexpr char kProcfile[] =
    "web: httpd -f -p $PORT -h /app\n"
    "worker: sleep 1000\n";

class E2EReleaseTest : public E2ETest {
 protected:
  // The body web.1 of `app` serves on "/" (through its published port).
  static std::string WebBody(const std::string& app) {
    std::optional<DockerContainer> web = FindContainer(app, app + ".web.1");
    if (!web || web->state != "running") return "<web.1 not running>";
    int status = 0;
    std::string body = testutil::HttpGet(PublishedAddress(web->id), "/", "", &status);
    return status == 200 ? body : fmt::format("<HTTP {}>", status);
  }
  static std::string ImageId(const std::string& ref) {
    CommandResult r = RunDocker({"image", "inspect", "-f", "{{.Id}}", ref});
    return r.exit_code == 0 ? r.out.substr(0, r.out.find('\n')) : "";
  }
  // The `releases` row of release `number` (whitespace-separated columns), or "".
  std::string ReleaseRow(const std::string& app, int number) {
    CommandResult r = Dokku({"releases", app});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    const std::regex row(fmt::format(R"((^|\n)({} +[^\n]*))", number));
    std::smatch m;
    return std::regex_search(r.out, m, row) ? m[2].str() : "";
  }
  static std::string Id(const std::optional<DockerContainer>& c) { return c ? c->id : ""; }
};

// Given v1 and v2 of an app with web and worker: formation, tags, release history, rollback and
// tags:deploy move what runs; broken Procfiles fail with their line and leave the running
// release alone; a CRLF Procfile works; ps:rebuild picks up a re-tagged image.
TEST_F(E2EReleaseTest, ProcfileTagsHistoryRollbackAndRebuild) {
  const std::string app = CreateApp("rel");
  const std::string v1 =
      BuildImage(app, "v1", {{"Procfile", kProcfile}, {"index.html", "release v1\n"}});
  BuildImage(app, "v2", {{"Procfile", kProcfile}, {"index.html", "release v2\n"}});
  BuildImage(app, "crlf",
             {{"Procfile", "web: httpd -f -p $PORT -h /app\r\nworker: sleep 1000\r\n"},
              {"index.html", "release crlf\n"}});
  BuildImage(app, "nocolon",
             {{"Procfile", "web httpd -f -p $PORT -h /app\n"}, {"index.html", "broken\n"}});
  BuildImage(app, "merge",
             {{"Procfile",
               "<<<<<<< HEAD\nweb: httpd -f -p $PORT -h /app\n=======\nweb: httpd -f -p $PORT\n"
               ">>>>>>> other\n"},
              {"index.html", "broken\n"}});
  ASSERT_FALSE(HasFailure());
  ASSERT_NO_FATAL_FAILURE(StartDaemon());

  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}));
  EXPECT_EQ(WebBody(app), "release v1\n");
  EXPECT_FALSE(FindContainer(app, app + ".worker.1").has_value()) << "worker starts at 0";

  // Formation: worker=1 runs the Procfile command; a type the Procfile lacks is refused.
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:scale", app, "worker=1"}));
  std::optional<DockerContainer> worker = FindContainer(app, app + ".worker.1");
  ASSERT_TRUE(worker.has_value());
  EXPECT_EQ(worker->state, "running");
  const nlohmann::json worker_info = InspectContainer(worker->id);
  EXPECT_EQ(worker_info["Config"]["Cmd"], nlohmann::json({"/bin/sh", "-c", "sleep 1000"}));
  EXPECT_EQ(worker_info["Config"]["Labels"]["com.dokku.process-type"], "worker");
  CommandResult bad_scale = Dokku({"ps:scale", app, "nope=1"});
  EXPECT_NE(bad_scale.exit_code, 0);
  EXPECT_TRUE(Contains(bad_scale.err, "nope is not a valid process name to scale up"))
      << bad_scale.Describe();
  EXPECT_FALSE(FindContainer(app, app + ".nope.1").has_value());

  // Tags: create, list, destroy; latest is protected.
  CommandResult created;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:create", app, "v1copy"}, &created));
  const std::string added = fmt::format("=====> Added v1copy tag to dokku/{}\n", app);
  EXPECT_TRUE(Contains(created.out, added)) << created.out;
  EXPECT_EQ(created.out.find(added), created.out.rfind(added)) << "printed twice:\n" << created.out;
  EXPECT_EQ(ImageId("dokku/" + app + ":v1copy"), v1);
  CommandResult tags;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags", app}, &tags));
  EXPECT_TRUE(Contains(tags.out, fmt::format("=====> Image tags for dokku/{}\n", app))) << tags.out;
  EXPECT_TRUE(
      std::regex_search(tags.out, std::regex("\nREPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n")))
      << tags.out;
  const std::string v1_row = fmt::format("\ndokku/{} +v1copy +{} ", app, v1.substr(7, 12));
  EXPECT_TRUE(std::regex_search(tags.out, std::regex(v1_row))) << tags.out;
  CommandResult destroyed = Dokku({"tags:destroy", app, "v1copy"});
  EXPECT_EQ(destroyed.exit_code, 0) << destroyed.Describe();
  EXPECT_EQ(ImageId("dokku/" + app + ":v1copy"), "") << "the tag is still there";
  EXPECT_EQ(ImageId("dokku/" + app + ":v1"), v1) << "only the tag may go, not the image";
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags", app}, &tags));
  EXPECT_FALSE(Contains(tags.out, "v1copy")) << tags.out;
  CommandResult latest = Dokku({"tags:destroy", app, "latest"});
  EXPECT_EQ(latest.exit_code, 1);
  EXPECT_TRUE(Contains(
      latest.err, fmt::format("You can't remove internal dokku tag (latest) for dokku/{}", app)))
      << latest.Describe();
  EXPECT_EQ(ImageId("dokku/" + app + ":latest"), v1);

  // v2: new content; the history shows both.
  const std::string worker_v1 = worker->id;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v2"}));
  EXPECT_EQ(WebBody(app), "release v2\n");
  EXPECT_NE(Id(FindContainer(app, app + ".worker.1")), worker_v1) << "worker gets v2 too";
  EXPECT_TRUE(std::regex_search(ReleaseRow(app, 1), std::regex(R"(^1 +v1 +\w+ +superseded )")))
      << ReleaseRow(app, 1);
  EXPECT_TRUE(std::regex_search(ReleaseRow(app, 2), std::regex(R"(^2 +v2 +\w+ +live \(current\))")))
      << ReleaseRow(app, 2);

  // Rollback brings v1 back; tags:deploy of any tag works as well.
  CommandResult rollback;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"releases:rollback", app}, &rollback));
  EXPECT_TRUE(Contains(rollback.out, fmt::format("Rolling back {} to release 1", app)))
      << rollback.out;
  EXPECT_EQ(WebBody(app), "release v1\n");
  EXPECT_TRUE(std::regex_search(ReleaseRow(app, 3), std::regex(R"(live \(current\))")))
      << ReleaseRow(app, 3);
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "crlf"}));
  EXPECT_EQ(WebBody(app), "release crlf\n");
  worker = FindContainer(app, app + ".worker.1");
  ASSERT_TRUE(worker.has_value());
  EXPECT_EQ(InspectContainer(worker->id)["Config"]["Cmd"],
            nlohmann::json({"/bin/sh", "-c", "sleep 1000"}))
      << "CR must not reach the command";
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}));
  EXPECT_EQ(WebBody(app), "release v1\n");

  // Broken Procfiles: the deploy fails naming the line; v1 keeps running untouched.
  const std::string web_v1 = Id(FindContainer(app, app + ".web.1"));
  CommandResult nocolon = Dokku({"tags:deploy", app, "nocolon"});
  EXPECT_EQ(nocolon.exit_code, 1) << nocolon.Describe();
  EXPECT_TRUE(Contains(nocolon.err, "Procfile line 1")) << nocolon.Describe();
  CommandResult merge = Dokku({"tags:deploy", app, "merge"});
  EXPECT_EQ(merge.exit_code, 1) << merge.Describe();
  EXPECT_TRUE(Contains(merge.err, "Procfile line 1")) << merge.Describe();
  EXPECT_TRUE(Contains(merge.err, "merge conflict")) << merge.Describe();
  EXPECT_EQ(Id(FindContainer(app, app + ".web.1")), web_v1);
  EXPECT_EQ(WebBody(app), "release v1\n");
  EXPECT_TRUE(std::regex_search(ReleaseRow(app, 6), std::regex(R"(^6 +nocolon .*failed)")))
      << ReleaseRow(app, 6);
  EXPECT_TRUE(std::regex_search(ReleaseRow(app, 5), std::regex(R"(live \(current\))")))
      << ReleaseRow(app, 5);

  // dokku/<app>:v1 now names another image: ps:rebuild makes a new release from it.
  BuildImage(app, "v1", {{"Procfile", kProcfile}, {"index.html", "release v1 rebuilt\n"}});
  ASSERT_FALSE(HasFailure());
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:rebuild", app}));
  EXPECT_EQ(WebBody(app), "release v1 rebuilt\n");
  EXPECT_TRUE(std::regex_search(ReleaseRow(app, 8), std::regex(R"(^8 +v1 +\w+ +live \(current\))")))
      << ReleaseRow(app, 8);

  ASSERT_NO_FATAL_FAILURE(DestroyApp(app));
}

// Given an image with a DOKKU_SCALE file, the deploy runs its formation and ps:scale refuses.
TEST_F(E2EReleaseTest, DokkuScaleFileSetsTheFormation) {
  const std::string app = CreateApp("scale");
  BuildImage(
      app, "v1",
      {{"Procfile", kProcfile}, {"DOKKU_SCALE", "web=2\nworker=1\n"}, {"index.html", "x\n"}});
  ASSERT_FALSE(HasFailure());
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"tags:deploy", app, "v1"}));

  std::vector<std::string> names;
  for (const DockerContainer& c : LiveContainers(app)) {
    EXPECT_EQ(c.state, "running") << c.name;
    names.push_back(c.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{app + ".web.1", app + ".web.2", app + ".worker.1"}));
  CommandResult scale;
  ASSERT_NO_FATAL_FAILURE(DokkuOk({"ps:scale", app}, &scale));
  EXPECT_TRUE(Contains(scale.out, "web:  2\nworker: 1\n")) << scale.out;

  CommandResult refused = Dokku({"ps:scale", app, "web=3"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_TRUE(
      Contains(refused.err,
               fmt::format("App {} contains DOKKU_SCALE file and cannot be manually scaled", app)))
      << refused.Describe();
  EXPECT_FALSE(FindContainer(app, app + ".web.3").has_value());
  CommandResult report = Dokku({"ps:report", app, "--ps-can-scale"});
  EXPECT_EQ(report.out, "false\n") << report.Describe();

  ASSERT_NO_FATAL_FAILURE(DestroyApp(app));
}

}  // namespace
}  // namespace dokku::e2e

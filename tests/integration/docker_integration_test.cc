// DockerClient + CurlUnixTransport against the real dockerd at /var/run/docker.sock, with an
// image built locally from busybox-static. Everything made here is named dokkutest-<pid>-* or
// dokkutest/<pid>-* and removed in TearDown / TearDownTestSuite, also after a failure.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "controller/docker/docker_client.h"
#include "controller/http/http_transport.h"
#include "controller/model/tar_reader.h"
#include "store/clock.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

using testutil::DockerCleanup;
using testutil::RunDocker;
using testutil::TestImage;

constexpr char kIndexHtml[] = "hello from dokkutest\n";
constexpr char kProcfile[] = "web: httpd -f -p $PORT -h /app\n";

class DockerIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    base_ref_ = fmt::format("dokkutest/{}-base:1", getpid());
    suite_cleanup_ = new DockerCleanup();
    suite_cleanup_->AddImage(base_ref_);
    StatusOr<std::string> id =
        TestImage::Build(base_ref_, {{"Procfile", kProcfile}, {"index.html", kIndexHtml}});
    build_status_ = id.status();
    if (id.ok()) image_id_ = *id;
  }
  static void TearDownTestSuite() {
    delete suite_cleanup_;  // removes the base image
    suite_cleanup_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(testutil::DockerAvailable()) << "dockerd must answer on /var/run/docker.sock";
    ASSERT_OK(build_status_);
  }

  // A fresh container name, removed (with anything renamed from it) in TearDown.
  std::string Name(std::string_view what) {
    std::string name = testutil::UniqueName(what);
    cleanup_.AddContainerPrefix(name);
    return name;
  }

  ContainerSpec Spec(const std::string& name) {
    ContainerSpec spec;
    spec.name = name;
    spec.image = base_ref_;
    spec.env = {"PORT=5000"};
    spec.labels = {{"com.dokku.app-name", name}, {"com.dokku.process-type", "web"}};
    spec.stop_timeout = 5;
    return spec;
  }

  // Polls inspect until the container reaches `state` (a real container moves on its own).
  bool WaitForState(const std::string& id, const std::string& state) {
    return testutil::WaitFor(
        [&] {
          StatusOr<ContainerInfo> info = docker_.InspectContainer(id);
          return info.ok() && info->state == state;
        },
        10000);
  }

  std::string DockerInspect(const std::string& id, const std::string& format) {
    return RunDocker({"inspect", "-f", format, id}).out;
  }

  static std::string base_ref_;
  static std::string image_id_;
  static Status build_status_;
  static DockerCleanup* suite_cleanup_;

  DockerCleanup cleanup_;  // runs in the destructor, after TearDown, even when a test failed
  CurlUnixTransport transport_{testutil::kDockerSocket};
  DockerClient docker_{&transport_};
};

std::string DockerIntegrationTest::base_ref_;
std::string DockerIntegrationTest::image_id_;
Status DockerIntegrationTest::build_status_;
DockerCleanup* DockerIntegrationTest::suite_cleanup_ = nullptr;

TEST_F(DockerIntegrationTest, ContainerLifecycle) {
  ASSERT_OK(docker_.Ping());
  const std::string name = Name("web");
  ContainerSpec spec = Spec(name);
  spec.restart_policy = "on-failure:3";
  spec.exposed_port = 5000;
  spec.publish_port = true;

  StatusOr<std::string> id = docker_.CreateContainer(spec);
  ASSERT_OK(id);
  EXPECT_TRUE(docker_.CreateContainer(spec).status().IsConflict());
  StatusOr<ContainerInfo> created = docker_.InspectContainer(name);
  ASSERT_OK(created);
  EXPECT_EQ(created->id, *id);
  EXPECT_EQ(created->name, name);
  EXPECT_EQ(created->state, "created");
  EXPECT_EQ(created->image_id, image_id_);
  EXPECT_EQ(created->labels.at("com.dokku.process-type"), "web");
  EXPECT_EQ(DockerInspect(*id,
                          "{{.HostConfig.RestartPolicy.Name}}:"
                          "{{.HostConfig.RestartPolicy.MaximumRetryCount}} "
                          "{{.HostConfig.Init}} {{.Config.StopTimeout}}"),
            "on-failure:3 true 5\n");
  EXPECT_NE(DockerInspect(*id, "{{.Config.Env}}").find("PORT=5000"), std::string::npos);

  ASSERT_OK(docker_.StartContainer(*id));
  ASSERT_OK(docker_.StartContainer(*id));  // 304
  StatusOr<ContainerInfo> running = docker_.InspectContainer(*id);
  ASSERT_OK(running);
  EXPECT_EQ(running->state, "running");
  EXPECT_TRUE(running->running);
  EXPECT_FALSE(running->ip.empty());
  ASSERT_GT(running->host_port, 0);
  std::string body;
  EXPECT_TRUE(testutil::WaitFor(
      [&] {
        int status = 0;
        body = testutil::HttpGet(running->ip + ":5000", "/index.html", "", &status);
        return status == 200;
      },
      10000));
  EXPECT_EQ(body, kIndexHtml);
  int status = 0;
  testutil::HttpGet(fmt::format("127.0.0.1:{}", running->host_port), "/index.html", "", &status);
  EXPECT_EQ(status, 200) << "published on loopback";

  StatusOr<std::vector<ContainerSummary>> listed =
      docker_.ListContainers({"com.dokku.app-name=" + name, "com.dokku.process-type=web"});
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, name);
  EXPECT_EQ((*listed)[0].state, "running");
  EXPECT_TRUE(
      docker_.ListContainers({"com.dokku.app-name=" + name, "com.dokku.process-type=x"})->empty());

  ASSERT_OK(docker_.RenameContainer(*id, name + ".old"));
  EXPECT_EQ(docker_.ListContainers({"com.dokku.app-name=" + name}).value()[0].name, name + ".old");
  ASSERT_OK(docker_.UpdateRestartPolicy(*id, "always"));
  EXPECT_EQ(DockerInspect(*id, "{{.HostConfig.RestartPolicy.Name}}"), "always\n");

  ASSERT_OK(docker_.StopContainer(*id, 5));
  ASSERT_OK(docker_.StopContainer(*id, 5));          // 304
  ASSERT_OK(docker_.KillContainer(*id, "SIGTERM"));  // 409 not running -> OK
  StatusOr<ContainerInfo> stopped = docker_.InspectContainer(*id);
  ASSERT_OK(stopped);
  EXPECT_EQ(stopped->state, "exited");
  EXPECT_EQ(stopped->exit_code, 143) << "docker-init forwarded SIGTERM";
  EXPECT_EQ(stopped->ip, "");

  ASSERT_OK(docker_.RemoveContainer(*id));
  ASSERT_OK(docker_.RemoveContainer(*id));  // 404
  EXPECT_TRUE(docker_.InspectContainer(*id).status().IsNotFound());
  EXPECT_TRUE(docker_.StartContainer(*id).IsNotFound());
}

TEST_F(DockerIntegrationTest, StopKillsAfterTheGracePeriodAndKillWorks) {
  ContainerSpec spec = Spec(Name("stubborn"));
  spec.init = false;  // PID 1 without a SIGTERM handler ignores SIGTERM
  spec.cmd = {"sleep", "1000"};
  StatusOr<std::string> id = docker_.CreateContainer(spec);
  ASSERT_OK(id);
  ASSERT_OK(docker_.StartContainer(*id));
  const auto started = std::chrono::steady_clock::now();
  ASSERT_OK(docker_.StopContainer(*id, 1));
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(900));
  EXPECT_EQ(docker_.InspectContainer(*id)->exit_code, 137);

  ASSERT_OK(docker_.StartContainer(*id));
  ASSERT_OK(docker_.KillContainer(*id, "SIGKILL"));
  ASSERT_TRUE(WaitForState(*id, "exited"));
  EXPECT_EQ(docker_.InspectContainer(*id)->exit_code, 137);
}

TEST_F(DockerIntegrationTest, LogsAreDemultiplexed) {
  ContainerSpec spec = Spec(Name("logs"));
  spec.cmd = {"/bin/sh", "-c", "echo one; echo two >&2; echo three"};
  StatusOr<std::string> id = docker_.CreateContainer(spec);
  ASSERT_OK(id);
  ASSERT_OK(docker_.StartContainer(*id));
  ASSERT_TRUE(WaitForState(*id, "exited"));

  StatusOr<std::string> all = docker_.ContainerLogs(*id, 10);
  ASSERT_OK(all);
  EXPECT_NE(all->find("one\n"), std::string::npos) << *all;
  EXPECT_NE(all->find("two\n"), std::string::npos) << *all;
  EXPECT_NE(all->find("three\n"), std::string::npos) << *all;
  EXPECT_EQ(all->size(), std::string("one\ntwo\nthree\n").size()) << "no frame headers left";
  StatusOr<std::string> last = docker_.ContainerLogs(*id, 1);
  ASSERT_OK(last);
  EXPECT_EQ(std::count(last->begin(), last->end(), '\n'), 1) << *last;
}

TEST_F(DockerIntegrationTest, ArchiveOfAFileInACreatedContainer) {
  ContainerSpec spec = Spec(Name("probe"));
  spec.cmd = {"/bin/true"};
  spec.labels["com.dokku.role"] = "probe";
  StatusOr<std::string> id = docker_.CreateContainer(spec);
  ASSERT_OK(id);

  StatusOr<std::string> archive = docker_.GetArchive(*id, "/app/Procfile");
  ASSERT_OK(archive);
  StatusOr<std::vector<TarEntry>> entries = ReadTar(*archive);
  ASSERT_OK(entries);
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].name, "Procfile");
  EXPECT_EQ((*entries)[0].data, kProcfile);
  EXPECT_TRUE(docker_.GetArchive(*id, "/app/NOPE").status().IsNotFound());
  EXPECT_TRUE(docker_.GetArchive("dokkutest-no-such-container", "/app").status().IsNotFound());
  ASSERT_OK(docker_.RemoveContainer(*id));
}

TEST_F(DockerIntegrationTest, ImagesInspectTagListRemove) {
  StatusOr<ImageInfo> base = docker_.InspectImage(base_ref_);
  ASSERT_OK(base);
  EXPECT_EQ(base->id, image_id_);
  EXPECT_EQ(base->working_dir, "/app");
  EXPECT_EQ(base->cmd, TestImage::DefaultCmd());
  EXPECT_TRUE(base->entrypoint.empty());
  EXPECT_GT(base->created, 0);

  const std::string repo = fmt::format("dokkutest/{}-tags", getpid());
  cleanup_.AddImage(repo + ":v1");
  cleanup_.AddImage(repo + ":v2");
  ASSERT_OK(docker_.TagImage(image_id_, repo, "v1"));
  ASSERT_OK(docker_.TagImage(base_ref_, repo, "v2"));
  StatusOr<std::vector<ImageInfo>> images = docker_.ListImages(repo);
  ASSERT_OK(images);
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].id, image_id_);
  const std::vector<std::string>& tags = (*images)[0].repo_tags;
  EXPECT_NE(std::find(tags.begin(), tags.end(), repo + ":v1"), tags.end());
  EXPECT_NE(std::find(tags.begin(), tags.end(), repo + ":v2"), tags.end());

  ASSERT_OK(docker_.RemoveImage(repo + ":v1"));
  ASSERT_OK(docker_.RemoveImage(repo + ":v1"));  // 404
  EXPECT_EQ(docker_.ListImages(repo).value()[0].repo_tags.size(), tags.size() - 1);
  ASSERT_OK(docker_.RemoveImage(repo + ":v2"));
  EXPECT_TRUE(docker_.ListImages(repo)->empty());
  EXPECT_TRUE(docker_.InspectImage(repo + ":v2").status().IsNotFound());
  EXPECT_TRUE(docker_.TagImage(repo + ":nope", repo, "v3").IsNotFound());
  ASSERT_OK(docker_.InspectImage(base_ref_));  // untagging left the image alone
}

TEST_F(DockerIntegrationTest, EventsStreamUntilStopped) {
  const std::string name = Name("events");
  std::mutex mu;
  std::condition_variable cv;
  std::vector<DockerEvent> seen;
  std::atomic<bool> stop{false};
  Status stream_status = Status::Internal("stream never returned");
  // Replay from a second ago, so nothing is lost while the stream connects.
  const int64_t since = (RealClock::Get()->NowMs() - 1000) * 1'000'000;
  std::thread streamer([&] {
    stream_status = docker_.StreamEvents(
        {{"type", {"container"}}, {"label", {"com.dokku.app-name=" + name}}}, since,
        [&](const DockerEvent& e) {
          std::lock_guard<std::mutex> lock(mu);
          seen.push_back(e);
          cv.notify_all();
        },
        stop);
  });

  StatusOr<std::string> id = docker_.CreateContainer(Spec(name));
  Status started = id.ok() ? docker_.StartContainer(*id) : id.status();
  bool got_both = false;
  {
    std::unique_lock<std::mutex> lock(mu);
    got_both = cv.wait_for(lock, std::chrono::seconds(10), [&] {
      bool create = false, start = false;
      for (const DockerEvent& e : seen) {
        create |= e.action == "create";
        start |= e.action == "start";
      }
      return create && start;
    });
  }
  const auto stopping = std::chrono::steady_clock::now();
  stop = true;
  streamer.join();
  const auto stop_latency = std::chrono::steady_clock::now() - stopping;

  ASSERT_OK(id);
  ASSERT_OK(started);
  EXPECT_TRUE(got_both);
  EXPECT_OK(stream_status);
  EXPECT_LT(stop_latency, std::chrono::milliseconds(1000));
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen[0].action, "create");
  EXPECT_EQ(seen[0].type, "container");
  EXPECT_EQ(seen[0].id, *id);
  EXPECT_EQ(seen[0].attributes.at("com.dokku.app-name"), name);
  EXPECT_EQ(seen[0].attributes.at("name"), name);
  EXPECT_GT(seen[0].time_nano, since);
}

}  // namespace
}  // namespace dokku

// FakeDocker behaves like dockerd in the ways the reconciler relies on.
#include "tests/testing/fake_docker.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <thread>

#include "controller/model/tar_reader.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

class FakeDockerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ImageInfo info;
    info.working_dir = "/app";
    info.cmd = {"/start", "web"};
    image_id_ = docker_.AddImage("dokku/blog:latest", info,
                                 {{"Procfile", "web: httpd\n"}, {"CHECKS", "/ ok\n"}},
                                 {{"ProcLink", "Procfile"}});
  }

  ContainerSpec Spec(const std::string& name, const std::string& proctype = "web") {
    ContainerSpec spec;
    spec.name = name;
    spec.image = "dokku/blog:latest";
    spec.labels = {{"com.dokku.app-name", "blog"}, {"com.dokku.process-type", proctype}};
    spec.exposed_port = 5000;
    return spec;
  }

  FakeClock clock_;
  FakeDocker docker_{&clock_};
  std::string image_id_;
};

TEST_F(FakeDockerTest, LifecycleIsIdempotentLikeDocker) {
  StatusOr<std::string> id = docker_.CreateContainer(Spec("blog.web.1"));
  ASSERT_OK(id);
  EXPECT_EQ(docker_.Find("blog.web.1")->state, "created");
  EXPECT_EQ(docker_.Find(*id)->image_id, image_id_);

  ASSERT_OK(docker_.StartContainer(*id));
  ASSERT_OK(docker_.StartContainer(*id));  // dockerd: 304
  ContainerInfo running = *docker_.Find(*id);
  EXPECT_EQ(running.state, "running");
  EXPECT_TRUE(running.running);
  EXPECT_EQ(running.ip, "172.30.0.2");
  EXPECT_EQ(running.host_port, 0) << "not published";

  ASSERT_OK(docker_.StopContainer(*id, 30));
  ASSERT_OK(docker_.StopContainer(*id, 30));         // dockerd: 304
  ASSERT_OK(docker_.KillContainer(*id, "SIGKILL"));  // not running: nothing to do
  ContainerInfo stopped = *docker_.Find(*id);
  EXPECT_EQ(stopped.state, "exited");
  EXPECT_EQ(stopped.exit_code, 143);
  EXPECT_EQ(stopped.ip, "");

  ASSERT_OK(docker_.RemoveContainer(*id));
  ASSERT_OK(docker_.RemoveContainer(*id));  // dockerd: 404
  EXPECT_TRUE(docker_.InspectContainer(*id).status().IsNotFound());
  EXPECT_EQ(docker_.calls(),
            (std::vector<std::string>{"create blog.web.1", "start " + *id, "start " + *id,
                                      "stop " + *id + " 30", "stop " + *id + " 30",
                                      "kill " + *id + " SIGKILL", "remove " + *id, "remove " + *id,
                                      "inspect " + *id}));
  EXPECT_EQ(docker_.CallCount("start"), 2);
  EXPECT_EQ(docker_.CallCount("remove"), 2);
}

TEST_F(FakeDockerTest, NamesAreUniqueUntilRemovedOrRenamed) {
  StatusOr<std::string> first = docker_.CreateContainer(Spec("blog.web.1"));
  ASSERT_OK(first);
  Status taken = docker_.CreateContainer(Spec("blog.web.1")).status();
  EXPECT_TRUE(taken.IsConflict());
  EXPECT_NE(taken.message().find("The container name \"/blog.web.1\" is already in use"),
            std::string::npos);

  StatusOr<std::string> next = docker_.CreateContainer(Spec("blog.web.1.new"));
  ASSERT_OK(next);
  EXPECT_TRUE(docker_.RenameContainer(*next, "blog.web.1").IsConflict());
  ASSERT_OK(docker_.RenameContainer(*first, "blog.web.1.old"));
  ASSERT_OK(docker_.RenameContainer(*next, "blog.web.1"));
  EXPECT_EQ(docker_.Find("blog.web.1")->id, *next);
  EXPECT_EQ(docker_.SpecOf(*first)->name, "blog.web.1.old");
  EXPECT_EQ(docker_.CreateContainer(Spec("bad name")).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(FakeDockerTest, CreateNeedsAnExistingImage) {
  ContainerSpec spec = Spec("blog.web.1");
  spec.image = "dokku/blog:nope";
  EXPECT_TRUE(docker_.CreateContainer(spec).status().IsNotFound());
  spec.image = image_id_.substr(0, 19);  // "sha256:" + a short id
  EXPECT_OK(docker_.CreateContainer(spec));
}

TEST_F(FakeDockerTest, ListMatchesEveryLabelAndIncludesStopped) {
  ASSERT_OK(docker_.CreateContainer(Spec("blog.web.1")));
  ASSERT_OK(docker_.CreateContainer(Spec("blog.worker.1", "worker")));
  ContainerSpec other = Spec("other.web.1");
  other.labels["com.dokku.app-name"] = "other";
  ASSERT_OK(docker_.CreateContainer(other));

  auto names = [&](const std::vector<std::string>& labels) {
    std::vector<std::string> out;
    StatusOr<std::vector<ContainerSummary>> listed = docker_.ListContainers(labels);
    for (const ContainerSummary& c : *listed) out.push_back(c.name);
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(names({"com.dokku.app-name=blog"}),
            (std::vector<std::string>{"blog.web.1", "blog.worker.1"}));
  EXPECT_EQ(names({"com.dokku.app-name=blog", "com.dokku.process-type=worker"}),
            (std::vector<std::string>{"blog.worker.1"}));
  EXPECT_EQ(names({"com.dokku.process-type"}).size(), 3u);
  EXPECT_TRUE(names({"com.dokku.app-name=none"}).empty());
  EXPECT_EQ(docker_.calls().back(), "list com.dokku.app-name=none");
}

TEST_F(FakeDockerTest, FailureKnobs) {
  docker_.FailCreateFor("worker");
  docker_.CrashOnStartFor("web.2", 3);
  EXPECT_TRUE(docker_.CreateContainer(Spec("blog.worker.1", "worker")).status().IsUnavailable());
  EXPECT_FALSE(docker_.Find("blog.worker.1").has_value());
  StatusOr<std::string> crashing = docker_.CreateContainer(Spec("blog.web.2"));
  ASSERT_OK(crashing);
  ASSERT_OK(docker_.StartContainer(*crashing));
  EXPECT_EQ(docker_.Find(*crashing)->state, "exited");
  EXPECT_EQ(docker_.Find(*crashing)->exit_code, 3);

  docker_.ClearFailures();
  docker_.SetUnavailable(true);
  EXPECT_TRUE(docker_.Ping().IsUnavailable());
  EXPECT_TRUE(docker_.ListContainers({}).status().IsUnavailable());
  EXPECT_TRUE(docker_.CreateContainer(Spec("blog.worker.1")).status().IsUnavailable());
  EXPECT_EQ(docker_.calls().back(), "create blog.worker.1") << "failed calls are recorded too";
  docker_.SetUnavailable(false);
  EXPECT_OK(docker_.CreateContainer(Spec("blog.worker.1")));
}

TEST_F(FakeDockerTest, PublishedPortsRestartCountsLogsAndPolicies) {
  ContainerSpec spec = Spec("blog.web.1");
  spec.publish_port = true;
  spec.restart_policy = "on-failure:10";
  StatusOr<std::string> id = docker_.CreateContainer(spec);
  ASSERT_OK(id);
  ASSERT_OK(docker_.StartContainer(*id));
  EXPECT_GT(docker_.Find(*id)->host_port, 0);
  docker_.SetRestartCount(*id, 4);
  EXPECT_EQ(docker_.InspectContainer(*id)->restart_count, 4);
  docker_.SetLogs(*id, "a\nb\nc\n");
  EXPECT_EQ(*docker_.ContainerLogs(*id, 2), "b\nc\n");
  EXPECT_EQ(*docker_.ContainerLogs(*id, -1), "a\nb\nc\n");
  ASSERT_OK(docker_.UpdateRestartPolicy(*id, "no"));
  EXPECT_EQ(docker_.SpecOf(*id)->restart_policy, "no");
  EXPECT_EQ(docker_.UpdateRestartPolicy(*id, "bogus").code(), StatusCode::kInvalidArgument);
  docker_.Exit(*id, 1);
  EXPECT_EQ(docker_.Find(*id)->state, "exited");
}

TEST_F(FakeDockerTest, TagsBehaveLikeDocker) {
  ASSERT_OK(docker_.TagImage("dokku/blog:latest", "dokku/blog", "v1"));
  ASSERT_OK(docker_.TagImage(image_id_, "dokku/blog", "v2"));
  const std::string other = docker_.AddImage("dokku/other:latest");
  EXPECT_TRUE(docker_.TagImage("missing:1", "dokku/blog", "v3").IsNotFound());

  StatusOr<std::vector<ImageInfo>> images = docker_.ListImages("dokku/blog");
  ASSERT_OK(images);
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].repo_tags,
            (std::vector<std::string>{"dokku/blog:latest", "dokku/blog:v1", "dokku/blog:v2"}));
  EXPECT_EQ(docker_.InspectImage("dokku/blog:v1")->working_dir, "/app");

  // A container uses the image: untagging works while other tags remain, not for the last one.
  ASSERT_OK(docker_.CreateContainer(Spec("blog.web.1")));
  ASSERT_OK(docker_.RemoveImage("dokku/blog:v1"));
  ASSERT_OK(docker_.RemoveImage("dokku/blog:v2"));
  EXPECT_TRUE(docker_.RemoveImage(image_id_).IsConflict());
  EXPECT_TRUE(docker_.RemoveImage("dokku/blog:latest").IsConflict());
  ASSERT_OK(docker_.RemoveImage("dokku/other"));
  EXPECT_TRUE(docker_.InspectImage(other).status().IsNotFound());
  ASSERT_OK(docker_.RemoveImage("dokku/other"));  // already gone
  EXPECT_EQ(docker_.ImageTags(), (std::vector<std::string>{"dokku/blog:latest"}));
}

TEST_F(FakeDockerTest, ArchivesAreRealTars) {
  StatusOr<std::string> id = docker_.CreateContainer(Spec("blog.web.1"));
  ASSERT_OK(id);

  StatusOr<std::string> archive = docker_.GetArchive(*id, "/app/Procfile");
  ASSERT_OK(archive);
  EXPECT_EQ(archive->size() % 512, 0u);
  StatusOr<std::vector<TarEntry>> entries = ReadTar(*archive);
  ASSERT_OK(entries);
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].name, "Procfile");
  EXPECT_EQ((*entries)[0].data, "web: httpd\n");

  StatusOr<std::vector<TarEntry>> link = ReadTar(*docker_.GetArchive(*id, "/app/ProcLink"));
  ASSERT_OK(link);
  EXPECT_EQ((*link)[0].type, '2');
  EXPECT_EQ((*link)[0].link_target, "Procfile");

  StatusOr<std::vector<TarEntry>> dir = ReadTar(*docker_.GetArchive(*id, "/app/"));
  ASSERT_OK(dir);
  EXPECT_EQ(dir->size(), 4u);  // app/, app/CHECKS, app/Procfile, app/ProcLink

  Status missing = docker_.GetArchive(*id, "/app/NOPE").status();
  EXPECT_TRUE(missing.IsNotFound());
  EXPECT_EQ(missing.message(), "Could not find the file /app/NOPE in container blog.web.1");
  EXPECT_TRUE(docker_.GetArchive("nope", "/app/Procfile").status().IsNotFound());
}

TEST_F(FakeDockerTest, EventsAreEmittedFilteredAndReplayed) {
  StatusOr<std::string> id = docker_.CreateContainer(Spec("blog.web.1"));
  ASSERT_OK(id);
  ASSERT_OK(docker_.StartContainer(*id));
  ASSERT_OK(docker_.StopContainer(*id, 1));
  std::vector<std::string> actions;
  for (const DockerEvent& e : docker_.events()) actions.push_back(e.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"create", "start", "kill", "die", "stop"}));
  const DockerEvent create = docker_.events()[0];
  EXPECT_EQ(create.attributes.at("com.dokku.app-name"), "blog");
  EXPECT_EQ(create.attributes.at("name"), "blog.web.1");

  // A stream with since= replays from there; the filter keeps only die/stop.
  std::vector<std::string> seen;
  std::atomic<bool> stop{false};
  std::thread streamer([&] {
    Status s = docker_.StreamEvents(
        {{"event", {"die", "stop", "destroy"}}, {"type", {"container"}}}, create.time_nano,
        [&](const DockerEvent& e) {
          seen.push_back(e.action);
          if (e.action == "destroy") stop = true;
        },
        stop);
    EXPECT_OK(s);
  });
  ASSERT_OK(docker_.RemoveContainer(*id));
  streamer.join();
  EXPECT_EQ(seen, (std::vector<std::string>{"die", "stop", "destroy"}));
}

TEST_F(FakeDockerTest, DroppedStreamsReportUnavailable) {
  std::atomic<bool> stop{false};
  Status result;
  std::thread streamer([&] {
    result = docker_.StreamEvents(
        {}, 0, [](const DockerEvent&) {}, stop);
  });
  ASSERT_TRUE(docker_.WaitForCalls("events", 1));
  docker_.DropEventStreams();
  streamer.join();
  EXPECT_TRUE(result.IsUnavailable());
  EXPECT_EQ(docker_.open_event_streams(), 0);
}

TEST_F(FakeDockerTest, SafeUnderConcurrentUse) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 25; ++i) {
        StatusOr<std::string> id =
            docker_.CreateContainer(Spec(fmt::format("blog.web.{}", t * 100 + i)));
        if (id.ok()) (void)docker_.StartContainer(*id);
        (void)docker_.ListContainers({"com.dokku.app-name=blog"});
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(docker_.Containers().size(), 100u);
  EXPECT_EQ(docker_.CallCount("create"), 100);
}

}  // namespace
}  // namespace dokku

// DockerClient against a scripted HttpTransport: the exact requests it sends and how it reads
// Docker's answers (bodies as recorded from dockerd 20.10 / API 1.41).
#include "controller/docker/docker_client.h"

#include <gtest/gtest.h>

#include <deque>
#include <nlohmann/json.hpp>

#include "tests/testing/testutil.h"

namespace dokku {
namespace {

using nlohmann::json;

struct SentRequest {
  std::string method, path, body, content_type;
  std::chrono::milliseconds timeout;
};

class ScriptedTransport : public HttpTransport {
 public:
  void Reply(long status, std::string body = "") {  // NOLINT(runtime/int)
    replies_.push_back(HttpResponse{status, std::move(body), {}});
  }
  void Fail(Status status) { replies_.push_back(std::move(status)); }

  StatusOr<HttpResponse> Request(const std::string& method, const std::string& path,
                                 const std::string& body, const std::string& content_type,
                                 std::chrono::milliseconds timeout) override {
    sent.push_back({method, path, body, content_type, timeout});
    if (replies_.empty()) return Status::Internal("test: no reply scripted");
    StatusOr<HttpResponse> reply = replies_.front();
    replies_.pop_front();
    return reply;
  }

  StatusOr<HttpResponse> Stream(const std::string& path,
                                const std::function<void(std::string_view)>& on_chunk,
                                const std::atomic<bool>& stop) override {
    stream_path = path;
    for (const std::string& chunk : chunks) {
      if (stop.load()) break;
      on_chunk(chunk);
    }
    return stream_result;
  }

  const SentRequest& last() const { return sent.back(); }

  std::vector<SentRequest> sent;
  std::vector<std::string> chunks;
  StatusOr<HttpResponse> stream_result = HttpResponse{200, "", {}};
  std::string stream_path;

 private:
  std::deque<StatusOr<HttpResponse>> replies_;
};

class DockerClientTest : public ::testing::Test {
 protected:
  ScriptedTransport transport_;
  DockerClient client_{&transport_};
};

constexpr char kNameConflict[] =
    R"({"message":"Conflict. The container name \"/web-1\" is already in use by container )"
    R"(\"6f1e\". You have to remove (or rename) that container to be able to reuse that name."})";

TEST_F(DockerClientTest, CreateSendsTheWholeSpecAsJson) {
  ContainerSpec spec;
  spec.name = "blog.web.1";
  spec.image = "dokku/blog:latest";
  spec.cmd = {"/start", "web"};
  spec.env = {"PORT=5000", "DYNO=web.1"};
  spec.labels = {{"com.dokku.app-name", "blog"}, {"com.dokku.dyno", "web.1"}};
  spec.restart_policy = "on-failure:10";
  spec.init = true;
  spec.stop_timeout = 30;
  spec.exposed_port = 5000;
  spec.publish_port = true;
  transport_.Reply(201, R"({"Id":"6f1e2c","Warnings":[]})");

  StatusOr<std::string> id = client_.CreateContainer(spec);

  ASSERT_OK(id);
  EXPECT_EQ(*id, "6f1e2c");
  const SentRequest& sent = transport_.last();
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.path, "/v1.41/containers/create?name=blog.web.1");
  EXPECT_EQ(sent.content_type, "application/json");
  EXPECT_EQ(json::parse(sent.body), json::parse(R"({
    "Image": "dokku/blog:latest", "Cmd": ["/start", "web"], "Env": ["PORT=5000", "DYNO=web.1"],
    "Labels": {"com.dokku.app-name": "blog", "com.dokku.dyno": "web.1"},
    "ExposedPorts": {"5000/tcp": {}}, "StopTimeout": 30,
    "HostConfig": {"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 10}, "Init": true,
                   "PortBindings": {"5000/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}}})"));
}

TEST_F(DockerClientTest, CreateLeavesOutEmptyCmdAndUnpublishedPorts) {
  ContainerSpec spec;
  spec.name = "blog.worker.1";
  spec.image = "sha256:abc";
  spec.init = false;
  transport_.Reply(201, R"({"Id":"1","Warnings":null})");

  ASSERT_OK(client_.CreateContainer(spec));

  const json body = json::parse(transport_.last().body);
  EXPECT_FALSE(body.contains("Cmd"));
  EXPECT_FALSE(body.contains("ExposedPorts"));
  EXPECT_FALSE(body["HostConfig"].contains("PortBindings"));
  EXPECT_EQ(body["HostConfig"]["RestartPolicy"],
            json::parse(R"({"Name":"no","MaximumRetryCount":0})"));
  EXPECT_EQ(body["HostConfig"]["Init"], false);
  EXPECT_EQ(body["Env"], json::array());
  EXPECT_EQ(body["Labels"], json::object());
}

TEST_F(DockerClientTest, CreateMapsNameConflictAndMissingImage) {
  ContainerSpec spec;
  spec.name = "web-1";
  spec.image = "rsprobe:nope";
  transport_.Reply(409, kNameConflict);
  transport_.Reply(404, R"({"message":"No such image: rsprobe:nope"})");

  Status conflict = client_.CreateContainer(spec).status();
  Status missing = client_.CreateContainer(spec).status();

  EXPECT_TRUE(conflict.IsConflict()) << conflict.ToString();
  EXPECT_EQ(conflict.message(), json::parse(kNameConflict)["message"]);
  EXPECT_TRUE(missing.IsNotFound());
  EXPECT_EQ(missing.message(), "No such image: rsprobe:nope");
}

TEST_F(DockerClientTest, CreateRejectsBadRestartPolicyWithoutCallingDocker) {
  ContainerSpec spec;
  spec.name = "x1";
  spec.image = "img";
  spec.restart_policy = "sometimes";
  Status status = client_.CreateContainer(spec).status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(DockerClientTest, StartAndStopTreat304AsDone) {
  transport_.Reply(304);
  transport_.Reply(304);
  transport_.Reply(404, R"({"message":"No such container: gone"})");

  EXPECT_OK(client_.StartContainer("abc"));
  EXPECT_EQ(transport_.last().path, "/v1.41/containers/abc/start");
  EXPECT_EQ(transport_.last().method, "POST");
  EXPECT_EQ(transport_.last().body, "");
  EXPECT_EQ(transport_.last().content_type, "");
  EXPECT_OK(client_.StopContainer("abc", 10));
  EXPECT_TRUE(client_.StartContainer("gone").IsNotFound());
}

TEST_F(DockerClientTest, StopWaitsLongerThanTheGracePeriod) {
  transport_.Reply(204);
  ASSERT_OK(client_.StopContainer("abc", 30));
  EXPECT_EQ(transport_.last().path, "/v1.41/containers/abc/stop?t=30");
  EXPECT_EQ(transport_.last().timeout, std::chrono::seconds(45));
}

TEST_F(DockerClientTest, KillOfAStoppedContainerIsDone) {
  transport_.Reply(409, R"({"message":"Cannot kill container: x: Container 6f1e is not running"})");
  transport_.Reply(409, R"({"message":"Container 6f1e is paused, unpause the container"})");

  EXPECT_OK(client_.KillContainer("x", "SIGTERM"));
  EXPECT_EQ(transport_.last().path, "/v1.41/containers/x/kill?signal=SIGTERM");
  EXPECT_TRUE(client_.KillContainer("x", "SIGTERM").IsConflict());
}

TEST_F(DockerClientTest, RemoveForcesAndTreatsMissingAsDone) {
  transport_.Reply(404, R"({"message":"No such container: x"})");
  transport_.Reply(409, R"({"message":"removal of container x is already in progress"})");

  EXPECT_OK(client_.RemoveContainer("x"));
  EXPECT_EQ(transport_.last().method, "DELETE");
  EXPECT_EQ(transport_.last().path, "/v1.41/containers/x?force=1&v=1");
  EXPECT_TRUE(client_.RemoveContainer("x").IsConflict());
}

TEST_F(DockerClientTest, RenameAndUpdateRestartPolicy) {
  transport_.Reply(204);
  transport_.Reply(200, R"({"Warnings":null})");

  EXPECT_OK(client_.RenameContainer("abc", "blog.web.1"));
  EXPECT_EQ(transport_.last().path, "/v1.41/containers/abc/rename?name=blog.web.1");
  EXPECT_OK(client_.UpdateRestartPolicy("abc", "always"));
  EXPECT_EQ(transport_.last().path, "/v1.41/containers/abc/update");
  EXPECT_EQ(transport_.last().content_type, "application/json");
  EXPECT_EQ(json::parse(transport_.last().body),
            json::parse(R"({"RestartPolicy":{"Name":"always","MaximumRetryCount":0}})"));
}

TEST_F(DockerClientTest, ListContainersFiltersByLabelsAndStripsTheSlash) {
  transport_.Reply(200, R"([{"Id":"6f1e","Names":["/blog.web.1"],"Image":"dokku/blog:latest",
    "ImageID":"sha256:aa","Command":"/start web","Created":1700000000,"State":"running",
    "Status":"Up 2 minutes","Ports":[],"Labels":{"com.dokku.app-name":"blog"},
    "NetworkSettings":{"Networks":{}}},
    {"Id":"77","Names":["/other/alias","/blog.web.2"],"State":"exited","Labels":null}])");

  StatusOr<std::vector<ContainerSummary>> list =
      client_.ListContainers({"com.dokku.app-name=blog", "com.dokku.process-type"});

  ASSERT_OK(list);
  EXPECT_EQ(transport_.last().path,
            "/v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22com.dokku.app-name%3Dblog"
            "%22%2C%22com.dokku.process-type%22%5D%7D");
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, "6f1e");
  EXPECT_EQ((*list)[0].name, "blog.web.1");
  EXPECT_EQ((*list)[0].image_id, "sha256:aa");
  EXPECT_EQ((*list)[0].state, "running");
  EXPECT_EQ((*list)[0].created, 1700000000);
  EXPECT_EQ((*list)[0].labels.at("com.dokku.app-name"), "blog");
  EXPECT_EQ((*list)[1].name, "blog.web.2");
  EXPECT_TRUE((*list)[1].labels.empty());
}

TEST_F(DockerClientTest, ListContainersWithoutLabelsListsAll) {
  transport_.Reply(200, "[]");
  ASSERT_OK(client_.ListContainers({}));
  EXPECT_EQ(transport_.last().path, "/v1.41/containers/json?all=1");
}

TEST_F(DockerClientTest, InspectReadsStateNetworksAndPublishedPort) {
  transport_.Reply(200, R"({"Id":"6f1e","Name":"/blog.web.1","Image":"sha256:aa","RestartCount":2,
    "State":{"Status":"running","Running":true,"Paused":false,"ExitCode":0,
             "StartedAt":"2024-05-01T10:00:00.5Z","FinishedAt":"0001-01-01T00:00:00Z"},
    "Config":{"Labels":{"com.dokku.app-name":"blog"},"Image":"dokku/blog:latest"},
    "NetworkSettings":{"IPAddress":"","Ports":{"5000/tcp":[{"HostIp":"127.0.0.1","HostPort":"49153"}],
                                                "6000/tcp":null},
      "Networks":{"a-net":{"IPAddress":""},"dokku":{"IPAddress":"172.19.0.3"}}}})");

  StatusOr<ContainerInfo> info = client_.InspectContainer("blog.web.1");

  ASSERT_OK(info);
  EXPECT_EQ(transport_.last().path, "/v1.41/containers/blog.web.1/json");
  EXPECT_EQ(info->id, "6f1e");
  EXPECT_EQ(info->name, "blog.web.1");
  EXPECT_EQ(info->image_id, "sha256:aa");
  EXPECT_EQ(info->state, "running");
  EXPECT_TRUE(info->running);
  EXPECT_EQ(info->restart_count, 2);
  EXPECT_EQ(info->started_at, "2024-05-01T10:00:00.5Z");
  EXPECT_EQ(info->ip, "172.19.0.3");
  EXPECT_EQ(info->host_port, 49153);
  EXPECT_EQ(info->labels.at("com.dokku.app-name"), "blog");
}

TEST_F(DockerClientTest, InspectFallsBackToTheBridgeIpAndSurvivesNulls) {
  transport_.Reply(200, R"({"Id":"1","Name":"/x","State":{"Status":"exited","Running":false,
    "ExitCode":137},"Config":{"Labels":null},
    "NetworkSettings":{"IPAddress":"172.17.0.9","Ports":null,"Networks":null}})");

  StatusOr<ContainerInfo> info = client_.InspectContainer("x");

  ASSERT_OK(info);
  EXPECT_EQ(info->ip, "172.17.0.9");
  EXPECT_EQ(info->host_port, 0);
  EXPECT_EQ(info->exit_code, 137);
  EXPECT_FALSE(info->running);
  EXPECT_TRUE(info->labels.empty());
}

TEST_F(DockerClientTest, InspectImageToleratesNullConfigFields) {
  // An image made by `docker import`: Entrypoint, Env and ExposedPorts are null.
  transport_.Reply(200, R"({"Id":"sha256:f153","RepoTags":["dokku/blog:latest","dokku/blog:v1"],
    "Created":"2024-05-01T10:00:00.123456789Z","Size":1982256,
    "Config":{"Cmd":["/bin/sh","-c","httpd -f -p $PORT -h /app"],"Entrypoint":null,"Env":null,
              "ExposedPorts":null,"WorkingDir":"/app","Labels":null}})");

  StatusOr<ImageInfo> image = client_.InspectImage("dokku/blog:latest");

  ASSERT_OK(image);
  EXPECT_EQ(transport_.last().path, "/v1.41/images/dokku/blog:latest/json");
  EXPECT_EQ(image->id, "sha256:f153");
  EXPECT_EQ(image->repo_tags, (std::vector<std::string>{"dokku/blog:latest", "dokku/blog:v1"}));
  EXPECT_EQ(image->cmd, (std::vector<std::string>{"/bin/sh", "-c", "httpd -f -p $PORT -h /app"}));
  EXPECT_TRUE(image->entrypoint.empty());
  EXPECT_EQ(image->working_dir, "/app");
  EXPECT_EQ(image->created, 1714557600);
  EXPECT_EQ(image->size, 1982256);
}

TEST_F(DockerClientTest, ListImagesFiltersByReference) {
  transport_.Reply(200, R"([{"Id":"sha256:1","RepoTags":["dokku/blog:v1","dokku/blog:latest"],
    "Created":1700000100,"Size":5},{"Id":"sha256:2","RepoTags":null,"Created":1700000000}])");

  StatusOr<std::vector<ImageInfo>> images = client_.ListImages("dokku/blog");

  ASSERT_OK(images);
  EXPECT_EQ(transport_.last().path,
            "/v1.41/images/json?filters=%7B%22reference%22%3A%5B%22dokku%2Fblog%22%5D%7D");
  ASSERT_EQ(images->size(), 2u);
  EXPECT_EQ((*images)[0].repo_tags.size(), 2u);
  EXPECT_EQ((*images)[0].created, 1700000100);
  EXPECT_TRUE((*images)[1].repo_tags.empty());
}

TEST_F(DockerClientTest, TagAndRemoveImage) {
  transport_.Reply(201);
  transport_.Reply(200, R"([{"Untagged":"dokku/blog:v1"}])");
  transport_.Reply(404, R"({"message":"No such image: dokku/blog:v1"})");
  transport_.Reply(409, R"({"message":"conflict: unable to remove repository reference"})");

  EXPECT_OK(client_.TagImage("sha256:f153", "dokku/blog", "v1"));
  EXPECT_EQ(transport_.last().path, "/v1.41/images/sha256:f153/tag?repo=dokku%2Fblog&tag=v1");
  EXPECT_EQ(transport_.last().method, "POST");
  EXPECT_OK(client_.RemoveImage("dokku/blog:v1"));
  EXPECT_EQ(transport_.last().method, "DELETE");
  EXPECT_EQ(transport_.last().path, "/v1.41/images/dokku/blog:v1");
  EXPECT_OK(client_.RemoveImage("dokku/blog:v1"));
  EXPECT_TRUE(client_.RemoveImage("dokku/blog:v1").IsConflict());
}

TEST_F(DockerClientTest, LogsAreDemultiplexed) {
  std::string raw;
  raw += std::string("\x01\x00\x00\x00\x00\x00\x00\x06", 8) + "hello\n";
  raw += std::string("\x02\x00\x00\x00\x00\x00\x00\x05", 8) + "oops\n";
  transport_.Reply(200, raw);

  StatusOr<std::string> logs = client_.ContainerLogs("abc", 50);

  ASSERT_OK(logs);
  EXPECT_EQ(transport_.last().path, "/v1.41/containers/abc/logs?stdout=1&stderr=1&tail=50");
  EXPECT_EQ(*logs, "hello\noops\n");
}

TEST_F(DockerClientTest, GetArchiveReturnsTheRawTar) {
  const std::string tar(2048, 't');
  transport_.Reply(200, tar);
  transport_.Reply(404, R"({"message":"Could not find the file /app/NOPE in container x"})");

  StatusOr<std::string> archive = client_.GetArchive("x", "/app/Procfile");
  Status missing = client_.GetArchive("x", "/app/NOPE").status();

  ASSERT_OK(archive);
  EXPECT_EQ(*archive, tar);
  EXPECT_EQ(transport_.sent[0].path, "/v1.41/containers/x/archive?path=%2Fapp%2FProcfile");
  EXPECT_TRUE(missing.IsNotFound());
  EXPECT_EQ(missing.message(), "Could not find the file /app/NOPE in container x");
}

TEST_F(DockerClientTest, ErrorsAndTransportFailuresMapToStatus) {
  transport_.Reply(500, R"({"message":"driver failed programming external connectivity"})");
  transport_.Reply(400, R"({"message":"client version 1.41 is too new"})");
  transport_.Fail(Status::Unavailable("docker GET /v1.41/_ping: Couldn't connect to server"));
  transport_.Reply(418, "");

  Status server = client_.StartContainer("a");
  Status bad = client_.Ping();
  Status down = client_.Ping();
  Status odd = client_.Ping();

  EXPECT_TRUE(server.IsUnavailable());
  EXPECT_EQ(server.message(), "driver failed programming external connectivity");
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(transport_.last().path, "/v1.41/_ping");
  EXPECT_TRUE(down.IsUnavailable());
  EXPECT_EQ(odd.code(), StatusCode::kInternal);
}

TEST_F(DockerClientTest, InspectReportsBadJsonAsInternal) {
  transport_.Reply(200, "{\"Id\":");
  Status status = client_.InspectContainer("x").status();
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_TRUE(status.message().starts_with("bad JSON from docker: ")) << status.message();
}

TEST_F(DockerClientTest, StreamEventsReassemblesLinesSplitAcrossChunks) {
  transport_.chunks = {
      R"({"status":"start","id":"6f1e","from":"dokku/blog","Type":"container","Action":"start",)",
      R"("Actor":{"ID":"6f1e","Attributes":{"com.dokku.app-name":"blog","name":"blog.web.1"}},)"
      R"("scope":"local","time":1700000000,"timeNano":1700000000123456789})"
      "\n\n{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":\"6f1e\",\"Attributes\":"
      "{\"exitCode\":\"137\"}},\"timeNano\":1700000001000000000}\nnot json at all\n",
      "{\"status\":\"tag\",\"id\":\"sha256:77\",\"time\":1700000002}\n"};
  std::vector<DockerEvent> seen;
  std::atomic<bool> stop{false};

  Status status = client_.StreamEvents(
      {{"type", {"container"}}}, 1700000000123456789,
      [&](const DockerEvent& e) { seen.push_back(e); }, stop);

  EXPECT_TRUE(status.IsUnavailable()) << "a stream the daemon closed must be reconnected";
  EXPECT_EQ(transport_.stream_path,
            "/v1.41/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D"
            "&since=1700000000.123456789");
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].type, "container");
  EXPECT_EQ(seen[0].action, "start");
  EXPECT_EQ(seen[0].id, "6f1e");
  EXPECT_EQ(seen[0].attributes.at("name"), "blog.web.1");
  EXPECT_EQ(seen[0].time_nano, 1700000000123456789);
  EXPECT_EQ(seen[1].action, "die");
  EXPECT_EQ(seen[1].attributes.at("exitCode"), "137");
  // Only the legacy fields: still understood.
  EXPECT_EQ(seen[2].action, "tag");
  EXPECT_EQ(seen[2].id, "sha256:77");
  EXPECT_EQ(seen[2].time_nano, 1700000002000000000);
}

TEST_F(DockerClientTest, StreamEventsReturnsOkWhenStoppedAndMapsHttpErrors) {
  std::atomic<bool> stop{true};
  auto ignore = [](const DockerEvent&) {};
  EXPECT_OK(client_.StreamEvents({}, 0, ignore, stop));
  EXPECT_EQ(transport_.stream_path, "/v1.41/events");

  stop = false;
  transport_.stream_result = HttpResponse{400, R"({"message":"invalid filter 'x'"})", {}};
  Status status = client_.StreamEvents({{"x", {"y"}}}, 0, ignore, stop);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "invalid filter 'x'");
}

}  // namespace
}  // namespace dokku

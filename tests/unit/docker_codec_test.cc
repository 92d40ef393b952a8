// The pure pieces under DockerClient: decoders on hostile input, restart policies, escaping,
// times, log demultiplexing, line reassembly, DOCKER_HOST parsing and the curl transport's
// failure mode.
#include "controller/docker/docker_codec.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "controller/docker/docker_wire.h"
#include "controller/http/http_transport.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

TEST(DockerCodecTest, DecodersReportBadJsonAsInternal) {
  for (std::string_view text : {"", "{", "[1,", "nul", "\"x\"\x01", "{\"a\":1}}"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(DecodeContainerInfo(text).status().code(), StatusCode::kInternal);
    EXPECT_EQ(DecodeContainerList(text).status().code(), StatusCode::kInternal);
    EXPECT_EQ(DecodeEvent(text).status().code(), StatusCode::kInternal);
  }
  // Valid JSON of the wrong shape.
  EXPECT_EQ(DecodeContainerInfo("[]").status().code(), StatusCode::kInternal);
  EXPECT_EQ(DecodeContainerList("{}").status().code(), StatusCode::kInternal);
  EXPECT_EQ(DecodeImageInfo("42").status().code(), StatusCode::kInternal);
  EXPECT_EQ(DecodeEvent("null").status().code(), StatusCode::kInternal);
  EXPECT_EQ(DecodeCreatedId("{}").status().code(), StatusCode::kInternal);
}

TEST(DockerCodecTest, MistypedAndOutOfRangeFieldsReadAsEmpty) {
  StatusOr<ContainerInfo> info = DecodeContainerInfo(R"({"Id":5,"Name":null,"RestartCount":1e300,
    "State":{"Status":["x"],"Running":"yes","ExitCode":99999999999},
    "Config":{"Labels":{"a":"b","n":1,"z":null}},
    "NetworkSettings":{"Networks":{"n":null,"m":{"IPAddress":7}},
                       "Ports":{"1/tcp":[null,{"HostPort":"70000"},{"HostPort":"8080"}]}}})");
  ASSERT_OK(info);
  EXPECT_EQ(info->id, "");
  EXPECT_EQ(info->restart_count, 0);
  EXPECT_EQ(info->exit_code, 0);
  EXPECT_FALSE(info->running);
  EXPECT_EQ(info->labels, (std::map<std::string, std::string>{{"a", "b"}}));
  EXPECT_EQ(info->ip, "");
  EXPECT_EQ(info->host_port, 8080);

  StatusOr<std::vector<ContainerSummary>> list = DecodeContainerList(R"([1,null,{"Names":null}])");
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "");
  ASSERT_OK(DecodeContainerList("null"));

  StatusOr<DockerEvent> event = DecodeEvent(R"({"Actor":null,"time":9e18,"timeNano":"x"})");
  ASSERT_OK(event);
  EXPECT_EQ(event->time_nano, 0);
}

TEST(DockerCodecTest, ErrorMessageFallsBackToTheBody) {
  EXPECT_EQ(DecodeErrorMessage(R"({"message":"No such container: x"})"), "No such container: x");
  EXPECT_EQ(DecodeErrorMessage("page not found\n"), "page not found");
  EXPECT_EQ(DecodeErrorMessage(""), "");
}

TEST(DockerCodecTest, RestartPolicies) {
  struct Case {
    std::string_view text;
    std::string name;
    int retries;
  } cases[] = {{"", "no", 0},
               {"no", "no", 0},
               {"always", "always", 0},
               {"unless-stopped", "unless-stopped", 0},
               {"on-failure", "on-failure", 0},
               {"on-failure:10", "on-failure", 10},
               {"on-failure:0", "on-failure", 0}};
  for (const Case& c : cases) {
    StatusOr<RestartPolicy> p = ParseRestartPolicy(c.text);
    ASSERT_OK(p);
    EXPECT_EQ(p->name, c.name) << c.text;
    EXPECT_EQ(p->max_retries, c.retries) << c.text;
  }
  for (std::string_view bad : {"sometimes", "on-failure:", "on-failure:-1", "on-failure:x",
                               "always:3", "on-failure:99999999999", "on-failures"}) {
    EXPECT_EQ(ParseRestartPolicy(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(DockerCodecTest, EncodeRejectsInvalidUtf8AndBadPorts) {
  ContainerSpec spec;
  spec.name = "a1";
  spec.image = "img";
  spec.env = {"K=\xff"};
  EXPECT_EQ(EncodeCreateBody(spec).status().code(), StatusCode::kInvalidArgument);
  spec.env.clear();
  spec.exposed_port = 70000;
  EXPECT_EQ(EncodeCreateBody(spec).status().code(), StatusCode::kInvalidArgument);
}

TEST(DockerWireTest, EscapingAndSince) {
  EXPECT_EQ(UrlEscape("a b/c:d=e&f~_.-"), "a%20b%2Fc%3Ad%3De%26f~_.-");
  EXPECT_EQ(PathEscape("dokku/app:v1 x"), "dokku/app:v1%20x");
  EXPECT_EQ(FormatSince(1700000000123456789), "1700000000.123456789");
  EXPECT_EQ(FormatSince(5), "0.000000005");
  EXPECT_EQ(EncodeFilters({{"type", {"container"}}, {"label", {"a=b"}}}),
            R"({"label":["a=b"],"type":["container"]})");
}

TEST(DockerWireTest, Rfc3339) {
  EXPECT_EQ(ParseRfc3339Seconds("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339Seconds("2024-05-01T10:00:00.123456789Z"), 1714557600);
  EXPECT_EQ(ParseRfc3339Seconds("2024-05-01T12:00:00+02:00"), 1714557600);
  EXPECT_EQ(ParseRfc3339Seconds("2024-02-30T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339Seconds("yesterday"), 0);
  EXPECT_EQ(ParseRfc3339Seconds("2024-05-01T10:00:00"), 0);
}

TEST(DockerWireTest, DemultiplexLogs) {
  const std::string frame_out = std::string("\x01\0\0\0\0\0\0\x03", 8) + "ab\n";
  const std::string frame_err = std::string("\x02\0\0\0\0\0\0\x02", 8) + "c\n";
  EXPECT_EQ(DemultiplexLogs(frame_out + frame_err), "ab\nc\n");
  // Truncated payload and a truncated header at the end.
  EXPECT_EQ(DemultiplexLogs(frame_out + frame_err.substr(0, 9)), "ab\nc");
  EXPECT_EQ(DemultiplexLogs(frame_out + frame_err.substr(0, 5)), "ab\n");
  // TTY output has no frames.
  EXPECT_EQ(DemultiplexLogs("plain text\n"), "plain text\n");
  EXPECT_EQ(DemultiplexLogs(""), "");
}

TEST(DockerWireTest, LineSplitterHandlesAnySplit) {
  const std::string stream = "one\r\n\ntwo\nthree\n";
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    LineSplitter splitter;
    std::vector<std::string> lines;
    auto collect = [&](std::string_view l) { lines.emplace_back(l); };
    splitter.Feed(std::string_view(stream).substr(0, cut), collect);
    splitter.Feed(std::string_view(stream).substr(cut), collect);
    EXPECT_EQ(lines, (std::vector<std::string>{"one", "two", "three"})) << "cut at " << cut;
  }
}

TEST(DockerWireTest, LineSplitterDropsOverlongLines) {
  LineSplitter splitter(8);
  std::vector<std::string> lines;
  auto collect = [&](std::string_view l) { lines.emplace_back(l); };
  splitter.Feed("short\n0123456", collect);
  splitter.Feed("789abcdef", collect);
  splitter.Feed("xyz\nok\n", collect);
  EXPECT_EQ(lines, (std::vector<std::string>{"short", "ok"}));
}

TEST(HttpTransportTest, DockerHostForms) {
  EXPECT_EQ(*SocketPathFromDockerHost(""), "/var/run/docker.sock");
  EXPECT_EQ(*SocketPathFromDockerHost("unix:///run/user/1000/docker.sock"),
            "/run/user/1000/docker.sock");
  EXPECT_EQ(*SocketPathFromDockerHost("/tmp/d.sock"), "/tmp/d.sock");
  for (std::string_view bad :
       {"tcp://127.0.0.1:2375", "unix://relative.sock", "docker.sock", "ssh://host"}) {
    EXPECT_EQ(SocketPathFromDockerHost(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(SocketPathFromDockerHost("unix://" + std::string(200, 'x')).ok());
}

TEST(HttpTransportTest, MissingSocketIsUnavailable) {
  CurlUnixTransport transport("/nonexistent/dokkutest/docker.sock");
  StatusOr<HttpResponse> response =
      transport.Request("GET", "/v1.41/_ping", "", "", std::chrono::milliseconds(0));
  EXPECT_TRUE(response.status().IsUnavailable()) << response.status().ToString();
  std::atomic<bool> stop{false};
  StatusOr<HttpResponse> stream = transport.Stream(
      "/v1.41/events", [](std::string_view) {}, stop);
  EXPECT_TRUE(stream.status().IsUnavailable()) << stream.status().ToString();
}

}  // namespace
}  // namespace dokku

namespace dokku {
namespace {

TEST(DockerCodecTest, CreateBodyCarriesMountsAndResources) {
  ContainerSpec spec;
  spec.image = "img";
  spec.mounts = {{"bind", "/srv/data", "/data", true, "rshared", false},
                 {"volume", "vol1", "/cache", false, "", true}};
  spec.memory = 64LL << 20;
  spec.memory_swap = -1;
  spec.memory_reservation = 32LL << 20;
  spec.nano_cpus = 1'500'000'000;
  spec.gpus = -1;
  StatusOr<std::string> body = EncodeCreateBody(spec);
  ASSERT_OK(body);
  auto json = nlohmann::json::parse(*body);
  const auto& host = json["HostConfig"];
  EXPECT_EQ(host["Memory"], 67108864);
  EXPECT_EQ(host["MemorySwap"], -1);
  EXPECT_EQ(host["MemoryReservation"], 33554432);
  EXPECT_EQ(host["NanoCpus"], 1500000000);
  EXPECT_EQ(host["DeviceRequests"].dump(),
            R"([{"Capabilities":[["gpu"]],"Count":-1,"Driver":"nvidia"}])");
  EXPECT_EQ(host["Mounts"].dump(),
            R"([{"BindOptions":{"Propagation":"rshared"},"ReadOnly":true,"Source":"/srv/data",)"
            R"("Target":"/data","Type":"bind"},{"ReadOnly":false,"Source":"vol1",)"
            R"("Target":"/cache","Type":"volume","VolumeOptions":{"NoCopy":true}}])");
  // Nothing set: none of the fields appear (Docker's defaults apply).
  ContainerSpec plain;
  plain.image = "img";
  auto bare = nlohmann::json::parse(*EncodeCreateBody(plain))["HostConfig"];
  for (const char* key : {"Memory", "MemorySwap", "MemoryReservation", "NanoCpus", "Mounts",
                          "DeviceRequests", "Binds"}) {
    EXPECT_FALSE(bare.contains(key)) << key;
  }
}

}  // namespace
}  // namespace dokku

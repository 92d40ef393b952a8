// The control socket: its framing, Docker's stream demultiplexing, the pure decisions behind
// logs/enter/ps:inspect, who may connect, and the CLI talking to a ControlServer on FakeDocker
// and FakeContainerIo over a real unix socket (as root: the refusal of others is in e2e).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "controller/control/control_server.h"
#include "controller/control/peer_auth.h"
#include "controller/control/protocol.h"
#include "controller/docker/docker_wire.h"
#include "controller/model/naming.h"
#include "controller/model/operate.h"
#include "controller/scheduler/host_access.h"
#include "tests/testing/cli_harness.h"
#include "tests/testing/fake_container_io.h"
#include "tests/testing/fake_docker.h"

namespace dokku {
namespace {

using control::Frame;
using control::FrameDecoder;
using control::FrameKind;

TEST(ControlProtocolTest, FramesSurviveEverySplit) {
  const std::string wire = control::EncodeFrame(FrameKind::kRequest, R"({"op":"logs"})") +
                           control::EncodeFrame(FrameKind::kStdin, std::string("a\0b", 3)) +
                           control::EncodeFrame(FrameKind::kExit, "3");
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    FrameDecoder d;
    std::vector<Frame> got;
    Frame f;
    ASSERT_TRUE(d.Feed(wire.substr(0, cut)));
    while (d.Next(&f)) got.push_back(f);
    ASSERT_TRUE(d.Feed(wire.substr(cut)));
    while (d.Next(&f)) got.push_back(f);
    ASSERT_EQ(got.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(got[0].payload, R"({"op":"logs"})");
    EXPECT_EQ(got[1].payload, std::string("a\0b", 3));
    EXPECT_EQ(got[2].kind, FrameKind::kExit);
  }
}

TEST(ControlProtocolTest, BadKindsAndOversizedFramesAreRefused) {
  FrameDecoder d;
  Frame f;
  ASSERT_TRUE(d.Feed(std::string("Z\0\0\0\1x", 6)));
  EXPECT_FALSE(d.Next(&f));
  EXPECT_TRUE(d.bad());
  FrameDecoder big;
  ASSERT_TRUE(big.Feed(std::string("o\x7f\xff\xff\xff", 5)));
  EXPECT_FALSE(big.Next(&f));
  EXPECT_TRUE(big.bad());
}

TEST(ControlProtocolTest, ReadFrameTellsCleanEndFromCutFrame) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ASSERT_TRUE(control::WriteFrame(fds[1], FrameKind::kStdout, "hello").ok());
  const std::string half = control::EncodeFrame(FrameKind::kStdout, "cut").substr(0, 6);
  ASSERT_EQ(::write(fds[1], half.data(), half.size()), static_cast<ssize_t>(half.size()));
  ::close(fds[1]);
  StatusOr<Frame> first = control::ReadFrame(fds[0]);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->payload, "hello");
  EXPECT_TRUE(control::ReadFrame(fds[0]).status().IsUnavailable());
  ::close(fds[0]);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ::close(fds[1]);
  EXPECT_TRUE(control::ReadFrame(fds[0]).status().IsNotFound());
  ::close(fds[0]);
}

std::string DockerFrame(int stream, const std::string& data) {
  std::string out(8, '\0');
  out[0] = static_cast<char>(stream);
  out[7] = static_cast<char>(data.size());
  return out + data;
}

TEST(StreamDemuxerTest, SplitsFramesAnywhereAndKeepsStreamsApart) {
  const std::string wire =
      DockerFrame(1, "out1\n") + DockerFrame(2, "err\n") + DockerFrame(1, "out2");
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    StreamDemuxer d;
    std::string out, err;
    auto sink = [&](int s, std::string_view data) { (s == 2 ? err : out).append(data); };
    d.Feed(wire.substr(0, cut), sink);
    d.Feed(wire.substr(cut), sink);
    EXPECT_EQ(out, "out1\nout2") << cut;
    EXPECT_EQ(err, "err\n") << cut;
  }
}

TEST(StreamDemuxerTest, RawStreamsPassThrough) {
  StreamDemuxer detected;
  std::string out;
  detected.Feed("hi", [&](int s, std::string_view d) {
    EXPECT_EQ(s, 1);
    out.append(d);
  });
  detected.Feed(std::string("\x01\0\0\0", 4), [&](int, std::string_view d) { out.append(d); });
  EXPECT_EQ(out, std::string("hi\x01\0\0\0", 6));
  StreamDemuxer tty(/*raw=*/true);
  std::string t;
  tty.Feed(DockerFrame(1, "x"), [&](int, std::string_view d) { t.append(d); });
  EXPECT_EQ(t, DockerFrame(1, "x")) << "a TTY stream is never demultiplexed";
}

TEST(OperateTest, FormatsLogLinesAsDokku) {
  const std::string line = "2024-05-01T10:00:00.123456789Z hello world";
  EXPECT_EQ(FormatLogLine(line, "web.1", 36, false),
            "\x1b[36m2024-05-01T10:00:00.123456789Z app[web.1]:\x1b[0m hello world");
  EXPECT_EQ(FormatLogLine(line, "web.1", 36, true), "hello world");
  EXPECT_EQ(FormatLogLine("no timestamp here", "web.1", 36, false), "no timestamp here");
  EXPECT_EQ(LogColour(0), 36);
  EXPECT_EQ(LogColour(4), 31);
  EXPECT_EQ(LogColour(5), 36);
}

TEST(OperateTest, MergesContainersByTimeKeepingEachOrder) {
  std::vector<std::vector<std::string>> in = {
      {"2024-05-01T10:00:01.5Z a1", "2024-05-01T10:00:03Z a2"},
      {"2024-05-01T10:00:01.25Z b1", "2024-05-01T10:00:03.000000000Z b2"},
  };
  std::vector<std::string> got;
  for (const TaggedLine& l : MergeByTimestamp(in))
    got.push_back(l.line.substr(l.line.find(' ') + 1));
  EXPECT_EQ(got, (std::vector<std::string>{"b1", "a1", "a2", "b2"}));
  EXPECT_LT(TimestampKey("2024-05-01T10:00:01.25Z x"), TimestampKey("2024-05-01T10:00:01.3Z x"));
}

TEST(OperateTest, PicksTheContainerEnterMeans) {
  const std::vector<EnterCandidate> two = {
      {"aaa1", "web", 1, true}, {"bbb2", "web", 2, true}, {"ccc3", "worker", 1, false}};
  struct Case {
    std::string target, id, want_id, want_error;
  } cases[] = {
      {"", "", "", "No container type specified.\nAvailable types for app (app): web worker"},
      {"web", "", "aaa1", ""},
      {"web.2", "", "bbb2", ""},
      {"web.3", "", "",
       "No containers found for type 'web.3'\nAvailable types for app (app): web worker"},
      {"worker", "", "", "Container is not running"},
      {"", "bbb", "bbb2", ""},
      {"", "zzz", "",
       "Invalid container id for app: zzz\nAvailable ids for app (app): aaa1 bbb2 ccc3"},
  };
  for (const Case& c : cases) {
    StatusOr<EnterCandidate> got = PickEnterTarget(two, "app", c.target, c.id);
    if (c.want_error.empty()) {
      ASSERT_TRUE(got.ok()) << c.target << c.id << ": " << got.status().message();
      EXPECT_EQ(got->id, c.want_id);
    } else {
      EXPECT_EQ(got.status().message(), c.want_error) << c.target << c.id;
    }
  }
  EXPECT_EQ(PickEnterTarget({}, "app", "", "").status().message(), "No containers found for app");
  EXPECT_EQ(PickEnterTarget({two[0]}, "app", "", "")->id, "aaa1") << "one type needs no name";
}

TEST(OperateTest, InspectMasksConfigValuesButDokkusOwn) {
  StatusOr<std::string> out = SanitizeInspect(
      R"([{"Name":"/a.web.1","Config":{"Env":["SECRET=hunter2","DYNO=web.1","PORT=5000",)"
      R"("PATH=/bin","DOKKU_X=1","NOEQUALS","caf\u00e9=1"]},"Empty":{}}])");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out,
            "[\n    {\n        \"Config\": {\n            \"Env\": [\n"
            "                \"SECRET=XXXXXX\",\n                \"DYNO=web.1\",\n"
            "                \"PORT=5000\",\n                \"PATH=/bin\",\n"
            "                \"DOKKU_X=1\",\n                \"NOEQUALS=XXXXXX\",\n"
            "                \"caf\\u00e9=XXXXXX\"\n            ]\n        },\n"
            "        \"Empty\": {},\n        \"Name\": \"/a.web.1\"\n    }\n]\n");
  EXPECT_FALSE(SanitizeInspect("{}").ok());
}

TEST(OperateTest, CommandsQuotedAsDocker) {
  EXPECT_EQ(QuotedCommand("sh", {"-c", "echo \"hi\""}), R"("sh -c echo \"hi\"")");
}

TEST(PeerAuthTest, RootAndGroupMembersOnly) {
  const gid_t dokku = 990;
  EXPECT_TRUE(control::PeerAllowed({1, 0, 0}, std::nullopt, {}));
  EXPECT_TRUE(control::PeerAllowed({1, 1000, 1000}, dokku, {1000, dokku}));
  EXPECT_TRUE(control::PeerAllowed({1, 1000, dokku}, dokku, {}));
  EXPECT_FALSE(control::PeerAllowed({1, 1000, 1000}, dokku, {1000, 27}));
  EXPECT_FALSE(control::PeerAllowed({1, 1000, 1000}, std::nullopt, {1000}));
}

TEST(HostAccessTest, ASharedStateGivesNoMoreOfTheHostThanTheStorageRoot) {
  const HostAccessPolicy shared{true, "/var/lib/dokku/data/storage"};
  auto mount = [](const std::string& host) {
    StorageMount m;
    m.host_path = host;
    m.container_path = "/data";
    return m;
  };
  auto option = [](const std::string& text) { return DockerOption{"_default_", "deploy", text}; };
  struct Case {
    std::vector<StorageMount> mounts;
    std::vector<DockerOption> options;
    bool ok;
  } cases[] = {
      {{mount("/var/lib/dokku/data/storage/app")}, {}, true},
      {{mount("named-volume")}, {}, true},
      {{mount("/etc")}, {}, false},
      {{mount("/var/lib/dokku/data/storage/../../dokku.db")}, {}, false},
      {{mount("/var/lib/dokku/data/storage")}, {}, false},
      {{}, {option("-v /var/lib/dokku/data/storage/x:/x")}, true},
      {{}, {option("-v /:/host")}, false},
      {{}, {option("--cap-add SYS_ADMIN")}, false},
      {{}, {option("--network host")}, false},
      {{}, {option("--shm-size 64m")}, true},
  };
  for (const Case& c : cases) {
    Status st = CheckHostAccess(shared, c.mounts, c.options);
    EXPECT_EQ(st.ok(), c.ok) << (c.mounts.empty() ? c.options[0].option : c.mounts[0].host_path)
                             << ": " << st.message();
    EXPECT_TRUE(CheckHostAccess({false, ""}, c.mounts, c.options).ok()) << "root-only hosts";
  }
}

// The CLI against a real ControlServer on fakes.
class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cli_.DeployApp("app", {});
    StatusOr<std::string> id = cli_.daemon().StoreId();
    ASSERT_TRUE(id.ok());
    store_id_ = *id;
    image_ = docker_.AddImage("dokku/app:v1");
    server_ = std::make_unique<control::ControlServer>(
        control::ControlServerOptions{control::SocketPath(cli_.state_dir()), "nonexistent-group"},
        control::ControlDeps{
            cli_.state_dir(), store_id_, &docker_, &io_, {}, [this](const std::string& app) {
              // Plays a reconcile pass: the due retirements are done.
              enqueued_.push_back(app);
              ASSERT_TRUE(cli_.daemon().RemoveRetirement("cafe00000000aa").ok());
            }});
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override { server_->Stop(); }

  // A running container holding a live name, as docker-local makes them.
  std::string Live(const std::string& proctype, int index) {
    ContainerSpec spec;
    spec.name = LiveName("app", proctype, index);
    spec.image = image_;
    spec.labels = {{kLabelStore, store_id_},
                   {kLabelApp, "app"},
                   {kLabelDyno, proctype + "." + std::to_string(index)}};
    StatusOr<std::string> id = docker_.CreateContainer(spec);
    EXPECT_TRUE(id.ok());
    EXPECT_TRUE(docker_.StartContainer(*id).ok());
    return *id;
  }

  testing::CliHarness cli_;
  FakeDocker docker_;
  testing::FakeContainerIo io_;
  std::string store_id_, image_;
  std::vector<std::string> enqueued_;
  std::unique_ptr<control::ControlServer> server_;
};

TEST_F(ControlServerTest, LogsMergesLiveContainersByTimeWithDokkusPrefix) {
  const std::string web = Live("web", 1), worker = Live("worker", 1);
  io_.SetLogLines(web, {"2024-05-01T10:00:00.2Z w1", "2024-05-01T10:00:00.4Z w2"});
  io_.SetLogLines(worker, {"2024-05-01T10:00:00.3Z k1"});
  testing::CliResult r = cli_.Run({"logs", "app", "-n", "5"});
  ASSERT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out,
            "\x1b[36m2024-05-01T10:00:00.2Z app[web.1]:\x1b[0m w1\n"
            "\x1b[33m2024-05-01T10:00:00.3Z app[worker.1]:\x1b[0m k1\n"
            "\x1b[36m2024-05-01T10:00:00.4Z app[web.1]:\x1b[0m w2\n");
  r = cli_.Run({"logs", "app", "-q", "-p", "worker"});
  EXPECT_EQ(r.out, "k1\n");
  EXPECT_EQ(io_.calls().back(), "logs " + worker + " tail=100 follow=0");
}

TEST_F(ControlServerTest, LogsTailFollowsContainersThatJoinLater) {
  const std::string web = Live("web", 1);
  io_.SetLogLines(web, {"2024-05-01T10:00:00Z old"});
  std::string out;
  std::thread follower([&] {
    // The CLI ends when the server stops (it closes the connection).
    out = cli_.Run({"logs", "app", "-t"}).out;
  });
  const std::string joined = Live("web", 2);
  io_.SetLogLines(joined, {"2024-05-01T10:00:05Z from the new container"});
  for (int i = 0; i < 500 && out.find("new container") == std::string::npos; ++i) {
    std::vector<std::string> calls = io_.calls();
    bool following = false;
    for (const std::string& c : calls) following |= c == "logs " + joined + " tail=-1 follow=1";
    if (following) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  io_.AppendLogLine(web, "2024-05-01T10:00:06Z later");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  server_->Stop();
  follower.join();
  EXPECT_NE(out.find("app[web.1]:\x1b[0m old"), std::string::npos) << out;
  EXPECT_NE(out.find("app[web.2]:\x1b[0m from the new container"), std::string::npos) << out;
  EXPECT_NE(out.find("app[web.1]:\x1b[0m later"), std::string::npos) << out;
  EXPECT_EQ(out.find("old"), out.rfind("old")) << "a line already printed is not repeated";
}

TEST_F(ControlServerTest, PsInspectPrintsMaskedDocuments) {
  const std::string web = Live("web", 1);
  io_.SetInspect(web, R"({"Id":"x","Config":{"Env":["SECRET=s","DYNO=web.1"]}})");
  testing::CliResult r = cli_.Run({"ps:inspect", "app"});
  ASSERT_EQ(r.rc, 0) << r.Describe();
  EXPECT_NE(r.out.find("\"SECRET=XXXXXX\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"DYNO=web.1\""), std::string::npos);
  EXPECT_EQ(r.out.find("SECRET=s\""), std::string::npos);
}

TEST_F(ControlServerTest, EnterRunsInTheNamedContainerAndReturnsItsExitCode) {
  Live("web", 1);
  const std::string web2 = Live("web", 2);
  Live("worker", 1);
  io_.SetExec(web2, {"inside web.2\n", /*echo_stdin=*/true, 7});
  testing::CliResult r = cli_.Run({"enter", "app", "web.2", "cat"}, "typed\n");
  EXPECT_EQ(r.rc, 7) << r.Describe();
  EXPECT_EQ(r.out, "inside web.2\ntyped\n");
  EXPECT_EQ(io_.calls().back(), "exec " + web2 + " cat tty=0");
  r = cli_.Run({"enter", "app"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err,
            " !     No container type specified.\n"
            " !     Available types for app (app): web worker\n");
}

TEST_F(ControlServerTest, PsRetireAsksForDueRetirementsAndRetiresExpiredRuns) {
  ASSERT_TRUE(cli_.daemon().AddRetirement("cafe00000000aa", "app", 0).ok());
  ContainerSpec run;
  run.name = "app.run.7";
  run.image = image_;
  run.labels = {{kLabelApp, "app"},
                {kLabelContainerType, "run"},
                {kLabelRunStore, store_id_},
                {kLabelDeadline, "0"}};
  StatusOr<std::string> id = docker_.CreateContainer(run);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(docker_.StartContainer(*id).ok());
  testing::CliResult r = cli_.Run({"ps:retire"});
  ASSERT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out,
            "-----> Retiring old containers and images\n"
            "       Attempting to retire app container cafe00000000\n"
            "-----> Retiring expired run and cron containers\n"
            "-----> Retiring all run and cron containers\n"
            "       Retiring container " +
                id->substr(0, 12) + "\n");
  EXPECT_EQ(enqueued_, std::vector<std::string>{"app"});
  EXPECT_FALSE(docker_.Find("app.run.7").has_value());
}

TEST_F(ControlServerTest, ArgumentErrorsNeedNoDaemon) {
  server_->Stop();  // nothing below may reach it
  struct Case {
    std::vector<std::string> args;
    int rc;
    std::string err;
  } cases[] = {
      {{"logs", "missing"}, 20, " !     App missing does not exist\n"},
      {{"run", "--no-tty", "--force-tty", "app", "true"},
       1,
       " !     Cannot specify both --force-tty and --no-tty\n"},
      {{"run", "--ttl-seconds", "x", "app", "true"},
       1,
       " !     --ttl-seconds must be a positive integer\n"},
      {{"run", "-e"}, 20, " !     expected -e to have an argument\n !     App  does not exist\n"},
      {{"run:logs"}, 1, " !     No container or app specified\n"},
      {{"run:logs", "--container", "app.web.1"},
       1,
       " !     Specified container must be a run container\n"},
      {{"run:stop", "--container", "app.run"},
       1,
       " !     Invalid container name specified: app.run\n"},
      {{"run:stop", "other", "--container", "app.run.5"},
       1,
       " !     Specified app does not app in container name\n"},
  };
  for (const Case& c : cases) {
    testing::CliResult r = cli_.Run(c.args);
    EXPECT_EQ(r.rc, c.rc) << c.args[0] << "\n" << r.Describe();
    EXPECT_EQ(r.err, c.err) << c.args[0];
  }
  testing::CliResult r = cli_.Run({"logs", "app", "-n", "many"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("invalid argument \"many\" for \"-n, --num\" flag"), std::string::npos);
  cli_.Run({"apps:create", "fresh"});
  r = cli_.Run({"logs", "fresh"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, " !     App fresh has not been deployed\n");
  r = cli_.Run({"logs", "app"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("dokkud is not running"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dokku

namespace dokku {
namespace {

TEST(PsRestoreTest, StartsAppsUnlessTheirRestorePropertyIsFalse) {
  testing::CliHarness cli;
  cli.DeployApp("app", {testing::CliHarness::Container("app", "web", 1, "c1")});
  cli.DeployApp("kept", {testing::CliHarness::Container("kept", "web", 1, "c2")});
  ASSERT_EQ(cli.Run({"ps:set", "kept", "restore", "false"}).rc, 0);
  testing::CliResult r = cli.Run({"ps:restore"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_NE(r.err.find(" !     Restore specified without app, assuming --all\n"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(" !     Skipping ps:restore for kept as restore property is false\n"),
            std::string::npos);
  EXPECT_NE(r.out.find("-----> Running restore against app app\n-----> Starting app\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find(" !     App app already running\n"), std::string::npos);
  r = cli.Run({"ps:restore", "missing"});
  EXPECT_EQ(r.rc, 20);
}

}  // namespace
}  // namespace dokku

namespace dokku {
namespace {

TEST(LogsFailedTest, PrintsTheFailedContainersOutputOfTheLastDeploy) {
  testing::CliHarness cli;
  cli.DeployApp("app", {});
  testing::CliResult r = cli.Run({"logs:failed", "app"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.out, "=====> app failed deploy logs\n");
  EXPECT_EQ(r.err, " !     No failed containers found\n");
  cli.ApplyAll("app", {{"info1", "Deploying app (dokku/app:v1)..."},
                       {"info2", "Start of app container output (abc web.1)"},
                       {"verbose", "an old failure"},
                       {"info2", "End of app container output (abc web.1)"},
                       {"info1", "Deploying app (dokku/app:v2)..."},
                       {"info2", "Start of app container output (def web.1)"},
                       {"verbose", "panic: no DATABASE_URL"},
                       {"info2", "End of app container output (def web.1)"},
                       {"info1", "Could not start due to 1 failed checks"}});
  r = cli.Run({"logs:failed", "app"});
  EXPECT_EQ(r.rc, 0) << r.Describe();
  EXPECT_EQ(r.out, "=====> app failed deploy logs\npanic: no DATABASE_URL\n");
  r = cli.Run({"logs:failed", "--all"});
  EXPECT_NE(r.out.find("-----> Running logs:failed against app app\n"), std::string::npos);
  EXPECT_EQ(cli.Run({"logs:failed", "missing"}).rc, 20);
}

}  // namespace
}  // namespace dokku

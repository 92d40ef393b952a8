// The checks runner: Dokku's exact progress lines, the number and length of waits, and the
// pass/fail decision, with a scripted prober, a fake sleeper and FakeDocker.
#include "controller/checks/checks_runner.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/testing/fake_checks.h"
#include "tests/testing/fake_docker.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

class ChecksRunnerTest : public ::testing::Test {
 protected:
  Emit Collect() {
    return [this](const std::string& level, const std::string& text) {
      const std::string prefix = level == "info1"   ? "-----> "
                                 : level == "info2" ? "=====> "
                                 : level == "warn"  ? " !     "
                                                    : "       ";
      EXPECT_TRUE(level == "info1" || level == "info2" || level == "warn" || level == "verbose")
          << level;
      lines_.push_back(prefix + text);
    };
  }
  // A running container of a fresh image in FakeDocker.
  std::string StartContainer(const std::string& name) {
    docker_.AddImage("dokku/app:latest");
    ContainerSpec spec;
    spec.name = name;
    spec.image = "dokku/app:latest";
    StatusOr<std::string> id = docker_.CreateContainer(spec);
    EXPECT_OK(id);
    EXPECT_OK(docker_.StartContainer(*id));
    return *id;
  }

  FakeClock clock_;
  FakeSleeper sleeper_{&clock_};
  FakeHttpProber prober_;
  FakeDocker docker_{&clock_};
  std::vector<std::string> lines_;
  const CheckTarget web1_{"web", 1, "172.17.0.9", 5000};
};

ChecksFile TwoChecks() {
  ChecksFile file;
  file.wait = 5;
  file.timeout = 12;
  file.attempts = 3;
  file.checks = {{"http", "", "/", "My Amazing App"}, {"https", "admin.dokku.me", "/", "Admin"}};
  return file;
}

TEST_F(ChecksRunnerTest, AllChecksPassOnFirstAttempt) {
  prober_.Push(FakeHttpProber::Ok("<h1>My Amazing App</h1>"));
  prober_.Push(FakeHttpProber::Ok("Admin Dashboard"));
  const int64_t start = clock_.NowMs();
  const CheckOutcome outcome = RunChecksFile(TwoChecks(), web1_, &prober_, &sleeper_, Collect());
  EXPECT_TRUE(outcome.ok);
  EXPECT_EQ(outcome.failed, 0);
  const std::vector<std::string> want = {
      "       CHECKS expected result: http://localhost/ => \"My Amazing App\" (web.1)",
      "       Attempt 1/3. Waiting for 5 seconds (web.1)",
      "       CHECKS expected result: https://admin.dokku.me/ => \"Admin\" (web.1)",
      "       Attempt 1/3. Waiting for 5 seconds (web.1)",
      "       All checks successful (web.1)",
  };
  EXPECT_EQ(lines_, want);
  EXPECT_EQ(sleeper_.sleeps(), (std::vector<int64_t>{5000, 5000}));
  EXPECT_EQ(clock_.NowMs() - start, 10000);
  const std::vector<HttpCheckRequest> requests = prober_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].scheme, "http");
  EXPECT_EQ(requests[0].ip, "172.17.0.9");
  EXPECT_EQ(requests[0].port, 5000);
  EXPECT_EQ(requests[0].path, "/");
  EXPECT_EQ(requests[0].host_header, "");
  EXPECT_EQ(requests[0].timeout_s, 12);
  EXPECT_EQ(requests[1].scheme, "https");
  EXPECT_EQ(requests[1].host_header, "admin.dokku.me");
}

TEST_F(ChecksRunnerTest, RetriesUntilTheContentAppears) {
  ChecksFile file;
  file.wait = 2;
  file.attempts = 5;
  file.checks = {{"http", "", "/health", "ok"}};
  prober_.Push(FakeHttpProber::TransportError(
      "curl: (7) Failed to connect to 172.17.0.9 port 5000 after 0 ms: Connection refused"));
  prober_.Push(FakeHttpProber::Ok("oops", 502));
  prober_.Push(FakeHttpProber::Ok("starting"));
  prober_.Push(FakeHttpProber::Ok("status: ok"));
  const CheckOutcome outcome = RunChecksFile(file, web1_, &prober_, &sleeper_, Collect());
  EXPECT_TRUE(outcome.ok);
  const std::vector<std::string> want = {
      "       CHECKS expected result: http://localhost/health => \"ok\" (web.1)",
      "       Attempt 1/5. Waiting for 2 seconds (web.1)",
      " !     curl: (7) Failed to connect to 172.17.0.9 port 5000 after 0 ms: Connection refused",
      " !     Check attempt 1/5 failed (web.1)",
      "       Attempt 2/5. Waiting for 2 seconds (web.1)",
      " !     curl: (22) The requested URL returned error: 502",
      " !     Check attempt 2/5 failed (web.1)",
      "       Attempt 3/5. Waiting for 2 seconds (web.1)",
      " !     http://localhost/health: expected to but did not find: \"ok\" (web.1)",
      " !     Check attempt 3/5 failed (web.1)",
      "       Attempt 4/5. Waiting for 2 seconds (web.1)",
      "       All checks successful (web.1)",
  };
  EXPECT_EQ(lines_, want);
  EXPECT_EQ(sleeper_.sleeps(), (std::vector<int64_t>(4, 2000)));
}

TEST_F(ChecksRunnerTest, AFailedCheckDoesNotStopLaterOnesAndIsCounted) {
  ChecksFile file;
  file.wait = 1;
  file.attempts = 2;
  file.checks = {{"http", "", "/a", "A"}, {"http", "", "/b", "B"}, {"http", "", "/c", ""}};
  const CheckTarget web2{"web", 2, "10.0.0.2", 5000};
  prober_.Push(FakeHttpProber::Ok("nothing"));
  prober_.Push(FakeHttpProber::Ok("nothing"));
  prober_.Push(FakeHttpProber::Ok("B"));
  prober_.Push(FakeHttpProber::Ok("", 404));
  prober_.Push(FakeHttpProber::Ok("", 404));
  const CheckOutcome outcome = RunChecksFile(file, web2, &prober_, &sleeper_, Collect());
  EXPECT_FALSE(outcome.ok);
  EXPECT_FALSE(outcome.interrupted);
  EXPECT_EQ(outcome.failed, 2);
  ASSERT_FALSE(lines_.empty());
  EXPECT_EQ(lines_.back(), " !     Could not start due to 2 failed checks (web.2)");
  EXPECT_EQ(prober_.requests().size(), 5u);
  EXPECT_EQ(sleeper_.sleeps().size(), 5u);
  EXPECT_EQ(lines_[2], " !     http://localhost/a: expected to but did not find: \"A\" (web.2)");
  EXPECT_EQ(lines_[3], " !     Check attempt 1/2 failed (web.2)");
  EXPECT_EQ(lines_[6], " !     Check attempt 2/2 failed (web.2)");
  EXPECT_EQ(lines_[7], "       CHECKS expected result: http://localhost/b => \"B\" (web.2)");
}

TEST_F(ChecksRunnerTest, EmptyExpectedContentAcceptsAnyBodyButNotAnErrorStatus) {
  ChecksFile file;
  file.attempts = 1;
  file.checks = {{"http", "", "/", ""}};
  prober_.Push(FakeHttpProber::Ok("", 400));
  CheckOutcome outcome = RunChecksFile(file, web1_, &prober_, &sleeper_, Collect());
  EXPECT_FALSE(outcome.ok);
  prober_.Push(FakeHttpProber::Ok("", 204));
  outcome = RunChecksFile(file, web1_, &prober_, &sleeper_, Collect());
  EXPECT_TRUE(outcome.ok);
}

TEST_F(ChecksRunnerTest, ZeroWaitStillSleepsZeroAndRequests) {
  ChecksFile file;
  file.wait = 0;
  file.attempts = 1;
  file.checks = {{"http", "", "/", "x"}};
  prober_.Push(FakeHttpProber::Ok("x"));
  EXPECT_TRUE(RunChecksFile(file, web1_, &prober_, &sleeper_, Collect()).ok);
  EXPECT_EQ(lines_[1], "       Attempt 1/1. Waiting for 0 seconds (web.1)");
  EXPECT_EQ(sleeper_.sleeps(), (std::vector<int64_t>{0}));
}

TEST_F(ChecksRunnerTest, ShutdownInterruptsWithoutADecision) {
  sleeper_.InterruptAfter(1);
  prober_.Push(FakeHttpProber::Ok("nope"));
  const CheckOutcome outcome = RunChecksFile(TwoChecks(), web1_, &prober_, &sleeper_, Collect());
  EXPECT_FALSE(outcome.ok);
  EXPECT_TRUE(outcome.interrupted);
  EXPECT_EQ(prober_.requests().size(), 1u);
  for (const std::string& line : lines_) {
    EXPECT_EQ(line.find("Could not start"), std::string::npos) << line;
    EXPECT_EQ(line.find("successful"), std::string::npos) << line;
  }
}

TEST_F(ChecksRunnerTest, DefaultCheckPassesForARunningContainer) {
  const std::string id = StartContainer("app.worker.1");
  const CheckTarget worker{"worker", 1, "", 0};
  const CheckOutcome outcome = RunDefaultCheck(10, id, worker, &docker_, &sleeper_, Collect());
  EXPECT_TRUE(outcome.ok);
  const std::vector<std::string> want = {"       Waiting for 10 seconds (worker.1)",
                                         "       Default container check successful (worker.1)"};
  EXPECT_EQ(lines_, want);
  EXPECT_EQ(sleeper_.sleeps(), (std::vector<int64_t>{10000}));
}

TEST_F(ChecksRunnerTest, DefaultCheckFailsForAnExitedContainer) {
  const std::string id = StartContainer("app.web.1");
  docker_.Exit(id, 1);
  const CheckOutcome outcome = RunDefaultCheck(10, id, web1_, &docker_, &sleeper_, Collect());
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.failed, 1);
  EXPECT_EQ(lines_.back(), " !     App container failed to start (web.1)");
}

TEST_F(ChecksRunnerTest, DefaultCheckFailsForARestartedContainerAndStopsItsRestarts) {
  const std::string id = StartContainer("app.web.1");
  docker_.SetRestartCount(id, 2);
  const CheckOutcome outcome = RunDefaultCheck(3, id, web1_, &docker_, &sleeper_, Collect());
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(lines_.back(), " !     App container failed to start (web.1)");
  EXPECT_EQ(docker_.CallCount("update"), 1);
  std::optional<ContainerSpec> spec = docker_.SpecOf(id);
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(spec->restart_policy, "no");
}

TEST_F(ChecksRunnerTest, DefaultCheckFailsForAVanishedContainer) {
  const CheckOutcome outcome =
      RunDefaultCheck(10, "doesnotexist", web1_, &docker_, &sleeper_, Collect());
  EXPECT_FALSE(outcome.ok);
  const std::vector<std::string> want = {"       Waiting for 10 seconds (web.1)",
                                         " !     App container failed to start (web.1)"};
  EXPECT_EQ(lines_, want);
}

TEST_F(ChecksRunnerTest, SkippedChecksSucceedWithoutWaiting) {
  const CheckOutcome outcome = RunContainerChecks(TwoChecks(), /*skipped=*/true, 10, "cid", web1_,
                                                  &docker_, &prober_, &sleeper_, Collect());
  EXPECT_TRUE(outcome.ok);
  EXPECT_EQ(lines_,
            (std::vector<std::string>{"=====> Zero downtime checks have been skipped (web.1)"}));
  EXPECT_TRUE(sleeper_.sleeps().empty());
  EXPECT_TRUE(prober_.requests().empty());
}

TEST_F(ChecksRunnerTest, WebWithChecksRunsTheChecksFile) {
  prober_.Push(FakeHttpProber::Ok("My Amazing App"));
  prober_.Push(FakeHttpProber::Ok("Admin"));
  const CheckOutcome outcome = RunContainerChecks(TwoChecks(), false, 10, "cid", web1_, &docker_,
                                                  &prober_, &sleeper_, Collect());
  EXPECT_TRUE(outcome.ok);
  EXPECT_EQ(lines_.back(), "       All checks successful (web.1)");
  EXPECT_EQ(docker_.CallCount("inspect"), 0);
}

TEST_F(ChecksRunnerTest, WebWithoutChecksRunsTheDefaultCheckAndSaysSo) {
  const std::string id = StartContainer("app.web.1");
  const CheckOutcome outcome = RunContainerChecks(std::nullopt, false, 10, id, web1_, &docker_,
                                                  &prober_, &sleeper_, Collect());
  EXPECT_TRUE(outcome.ok);
  const std::vector<std::string> want = {
      "       For more efficient zero downtime deployments, create a file CHECKS.",
      "       See the CHECKS section of the README for examples",
      "       CHECKS file not found in container: Running simple container check...",
      "       Waiting for 10 seconds (web.1)",
      "       Default container check successful (web.1)",
  };
  EXPECT_EQ(lines_, want);
  EXPECT_TRUE(prober_.requests().empty());
}

TEST_F(ChecksRunnerTest, WebWithAChecksFileWithoutChecksUsesTheDefaultCheck) {
  const std::string id = StartContainer("app.web.1");
  ChecksFile only_settings;
  only_settings.wait = 1;
  const CheckOutcome outcome = RunContainerChecks(only_settings, false, 7, id, web1_, &docker_,
                                                  &prober_, &sleeper_, Collect());
  EXPECT_TRUE(outcome.ok);
  EXPECT_EQ(lines_[2],
            "       CHECKS file not found in container: Running simple container check...");
  EXPECT_EQ(sleeper_.sleeps(), (std::vector<int64_t>{7000}));
}

TEST_F(ChecksRunnerTest, OtherProcessTypesIgnoreChecksAndUseTheDefaultCheck) {
  const std::string id = StartContainer("app.worker.3");
  const CheckTarget worker3{"worker", 3, "172.17.0.4", 5000};
  const CheckOutcome outcome = RunContainerChecks(TwoChecks(), false, 10, id, worker3, &docker_,
                                                  &prober_, &sleeper_, Collect());
  EXPECT_TRUE(outcome.ok);
  const std::vector<std::string> want = {"       Waiting for 10 seconds (worker.3)",
                                         "       Default container check successful (worker.3)"};
  EXPECT_EQ(lines_, want);
  EXPECT_TRUE(prober_.requests().empty());
}

TEST(ChecksRunnerRealSleeperTest, StopWakesSleepers) {
  RealSleeper sleeper;
  EXPECT_TRUE(sleeper.SleepFor(0));
  sleeper.Stop();
  // Stopped: returns at once, reporting the interruption, instead of sleeping an hour.
  EXPECT_FALSE(sleeper.SleepFor(3'600'000));
}

TEST(ChecksRunnerCurlTest, ReportsConnectionFailuresInCurlsWords) {
  // A loopback port nobody listens on: bind, note it, close.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  CurlHttpProber prober;
  const HttpResult r = prober.Get({"http", "127.0.0.1", ntohs(addr.sin_port), "/", "", 5, {}});
  EXPECT_FALSE(r.transport_ok);
  EXPECT_EQ(r.error.rfind("curl: (7) ", 0), 0u) << r.error;
}

}  // namespace
}  // namespace dokku

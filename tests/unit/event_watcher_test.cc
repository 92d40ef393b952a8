// EventWatcher over FakeDocker and a FakeClock: filtering, reconnect with since= and dedup,
// exponential backoff, prompt Stop(). No sleeps: the test waits on condition variables and
// moves the clock when the watcher reports a backoff.
#include "controller/docker/event_watcher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "tests/testing/fake_docker.h"
#include "tests/testing/testutil.h"

namespace dokku {
namespace {

using std::chrono::milliseconds;

DockerEvent ContainerEvent(const std::string& action, const std::string& id, int64_t time_nano,
                           std::map<std::string, std::string> attributes = {
                               {kAppNameLabel, "blog"}}) {
  return DockerEvent{"container", action, id, std::move(attributes), time_nano};
}

// Collects what the watcher reports, and lets the test wait for it.
class Recorder {
 public:
  void OnEvent(const DockerEvent& e) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(e.action + " " + e.id);
    cv_.notify_all();
  }
  void OnReconnect() {
    std::lock_guard<std::mutex> lock(mu_);
    ++reconnects_;
    cv_.notify_all();
  }
  void OnBackoff(int64_t ms) {
    std::lock_guard<std::mutex> lock(mu_);
    backoffs_.push_back(ms);
    cv_.notify_all();
  }
  bool WaitFor(const std::function<bool()>& done) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), done);
  }
  bool WaitEvents(size_t n) {
    return WaitFor([&] { return events_.size() >= n; });
  }
  bool WaitBackoffs(size_t n) {
    return WaitFor([&] { return backoffs_.size() >= n; });
  }
  bool WaitReconnects(int n) {
    return WaitFor([&] { return reconnects_ >= n; });
  }
  std::vector<std::string> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  std::vector<int64_t> backoffs() {
    std::lock_guard<std::mutex> lock(mu_);
    return backoffs_;
  }
  int reconnects() {
    std::lock_guard<std::mutex> lock(mu_);
    return reconnects_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
  std::vector<int64_t> backoffs_;
  int reconnects_ = 0;
};

class EventWatcherTest : public ::testing::Test {
 protected:
  void StartWatcher() {
    EventWatcherOptions options;
    options.on_backoff = [this](int64_t ms, const Status&) { recorder_.OnBackoff(ms); };
    watcher_ = std::make_unique<EventWatcher>(
        &docker_, &clock_, [this](const DockerEvent& e) { recorder_.OnEvent(e); },
        [this] { recorder_.OnReconnect(); }, options);
    watcher_->Start();
  }

  FakeClock clock_;
  FakeDocker docker_{&clock_};
  Recorder recorder_;
  std::unique_ptr<EventWatcher> watcher_;  // declared last: stopped before the fakes go
};

TEST_F(EventWatcherTest, ForwardsAppContainersImagesAndNodesOnly) {
  StartWatcher();
  ASSERT_TRUE(docker_.WaitForCalls("events", 1));
  docker_.PushEvent(ContainerEvent("start", "c1", 100));
  docker_.PushEvent(ContainerEvent("start", "foreign", 101, {{"name", "postgres"}}));
  docker_.PushEvent(
      ContainerEvent("create", "probe", 102, {{kAppNameLabel, "blog"}, {kRoleLabel, "probe"}}));
  docker_.PushEvent(DockerEvent{"image", "tag", "sha256:1", {{"name", "dokku/blog:v1"}}, 103});
  docker_.PushEvent(DockerEvent{"network", "connect", "n1", {}, 104});
  docker_.PushEvent(DockerEvent{"node", "update", "node-2", {{"state.new", "down"}}, 105});
  docker_.PushEvent(ContainerEvent("die", "c1", 106));

  ASSERT_TRUE(recorder_.WaitEvents(4));
  watcher_->Stop();
  EXPECT_EQ(recorder_.events(),
            (std::vector<std::string>{"start c1", "tag sha256:1", "update node-2", "die c1"}));
  EXPECT_EQ(watcher_->last_time_nano(), 106);
  EXPECT_EQ(recorder_.reconnects(), 0) << "the first connection is not a reconnect";
}

TEST_F(EventWatcherTest, ReconnectsSinceTheLastEventWithoutDuplicates) {
  StartWatcher();
  ASSERT_TRUE(docker_.WaitForCalls("events", 1));
  docker_.PushEvent(ContainerEvent("start", "c1", 100));
  docker_.PushEvent(ContainerEvent("start", "c2", 200));
  ASSERT_TRUE(recorder_.WaitEvents(2));

  docker_.DropEventStreams();
  ASSERT_TRUE(recorder_.WaitBackoffs(1));
  // Happens while disconnected: only a since= reconnect can still deliver it.
  docker_.PushEvent(ContainerEvent("die", "c1", 300));
  clock_.Advance(recorder_.backoffs()[0]);

  ASSERT_TRUE(recorder_.WaitReconnects(1));
  ASSERT_TRUE(recorder_.WaitEvents(3));
  docker_.PushEvent(ContainerEvent("stop", "c1", 400));
  ASSERT_TRUE(recorder_.WaitEvents(4));
  watcher_->Stop();
  // c2 (the boundary event) was replayed by since=200 but delivered once.
  EXPECT_EQ(recorder_.events(),
            (std::vector<std::string>{"start c1", "start c2", "die c1", "stop c1"}));
  EXPECT_EQ(docker_.CallCount("events"), 2);
  EXPECT_EQ(recorder_.backoffs(), (std::vector<int64_t>{500}));
}

TEST_F(EventWatcherTest, BacksOffExponentiallyWhileDockerIsDown) {
  docker_.SetUnavailable(true);
  StartWatcher();
  const std::vector<int64_t> expected = {500, 1000, 2000, 4000, 8000, 16000, 30000, 30000};
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_TRUE(recorder_.WaitBackoffs(i + 1)) << "backoff " << i;
    if (i + 1 == expected.size()) docker_.SetUnavailable(false);
    clock_.Advance(recorder_.backoffs()[i]);
  }
  ASSERT_TRUE(recorder_.WaitReconnects(1));
  ASSERT_TRUE(docker_.WaitForCalls("events", 2));
  EXPECT_EQ(recorder_.backoffs(), expected);
  EXPECT_EQ(docker_.CallCount("ping"), static_cast<int>(expected.size()));

  // A healthy stream resets the backoff.
  docker_.PushEvent(ContainerEvent("start", "c1", 100));
  ASSERT_TRUE(recorder_.WaitEvents(1));
  docker_.DropEventStreams();
  ASSERT_TRUE(recorder_.WaitBackoffs(expected.size() + 1));
  EXPECT_EQ(recorder_.backoffs().back(), 500);
}

TEST_F(EventWatcherTest, StopIsPromptWhileStreamingAndWhileWaiting) {
  StartWatcher();
  ASSERT_TRUE(docker_.WaitForCalls("events", 1));
  auto started = std::chrono::steady_clock::now();
  watcher_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(1000));
  EXPECT_EQ(docker_.open_event_streams(), 0);

  docker_.SetUnavailable(true);
  StartWatcher();
  ASSERT_TRUE(recorder_.WaitBackoffs(1));  // now waiting on a clock nobody moves
  started = std::chrono::steady_clock::now();
  watcher_->Stop();
  watcher_->Stop();  // idempotent
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(1000));
}

}  // namespace
}  // namespace dokku

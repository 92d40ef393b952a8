// WorkQueue: dedup, one key in flight, delays and backoff on a FakeClock.
#include "controller/reconciler/work_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace dokku {
namespace {

class WorkQueueTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  WorkQueue queue_{&clock_};
};

TEST_F(WorkQueueTest, DuplicateKeysCollapse) {
  queue_.Add("a");
  queue_.Add("a");
  queue_.Add("b");
  EXPECT_EQ(queue_.ReadyCount(), 2u);
  EXPECT_EQ(queue_.TryGet(), "a");
  EXPECT_EQ(queue_.TryGet(), "b");
  EXPECT_EQ(queue_.TryGet(), std::nullopt);
}

TEST_F(WorkQueueTest, KeyInFlightIsNotHandedOutTwice) {
  // Given "a" is being reconciled, adding it again must wait for Done().
  queue_.Add("a");
  ASSERT_EQ(queue_.TryGet(), "a");
  queue_.Add("a");
  EXPECT_EQ(queue_.TryGet(), std::nullopt);
  queue_.Done("a");
  EXPECT_EQ(queue_.TryGet(), "a");
  queue_.Done("a");
  EXPECT_EQ(queue_.TryGet(), std::nullopt);
}

TEST_F(WorkQueueTest, DoneWithoutReAddDropsTheKey) {
  queue_.Add("a");
  ASSERT_EQ(queue_.TryGet(), "a");
  queue_.Done("a");
  EXPECT_EQ(queue_.TryGet(), std::nullopt);
}

TEST_F(WorkQueueTest, AddAfterWaitsForTheClock) {
  queue_.AddAfter("a", 1000);
  EXPECT_EQ(queue_.TryGet(), std::nullopt);
  clock_.Advance(999);
  EXPECT_EQ(queue_.TryGet(), std::nullopt);
  clock_.Advance(1);
  EXPECT_EQ(queue_.TryGet(), "a");
}

TEST_F(WorkQueueTest, RateLimitedBackoffDoublesUntilForget) {
  EXPECT_EQ(queue_.AddRateLimited("a"), 250);
  EXPECT_EQ(queue_.AddRateLimited("a"), 500);
  EXPECT_EQ(queue_.AddRateLimited("a"), 1000);
  EXPECT_EQ(queue_.Failures("a"), 3);
  queue_.Forget("a");
  EXPECT_EQ(queue_.AddRateLimited("a"), 250);
  // Other keys have their own backoff.
  EXPECT_EQ(queue_.AddRateLimited("b"), 250);
}

TEST_F(WorkQueueTest, BackoffIsCapped) {
  int64_t last = 0;
  for (int i = 0; i < 40; ++i) last = queue_.AddRateLimited("a");
  EXPECT_EQ(last, 60'000);
}

// Get() on a thread of its own, with a bound on how long the test waits for it to return. A Get
// that is never woken fails the test instead of hanging it; its queue is then leaked on purpose,
// since the blocked thread still uses it.
class BlockedGet {
 public:
  BlockedGet() : queue_(new WorkQueue(&clock_)) {
    thread_ = std::thread([this] {
      std::optional<std::string> got = queue_->Get();
      std::lock_guard<std::mutex> lock(mu_);
      got_ = got;
      returned_ = true;
      cv_.notify_all();
    });
  }
  ~BlockedGet() {
    if (Returned(std::chrono::milliseconds(0))) {
      thread_.join();
      delete queue_;
    } else {
      queue_->ShutDown();
      thread_.detach();  // never woken: keep the queue alive for it
    }
  }
  WorkQueue* queue() { return queue_; }
  // Until the thread waits in Get() for a notification, so that the wake-up under test is
  // what frees it (and not a key that was already there when Get() began).
  bool Blocked() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (queue_->Waiting() == 0) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::yield();
    }
    return true;
  }
  bool Returned(std::chrono::milliseconds within) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, within, [this] { return returned_; });
  }
  std::optional<std::string> got() {
    std::lock_guard<std::mutex> lock(mu_);
    return got_;
  }

 private:
  FakeClock clock_;
  WorkQueue* queue_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool returned_ = false;
  std::optional<std::string> got_ = "unset";
};

TEST(WorkQueueBlockingTest, ShutDownWakesABlockedGet) {
  BlockedGet get;
  ASSERT_TRUE(get.Blocked());
  get.queue()->ShutDown();
  ASSERT_TRUE(get.Returned(std::chrono::seconds(5)));
  EXPECT_EQ(get.got(), std::nullopt);
}

TEST(WorkQueueBlockingTest, BlockingGetReturnsAddedKey) {
  BlockedGet get;
  ASSERT_TRUE(get.Blocked());
  get.queue()->Add("x");
  ASSERT_TRUE(get.Returned(std::chrono::seconds(5)));
  EXPECT_EQ(get.got(), "x");
}

}  // namespace
}  // namespace dokku

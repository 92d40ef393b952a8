// WorkQueue: dedup, one key in flight, delays and backoff on a FakeClock.
#include "controller/reconciler/work_queue.h"

#include <gtest/gtest.h>

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

TEST_F(WorkQueueTest, ShutDownWakesABlockedGet) {
  std::optional<std::string> got = "unset";
  std::thread t([&] { got = queue_.Get(); });
  queue_.ShutDown();
  t.join();
  EXPECT_EQ(got, std::nullopt);
}

TEST_F(WorkQueueTest, BlockingGetReturnsAddedKey) {
  std::optional<std::string> got;
  std::thread t([&] { got = queue_.Get(); });
  queue_.Add("x");
  t.join();
  EXPECT_EQ(got, "x");
}

}  // namespace
}  // namespace dokku

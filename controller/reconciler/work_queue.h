// WorkQueue: app names waiting to be reconciled. Duplicate keys collapse; a key handed out by
// Get() is not handed out again until Done(), so one app is never reconciled twice at once (a
// key re-added meanwhile comes back after Done()). AddAfter delays a key; AddRateLimited delays
// it by a per-key exponential backoff that Forget() resets. Thread-safe; time from the Clock.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "store/clock.h"

namespace dokku {

struct BackoffPolicy {
  int64_t base_ms = 250;
  int64_t max_ms = 60'000;
};

class WorkQueue {
 public:
  explicit WorkQueue(const Clock* clock, BackoffPolicy backoff = {});

  void Add(const std::string& key);
  void AddAfter(const std::string& key, int64_t delay_ms);
  // Returns the delay it chose: base * 2^(failures so far), capped.
  int64_t AddRateLimited(const std::string& key);
  void Forget(const std::string& key);
  int Failures(const std::string& key);

  // Blocks until a key is ready (or ShutDown: nullopt). With nothing delayed it sleeps until
  // notified; while keys are delayed it polls the clock at least every 100 ms (FakeClock too).
  std::optional<std::string> Get();
  // Never blocks.
  std::optional<std::string> TryGet();
  void Done(const std::string& key);
  void ShutDown();

  // Threads blocked in Get() with nothing ready or delayed (woken only by a notification).
  int Waiting();
  size_t ReadyCount();
  size_t DelayedCount();

 private:
  void PromoteDueLocked();
  void AddLocked(const std::string& key);
  std::optional<std::string> PopLocked();

  const Clock* clock_;
  const BackoffPolicy backoff_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;       // queued or waiting for Done()
  std::set<std::string> processing_;  // handed out by Get()
  std::multimap<int64_t, std::string> delayed_;
  std::map<std::string, int> failures_;
  bool shutdown_ = false;
  int waiting_ = 0;
};

}  // namespace dokku

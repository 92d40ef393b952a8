// Sleeper: the only way code under test waits. RealSleeper can be woken early by Stop() (shutdown);
// tests use a fake that returns at once and records the requested times.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace dokku {

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Returns false when interrupted (shutdown) before `ms` passed.
  virtual bool SleepFor(int64_t ms) = 0;
};

// Sleeps on a condition variable so Stop() wakes every sleeper at once.
class RealSleeper : public Sleeper {
 public:
  bool SleepFor(int64_t ms) override;
  void Stop();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

}  // namespace dokku

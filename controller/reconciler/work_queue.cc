#include "controller/reconciler/work_queue.h"

#include <algorithm>
#include <chrono>

namespace dokku {

WorkQueue::WorkQueue(const Clock* clock, BackoffPolicy backoff)
    : clock_(clock), backoff_(backoff) {}

void WorkQueue::AddLocked(const std::string& key) {
  if (shutdown_ || dirty_.count(key)) return;
  dirty_.insert(key);
  if (!processing_.count(key)) {
    queue_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  AddLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, int64_t delay_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (delay_ms <= 0) {
    AddLocked(key);
    return;
  }
  delayed_.emplace(clock_->NowMs() + delay_ms, key);
  cv_.notify_all();
}

int64_t WorkQueue::AddRateLimited(const std::string& key) {
  int64_t delay;
  {
    std::lock_guard<std::mutex> lock(mu_);
    int n = failures_[key]++;
    delay = backoff_.base_ms << std::min(n, 20);
    delay = std::min(delay, backoff_.max_ms);
  }
  AddAfter(key, delay);
  return delay;
}

void WorkQueue::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.erase(key);
}

int WorkQueue::Failures(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::PromoteDueLocked() {
  const int64_t now = clock_->NowMs();
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    std::string key = delayed_.begin()->second;
    delayed_.erase(delayed_.begin());
    AddLocked(key);
  }
}

std::optional<std::string> WorkQueue::PopLocked() {
  if (queue_.empty()) return std::nullopt;
  std::string key = queue_.front();
  queue_.pop_front();
  dirty_.erase(key);
  processing_.insert(key);
  return key;
}

std::optional<std::string> WorkQueue::Get() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!shutdown_) {
    PromoteDueLocked();
    if (auto key = PopLocked()) return key;
    if (delayed_.empty()) {
      // Only Add, Done (re-queue), AddAfter and ShutDown can make a key ready: wait for them.
      ++waiting_;
      cv_.wait(lock);
      --waiting_;
      continue;
    }
    // A delayed key becomes due by the clock, which nobody notifies about; poll it at least
    // every 100 ms so that a FakeClock moved by a test is noticed too.
    const int64_t wait_ms = std::clamp<int64_t>(delayed_.begin()->first - clock_->NowMs(), 1, 100);
    cv_.wait_for(lock, std::chrono::milliseconds(wait_ms));
  }
  return std::nullopt;
}

std::optional<std::string> WorkQueue::TryGet() {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutdown_) return std::nullopt;
  PromoteDueLocked();
  return PopLocked();
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  processing_.erase(key);
  if (dirty_.count(key)) {
    queue_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::ShutDown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutdown_ = true;
  cv_.notify_all();
}

int WorkQueue::Waiting() {
  std::lock_guard<std::mutex> lock(mu_);
  return waiting_;
}

size_t WorkQueue::ReadyCount() {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

size_t WorkQueue::DelayedCount() {
  std::lock_guard<std::mutex> lock(mu_);
  return delayed_.size();
}

}  // namespace dokku

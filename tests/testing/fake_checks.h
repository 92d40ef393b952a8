// Fakes for the checks runner's seams: FakeSleeper records every sleep and advances a FakeClock
// instead of waiting; FakeHttpProber answers from a script and records every request.
#pragma once

#include <deque>
#include <mutex>
#include <vector>

#include "controller/checks/checks_runner.h"
#include "store/clock.h"

namespace dokku {

class FakeSleeper : public Sleeper {
 public:
  explicit FakeSleeper(FakeClock* clock = nullptr) : clock_(clock) {}
  bool SleepFor(int64_t ms) override {
    std::lock_guard<std::mutex> lock(mu_);
    sleeps_.push_back(ms);
    if (interrupt_after_ >= 0 && static_cast<int>(sleeps_.size()) > interrupt_after_) return false;
    if (clock_) clock_->Advance(ms);
    return true;
  }
  // Sleeps after the first `n` report an interruption (shutdown).
  void InterruptAfter(int n) { interrupt_after_ = n; }
  std::vector<int64_t> sleeps() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sleeps_;
  }

 private:
  FakeClock* clock_;
  mutable std::mutex mu_;
  std::vector<int64_t> sleeps_;
  int interrupt_after_ = -1;
};

class FakeHttpProber : public HttpProber {
 public:
  // Answers are used in order; when they run out, `fallback` is returned.
  void Push(HttpResult result) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.push_back(std::move(result));
  }
  static HttpResult Ok(std::string body, long status = 200) {
    return HttpResult{true, status, std::move(body), ""};
  }
  static HttpResult TransportError(std::string error) {
    return HttpResult{false, 0, "", std::move(error)};
  }

  HttpResult Get(const HttpCheckRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    if (script_.empty()) return fallback;
    HttpResult r = std::move(script_.front());
    script_.pop_front();
    return r;
  }
  std::vector<HttpCheckRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  // Connect answers connect_error ("" accepts) and records "ip:port".
  std::string Connect(const std::string& ip, int port, int timeout_s) override {
    (void)timeout_s;
    std::lock_guard<std::mutex> lock(mu_);
    connects_.push_back(ip + ":" + std::to_string(port));
    return connect_error;
  }
  std::vector<std::string> connects() const {
    std::lock_guard<std::mutex> lock(mu_);
    return connects_;
  }
  std::string connect_error;

  HttpResult fallback = TransportError("curl: (7) Failed to connect: Connection refused");

 private:
  mutable std::mutex mu_;
  std::deque<HttpResult> script_;
  std::vector<HttpCheckRequest> requests_;
  std::vector<std::string> connects_;
};

}  // namespace dokku

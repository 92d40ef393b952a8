#include "tests/testing/traffic_loop.h"

#include <fmt/format.h>

#include <chrono>

#include "tests/testing/e2e_fixture.h"
#include "tests/testing/testutil.h"

namespace dokku::testutil {

TrafficLoop::TrafficLoop(std::string address, std::string host, TrafficOptions options)
    : address_(std::move(address)),
      host_(std::move(host)),
      options_(std::move(options)),
      deadline_ms_(e2e::NowMs() + options_.max_ms) {}

TrafficLoop::~TrafficLoop() { Stop(); }

void TrafficLoop::Start() {
  for (int i = 0; i < options_.threads; ++i) workers_.emplace_back([this] { Run(); });
}

void TrafficLoop::Stop() {
  stop_ = true;
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

int TrafficLoop::count(const std::string& body) {
  std::lock_guard<std::mutex> lock(mu_);
  return bodies_[body];
}

std::string TrafficLoop::Problems() {
  std::lock_guard<std::mutex> lock(mu_);
  return problems_;
}

void TrafficLoop::Run() {
  while (!stop_ && total_ < options_.max_requests && e2e::NowMs() < deadline_ms_) {
    int status = 0;
    const std::string body = HttpGet(address_, "/", host_, &status);
    ++total_;
    const bool good = options_.good_bodies.count(body) > 0;
    if (status != 200) ++failed_;
    if (status == 200 && !good) ++bad_content_;
    std::unique_lock<std::mutex> lock(mu_);
    ++bodies_[body];
    if ((status != 200 || !good) && problems_.size() < 2000) {
      // When it happened (ms on NowMs()) lets a failure be matched with the daemon's log.
      problems_ +=
          fmt::format("at {} HTTP {} body [{}]\n", e2e::NowMs(), status, body.substr(0, 80));
    }
    lock.unlock();
    if (options_.pause_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.pause_ms));
    }
  }
}

}  // namespace dokku::testutil

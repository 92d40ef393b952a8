// TrafficLoop: client threads doing GETs through a proxy (a fresh connection per request) until
// stopped or a request or time budget is spent. Every answer is classified against the bodies
// the test accepts; the first problems are kept for the failure message.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace dokku::testutil {

struct TrafficOptions {
  int threads = 4;
  int max_requests = 1'000'000;
  int64_t max_ms = 240'000;
  // A pause after each request, so many clients do not starve dokkud and dockerd of the cores.
  int pause_ms = 5;
  std::set<std::string> good_bodies;  // a 200 with any other body is bad_content()
};

class TrafficLoop {
 public:
  TrafficLoop(std::string address, std::string host, TrafficOptions options);
  ~TrafficLoop();
  TrafficLoop(const TrafficLoop&) = delete;
  TrafficLoop& operator=(const TrafficLoop&) = delete;

  void Start();
  void Stop();

  int total() const { return total_; }
  int failed() const { return failed_; }            // not HTTP 200 (or no answer at all)
  int bad_content() const { return bad_content_; }  // HTTP 200 with a body not accepted
  int count(const std::string& body);
  std::string Problems();

 private:
  void Run();

  const std::string address_, host_;
  const TrafficOptions options_;
  const int64_t deadline_ms_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stop_{false};
  std::atomic<int> total_{0}, failed_{0}, bad_content_{0};
  std::mutex mu_;
  std::map<std::string, int> bodies_;
  std::string problems_;
};

}  // namespace dokku::testutil

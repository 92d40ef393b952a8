// EventWatcher: follows Docker's event stream on its own thread and hands dokkud the events that
// concern it. After a drop it waits (0.5 s doubling to 30 s, by the injected Clock) until Docker
// answers /_ping, calls on_reconnect (events may have been lost: re-list everything), and resumes
// with since=<last timeNano>, dropping the events that replay repeats.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "controller/docker/docker_api.h"
#include "store/clock.h"

namespace dokku {

inline constexpr char kAppNameLabel[] = "com.dokku.app-name";
inline constexpr char kRoleLabel[] = "com.dokku.role";

struct EventWatcherOptions {
  int64_t initial_backoff_ms = 500;
  int64_t max_backoff_ms = 30'000;
  // Called on the watcher thread before each wait, with its length and the failure that caused
  // it (for logging; tests use it to step a FakeClock).
  std::function<void(int64_t wait_ms, const Status& cause)> on_backoff;
};

class EventWatcher {
 public:
  // `docker` and `clock` must outlive the watcher. The callbacks run on the watcher thread.
  EventWatcher(DockerApi* docker, Clock* clock, std::function<void(const DockerEvent&)> on_event,
               std::function<void()> on_reconnect, EventWatcherOptions options = {});
  ~EventWatcher();  // Stop()
  EventWatcher(const EventWatcher&) = delete;
  EventWatcher& operator=(const EventWatcher&) = delete;

  // Starts the thread; call once.
  void Start();
  // Ends the stream and joins the thread, normally within ~100 ms (a Ping to a hung daemon can
  // hold it for the request timeout). Idempotent.
  void Stop();

  // The server-side filter: container, image and (on a swarm manager) node events, only the
  // actions dokkud reacts to (no exec_* noise from health checks).
  static std::map<std::string, std::vector<std::string>> Filters();
  // Client-side filter. Image and node events all pass (tags of any repository; a node that
  // went down, came back or was drained); container events only for containers labelled
  // com.dokku.app-name, and never for com.dokku.role=probe.
  static bool Wanted(const DockerEvent& event);

  // timeNano of the newest event seen (0 before the first).
  int64_t last_time_nano() const { return last_time_nano_.load(); }

 private:
  void Run();
  // Dedups, advances last_time_nano_ and forwards wanted events.
  void Deliver(const DockerEvent& event);
  // Waits until clock_ reaches deadline_ms; false if Stop() came first.
  bool WaitUntil(int64_t deadline_ms);

  DockerApi* const docker_;
  Clock* const clock_;
  const std::function<void(const DockerEvent&)> on_event_;
  const std::function<void()> on_reconnect_;
  const EventWatcherOptions options_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> last_time_nano_{0};
  std::thread thread_;
  // Keys (timeNano/id/action) of recent events, oldest first; only the watcher thread uses them.
  std::deque<std::string> recent_order_;
  std::unordered_set<std::string> recent_;
};

}  // namespace dokku

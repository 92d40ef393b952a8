#include "controller/docker/event_watcher.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace dokku {
namespace {

// Docker replays at most its last 256 events on reconnect, so remembering more keys than that
// covers every replay.
constexpr size_t kRememberedEvents = 1024;
// Upper bound on one uninterrupted wait, so a FakeClock that tests move forward is noticed.
constexpr std::chrono::milliseconds kWaitSlice{100};

}  // namespace

EventWatcher::EventWatcher(DockerApi* docker, Clock* clock,
                           std::function<void(const DockerEvent&)> on_event,
                           std::function<void()> on_reconnect, EventWatcherOptions options)
    : docker_(docker),
      clock_(clock),
      on_event_(std::move(on_event)),
      on_reconnect_(std::move(on_reconnect)),
      options_(std::move(options)) {}

EventWatcher::~EventWatcher() { Stop(); }

void EventWatcher::Start() {
  thread_ = std::thread([this] { Run(); });
}

void EventWatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::map<std::string, std::vector<std::string>> EventWatcher::Filters() {
  // One stream for all three types keeps one `since` cursor and one reconnect path. A server-side
  // label filter cannot be used: it would also apply to image events, which carry no app label.
  return {
      {"type", {"container", "image", "node"}},
      // containers: create .. health_status; nodes: update, remove; images: tag .. pull
      {"event", {"create",  "start",  "restart", "die",     "stop",   "kill",          "oom",
                 "destroy", "rename", "pause",   "unpause", "update", "health_status", "remove",
                 "tag",     "untag",  "delete",  "import",  "load",   "pull"}},
  };
}

bool EventWatcher::Wanted(const DockerEvent& event) {
  if (event.type == "image" || event.type == "node") return true;
  if (event.type != "container") return false;
  if (!event.attributes.contains(kAppNameLabel)) return false;
  auto role = event.attributes.find(kRoleLabel);
  return role == event.attributes.end() || role->second != "probe";
}

void EventWatcher::Run() {
  int64_t backoff = options_.initial_backoff_ms;
  bool streamed_before = false;
  Status cause;
  while (!stop_) {
    if (streamed_before) {
      // The deadline is fixed before on_backoff runs, so a test moving the clock from it counts.
      const int64_t deadline = clock_->NowMs() + backoff;
      if (options_.on_backoff) options_.on_backoff(backoff, cause);
      if (!WaitUntil(deadline)) return;
      backoff = std::min(backoff * 2, options_.max_backoff_ms);
      cause = docker_->Ping();
      if (!cause.ok()) continue;
      if (stop_) return;
      on_reconnect_();
    }
    streamed_before = true;
    const int64_t started_ms = clock_->NowMs();
    bool delivered = false;
    cause = docker_->StreamEvents(
        Filters(), last_time_nano_.load(),
        [&](const DockerEvent& event) {
          delivered = true;
          Deliver(event);
        },
        stop_);
    if (stop_) return;
    // A stream that worked for a while was a healthy connection: start backing off afresh.
    if (delivered || clock_->NowMs() - started_ms >= options_.max_backoff_ms) {
      backoff = options_.initial_backoff_ms;
    }
    if (cause.ok()) cause = Status::Unavailable("docker event stream ended");
  }
}

void EventWatcher::Deliver(const DockerEvent& event) {
  // `since` includes the boundary, so a reconnect repeats at least the last event seen.
  std::string key = fmt::format("{}/{}/{}", event.time_nano, event.id, event.action);
  if (!recent_.insert(key).second) return;
  recent_order_.push_back(std::move(key));
  if (recent_order_.size() > kRememberedEvents) {
    recent_.erase(recent_order_.front());
    recent_order_.pop_front();
  }
  if (event.time_nano > last_time_nano_.load()) last_time_nano_ = event.time_nano;
  if (Wanted(event)) on_event_(event);
}

bool EventWatcher::WaitUntil(int64_t deadline_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    const int64_t left = deadline_ms - clock_->NowMs();
    if (left <= 0) return true;
    wake_.wait_for(
        lock, std::min<std::chrono::milliseconds>(std::chrono::milliseconds(left), kWaitSlice));
  }
  return false;
}

}  // namespace dokku

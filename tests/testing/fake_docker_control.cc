// FakeDocker's events, test setup, failure knobs and inspection (see fake_docker.h).
#include <fmt/format.h>

#include <algorithm>

#include "tests/testing/fake_docker.h"

namespace dokku {
namespace {

constexpr size_t kReplayedEvents = 256;  // dockerd keeps this many for since= replays
// StreamEvents cannot be woken by the caller's `stop` flag, so it looks at it this often.
constexpr std::chrono::milliseconds kStopPoll{5};

bool MatchesOne(const std::string& key, const std::string& value, const DockerEvent& e) {
  if (key == "type") return value == e.type;
  // "health_status" matches "health_status: healthy", as in dockerd.
  if (key == "event") return e.action == value || e.action.starts_with(value + ":");
  if (key == "container" || key == "image") {
    const char* attribute = key == "image" && e.type == "container" ? "image" : "name";
    auto it = e.attributes.find(attribute);
    return value == e.id || (it != e.attributes.end() && it->second == value);
  }
  return true;  // filters the fake does not model match everything
}

// Values of one key are ORed, except labels (ANDed); keys are ANDed.
bool MatchesFilters(const std::map<std::string, std::vector<std::string>>& filters,
                    const DockerEvent& e) {
  for (const auto& [key, values] : filters) {
    if (values.empty()) continue;
    if (key == "label") {
      if (!MatchesLabelFilters(e.attributes, values)) return false;
    } else if (std::none_of(values.begin(), values.end(),
                            [&](const std::string& v) { return MatchesOne(key, v, e); })) {
      return false;
    }
  }
  return true;
}

}  // namespace

void FakeDocker::EmitLocked(const std::string& type, const std::string& action,
                            const std::string& id, std::map<std::string, std::string> attributes) {
  if (!emit_events_) return;
  DockerEvent event{type, action, id, std::move(attributes), 0};
  // Unique, increasing times keep (timeNano, id, action) a usable dedup key.
  last_event_nano_ = event.time_nano = std::max(clock_->NowMs() * 1'000'000, last_event_nano_ + 1);
  events_.push_back(std::move(event));
  changed_.notify_all();
}

void FakeDocker::EmitContainerLocked(const Container& c, const std::string& action,
                                     std::map<std::string, std::string> extra) {
  std::map<std::string, std::string> attributes = c.info.labels;
  attributes["name"] = c.info.name;
  attributes["image"] = c.spec.image;
  for (auto& [key, value] : extra) attributes[key] = std::move(value);
  EmitLocked("container", action, c.info.id, std::move(attributes));
}

Status FakeDocker::StreamEvents(const std::map<std::string, std::vector<std::string>>& filters,
                                int64_t since_nano,
                                const std::function<void(const DockerEvent&)>& on_event,
                                const std::atomic<bool>& stop) {
  std::unique_lock<std::mutex> lock(mu_);
  DOKKU_RETURN_IF_ERROR(Record("events"));
  DOKKU_RETURN_IF_ERROR(Injected("events", ""));
  const int64_t generation = drop_generation_;
  size_t next = events_.size();
  if (since_nano > 0) {
    next = events_.size() > kReplayedEvents ? events_.size() - kReplayedEvents : 0;
    while (next < events_.size() && events_[next].time_nano < since_nano) ++next;
  }
  ++open_streams_;
  changed_.notify_all();
  Status result;
  while (true) {
    while (next < events_.size() && !stop.load()) {
      const DockerEvent event = events_[next++];
      if (!MatchesFilters(filters, event)) continue;
      lock.unlock();
      on_event(event);
      lock.lock();
    }
    if (stop.load()) break;
    if (unavailable_ || drop_generation_ != generation) {
      result = Status::Unavailable("fake docker: event stream dropped");
      break;
    }
    changed_.wait_for(lock, kStopPoll);
  }
  --open_streams_;
  changed_.notify_all();
  return result;
}

void FakeDocker::PushEvent(DockerEvent event) {
  std::lock_guard<std::mutex> lock(mu_);
  if (event.time_nano == 0) {
    event.time_nano = std::max(clock_->NowMs() * 1'000'000, last_event_nano_ + 1);
  }
  last_event_nano_ = std::max(last_event_nano_, event.time_nano);
  events_.push_back(std::move(event));
  changed_.notify_all();
}

void FakeDocker::DropEventStreams() {
  std::lock_guard<std::mutex> lock(mu_);
  ++drop_generation_;
  changed_.notify_all();
}

void FakeDocker::SetEmitEvents(bool emit) {
  std::lock_guard<std::mutex> lock(mu_);
  emit_events_ = emit;
}

void FakeDocker::SetLogs(const std::string& id_or_name, std::string logs) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Container* c = FindLocked(id_or_name)) c->logs = std::move(logs);
}

void FakeDocker::SetRestartCount(const std::string& id_or_name, int restart_count) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Container* c = FindLocked(id_or_name)) c->info.restart_count = restart_count;
}

void FakeDocker::Exit(const std::string& id_or_name, int exit_code) {
  std::lock_guard<std::mutex> lock(mu_);
  Container* c = FindLocked(id_or_name);
  if (c != nullptr && c->info.running) EndLocked(c, exit_code, "");
}

void FakeDocker::SetUnavailable(bool unavailable) {
  std::lock_guard<std::mutex> lock(mu_);
  unavailable_ = unavailable;
  changed_.notify_all();
}

void FakeDocker::FailFor(const std::string& method, const std::string& substring, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.push_back({method, substring, std::move(status)});
}

void FakeDocker::FailCreateFor(const std::string& substring, Status status) {
  FailFor("create", substring, std::move(status));
}

void FakeDocker::FailStartFor(const std::string& substring, Status status) {
  FailFor("start", substring, std::move(status));
}

void FakeDocker::CrashOnStartFor(const std::string& substring, int exit_code) {
  std::lock_guard<std::mutex> lock(mu_);
  crash_on_start_.emplace_back(substring, exit_code);
}

void FakeDocker::ClearFailures() {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.clear();
  crash_on_start_.clear();
}

std::vector<std::string> FakeDocker::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

namespace {
bool IsMethod(const std::string& call, std::string_view method) {
  return call.starts_with(method) && (call.size() == method.size() || call[method.size()] == ' ');
}
}  // namespace

int FakeDocker::CallCount(std::string_view method) const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(std::count_if(calls_.begin(), calls_.end(),
                                        [&](const std::string& c) { return IsMethod(c, method); }));
}

void FakeDocker::ClearCalls() {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.clear();
}

bool FakeDocker::WaitForCalls(std::string_view method, int n,
                              std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, timeout, [&] {
    return std::count_if(calls_.begin(), calls_.end(),
                         [&](const std::string& c) { return IsMethod(c, method); }) >= n;
  });
}

std::vector<ContainerInfo> FakeDocker::Containers() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<const Container*> all;
  for (const auto& [id, c] : containers_) all.push_back(&c);
  std::sort(all.begin(), all.end(), [](auto* a, auto* b) { return a->seq < b->seq; });
  std::vector<ContainerInfo> out;
  for (const Container* c : all) out.push_back(c->info);
  return out;
}

std::optional<ContainerInfo> FakeDocker::Find(const std::string& id_or_name) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Container* c = FindLocked(id_or_name);
  return c == nullptr ? std::nullopt : std::optional<ContainerInfo>(c->info);
}

std::optional<ContainerSpec> FakeDocker::SpecOf(const std::string& id_or_name) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Container* c = FindLocked(id_or_name);
  return c == nullptr ? std::nullopt : std::optional<ContainerSpec>(c->spec);
}

std::vector<std::string> FakeDocker::ImageTags() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [ref, id] : tags_) out.push_back(ref);
  return out;
}

std::vector<DockerEvent> FakeDocker::events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

int FakeDocker::open_event_streams() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_streams_;
}

}  // namespace dokku

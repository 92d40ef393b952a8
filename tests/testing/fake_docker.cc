#include "tests/testing/fake_docker.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "controller/docker/docker_codec.h"

namespace dokku {
namespace {

// dockerd's rule: ^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$ (the leading '/' is stripped by the caller).
bool ValidContainerName(const std::string& name) {
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  return name.size() >= 2 && alnum(name[0]) &&
         std::all_of(name.begin() + 1, name.end(),
                     [&](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; });
}

int SignalNumber(std::string signal) {
  if (signal.starts_with("SIG")) signal.erase(0, 3);
  static const std::map<std::string, int> kSignals = {
      {"HUP", 1}, {"INT", 2}, {"QUIT", 3}, {"KILL", 9}, {"USR1", 10}, {"USR2", 12}, {"TERM", 15}};
  if (auto it = kSignals.find(signal); it != kSignals.end()) return it->second;
  int n = 0;
  for (char c : signal)
    n = std::isdigit(static_cast<unsigned char>(c)) ? n * 10 + (c - '0') : -1000;
  return n > 0 && n < 65 ? n : 0;
}

}  // namespace

bool MatchesLabelFilters(const std::map<std::string, std::string>& labels,
                         const std::vector<std::string>& filters) {
  for (const std::string& want : filters) {
    const size_t eq = want.find('=');
    auto it = labels.find(want.substr(0, eq));
    if (it == labels.end()) return false;
    if (eq != std::string::npos && it->second != want.substr(eq + 1)) return false;
  }
  return true;
}

FakeDocker::FakeDocker(Clock* clock) : clock_(clock) {}

Status FakeDocker::Record(std::string call) {
  calls_.push_back(std::move(call));
  changed_.notify_all();
  return unavailable_ ? Status::Unavailable("fake docker: unavailable") : Status::Ok();
}

Status FakeDocker::Injected(std::string_view method, std::string_view subject) const {
  for (const Failure& f : failures_) {
    if (f.method == method && subject.find(f.substring) != std::string_view::npos) return f.status;
  }
  return Status::Ok();
}

const FakeDocker::Container* FakeDocker::FindLocked(const std::string& key) const {
  if (key.empty()) return nullptr;
  if (auto it = containers_.find(key); it != containers_.end()) return &it->second;
  const std::string bare = key.front() == '/' ? key.substr(1) : key;
  const Container* by_prefix = nullptr;
  int prefix_matches = 0;
  for (const auto& [id, c] : containers_) {
    if (c.info.name == bare) return &c;
    if (id.starts_with(key)) {
      by_prefix = &c;
      ++prefix_matches;
    }
  }
  return prefix_matches == 1 ? by_prefix : nullptr;
}

FakeDocker::Container* FakeDocker::FindLocked(const std::string& key) {
  return const_cast<Container*>(std::as_const(*this).FindLocked(key));
}

std::string FakeDocker::NowRfc3339() const {
  const int64_t ms = clock_->NowMs();
  const std::time_t seconds = ms / 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}000000Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

StatusOr<FakeDocker::Container*> FakeDocker::BeginOnContainer(std::string call,
                                                              const std::string& key) {
  const std::string method = call.substr(0, call.find(' '));
  DOKKU_RETURN_IF_ERROR(Record(std::move(call)));
  Container* c = FindLocked(key);
  DOKKU_RETURN_IF_ERROR(Injected(method, c != nullptr ? c->info.name : key));
  if (c == nullptr) return Status::NotFound("No such container: " + key);
  return c;
}

Status FakeDocker::Ping() {
  std::lock_guard<std::mutex> lock(mu_);
  DOKKU_RETURN_IF_ERROR(Record("ping"));
  return Injected("ping", "");
}

StatusOr<std::vector<ContainerSummary>> FakeDocker::ListContainers(
    const std::vector<std::string>& labels) {
  std::string joined;
  for (const std::string& l : labels) joined += (joined.empty() ? "" : ",") + l;
  std::lock_guard<std::mutex> lock(mu_);
  DOKKU_RETURN_IF_ERROR(Record("list " + joined));
  DOKKU_RETURN_IF_ERROR(Injected("list", joined));
  std::vector<const Container*> matching;
  for (const auto& [id, c] : containers_) {
    if (MatchesLabelFilters(c.info.labels, labels)) matching.push_back(&c);
  }
  std::sort(matching.begin(), matching.end(), [](const Container* a, const Container* b) {
    return a->seq > b->seq;
  });  // newest first
  std::vector<ContainerSummary> out;
  for (const Container* c : matching) {
    out.push_back(
        {c->info.id, c->info.name, c->info.image_id, c->info.state, c->created, c->info.labels});
  }
  return out;
}

StatusOr<std::string> FakeDocker::CreateContainer(const ContainerSpec& spec) {
  std::lock_guard<std::mutex> lock(mu_);
  DOKKU_RETURN_IF_ERROR(Record("create " + spec.name));
  DOKKU_RETURN_IF_ERROR(Injected("create", spec.name));
  const int64_t seq = next_seq_++;
  std::string name = spec.name.empty() ? fmt::format("fake_{}", seq) : spec.name;
  if (name.front() == '/') name.erase(0, 1);
  if (!ValidContainerName(name)) {
    return Status::InvalidArgument(fmt::format(
        "Invalid container name ({}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name));
  }
  const std::string image_id = ResolveImageLocked(spec.image);
  if (image_id.empty()) return Status::NotFound("No such image: " + spec.image);
  for (const auto& [id, c] : containers_) {
    if (c.info.name == name) {
      return Status::Conflict(fmt::format(
          "Conflict. The container name \"/{}\" is already in use by container \"{}\". You have "
          "to remove (or rename) that container to be able to reuse that name.",
          name, id));
    }
  }
  StatusOr<RestartPolicy> policy = ParseRestartPolicy(spec.restart_policy);
  if (!policy.ok()) return policy.status();
  Container c;
  c.seq = seq;
  c.created = clock_->NowSeconds();
  c.spec = spec;
  c.spec.name = name;
  c.info.id = fmt::format("{:016x}{:016x}{:016x}{:016x}", 0xc0de0000u + seq, seq * 7919,
                          seq * 104729, seq * 1299709);
  c.info.name = name;
  c.info.image_id = image_id;
  c.info.state = "created";
  c.info.labels = spec.labels;
  c.info.started_at = "0001-01-01T00:00:00Z";
  c.info.finished_at = "0001-01-01T00:00:00Z";
  auto [it, inserted] = containers_.emplace(c.info.id, std::move(c));
  EmitContainerLocked(it->second, "create");
  return it->first;
}

Status FakeDocker::StartContainer(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  StatusOr<Container*> found = BeginOnContainer("start " + id, id);
  if (!found.ok()) return found.status();
  Container* c = *found;
  if (c->info.running) return Status::Ok();  // dockerd: 304
  c->info.state = "running";
  c->info.running = true;
  c->info.exit_code = 0;
  c->info.started_at = NowRfc3339();
  c->info.ip = fmt::format("172.30.0.{}", next_ip_);
  next_ip_ = next_ip_ >= 254 ? 2 : next_ip_ + 1;
  if (c->spec.publish_port && c->spec.exposed_port > 0) c->info.host_port = next_host_port_++;
  EmitContainerLocked(*c, "start");
  for (const auto& [substring, exit_code] : crash_on_start_) {
    if (c->info.name.find(substring) != std::string::npos) EndLocked(c, exit_code, "");
  }
  return Status::Ok();
}

void FakeDocker::EndLocked(Container* c, int exit_code, const std::string& signal) {
  if (!signal.empty()) EmitContainerLocked(*c, "kill", {{"signal", signal}});
  c->info.state = "exited";
  c->info.running = false;
  c->info.exit_code = exit_code;
  c->info.finished_at = NowRfc3339();
  c->info.ip.clear();
  c->info.host_port = 0;
  EmitContainerLocked(*c, "die", {{"exitCode", std::to_string(exit_code)}});
}

Status FakeDocker::StopContainer(const std::string& id, int timeout_s) {
  std::lock_guard<std::mutex> lock(mu_);
  StatusOr<Container*> found = BeginOnContainer(fmt::format("stop {} {}", id, timeout_s), id);
  if (!found.ok()) return found.status();
  Container* c = *found;
  if (!c->info.running) return Status::Ok();  // dockerd: 304
  EndLocked(c, 143, "15");                    // docker-init forwards SIGTERM: 128 + 15
  EmitContainerLocked(*c, "stop");
  return Status::Ok();
}

Status FakeDocker::KillContainer(const std::string& id, const std::string& signal) {
  std::lock_guard<std::mutex> lock(mu_);
  StatusOr<Container*> found = BeginOnContainer(fmt::format("kill {} {}", id, signal), id);
  if (!found.ok()) return found.status();
  Container* c = *found;
  const int number = SignalNumber(signal);
  if (number == 0) return Status::InvalidArgument("Invalid signal: " + signal);
  if (!c->info.running) return Status::Ok();  // dockerd: 409 "is not running"; the client: OK
  EndLocked(c, 128 + number, std::to_string(number));
  return Status::Ok();
}

Status FakeDocker::RemoveContainer(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  DOKKU_RETURN_IF_ERROR(Record("remove " + id));
  Container* c = FindLocked(id);
  DOKKU_RETURN_IF_ERROR(Injected("remove", c != nullptr ? c->info.name : id));
  if (c == nullptr) return Status::Ok();  // dockerd: 404; the client: already gone
  if (c->info.running) EndLocked(c, 137, "9");
  EmitContainerLocked(*c, "destroy");
  containers_.erase(c->info.id);
  return Status::Ok();
}

Status FakeDocker::RenameContainer(const std::string& id, const std::string& new_name) {
  std::lock_guard<std::mutex> lock(mu_);
  StatusOr<Container*> found = BeginOnContainer(fmt::format("rename {} {}", id, new_name), id);
  if (!found.ok()) return found.status();
  Container* c = *found;
  if (!ValidContainerName(new_name)) return Status::InvalidArgument("Invalid container name");
  for (const auto& [other_id, other] : containers_) {
    if (other.info.name == new_name && other_id != c->info.id) {
      return Status::Conflict(fmt::format(
          "Error when allocating new name: Conflict. The container name \"/{}\" is already in "
          "use by container \"{}\".",
          new_name, other_id));
    }
  }
  const std::string old_name = c->info.name;
  c->info.name = c->spec.name = new_name;
  EmitContainerLocked(*c, "rename", {{"oldName", "/" + old_name}});
  return Status::Ok();
}

Status FakeDocker::UpdateRestartPolicy(const std::string& id, const std::string& policy) {
  std::lock_guard<std::mutex> lock(mu_);
  StatusOr<Container*> found = BeginOnContainer(fmt::format("update {} {}", id, policy), id);
  if (!found.ok()) return found.status();
  Container* c = *found;
  DOKKU_RETURN_IF_ERROR(ParseRestartPolicy(policy).status());
  c->spec.restart_policy = policy;
  EmitContainerLocked(*c, "update");
  return Status::Ok();
}

StatusOr<ContainerInfo> FakeDocker::InspectContainer(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  StatusOr<Container*> found = BeginOnContainer("inspect " + id, id);
  if (!found.ok()) return found.status();
  Container* c = *found;
  return c->info;
}

StatusOr<std::string> FakeDocker::ContainerLogs(const std::string& id, int tail) {
  std::lock_guard<std::mutex> lock(mu_);
  StatusOr<Container*> found = BeginOnContainer(fmt::format("logs {} {}", id, tail), id);
  if (!found.ok()) return found.status();
  Container* c = *found;
  if (tail < 0) return c->logs;
  // Split after each '\n' so a final newline ends the last line instead of starting one.
  std::vector<std::string_view> lines;
  const std::string_view logs = c->logs;
  for (size_t pos = 0; pos < logs.size();) {
    const size_t newline = logs.find('\n', pos);
    const size_t end = newline == std::string_view::npos ? logs.size() : newline + 1;
    lines.push_back(logs.substr(pos, end - pos));
    pos = end;
  }
  std::string out;
  const size_t first = lines.size() > static_cast<size_t>(tail) ? lines.size() - tail : 0;
  for (size_t i = first; i < lines.size(); ++i) out.append(lines[i]);
  return out;
}

StatusOr<int> FakeDocker::WaitContainer(const std::string& id, int timeout_s) {
  std::lock_guard<std::mutex> lock(mu_);
  StatusOr<Container*> found = BeginOnContainer(fmt::format("wait {} {}", id, timeout_s), id);
  if (!found.ok()) return found.status();
  Container* c = *found;
  if (!c->info.running) return c->info.exit_code;
  int exit_code = 0;
  for (const auto& [substring, code, logs] : task_exits_) {
    if (c->info.name.find(substring) == std::string::npos) continue;
    exit_code = code;
    c->logs += logs;
  }
  EndLocked(c, exit_code, "");
  return exit_code;
}

StatusOr<ExecResult> FakeDocker::Exec(const std::string& id, const std::vector<std::string>& cmd,
                                      int timeout_s) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string joined;
  for (const std::string& word : cmd) joined += (joined.empty() ? "" : " ") + word;
  StatusOr<Container*> found =
      BeginOnContainer(fmt::format("exec {} {} {}", id, timeout_s, joined), id);
  if (!found.ok()) return found.status();
  Container* c = *found;
  if (!c->info.running) return Status::Conflict(fmt::format("container {} is not running", id));
  ExecResult result;
  for (const auto& [name, substring, r] : exec_results_) {
    if (c->info.name.find(name) != std::string::npos && joined.find(substring) != std::string::npos)
      result = r;
  }
  return result;
}

void FakeDocker::SetTaskExit(const std::string& name_substring, int exit_code, std::string logs) {
  std::lock_guard<std::mutex> lock(mu_);
  task_exits_.emplace_back(name_substring, exit_code, std::move(logs));
}

void FakeDocker::SetExecResult(const std::string& name_substring, const std::string& cmd_substring,
                               ExecResult result) {
  std::lock_guard<std::mutex> lock(mu_);
  exec_results_.emplace_back(name_substring, cmd_substring, std::move(result));
}

}  // namespace dokku

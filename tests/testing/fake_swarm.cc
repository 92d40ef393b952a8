#include "tests/testing/fake_swarm.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "tests/testing/fake_docker.h"

namespace dokku {
namespace {

constexpr char kNotManager[] =
    "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to "
    "connect this node to swarm and try again.";

bool Active(const SwarmTask& t) {
  return t.desired_state == "running" || t.desired_state == "ready";
}

std::string Template(const SwarmServiceSpec& spec) {
  StatusOr<std::string> encoded = EncodeTaskTemplate(spec);
  return encoded.ok() ? *encoded : std::string();
}

}  // namespace

FakeSwarm::FakeSwarm(const Clock* clock) : clock_(clock) {}

Status FakeSwarm::Call(std::string call) {
  for (auto it = failures_.begin(); it != failures_.end(); ++it) {
    if (call.rfind(it->first, 0) == 0) {
      Status status = it->second;
      failures_.erase(it);
      calls_.push_back(std::move(call));
      return status;
    }
  }
  const bool needs_manager = call != "info" && call.rfind("port ", 0) != 0;
  calls_.push_back(std::move(call));
  if (needs_manager && !manager_) return Status::FailedPrecondition(kNotManager);
  return Status::Ok();
}

FakeSwarm::Record* FakeSwarm::Find(const std::string& id_or_name) {
  auto it = services_.find(id_or_name);
  if (it != services_.end()) return &it->second;
  for (auto& [id, r] : services_) {
    if (r.service.spec.name == id_or_name) return &r;
  }
  return nullptr;
}

SwarmTask FakeSwarm::NewTask(const Record& r, int slot) {
  const SwarmServiceSpec& spec = r.service.spec;
  const int n = next_id_++;
  SwarmTask t;
  t.id = fmt::format("task{}", n);
  t.service_id = r.service.id;
  t.node_id = kNodeId;
  t.slot = slot;
  t.desired_state = "running";
  t.created_at = t.updated_at = t.status_at = Now();
  t.image = spec.image;
  t.container_labels = spec.container_labels;
  t.force_update = spec.force_update;
  if (!reject_error_.empty()) {
    t.state = "rejected";
    t.message = "preparing";
    t.error = reject_error_;
    return t;
  }
  const bool running = start_running_ && crash_error_.empty();
  t.state = running ? "running" : "starting";
  t.message = running ? "started" : "starting";
  t.container_id = fmt::format("ctr{}", n);
  t.ip = fmt::format("10.0.0.{}", 2 + n % 250);
  for (const SwarmPort& p : spec.ports) {
    if (p.publish_mode != "host") continue;
    // Like dockerd: an IPv4 and an IPv6 binding, IPv4 first.
    t.host_ports = {next_host_port_, next_host_port_ + 1};
    next_host_port_ += 2;
  }
  return t;
}

void FakeSwarm::ReplaceTasks(Record& r) {
  for (SwarmTask& t : tasks_) {
    if (t.service_id != r.service.id || !Active(t) || !start_running_) continue;
    t.desired_state = "shutdown";
    t.state = "shutdown";
    t.message = "shutdown";
  }
  for (int slot = 1; slot <= r.service.spec.replicas; ++slot) tasks_.push_back(NewTask(r, slot));
}

void FakeSwarm::Scale(Record& r) {
  std::set<int> slots;
  for (SwarmTask& t : tasks_) {
    if (t.service_id != r.service.id || !Active(t)) continue;
    if (t.slot > r.service.spec.replicas) {
      t.desired_state = "remove";
      t.state = "shutdown";
    } else {
      slots.insert(t.slot);
    }
  }
  for (int slot = 1; slot <= r.service.spec.replicas; ++slot) {
    if (!slots.count(slot)) tasks_.push_back(NewTask(r, slot));
  }
}

void FakeSwarm::Rollback(Record& r) {
  SwarmTask failed = NewTask(r, 1);
  failed.desired_state = "shutdown";
  failed.state = "failed";
  failed.message = "starting";
  failed.error = fail_update_error_;
  failed.exit_code = 1;
  failed.host_ports.clear();
  tasks_.push_back(failed);
  fail_update_error_.clear();
  r.service.spec = *r.previous;
  r.service.version = ++index_;
  r.service.update_status = {
      "rollback_started",
      "update rolled back due to failure or early termination of task " + failed.id};
  r.rollback_pending = true;
  Scale(r);
  if (start_running_) {
    r.service.update_status = {"rollback_completed", "rollback completed"};
    r.rollback_pending = false;
  }
}

StatusOr<SwarmInfo> FakeSwarm::Info() {
  std::lock_guard<std::mutex> lock(mu_);
  DOKKU_RETURN_IF_ERROR(Call("info"));
  if (!manager_) return SwarmInfo{"", "", "inactive", false, ""};
  return SwarmInfo{kNodeId, "127.0.0.1", "active", true, ""};
}

StatusOr<std::string> FakeSwarm::CreateService(const SwarmServiceSpec& spec) {
  std::lock_guard<std::mutex> lock(mu_);
  DOKKU_RETURN_IF_ERROR(Call("create " + spec.name));
  if (Find(spec.name) != nullptr) {
    return Status::Conflict(fmt::format(
        "rpc error: code = AlreadyExists desc = name conflicts with an existing object: service "
        "{} already exists",
        spec.name));
  }
  Record r;
  r.service.id = fmt::format("svc{}", next_id_++);
  r.service.version = ++index_;
  r.service.created_at = r.service.updated_at = Now();
  r.service.spec = spec;
  for (const SwarmPort& p : spec.ports) {
    const int published =
        p.publish_mode == "ingress" && p.published_port == 0 ? next_port_++ : p.published_port;
    r.service.endpoint_ports.push_back({p.target_port, published, p.publish_mode});
  }
  for (int slot = 1; slot <= spec.replicas; ++slot) tasks_.push_back(NewTask(r, slot));
  const std::string id = r.service.id;
  services_[id] = std::move(r);
  return id;
}

Status FakeSwarm::UpdateService(const std::string& id, uint64_t version,
                                const SwarmServiceSpec& spec) {
  std::lock_guard<std::mutex> lock(mu_);
  DOKKU_RETURN_IF_ERROR(Call(fmt::format("update {} {}", id, version)));
  auto it = services_.find(id);
  if (it == services_.end()) return Status::NotFound(fmt::format("service {} not found", id));
  Record& r = it->second;
  if (version != r.service.version) {
    return Status::Conflict("rpc error: code = Unknown desc = update out of sequence");
  }
  if (spec.name != r.service.spec.name) {
    return Status::InvalidArgument(
        "rpc error: code = Unimplemented desc = renaming services is not supported");
  }
  const bool new_template = Template(spec) != Template(r.service.spec);
  r.previous = r.service.spec;
  r.service.spec = spec;
  r.service.version = ++index_;
  r.service.updated_at = Now();
  r.rollback_pending = false;
  if (!new_template) {
    r.service.update_status = {};  // a scale-only update resets it, as dockerd does
    Scale(r);
    return Status::Ok();
  }
  if (!fail_update_error_.empty()) {
    Rollback(r);
    return Status::Ok();
  }
  ReplaceTasks(r);
  r.service.update_status = start_running_ ? SwarmUpdateStatus{"completed", "update completed"}
                                           : SwarmUpdateStatus{"updating", "update in progress"};
  return Status::Ok();
}

StatusOr<SwarmService> FakeSwarm::InspectService(const std::string& id_or_name) {
  std::lock_guard<std::mutex> lock(mu_);
  DOKKU_RETURN_IF_ERROR(Call("inspect " + id_or_name));
  Record* r = Find(id_or_name);
  if (r == nullptr) return Status::NotFound(fmt::format("service {} not found", id_or_name));
  return r->service;
}

StatusOr<std::vector<SwarmService>> FakeSwarm::ListServices(
    const std::vector<std::string>& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string joined;
  for (const std::string& l : labels) joined += (joined.empty() ? "" : ",") + l;
  DOKKU_RETURN_IF_ERROR(Call("list " + joined));
  std::vector<SwarmService> out;
  for (const auto& [id, r] : services_) {
    if (MatchesLabelFilters(r.service.spec.labels, labels)) out.push_back(r.service);
  }
  return out;
}

Status FakeSwarm::RemoveService(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  DOKKU_RETURN_IF_ERROR(Call("remove " + id));
  Record* r = Find(id);
  if (r == nullptr) return Status::Ok();
  const std::string real_id = r->service.id;
  services_.erase(real_id);
  std::erase_if(tasks_, [&](const SwarmTask& t) { return t.service_id == real_id; });
  return Status::Ok();
}

StatusOr<std::vector<SwarmTask>> FakeSwarm::ListTasks(const std::string& service_id) {
  std::lock_guard<std::mutex> lock(mu_);
  DOKKU_RETURN_IF_ERROR(Call("tasks " + service_id));
  Record* r = Find(service_id);
  std::vector<SwarmTask> out;
  if (r == nullptr) return out;
  for (const SwarmTask& t : tasks_) {
    if (t.service_id == r->service.id) out.push_back(t);
  }
  return out;
}

StatusOr<std::vector<SwarmNode>> FakeSwarm::ListNodes() {
  std::lock_guard<std::mutex> lock(mu_);
  DOKKU_RETURN_IF_ERROR(Call("nodes"));
  return std::vector<SwarmNode>{{kNodeId, "fake", "127.0.0.1", "ready", "manager", "active"}};
}

StatusOr<int> FakeSwarm::LocalHostPort(const std::string& container_id, int /*container_port*/) {
  std::lock_guard<std::mutex> lock(mu_);
  DOKKU_RETURN_IF_ERROR(Call("port " + container_id));
  for (const SwarmTask& t : tasks_) {
    if (t.container_id != container_id) continue;
    return t.host_ports.empty() ? 0 : t.host_ports.front();
  }
  return Status::NotFound("No such container: " + container_id);
}

void FakeSwarm::SetManager(bool manager) {
  std::lock_guard<std::mutex> lock(mu_);
  manager_ = manager;
}

void FakeSwarm::SetTasksStartRunning(bool running) {
  std::lock_guard<std::mutex> lock(mu_);
  start_running_ = running;
}

void FakeSwarm::Settle() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!crash_error_.empty()) {
    std::vector<SwarmTask> replacements;
    for (SwarmTask& t : tasks_) {
      if (!Active(t) || t.state != "starting") continue;
      t.desired_state = "shutdown";
      t.state = "failed";
      t.error = crash_error_;
      t.exit_code = 1;
      t.status_at = Now();
      replacements.push_back(NewTask(services_.at(t.service_id), t.slot));
    }
    tasks_.insert(tasks_.end(), replacements.begin(), replacements.end());
    return;
  }
  std::map<std::pair<std::string, int>, size_t> newest;  // (service, slot) -> task index
  for (size_t i = 0; i < tasks_.size(); ++i) {
    SwarmTask& t = tasks_[i];
    if (!Active(t)) continue;
    if (t.state == "starting") {
      t.state = "running";
      t.message = "started";
      t.status_at = Now();
    }
    newest[{t.service_id, t.slot}] = i;  // tasks_ is in creation order
  }
  for (size_t i = 0; i < tasks_.size(); ++i) {
    SwarmTask& t = tasks_[i];
    if (Active(t) && newest[{t.service_id, t.slot}] != i) {
      t.desired_state = "shutdown";
      t.state = "shutdown";
    }
  }
  for (auto& [id, r] : services_) {
    if (r.service.update_status.state == "updating") {
      r.service.update_status = {"completed", "update completed"};
    }
    if (r.rollback_pending) {
      r.service.update_status = {"rollback_completed", "rollback completed"};
      r.rollback_pending = false;
    }
  }
}

void FakeSwarm::FailNextUpdate(const std::string& task_error) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_update_error_ = task_error;
}

void FakeSwarm::RejectNewTasks(const std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  reject_error_ = error;
}

void FakeSwarm::CrashNewTasks(const std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  crash_error_ = error;
}

void FakeSwarm::KillTask(const std::string& service_id, int slot) {
  std::lock_guard<std::mutex> lock(mu_);
  Record* r = Find(service_id);
  if (r == nullptr) return;
  for (SwarmTask& t : tasks_) {
    if (t.service_id != r->service.id || t.slot != slot || !Active(t) || t.state != "running") {
      continue;
    }
    t.desired_state = "shutdown";
    t.state = "failed";
    t.error = "task: non-zero exit (137)";
    t.exit_code = 137;
    t.status_at = Now();
    if (r->service.spec.restart_condition != "none") tasks_.push_back(NewTask(*r, slot));
    return;
  }
}

void FakeSwarm::SetUpdateStatus(const std::string& service_id, SwarmUpdateStatus status) {
  std::lock_guard<std::mutex> lock(mu_);
  Record* r = Find(service_id);
  if (r != nullptr) r->service.update_status = std::move(status);
}

void FakeSwarm::FailNext(const std::string& call_prefix, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.emplace_back(call_prefix, std::move(status));
}

std::vector<std::string> FakeSwarm::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

int FakeSwarm::CountCalls(const std::string& prefix) const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(std::count_if(
      calls_.begin(), calls_.end(), [&](const std::string& c) { return c.rfind(prefix, 0) == 0; }));
}

void FakeSwarm::ClearCalls() {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.clear();
}

std::optional<SwarmService> FakeSwarm::ServiceByName(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, r] : services_) {
    if (r.service.spec.name == name) return r.service;
  }
  return std::nullopt;
}

std::vector<SwarmService> FakeSwarm::Services() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SwarmService> out;
  for (const auto& [id, r] : services_) out.push_back(r.service);
  return out;
}

}  // namespace dokku

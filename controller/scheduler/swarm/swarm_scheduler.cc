#include "controller/scheduler/swarm/swarm_scheduler.h"

#include <fmt/format.h>

#include <algorithm>

#include "controller/model/naming.h"
#include "controller/scheduler/swarm/swarm_tasks.h"
#include "store/validation.h"

namespace dokku {
namespace {

constexpr int64_t kNanos = 1'000'000'000;
constexpr int64_t kMaxWaitSeconds = 3600;
// Time allowed for a task to be scheduled and its container started, beyond health and monitor.
constexpr int64_t kStartSeconds = 30;

int RunningCurrent(const SwarmService& s, const std::vector<SwarmTask>& tasks) {
  return static_cast<int>(std::count_if(tasks.begin(), tasks.end(), [&](const SwarmTask& t) {
    return IsRunningTask(t) && IsCurrentTask(t, s);
  }));
}

// "; last task error: ..." from the newest failed or rejected task, or "".
std::string LastTaskError(const std::vector<SwarmTask>& tasks) {
  const SwarmTask* newest = nullptr;
  for (const SwarmTask& t : tasks) {
    if (t.state != "failed" && t.state != "rejected") continue;
    if (!newest || t.status_at > newest->status_at) newest = &t;
  }
  if (!newest) return "";
  return "; last task error: " + (newest->error.empty() ? newest->message : newest->error);
}

// An upper bound for one service's rollout: every batch may take a start, a health run, the
// monitor window and (stop-first) the old task's stop grace.
int64_t BudgetSeconds(const SwarmServiceSpec& spec, int old_replicas) {
  const int parallelism = std::max(spec.update.parallelism, 1);
  const int tasks = std::max({spec.replicas, old_replicas, 1});
  int64_t per_batch = kStartSeconds + spec.update.monitor_ns / kNanos;
  if (spec.healthcheck) {
    per_batch += (spec.healthcheck->interval_ns * (spec.healthcheck->retries + 1) +
                  spec.healthcheck->timeout_ns) /
                 kNanos;
  }
  if (spec.update.order == "stop-first") per_batch += spec.stop_grace_ns / kNanos;
  return (tasks + parallelism - 1) / parallelism * per_batch;
}

Status ValidateDesired(const SwarmDesired& desired) {
  DOKKU_RETURN_IF_ERROR(ValidateAppName(desired.app));
  if (desired.store_id.empty()) return Status::InvalidArgument("swarm: empty store id");
  std::set<std::string> seen;
  for (const SwarmProc& p : desired.procs) {
    DOKKU_RETURN_IF_ERROR(ValidateProcessType(p.proctype));
    if (!seen.insert(p.proctype).second) {
      return Status::InvalidArgument("swarm: duplicate process type " + p.proctype);
    }
  }
  if (!desired.procs.empty() && desired.image_id.empty()) {
    return Status::InvalidArgument("swarm: no image to run for " + desired.app);
  }
  return Status::Ok();
}

}  // namespace

struct SwarmScheduler::Pending {
  int64_t since_s = 0;  // when this Apply began: tasks created since are its own
  std::string id;
  std::string proctype;
  std::string hash;  // the whole-spec hash we asked for
  int64_t budget_s = 0;
  int last_running = 0;
  std::string rollback_message;
  bool done = false;
  std::string failure;
};

SwarmScheduler::SwarmScheduler(SwarmApi* api, const Clock* clock, SwarmSchedulerOptions options)
    : api_(api), clock_(clock), options_(options) {}

Status SwarmScheduler::CheckManager() {
  StatusOr<SwarmInfo> info = api_->Info();
  if (!info.ok()) return info.status();
  if (info->local_node_state == "active" && info->control_available) return Status::Ok();
  return Status::FailedPrecondition(fmt::format(
      "The docker-swarm scheduler needs this Docker engine to be a swarm manager (swarm state: "
      "{}{}); run `docker swarm init` or join it to a swarm as a manager",
      info->local_node_state.empty() ? "unknown" : info->local_node_state,
      info->local_node_state == "active" ? ", worker" : ""));
}

StatusOr<std::vector<SwarmService>> SwarmScheduler::ListAppServices(const std::string& app,
                                                                    const std::string& store_id) {
  return api_->ListServices(
      {fmt::format("{}={}", kLabelApp, app), fmt::format("{}={}", kLabelStore, store_id)});
}

Status SwarmScheduler::Apply(const SwarmDesired& desired, Sleeper* sleeper, const Emit& emit,
                             SwarmObserved* observed) {
  *observed = SwarmObserved{};
  DOKKU_RETURN_IF_ERROR(ValidateDesired(desired));
  DOKKU_RETURN_IF_ERROR(CheckManager());
  StatusOr<std::vector<SwarmService>> services = ListAppServices(desired.app, desired.store_id);
  if (!services.ok()) return services.status();

  // The header goes out before the first line about an actual change, never for a no-op pass.
  bool announced = false;
  const Emit announce = [&](const std::string& level, const std::string& text) {
    if (!announced) {
      emit(kInfo1, fmt::format("Deploying {} via the docker-swarm scheduler...", desired.app));
      announced = true;
    }
    emit(level, text);
  };

  std::map<std::string, const SwarmService*> by_proc;
  std::vector<const SwarmService*> unwanted;
  std::set<std::string> wanted;
  for (const SwarmProc& p : desired.procs) wanted.insert(p.proctype);
  for (const SwarmService& s : *services) {
    const std::string proc = SwarmLabel(s.spec.labels, kLabelProcType);
    if (!wanted.count(proc) || !by_proc.emplace(proc, &s).second) unwanted.push_back(&s);
  }

  std::vector<SwarmProc> procs = desired.procs;
  std::sort(procs.begin(), procs.end(), [](const SwarmProc& a, const SwarmProc& b) {
    return std::make_pair(a.proctype != "web", a.proctype) <
           std::make_pair(b.proctype != "web", b.proctype);
  });
  std::vector<Pending> pending;
  for (const SwarmProc& p : procs) {
    auto it = by_proc.find(p.proctype);
    DOKKU_RETURN_IF_ERROR(ApplyProc(desired, p, it == by_proc.end() ? nullptr : it->second,
                                    announce, &pending, observed));
  }
  for (const SwarmService* s : unwanted) {
    announce(kVerbose, fmt::format("Removing service {}", s->spec.name));
    DOKKU_RETURN_IF_ERROR(api_->RemoveService(s->id));
  }

  std::string failure;
  if (!pending.empty()) DOKKU_RETURN_IF_ERROR(Wait(desired, pending, sleeper, emit, &failure));
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Pending& p : pending) {
      if (p.failure.empty()) continue;
      auto& blocked = blocked_[desired.app];
      if (blocked.first != desired.generation) blocked = {desired.generation, {}};
      blocked.second.insert(p.hash);
    }
  }

  std::vector<std::string> blocked = std::move(observed->blocked);
  DOKKU_RETURN_IF_ERROR(Observe(desired.app, desired.store_id, observed));
  observed->blocked = std::move(blocked);
  if (!failure.empty()) {
    observed->failure = observed->failure.empty() ? failure : failure + "; " + observed->failure;
  }
  return Status::Ok();
}

Status SwarmScheduler::ApplyProc(const SwarmDesired& desired, const SwarmProc& proc,
                                 const SwarmService* existing, const Emit& emit,
                                 std::vector<Pending>* pending, SwarmObserved* observed) {
  std::string note;
  StatusOr<SwarmServiceSpec> built = BuildServiceSpec(desired, proc, &note);
  if (!built.ok()) return built.status();
  SwarmServiceSpec spec = std::move(*built);
  const std::string hash = spec.labels[kLabelSwarmSpec];
  // A paused update is resumed by updating the service again, even to the same spec.
  const bool stuck = existing && UpdateStuck(existing->update_status.state);
  if (existing && !stuck && SwarmLabel(existing->spec.labels, kLabelSwarmSpec) == hash) {
    return Status::Ok();
  }
  if (!existing && spec.replicas == 0) return Status::Ok();  // nothing to run, nothing to keep
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = blocked_.find(desired.app);
    if (it != blocked_.end() && it->second.first == desired.generation &&
        it->second.second.count(hash)) {
      observed->blocked.push_back(proc.proctype);
      return Status::Ok();
    }
  }

  const int old_replicas = existing ? existing->spec.replicas : 0;
  const bool new_tasks =
      !existing || SwarmLabel(existing->spec.container_labels, kLabelSwarmTask) !=
                       SwarmLabel(spec.container_labels, kLabelSwarmTask);
  if (spec.replicas > 0 && (new_tasks || spec.replicas > old_replicas)) {
    emit(kInfo1, fmt::format("Deploying {} (count={})", proc.proctype, spec.replicas));
  }
  if (!note.empty() && new_tasks) emit(kVerbose, note);
  const std::string how =
      fmt::format("{}, parallelism {}", spec.update.order, spec.update.parallelism);

  std::string id;
  DOKKU_RETURN_IF_ERROR(Submit(desired.app, proc.proctype, existing, &spec, &id));
  if (!existing) {
    emit(kVerbose, fmt::format("Created service {} ({})", spec.name, how));
  } else if (spec.replicas == 0 && old_replicas > 0) {
    emit(kVerbose, fmt::format("Stopping {}: service {} scaled to 0", proc.proctype, spec.name));
  } else if (new_tasks) {
    emit(kVerbose, fmt::format("Updating service {} ({})", spec.name, how));
  } else if (stuck) {
    emit(kVerbose, fmt::format("Resuming the paused update of service {}", spec.name));
  } else if (spec.replicas != old_replicas) {
    emit(kVerbose,
         fmt::format("Scaling service {} from {} to {}", spec.name, old_replicas, spec.replicas));
  } else {
    emit(kVerbose, fmt::format("Updating the settings of service {}", spec.name));
  }
  Pending p;
  p.since_s = clock_->NowSeconds() - 1;
  p.id = id;
  p.proctype = proc.proctype;
  p.hash = hash;
  p.budget_s = BudgetSeconds(spec, old_replicas);
  pending->push_back(std::move(p));
  return Status::Ok();
}

Status SwarmScheduler::Submit(const std::string& app, const std::string& proctype,
                              const SwarmService* existing, SwarmServiceSpec* spec,
                              std::string* id) {
  if (!existing) {
    StatusOr<std::string> created = api_->CreateService(*spec);
    if (!created.ok() && created.status().IsConflict()) {
      // The name is held by a service that is not this app's (it carries other labels).
      spec->name = SwarmServiceName(app, proctype, /*disambiguate=*/true);
      created = api_->CreateService(*spec);
    }
    if (!created.ok()) return created.status();
    *id = *created;
    return Status::Ok();
  }
  *id = existing->id;
  spec->name = existing->spec.name;  // Swarm cannot rename a service
  Status st = api_->UpdateService(*id, existing->version, *spec);
  if (st.IsConflict()) {  // someone updated it meanwhile: retry once on the fresh version
    StatusOr<SwarmService> fresh = api_->InspectService(*id);
    if (!fresh.ok()) return fresh.status();
    st = api_->UpdateService(*id, fresh->version, *spec);
  }
  return st;
}

Status SwarmScheduler::Wait(const SwarmDesired& desired, std::vector<Pending>& pending,
                            Sleeper* sleeper, const Emit& emit, std::string* failure) {
  int64_t budget_s = kStartSeconds;
  for (const Pending& p : pending) budget_s += p.budget_s;
  const int64_t wait_ms =
      options_.max_wait_ms > 0 ? options_.max_wait_ms : std::min(budget_s, kMaxWaitSeconds) * 1000;
  const int64_t deadline = clock_->NowMs() + wait_ms;
  std::vector<Upstream> last_upstreams;
  while (true) {
    bool all_done = true;
    for (Pending& p : pending) {
      if (p.done) continue;
      StatusOr<SwarmService> service = api_->InspectService(p.id);
      if (service.status().IsNotFound()) {
        p.done = true;
        p.failure = fmt::format("{}: the service was removed during the rollout", p.proctype);
        continue;
      }
      if (!service.ok()) return service.status();
      StatusOr<std::vector<SwarmTask>> tasks = api_->ListTasks(p.id);
      if (!tasks.ok()) return tasks.status();
      ServiceTasks st{std::move(*service), std::move(*tasks)};
      if (!Evaluate(p, st, emit)) all_done = false;
      if (p.proctype == "web" && desired.on_web_upstreams) {
        StatusOr<std::vector<Upstream>> upstreams = WebUpstreams(st);
        if (!upstreams.ok()) return upstreams.status();
        auto key = [](const Upstream& u) { return std::make_pair(u.ip, u.port); };
        const bool same =
            std::equal(upstreams->begin(), upstreams->end(), last_upstreams.begin(),
                       last_upstreams.end(), [&](auto& a, auto& b) { return key(a) == key(b); });
        if (!same && !upstreams->empty()) desired.on_web_upstreams(*upstreams);
        last_upstreams = std::move(*upstreams);
      }
    }
    if (all_done) break;
    if (clock_->NowMs() >= deadline) {
      for (Pending& p : pending) {
        if (p.done) continue;
        p.done = true;
        p.failure = fmt::format("{}: Swarm did not converge within {} seconds ({} tasks running)",
                                p.proctype, wait_ms / 1000, p.last_running);
      }
      break;
    }
    if (!sleeper->SleepFor(options_.poll_ms)) {
      return Status::Unavailable("interrupted while waiting for Swarm to converge");
    }
  }
  for (const Pending& p : pending) {
    if (p.failure.empty()) continue;
    *failure += (failure->empty() ? "" : "; ") + p.failure;
  }
  return Status::Ok();
}

bool SwarmScheduler::Evaluate(Pending& p, const ServiceTasks& st, const Emit& emit) {
  const SwarmUpdateStatus& status = st.service.update_status;
  if (status.state == "rollback_started" && p.rollback_message.empty()) {
    p.rollback_message = status.message.empty() ? "update failed" : status.message;
    emit(kVerbose, fmt::format("{}: the update failed, Swarm is rolling back ({})", p.proctype,
                               p.rollback_message));
  }
  if (status.state == "rollback_completed" || UpdateStuck(status.state)) {
    const char* what = status.state == "rollback_completed" ? "was rolled back"
                       : status.state == "paused"           ? "is paused"
                                                            : "failed and its rollback is paused";
    p.done = true;
    p.failure = fmt::format("{}: the Swarm update {} ({}{})", p.proctype, what,
                            p.rollback_message.empty() ? status.message : p.rollback_message,
                            LastTaskError(st.tasks));
    return true;
  }
  for (const SwarmTask& t : st.tasks) {
    // A rejected task (e.g. the image is missing on its node) is retried forever in vain.
    if (IsActiveTask(t) && IsCurrentTask(t, st.service) && t.state == "rejected") {
      p.done = true;
      p.failure = fmt::format("{}: Swarm rejected task {}.{}: {}", p.proctype, p.proctype, t.slot,
                              t.error.empty() ? t.message : t.error);
      return true;
    }
  }
  // Without a previous spec (a new service, new slots) Swarm has nothing to roll back to and
  // restarts crashing tasks until the restart policy gives up: two failures a slot decide it.
  const int failed = static_cast<int>(std::count_if(st.tasks.begin(), st.tasks.end(), [&](auto& t) {
    return IsCurrentTask(t, st.service) && t.state == "failed" && t.created_at >= p.since_s;
  }));
  if (failed >= 2 * std::max(st.service.spec.replicas, 1)) {
    p.done = true;
    p.failure = fmt::format("{}: tasks keep failing ({} failed{})", p.proctype, failed,
                            LastTaskError(st.tasks));
    return true;
  }
  const int running = RunningCurrent(st.service, st.tasks);
  if (running != p.last_running) {
    emit(kVerbose,
         fmt::format("{}: {}/{} tasks running", p.proctype, running, st.service.spec.replicas));
    p.last_running = running;
  }
  if (!ServiceConverged(st.service, st.tasks)) return false;
  p.done = true;
  return true;
}

Status SwarmScheduler::RemoveApp(const std::string& app, const std::string& store_id) {
  StatusOr<std::vector<SwarmService>> services = ListAppServices(app, store_id);
  if (services.status().code() == StatusCode::kFailedPrecondition) {
    // No swarm at all means no services to remove.
    StatusOr<SwarmInfo> info = api_->Info();
    if (info.ok() && info->local_node_state == "inactive") return Status::Ok();
  }
  if (!services.ok()) return services.status();
  for (const SwarmService& s : *services) DOKKU_RETURN_IF_ERROR(api_->RemoveService(s.id));
  std::lock_guard<std::mutex> lock(mu_);
  blocked_.erase(app);
  return Status::Ok();
}

StatusOr<std::vector<std::string>> SwarmScheduler::ListApps(const std::string& store_id) {
  StatusOr<std::vector<SwarmService>> services =
      api_->ListServices({fmt::format("{}={}", kLabelStore, store_id)});
  if (!services.ok()) return services.status();
  std::set<std::string> apps;
  for (const SwarmService& s : *services) {
    const std::string app = SwarmLabel(s.spec.labels, kLabelApp);
    if (!app.empty()) apps.insert(app);
  }
  return std::vector<std::string>(apps.begin(), apps.end());
}

Status SwarmScheduler::Observe(const std::string& app, const std::string& store_id,
                               SwarmObserved* observed) {
  *observed = SwarmObserved{};
  StatusOr<std::vector<SwarmService>> services = ListAppServices(app, store_id);
  if (!services.ok()) return services.status();
  StatusOr<std::vector<ServiceTasks>> snapshot = Snapshot(*services);
  if (!snapshot.ok()) return snapshot.status();
  return Fill(app, *snapshot, observed);
}

StatusOr<std::vector<SwarmScheduler::ServiceTasks>> SwarmScheduler::Snapshot(
    const std::vector<SwarmService>& services) {
  std::vector<ServiceTasks> out;
  for (const SwarmService& s : services) {
    StatusOr<std::vector<SwarmTask>> tasks = api_->ListTasks(s.id);
    if (!tasks.ok()) return tasks.status();
    out.push_back({s, std::move(*tasks)});
  }
  return out;
}

}  // namespace dokku

// Reconciler: applying a plan. Start-first rollouts with checks, cutover, retirement, heals.
#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "controller/env/log.h"
#include "controller/reconciler/reconciler_pass.h"

namespace dokku {

namespace {

std::string Short(const std::string& id, size_t n = 12) { return id.substr(0, n); }

// New containers started and checked at once within one process type.
constexpr int kMaxParallelChecks = 64;

// The outcome of starting one new container.
struct NewContainer {
  int index = 0;
  std::string old_id;  // the container it replaces, if any
  std::string id;
  Status status;
  CheckOutcome outcome;
};

ChecksMode ModeOf(const Reconciler::Pass& pass, const std::string& proctype) {
  for (const DesiredProc& p : pass.desired.procs) {
    if (p.proctype == proctype) return p.checks;
  }
  return ChecksMode::kEnabled;
}

}  // namespace

Status Reconciler::ApplyPlan(Pass& pass, const Plan& plan, int64_t* requeue_ms) {
  std::vector<Status> errors(plan.remove.size());
  ParallelFor(static_cast<int>(plan.remove.size()), options_.docker_parallel,
              [&](int i) { errors[i] = docker_->RemoveContainer(plan.remove[i]); });
  for (const Status& st : errors) DOKKU_RETURN_IF_ERROR(st);
  if (!plan.remove.empty()) pass.docker_changed = true;

  for (const std::string& id : plan.register_retiring) {
    int64_t at = clock_->NowMs() + pass.wait_to_retire * 1000LL;
    DOKKU_RETURN_IF_ERROR(pass.store->AddRetirement(id, pass.app, at));
    pass.retirements.push_back({id, pass.app, at, clock_->NowMs()});
  }

  if (!plan.stop.empty()) {
    DOKKU_RETURN_IF_ERROR(UpdateProxy(pass, {plan.stop.begin(), plan.stop.end()}));
    errors.assign(plan.stop.size(), Status::Ok());
    ParallelFor(static_cast<int>(plan.stop.size()), options_.docker_parallel, [&](int i) {
      errors[i] = docker_->StopContainer(plan.stop[i], pass.stop_timeout);
    });
    for (const Status& st : errors) DOKKU_RETURN_IF_ERROR(st);
    pass.docker_changed = true;
  }
  DOKKU_RETURN_IF_ERROR(StartHeals(pass, plan.start, requeue_ms));

  bool rolling = std::any_of(plan.changes.begin(), plan.changes.end(), [](const TypeChange& c) {
    return !c.create.empty() || !c.replace.empty();
  });
  if (rolling) {
    pass.emit(kInfo1, fmt::format("Deploying {} ({})...", pass.app, pass.release->image_ref));
  }
  if (pass.release_rollout && pass.release->status != "rolling") {
    pass.release->status = "rolling";
    DOKKU_RETURN_IF_ERROR(pass.store->UpdateRelease(*pass.release));
  }
  for (const TypeChange& change : plan.changes) DOKKU_RETURN_IF_ERROR(ApplyChange(pass, change));
  Status proxied = UpdateProxy(pass, {});
  if (proxied.IsUnavailable()) return proxied;
  // A configuration nginx refuses will be refused again: report it instead of retrying.
  if (!proxied.ok()) pass.failure = "Proxy configuration failed: " + proxied.message();

  if (pass.retired > 0) {
    pass.emit(kInfo1,
              fmt::format("Shutting down old containers in {} seconds", pass.wait_to_retire));
  }
  if (pass.web_rolled) {
    std::vector<std::string> urls = Urls(pass);
    if (!options_.proxy_enabled) {
      StatusOr<std::vector<ActualContainer>> live = ListActual(pass);
      if (!live.ok()) return live.status();
      for (const ActualContainer& c : *live) {
        if (c.role != ContainerRole::kLive || c.proctype != "web") continue;
        StatusOr<ContainerInfo> info = InspectCached(c.id, c.state);
        if (info.ok() && info->host_port)
          urls.push_back(fmt::format("http://127.0.0.1:{}", info->host_port));
      }
    }
    pass.emit(kInfo2, "Application deployed:");
    for (const std::string& url : urls) pass.emit(kVerbose, url);
  }
  return Status::Ok();
}

Status Reconciler::StartHeals(Pass& pass, const std::vector<std::string>& ids,
                              int64_t* requeue_ms) {
  const int64_t now = clock_->NowMs();
  // A start the user asked for (ps:start, a new generation) is never delayed by the backoff of
  // earlier self-heals, and reads as a start, not as a repair.
  const bool asked = pass.row.observed_generation != pass.generation;
  for (const std::string& id : ids) {
    int attempts = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      HealState& heal = heal_backoff_[id];
      if (heal.generation != pass.generation) heal = HealState{0, 0, pass.generation};
      if (heal.next_at > now) {
        int64_t wait = heal.next_at - now;
        if (*requeue_ms == 0 || wait < *requeue_ms) *requeue_ms = wait;
        continue;
      }
      attempts = ++heal.tries;
      // A container that keeps dying is started again less and less often (1 s .. 5 min).
      heal.next_at = now + std::min<int64_t>(1000LL << std::min(attempts - 1, 9), 300'000);
      if (heal_backoff_.size() > 10'000) heal_backoff_.clear();
    }
    std::string name = id;
    for (const ContainerSummary& s : pass.listed) {
      if (s.id == id) name = s.name;
    }
    if (asked) {
      pass.emit(kVerbose, fmt::format("Starting {}", name));
    } else {
      pass.emit(kWarn, fmt::format("Container {} is not running; starting it again (attempt {})",
                                   name, attempts));
    }
    Status st = docker_->StartContainer(id);
    if (!st.ok() && !st.IsNotFound()) return st;
    ContainerChanged(id);
    pass.docker_changed = true;
  }
  return Status::Ok();
}

Status Reconciler::UpdateProxy(Pass& pass, const std::set<std::string>& exclude_ids,
                               const std::set<std::string>& include_ids) {
  if (!options_.proxy_enabled || proxy_ == nullptr) return Status::Ok();
  if (pass.docker_changed) {
    StatusOr<std::vector<ActualContainer>> relisted = ListActual(pass);
    if (!relisted.ok()) return relisted.status();
    pass.docker_changed = false;
  }
  std::vector<Upstream> upstreams;
  for (const ContainerSummary& s : pass.listed) {
    auto dyno = s.labels.find(kLabelDyno);
    std::string proctype;
    int index = 0;
    if (dyno == s.labels.end() || !ParseDyno(dyno->second, &proctype, &index)) continue;
    if (proctype != "web" || s.state != "running" || exclude_ids.count(s.id)) continue;
    if (RoleFromName(s.name, pass.app, proctype, index) != ContainerRole::kLive &&
        !include_ids.count(s.id)) {
      continue;
    }
    StatusOr<ContainerInfo> info = InspectCached(s.id, s.state);
    if (!info.ok()) {
      if (info.status().IsNotFound()) continue;
      return info.status();
    }
    if (!info->ip.empty()) upstreams.push_back({info->ip, options_.web_port});
  }
  upstreams.insert(upstreams.end(), pass.swarm_upstreams.begin(), pass.swarm_upstreams.end());
  if (!pass.desired.running && pass.swarm_upstreams.empty()) upstreams.clear();
  if (upstreams.empty()) return proxy_->Remove(pass.app);
  return proxy_->Apply(pass.app, ServerNames(pass), upstreams, pass.emit);
}

Status Reconciler::ApplyChange(Pass& pass, const TypeChange& change) {
  const std::string& proctype = change.proctype;
  const ChecksMode mode = ModeOf(pass, proctype);
  if (!change.scale_down.empty() && proctype == "web" && options_.proxy_enabled) {
    // Out of the proxy first; nginx reloads asynchronously and may finish requests on the old
    // workers, so the containers retire after wait-to-retire instead of stopping now.
    std::set<std::string> ids;
    for (const auto& [index, id] : change.scale_down) ids.insert(id);
    DOKKU_RETURN_IF_ERROR(UpdateProxy(pass, ids));
    const int64_t now = clock_->NowMs();
    for (const auto& [index, id] : change.scale_down) {
      DOKKU_RETURN_IF_ERROR(
          pass.store->AddRetirement(id, pass.app, now + pass.wait_to_retire * 1000LL));
      pass.retirements.push_back({id, pass.app, now + pass.wait_to_retire * 1000LL, now});
      pass.emit(kVerbose,
                fmt::format("Scheduling orphaned container shutdown in {} seconds ({}.{})",
                            pass.wait_to_retire, proctype, index));
      Status st = docker_->RenameContainer(id, RetiringName(pass.app, proctype, index, now / 1000));
      if (!st.ok() && !st.IsNotFound()) return st;
    }
    pass.docker_changed = true;
    std::vector<std::string> leaving;
    for (const auto& [index, id] : change.scale_down) leaving.push_back(id);
    DrainAndTerminate(pass, leaving);
  } else if (!change.scale_down.empty()) {
    std::vector<Status> errors(change.scale_down.size());
    ParallelFor(static_cast<int>(change.scale_down.size()), options_.docker_parallel, [&](int i) {
      const auto& [index, id] = change.scale_down[i];
      pass.emit(kVerbose, fmt::format("Stopping {}.{} ({})", proctype, index, Short(id)));
      Status st = docker_->StopContainer(id, pass.stop_timeout);
      errors[i] = st.ok() || st.IsNotFound() ? docker_->RemoveContainer(id) : st;
    });
    for (const Status& st : errors) DOKKU_RETURN_IF_ERROR(st);
    pass.docker_changed = true;
  }

  std::vector<NewContainer> slots;
  for (int index : change.create) slots.push_back({index, "", "", Status::Ok(), {}});
  for (const auto& [index, old_id] : change.replace)
    slots.push_back({index, old_id, "", Status::Ok(), {}});
  if (slots.empty()) return Status::Ok();
  std::sort(slots.begin(), slots.end(), [](auto& a, auto& b) { return a.index < b.index; });
  pass.emit(kInfo1, fmt::format("Deploying {} (count={})", proctype, change.quantity));

  if (mode == ChecksMode::kDisabled && !change.replace.empty()) {
    // Stop-first: the old containers go before the new ones start (downtime, as asked for).
    pass.emit(kVerbose, fmt::format("Zero downtime is disabled, stopping currently running "
                                    "containers  ({})",
                                    proctype));
    std::set<std::string> olds;
    for (const auto& [index, id] : change.replace) olds.insert(id);
    if (proctype == "web") DOKKU_RETURN_IF_ERROR(UpdateProxy(pass, olds));
    for (const auto& [index, id] : change.replace) {
      pass.emit(kVerbose, fmt::format("Stopping {} ({})", Short(id), proctype));
      Status st = docker_->StopContainer(id, pass.stop_timeout);
      if (st.ok() || st.IsNotFound()) st = docker_->RemoveContainer(id);
      DOKKU_RETURN_IF_ERROR(st);
    }
    pass.docker_changed = true;
  }

  // Every new container is started and checked at once: the checks mostly wait, and Docker
  // calls are bounded by the transport pool, not here.
  ParallelFor(static_cast<int>(slots.size()), kMaxParallelChecks, [&](int i) {
    NewContainer& slot = slots[i];
    const std::string name = mode == ChecksMode::kDisabled
                                 ? LiveName(pass.app, proctype, slot.index)
                                 : UpcomingName(pass.app, proctype, slot.index, NewSuffix());
    StatusOr<std::string> id = docker_->CreateContainer(MakeSpec(pass, proctype, slot.index, name));
    if (!id.ok()) {
      slot.status = id.status();
      return;
    }
    slot.id = *id;
    slot.status = docker_->StartContainer(slot.id);
    if (!slot.status.ok()) return;
    StatusOr<ContainerInfo> info = docker_->InspectContainer(slot.id);
    if (!info.ok()) {
      slot.status = info.status();
      return;
    }
    if (mode == ChecksMode::kDisabled) {
      slot.outcome.ok = true;
      return;
    }
    pass.emit(kVerbose, fmt::format("Attempting pre-flight checks ({}.{})", proctype, slot.index));
    CheckTarget target{proctype, slot.index, info->ip, options_.web_port};
    slot.outcome = RunContainerChecks(proctype == "web" ? pass.checks : std::nullopt,
                                      mode == ChecksMode::kSkipped, pass.default_wait, slot.id,
                                      target, docker_, prober_, sleeper_, pass.emit);
  });
  pass.docker_changed = true;

  int failed_checks = 0;
  bool interrupted = false;
  Status docker_error;
  for (const NewContainer& slot : slots) {
    if (!slot.status.ok()) {
      // A container that cannot even start (no /bin/sh, bad command) fails the rollout; an
      // unreachable Docker is retried.
      if (slot.status.IsUnavailable()) docker_error = slot.status;
      pass.emit(kWarn, fmt::format("Could not start {}.{}: {}", proctype, slot.index,
                                   slot.status.message()));
      ++failed_checks;
    } else if (!slot.outcome.ok) {
      interrupted = interrupted || slot.outcome.interrupted;
      failed_checks += std::max(slot.outcome.failed, 1);
    }
  }
  if (failed_checks > 0 || interrupted) {
    for (const NewContainer& slot : slots) {
      if (slot.id.empty()) continue;
      if (!slot.outcome.ok && !interrupted) {
        pass.emit(kInfo2, fmt::format("Start of {} container output ({} {}.{})", pass.app,
                                      Short(slot.id), proctype, slot.index));
        StatusOr<std::string> logs = docker_->ContainerLogs(slot.id, 50);
        std::istringstream lines(logs.ok() ? *logs : logs.status().message());
        for (std::string line; std::getline(lines, line);) pass.emit(kVerbose, line);
        pass.emit(kInfo2, fmt::format("End of {} container output ({} {}.{})", pass.app,
                                      Short(slot.id), proctype, slot.index));
      }
      Status st = docker_->RemoveContainer(slot.id);
      if (!st.ok())
        Log(LogLevel::kWarning, "{}: cannot remove {}: {}", pass.app, slot.id, st.message());
    }
    if (interrupted) return Status::Unavailable("rollout interrupted by shutdown");
    if (!docker_error.ok()) return docker_error;
    std::lock_guard<std::mutex> lock(mu_);
    auto& blocked = blocked_[pass.app];
    if (blocked.first != pass.generation) blocked = {pass.generation, {}};
    for (const DesiredProc& p : pass.desired.procs) {
      if (p.proctype == proctype) blocked.second.insert(p.spec_hash);
    }
    return Status::Terminal(fmt::format("Could not start due to {} failed checks", failed_checks));
  }

  // Cutover. For web the proxy moves to the new containers first: if nginx refuses the new
  // configuration, the new containers go and the old ones keep serving, untouched.
  if (proctype == "web" && options_.proxy_enabled) {
    std::set<std::string> olds, news;
    for (const NewContainer& slot : slots) {
      news.insert(slot.id);
      if (!slot.old_id.empty()) olds.insert(slot.old_id);
    }
    pass.docker_changed = true;
    Status proxied = UpdateProxy(pass, olds, news);
    if (!proxied.ok()) {
      for (const NewContainer& slot : slots) {
        Status st = docker_->RemoveContainer(slot.id);
        if (!st.ok())
          Log(LogLevel::kWarning, "{}: cannot remove {}: {}", pass.app, slot.id, st.message());
      }
      if (proxied.IsUnavailable()) return proxied;
      std::lock_guard<std::mutex> lock(mu_);
      auto& blocked = blocked_[pass.app];
      if (blocked.first != pass.generation) blocked = {pass.generation, {}};
      for (const DesiredProc& p : pass.desired.procs) {
        if (p.proctype == proctype) blocked.second.insert(p.spec_hash);
      }
      return Status::Terminal("Proxy configuration failed: " + proxied.message());
    }
  }
  // Then, one index at a time, the old container is registered for retirement before it is
  // renamed, so a crash at any point leaves a state the next pass completes.
  const int64_t now = clock_->NowMs();
  const bool retire_old = mode != ChecksMode::kDisabled;
  for (const NewContainer& slot : slots) {
    if (slot.old_id.empty() || !retire_old) continue;
    DOKKU_RETURN_IF_ERROR(
        pass.store->AddRetirement(slot.old_id, pass.app, now + pass.wait_to_retire * 1000LL));
    pass.retirements.push_back({slot.old_id, pass.app, now + pass.wait_to_retire * 1000LL, now});
    pass.emit(kVerbose, fmt::format("Scheduling old container shutdown in {} seconds ({}.{})",
                                    pass.wait_to_retire, proctype, slot.index));
    ++pass.retired;
  }
  std::vector<Status> renamed(slots.size());
  ParallelFor(static_cast<int>(slots.size()), options_.docker_parallel, [&](int i) {
    const NewContainer& slot = slots[i];
    if (!retire_old) return;
    if (!slot.old_id.empty()) {
      Status st = docker_->RenameContainer(
          slot.old_id, RetiringName(pass.app, proctype, slot.index, now / 1000));
      if (!st.ok() && !st.IsNotFound()) {
        renamed[i] = st;
        return;
      }
    }
    renamed[i] = docker_->RenameContainer(slot.id, LiveName(pass.app, proctype, slot.index));
  });
  pass.docker_changed = true;  // names changed: later proxy updates must list again
  for (const Status& st : renamed) DOKKU_RETURN_IF_ERROR(st);
  if (proctype == "web") {
    pass.web_rolled = true;
    DOKKU_RETURN_IF_ERROR(UpdateProxy(pass, {}));
    std::vector<std::string> leaving;
    for (const NewContainer& slot : slots) {
      if (!slot.old_id.empty() && retire_old) leaving.push_back(slot.old_id);
    }
    DrainAndTerminate(pass, leaving);
  }
  return Status::Ok();
}

}  // namespace dokku

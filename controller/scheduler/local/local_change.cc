// LocalScheduler: applying one process type's change in the steps its RolloutPolicy (planner.h)
// says: scale down, stop first, start and check, handle failed starts, cut over, register the
// retirements, rename.
#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "controller/env/log.h"
#include "controller/model/naming.h"
#include "controller/scheduler/local/local_scheduler.h"

namespace dokku {

// The outcome of starting one new container.
struct NewContainer {
  int index = 0;
  std::string old_id;  // the container it replaces, if any
  std::string id;
  Status status;
  CheckOutcome outcome;
};

namespace {

std::string Short(const std::string& id, size_t n = 12) { return id.substr(0, n); }

// New containers started and checked at once within one process type.
constexpr int kMaxParallelChecks = 64;

// Between batches, how long old web containers keep serving when the proxy cannot tell that
// their requests are done (the same cap as the drain's own wait).
constexpr int64_t kBatchGraceMs = 2000;

// One new container per created or replaced index, by index.
std::vector<NewContainer> NewSlots(const TypeChange& change) {
  std::vector<NewContainer> slots;
  for (int index : change.create) slots.push_back({index, "", "", Status::Ok(), {}});
  for (const auto& [index, old_id] : change.replace)
    slots.push_back({index, old_id, "", Status::Ok(), {}});
  std::sort(slots.begin(), slots.end(), [](auto& a, auto& b) { return a.index < b.index; });
  return slots;
}

}  // namespace

Status LocalScheduler::ApplyChange(AppPass& pass, const TypeChange& change) {
  DOKKU_RETURN_IF_ERROR(ScaleDown(pass, change));
  std::vector<NewContainer> slots = NewSlots(change);
  if (slots.empty()) return Status::Ok();
  pass.emit(kInfo1, fmt::format("Deploying {} (count={})", change.proctype, change.quantity));
  std::vector<int> indices;
  for (const NewContainer& slot : slots) indices.push_back(slot.index);
  const std::vector<std::vector<int>> batches = RolloutBatches(indices, change.policy.batch_size);
  size_t next = 0;
  for (size_t b = 0; b < batches.size(); ++b) {
    std::vector<NewContainer> batch(slots.begin() + next, slots.begin() + next + batches[b].size());
    next += batches[b].size();
    // A failing batch stops the rollout: the indices not reached keep their old containers.
    DOKKU_RETURN_IF_ERROR(ApplyBatch(pass, change, batch, /*last=*/b + 1 == batches.size()));
  }
  return Status::Ok();
}

// One batch of a rollout: at most batch_size new containers exist beside the quantity. Before
// the next batch starts, the old containers this one replaced go (web: once drained), so the
// type never runs more than quantity + batch_size containers; the last batch's retire as usual.
Status LocalScheduler::ApplyBatch(AppPass& pass, const TypeChange& change,
                                  std::vector<NewContainer>& slots, bool last) {
  const RolloutPolicy& policy = change.policy;
  const bool replacing = std::any_of(slots.begin(), slots.end(),
                                     [](const NewContainer& s) { return !s.old_id.empty(); });
  if (policy.strategy == RolloutStrategy::kStopFirst && replacing) {
    DOKKU_RETURN_IF_ERROR(StopFirst(pass, change, slots));
  }
  StartAndCheck(pass, change, slots);
  DOKKU_RETURN_IF_ERROR(HandleFailedStarts(pass, change.proctype, slots));
  if (policy.proxy_first) DOKKU_RETURN_IF_ERROR(Cutover(pass, change.proctype, slots));
  // Then, one index at a time, the old container is registered for retirement before it is
  // renamed, so a crash at any point leaves a state the next pass completes.
  const int64_t now = clock_->NowMs();
  const bool retire = policy.replaced == Departure::kRetire;
  if (retire) DOKKU_RETURN_IF_ERROR(RetireReplaced(pass, change.proctype, slots, now));
  if (policy.strategy == RolloutStrategy::kStartFirst) {
    DOKKU_RETURN_IF_ERROR(RenameToLive(pass, change, slots, now));
  }
  pass.docker_changed = true;  // names changed: later proxy updates must list again
  std::vector<std::string> leaving;
  for (const NewContainer& slot : slots) {
    if (!slot.old_id.empty() && retire) leaving.push_back(slot.old_id);
  }
  bool drained = true;
  if (change.proctype == "web") {
    pass.web_rolled = true;
    DOKKU_RETURN_IF_ERROR(UpdateProxy(pass, {}));
    drained = DrainAndTerminate(pass, leaving);
  }
  if (last || leaving.empty()) return Status::Ok();
  // A proxy that cannot count requests (nginx reloads asynchronously) gets a fixed grace for
  // the requests its old workers still finish before the old containers stop.
  if (!drained &&
      !sleeper_->SleepFor(std::min<int64_t>(pass.wait_to_retire * 1000LL, kBatchGraceMs))) {
    return Status::Unavailable("rollout interrupted by shutdown");
  }
  std::vector<Status> stopped(leaving.size());
  ParallelFor(static_cast<int>(leaving.size()), options_.docker_parallel,
              [&](int i) { stopped[i] = StopAndRemove(docker_, leaving[i], pass.StopTimeout()); });
  for (const Status& st : stopped) DOKKU_RETURN_IF_ERROR(st);
  return Status::Ok();
}

Status LocalScheduler::ScaleDown(AppPass& pass, const TypeChange& change) {
  if (change.scale_down.empty()) return Status::Ok();
  const std::string& proctype = change.proctype;
  std::vector<std::string> leaving;
  for (const auto& [index, id] : change.scale_down) leaving.push_back(id);
  // Out of the proxy first; PlanRollout() says why they then retire instead of stopping.
  if (change.policy.proxy_first) {
    DOKKU_RETURN_IF_ERROR(UpdateProxy(pass, {leaving.begin(), leaving.end()}));
  }
  if (change.policy.scaled_down == Departure::kStop) {
    std::vector<Status> errors(change.scale_down.size());
    ParallelFor(static_cast<int>(change.scale_down.size()), options_.docker_parallel, [&](int i) {
      const auto& [index, id] = change.scale_down[i];
      pass.emit(kVerbose, fmt::format("Stopping {}.{} ({})", proctype, index, Short(id)));
      errors[i] = StopAndRemove(docker_, id, pass.StopTimeout());
    });
    for (const Status& st : errors) DOKKU_RETURN_IF_ERROR(st);
    pass.docker_changed = true;
    return Status::Ok();
  }
  const int64_t now = clock_->NowMs();
  for (const auto& [index, id] : change.scale_down) {
    DOKKU_RETURN_IF_ERROR(RegisterRetirement(pass, id, now));
    pass.emit(kVerbose, fmt::format("Scheduling orphaned container shutdown in {} seconds ({}.{})",
                                    pass.wait_to_retire, proctype, index));
    Status st = RenameRetiring(pass.app, id, proctype, index, now);
    if (!st.ok() && !st.IsNotFound()) return st;
  }
  pass.docker_changed = true;
  if (change.policy.proxy_first) DrainAndTerminate(pass, leaving);
  return Status::Ok();
}

// Stop-first: the old containers go before the new ones start (downtime, as asked for).
Status LocalScheduler::StopFirst(AppPass& pass, const TypeChange& change,
                                 const std::vector<NewContainer>& slots) {
  const std::string& proctype = change.proctype;
  pass.emit(kVerbose, fmt::format("Zero downtime is disabled, stopping currently running "
                                  "containers  ({})",
                                  proctype));
  std::set<std::string> olds;
  for (const NewContainer& slot : slots) {
    if (!slot.old_id.empty()) olds.insert(slot.old_id);
  }
  if (change.policy.proxy_first) DOKKU_RETURN_IF_ERROR(UpdateProxy(pass, olds));
  for (const std::string& id : olds) {
    pass.emit(kVerbose, fmt::format("Stopping {} ({})", Short(id), proctype));
    DOKKU_RETURN_IF_ERROR(StopAndRemove(docker_, id, pass.StopTimeout()));
  }
  pass.docker_changed = true;
  return Status::Ok();
}

// Every new container is started and checked at once: the checks mostly wait, and Docker calls
// are bounded by the transport pool, not here.
void LocalScheduler::StartAndCheck(AppPass& pass, const TypeChange& change,
                                   std::vector<NewContainer>& slots) {
  ParallelFor(static_cast<int>(slots.size()), kMaxParallelChecks,
              [&](int i) { StartAndCheckOne(pass, change, slots[i]); });
  pass.docker_changed = true;
}

void LocalScheduler::StartAndCheckOne(AppPass& pass, const TypeChange& change, NewContainer& slot) {
  const RolloutPolicy& policy = change.policy;
  const std::string& proctype = change.proctype;
  // Start-first: a temporary name next to the old container until the cutover.
  const std::string name = policy.strategy == RolloutStrategy::kStartFirst
                               ? UpcomingName(pass.app, proctype, slot.index, NewSuffix())
                               : LiveName(pass.app, proctype, slot.index);
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
  if (policy.checks == ChecksMode::kDisabled) {
    slot.outcome.ok = true;
    return;
  }
  pass.emit(kVerbose, fmt::format("Attempting pre-flight checks ({}.{})", proctype, slot.index));
  CheckTarget target{proctype, slot.index, info->ip, WebPortLabel(info->labels, pass.web_port)};
  // app.json's startup checks of the type replace CHECKS and the default check, as in Dokku.
  std::vector<HealthCheck> startup;
  if (pass.app_json) startup = ChecksOf(*pass.app_json, proctype, HealthCheckType::kStartup);
  if (!startup.empty() && policy.checks != ChecksMode::kSkipped) {
    slot.outcome =
        RunAppJsonChecks(startup, slot.id, target, docker_, prober_, sleeper_, pass.emit);
    return;
  }
  slot.outcome = RunContainerChecks(policy.checks_file ? pass.checks : std::nullopt,
                                    policy.checks == ChecksMode::kSkipped, pass.default_wait,
                                    slot.id, target, docker_, prober_, sleeper_, pass.emit);
}

Status LocalScheduler::HandleFailedStarts(AppPass& pass, const std::string& proctype,
                                          const std::vector<NewContainer>& slots) {
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
  if (failed_checks == 0 && !interrupted) return Status::Ok();
  for (const NewContainer& slot : slots) {
    if (slot.id.empty()) continue;
    if (!slot.outcome.ok && !interrupted) EmitContainerOutput(pass, proctype, slot);
    RemoveNew(pass, slot.id);
  }
  if (interrupted) return Status::Unavailable("rollout interrupted by shutdown");
  if (!docker_error.ok()) return docker_error;
  MarkBlocked(pass, proctype);
  return Status::Terminal(fmt::format("Could not start due to {} failed checks", failed_checks));
}

void LocalScheduler::EmitContainerOutput(AppPass& pass, const std::string& proctype,
                                         const NewContainer& slot) {
  pass.emit(kInfo2, fmt::format("Start of {} container output ({} {}.{})", pass.app, Short(slot.id),
                                proctype, slot.index));
  StatusOr<std::string> logs = docker_->ContainerLogs(slot.id, 50);
  std::istringstream lines(logs.ok() ? *logs : logs.status().message());
  for (std::string line; std::getline(lines, line);) pass.emit(kVerbose, line);
  pass.emit(kInfo2, fmt::format("End of {} container output ({} {}.{})", pass.app, Short(slot.id),
                                proctype, slot.index));
}

// The proxy moves to the new containers first: if nginx refuses the new configuration, the new
// containers go and the old ones keep serving, untouched.
Status LocalScheduler::Cutover(AppPass& pass, const std::string& proctype,
                               const std::vector<NewContainer>& slots) {
  std::set<std::string> olds, news;
  for (const NewContainer& slot : slots) {
    news.insert(slot.id);
    if (!slot.old_id.empty()) olds.insert(slot.old_id);
  }
  pass.docker_changed = true;
  Status proxied = UpdateProxy(pass, olds, news);
  if (proxied.ok()) return Status::Ok();
  for (const NewContainer& slot : slots) RemoveNew(pass, slot.id);
  if (proxied.IsUnavailable()) return proxied;
  MarkBlocked(pass, proctype);
  return Status::Terminal("Proxy configuration failed: " + proxied.message());
}

Status LocalScheduler::RetireReplaced(AppPass& pass, const std::string& proctype,
                                      const std::vector<NewContainer>& slots, int64_t now) {
  for (const NewContainer& slot : slots) {
    if (slot.old_id.empty()) continue;
    DOKKU_RETURN_IF_ERROR(RegisterRetirement(pass, slot.old_id, now));
    pass.emit(kVerbose, fmt::format("Scheduling old container shutdown in {} seconds ({}.{})",
                                    pass.wait_to_retire, proctype, slot.index));
    ++pass.retired;
  }
  return Status::Ok();
}

// The new containers take their final names; the retiring old ones leave them first.
Status LocalScheduler::RenameToLive(AppPass& pass, const TypeChange& change,
                                    const std::vector<NewContainer>& slots, int64_t now) {
  const std::string& proctype = change.proctype;
  const bool retire = change.policy.replaced == Departure::kRetire;
  std::vector<Status> renamed(slots.size());
  ParallelFor(static_cast<int>(slots.size()), options_.docker_parallel, [&](int i) {
    const NewContainer& slot = slots[i];
    if (!slot.old_id.empty() && retire) {
      Status st = RenameRetiring(pass.app, slot.old_id, proctype, slot.index, now);
      if (!st.ok() && !st.IsNotFound()) {
        renamed[i] = st;
        return;
      }
    }
    renamed[i] = docker_->RenameContainer(slot.id, LiveName(pass.app, proctype, slot.index));
  });
  pass.docker_changed = true;
  for (const Status& st : renamed) DOKKU_RETURN_IF_ERROR(st);
  return Status::Ok();
}

// <app>.<type>.<n>.<unix seconds>; an index replaced twice within a second (a retry after a
// crash, a liveness replacement) finds that name taken by the first one: the next seconds.
Status LocalScheduler::RenameRetiring(const std::string& app, const std::string& id,
                                      const std::string& proctype, int index, int64_t now_ms) {
  Status st;
  for (int64_t s = now_ms / 1000; s < now_ms / 1000 + 10; ++s) {
    st = docker_->RenameContainer(id, RetiringName(app, proctype, index, s));
    if (!st.IsConflict()) return st;
  }
  return st;
}

Status LocalScheduler::RegisterRetirement(AppPass& pass, const std::string& id, int64_t now) {
  const int64_t at = now + pass.wait_to_retire * 1000LL;
  DOKKU_RETURN_IF_ERROR(pass.store->AddRetirement(id, pass.app, at));
  pass.retirements.push_back({id, pass.app, at, now});
  return Status::Ok();
}

void LocalScheduler::MarkBlocked(AppPass& pass, const std::string& proctype) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& blocked = blocked_[pass.app];
  if (blocked.first != pass.generation) blocked = {pass.generation, {}};
  for (const DesiredProc& p : pass.desired.procs) {
    if (p.proctype == proctype) blocked.second.insert(p.spec_hash);
  }
}

void LocalScheduler::RemoveNew(AppPass& pass, const std::string& id) {
  Status st = docker_->RemoveContainer(id);
  if (!st.ok()) Log(LogLevel::kWarning, "{}: cannot remove {}: {}", pass.app, id, st.message());
}

}  // namespace dokku

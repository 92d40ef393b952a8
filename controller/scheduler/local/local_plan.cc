// LocalScheduler: applying a plan. Leftovers, heals and ps:stop here; each process type's
// rollout in local_change.cc; this scheduler's routes for the proxy.
#include <fmt/format.h>

#include <algorithm>

#include "controller/env/log.h"
#include "controller/model/naming.h"
#include "controller/scheduler/local/local_scheduler.h"

namespace dokku {

// How soon a leftover that could not be removed is tried again.
constexpr int64_t kRemoveRetryMs = 10'000;

Status LocalScheduler::ApplyPlan(AppPass& pass, const Plan& plan, int64_t* requeue_ms) {
  std::vector<Status> errors(plan.remove.size());
  ParallelFor(static_cast<int>(plan.remove.size()), options_.docker_parallel,
              [&](int i) { errors[i] = docker_->RemoveContainer(plan.remove[i]); });
  for (size_t i = 0; i < errors.size(); ++i) {
    if (errors[i].ok() || errors[i].IsNotFound()) continue;
    // A 5xx from an engine that still answers is this container's trouble, not Docker's.
    if (errors[i].IsUnavailable() && !docker_->Ping().ok()) return errors[i];
    // A leftover Docker refuses to remove (a removal already in progress, a busy filesystem)
    // must not hold the rest of the app: it is tried again in a while.
    Log(LogLevel::kWarning, "{}: cannot remove {}: {}", pass.app, plan.remove[i].substr(0, 12),
        errors[i].message());
    if (*requeue_ms == 0 || *requeue_ms > kRemoveRetryMs) *requeue_ms = kRemoveRetryMs;
  }
  if (!plan.remove.empty()) pass.docker_changed = true;

  for (const std::string& id : plan.register_retiring) {
    DOKKU_RETURN_IF_ERROR(RegisterRetirement(pass, id, clock_->NowMs()));
  }

  if (!plan.stop.empty()) {
    DOKKU_RETURN_IF_ERROR(UpdateProxy(pass, {plan.stop.begin(), plan.stop.end()}));
    errors.assign(plan.stop.size(), Status::Ok());
    ParallelFor(static_cast<int>(plan.stop.size()), options_.docker_parallel, [&](int i) {
      errors[i] = docker_->StopContainer(plan.stop[i], pass.StopTimeout());
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
  if (pass.web_rolled) return ReportDeployed(pass);
  return Status::Ok();
}

// "Application deployed:" and the app's URLs (without the proxy: the published host ports).
Status LocalScheduler::ReportDeployed(AppPass& pass) {
  std::vector<std::string> urls = pass.urls;
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
  return Status::Ok();
}

Status LocalScheduler::StartHeals(AppPass& pass, const std::vector<std::string>& ids,
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
        // A start the user asked for that failed earlier in this generation: the command is
        // not done until the container runs.
        if (asked) pass.heals_pending = true;
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
    if (!st.ok() && !st.IsNotFound()) {
      if (st.IsUnavailable() && !docker_->Ping().ok()) return st;
      // A container Docker refuses to start (after a dockerd restart: "task ...: already
      // exists") is not running and never will: remove it, and the next pass creates its
      // index afresh.
      pass.emit(kWarn, fmt::format("Cannot start {}: {}; replacing it", name, st.message()));
      Status removed = docker_->RemoveContainer(id);
      if (!removed.ok())
        Log(LogLevel::kWarning, "{}: cannot remove {}: {}", pass.app, name, removed.message());
      pass.heals_pending = true;
    }
    ContainerChanged(id);
    pass.docker_changed = true;
  }
  return Status::Ok();
}

Status LocalScheduler::UpdateProxy(AppPass& pass, const std::set<std::string>& exclude_ids,
                                   const std::set<std::string>& include_ids) {
  if (!options_.proxy_enabled) return Status::Ok();
  if (pass.docker_changed) {
    StatusOr<std::vector<ActualContainer>> relisted = ListActual(pass);
    if (!relisted.ok()) return relisted.status();
    pass.docker_changed = false;
  }
  std::vector<Upstream> upstreams;
  for (const ContainerSummary& s : pass.listed) {
    if (!pass.desired.running) break;  // ps:stop: nothing here serves
    auto dyno = s.labels.find(kLabelDyno);
    std::string proctype;
    int index = 0;
    if (dyno == s.labels.end() || !ParseDyno(dyno->second, &proctype, &index)) continue;
    if (proctype != "web" || s.state != "running" || exclude_ids.count(s.id)) continue;
    if (!include_ids.count(s.id) && Unserving(pass.app, s.id)) continue;
    if (RoleFromName(s.name, pass.app, proctype, index) != ContainerRole::kLive &&
        !include_ids.count(s.id)) {
      continue;
    }
    StatusOr<ContainerInfo> info = InspectCached(s.id, s.state);
    if (!info.ok()) {
      if (info.status().IsNotFound()) continue;
      return info.status();
    }
    if (!info->ip.empty())
      upstreams.push_back({info->ip, WebPortLabel(info->labels, pass.web_port)});
  }
  pass.upstreams[std::string(Name())] = std::move(upstreams);
  return pass.push_routes ? pass.push_routes() : Status::Ok();
}

}  // namespace dokku

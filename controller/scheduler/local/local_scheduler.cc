// LocalScheduler: the pass's entry points, the app's containers as Docker lists them, the
// container spec, retirement and teardown. The plan's application is in local_plan.cc, one
// type's rollout in local_change.cc, draining in local_drain.cc.
#include "controller/scheduler/local/local_scheduler.h"

#include <fmt/format.h>

#include <algorithm>

#include "controller/docker/docker_wire.h"
#include "controller/env/log.h"
#include "controller/model/naming.h"
#include "store/parse_int.h"

namespace dokku {

// How soon a pass looks again at a wanted container that is not running yet.
constexpr int64_t kHealPendingRetryMs = 250;

// How soon a retirement Docker refused is tried again.
constexpr int64_t kRetireRetryMs = 10'000;

LocalScheduler::LocalScheduler(DockerApi* docker, Proxy* proxy, HttpProber* prober,
                               Sleeper* sleeper, const Clock* clock, LocalSchedulerOptions options)
    : docker_(docker),
      proxy_(proxy),
      prober_(prober),
      sleeper_(sleeper),
      clock_(clock),
      options_(std::move(options)) {}

void LocalScheduler::ContainerChanged(const std::string& container_id) {
  std::lock_guard<std::mutex> lock(mu_);
  inspect_cache_.erase(container_id);
}

std::string LocalScheduler::NewSuffix() {
  std::lock_guard<std::mutex> lock(mu_);
  return fmt::format("{:x}{:x}", clock_->NowMs() % 0xfffff, ++suffix_counter_);
}

StatusOr<ContainerInfo> LocalScheduler::InspectCached(const std::string& id,
                                                      const std::string& state) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = inspect_cache_.find(id);
    if (it != inspect_cache_.end() && it->second.state == state) return it->second;
  }
  StatusOr<ContainerInfo> info = docker_->InspectContainer(id);
  if (!info.ok()) return info;
  std::lock_guard<std::mutex> lock(mu_);
  inspect_cache_[id] = *info;
  return info;
}

static std::string LabelOf(const ContainerSummary& s, const char* key) {
  auto it = s.labels.find(key);
  return it == s.labels.end() ? std::string() : it->second;
}

StatusOr<std::vector<ActualContainer>> LocalScheduler::ListActual(AppPass& pass) {
  StatusOr<std::vector<ContainerSummary>> listed =
      docker_->ListContainers({fmt::format("{}={}", kLabelStore, options_.store_id),
                               fmt::format("{}={}", kLabelApp, pass.app)});
  if (!listed.ok()) return listed.status();
  pass.listed = *listed;
  std::vector<ActualContainer> out;
  for (const ContainerSummary& s : pass.listed) {
    ActualContainer a;
    a.id = s.id;
    a.name = s.name;
    a.state = s.state;
    a.spec_hash = LabelOf(s, kLabelSpecHash);
    if (ParseDyno(LabelOf(s, kLabelDyno), &a.proctype, &a.index)) {
      a.role = RoleFromName(s.name, pass.app, a.proctype, a.index);
    }
    a.retirement_registered =
        std::any_of(pass.retirements.begin(), pass.retirements.end(),
                    [&](const Retirement& r) { return r.container_id == s.id; });
    out.push_back(std::move(a));
  }
  return out;
}

Status LocalScheduler::Apply(AppPass& pass, Applied* out) {
  DOKKU_RETURN_IF_ERROR(Run(pass, pass.desired, /*rollouts=*/true, &out->requeue_ms));
  if (pass.heals_pending) {
    // A wanted container is not running yet: look again soon, the CLI keeps waiting.
    out->converged = false;
    if (out->requeue_ms == 0 || out->requeue_ms > kHealPendingRetryMs)
      out->requeue_ms = kHealPendingRetryMs;
  }
  return Status::Ok();
}

Status LocalScheduler::Vacate(AppPass& pass, bool replacement_ready, int64_t* requeue_ms) {
  // Nothing of the app is wanted here: every type at 0, so the plan retires what runs. Until
  // the replacement serves, only leftovers and heals are applied.
  DesiredApp none = pass.desired;
  for (DesiredProc& p : none.procs) p.quantity = 0;
  return Run(pass, std::move(none), replacement_ready, requeue_ms);
}

Status LocalScheduler::Run(AppPass& pass, DesiredApp desired, bool rollouts, int64_t* requeue_ms) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = blocked_.find(pass.app);
    if (it != blocked_.end() && it->second.first == pass.generation)
      desired.blocked_hashes = it->second.second;
  }
  StatusOr<std::vector<ActualContainer>> actual = ListActual(pass);
  if (!actual.ok()) return actual.status();
  if (rollouts) ProbeLive(pass, *actual, &desired, requeue_ms);
  Plan plan = MakePlan(desired, *actual);
  if (!rollouts) plan.changes.clear();  // keep serving until the other side does
  return ApplyPlan(pass, plan, requeue_ms);
}

// True when the container holds the live name of its dyno label (app.web.1).
static bool HoldsLiveName(const ContainerInfo& info, const std::string& app) {
  auto dyno = info.labels.find(kLabelDyno);
  std::string proctype;
  int index = 0;
  if (dyno == info.labels.end() || !ParseDyno(dyno->second, &proctype, &index)) return false;
  return RoleFromName(info.name, app, proctype, index) == ContainerRole::kLive;
}

Status LocalScheduler::RetireDue(AppPass& pass, int64_t* next_due_ms) {
  const int64_t now = clock_->NowMs();
  std::vector<Retirement> due, later;
  for (const Retirement& r : pass.retirements) (r.retire_at <= now ? due : later).push_back(r);
  if (due.empty()) return Status::Ok();
  DOKKU_RETURN_IF_ERROR(LoadStopTimeout(pass));
  const int stop_timeout = pass.StopTimeout();
  std::vector<Status> results(due.size());
  std::vector<char> live(due.size(), 0);
  ParallelFor(static_cast<int>(due.size()), options_.docker_parallel, [&](int i) {
    // A rollout registers the old container before renaming it; one that still holds its live
    // name was never renamed (a crash, a failed rename) and the plan decides about it again:
    // stopping it here would take down a container the app is serving with.
    StatusOr<ContainerInfo> info = docker_->InspectContainer(due[i].container_id);
    if (info.ok() && HoldsLiveName(*info, pass.app)) {
      live[i] = 1;
      return;
    }
    results[i] = StopAndRemove(docker_, due[i].container_id, stop_timeout);
  });
  // Docker answers some refusals with a 5xx ("driver failed to remove root filesystem: device
  // or resource busy"): only an engine that does not answer at all fails the pass; one stuck
  // container is tried again later and must not hold the rest of the app.
  bool reachable = true;
  for (const Status& st : results) {
    if (st.IsUnavailable()) reachable = docker_->Ping().ok();
    if (!reachable) return st;
  }
  const int64_t retry_at = now + kRetireRetryMs;
  for (size_t i = 0; i < due.size(); ++i) {
    if (live[i]) {
      Log(LogLevel::kWarning, "{}: not retiring {}: it still holds its live name", pass.app,
          due[i].container_id.substr(0, 12));
      DOKKU_RETURN_IF_ERROR(pass.store->RemoveRetirement(due[i].container_id));
      continue;
    }
    if (!results[i].ok()) {
      later.push_back(due[i]);
      later.back().retire_at = retry_at;  // in memory: the row keeps its time
      Log(LogLevel::kWarning, "{}: cannot retire {}: {}", pass.app, due[i].container_id,
          results[i].message());
      continue;
    }
    Log(LogLevel::kInfo, "{}: retired {}", pass.app, due[i].container_id.substr(0, 12));
    DOKKU_RETURN_IF_ERROR(pass.store->RemoveRetirement(due[i].container_id));
    pass.docker_changed = true;
  }
  pass.retirements = later;
  *next_due_ms = 0;
  return Status::Ok();
}

Status LocalScheduler::Teardown(AppPass& pass) {
  StatusOr<std::vector<ActualContainer>> actual = ListActual(pass);
  if (!actual.ok()) return actual.status();
  std::vector<std::string> ids;
  for (const ActualContainer& c : *actual) ids.push_back(c.id);
  for (const Retirement& r : pass.retirements) {
    if (std::find(ids.begin(), ids.end(), r.container_id) == ids.end())
      ids.push_back(r.container_id);
  }
  const int stop_timeout = pass.StopTimeout();
  std::vector<Status> results(ids.size());
  ParallelFor(static_cast<int>(ids.size()), options_.docker_parallel,
              [&](int i) { results[i] = StopAndRemove(docker_, ids[i], stop_timeout); });
  for (const Status& st : results) DOKKU_RETURN_IF_ERROR(st);
  for (const Retirement& r : pass.retirements) {
    DOKKU_RETURN_IF_ERROR(pass.store->RemoveRetirement(r.container_id));
  }
  pass.retirements.clear();
  if (!ids.empty()) Log(LogLevel::kInfo, "{}: removed {} containers", pass.app, ids.size());
  std::lock_guard<std::mutex> lock(mu_);
  blocked_.erase(pass.app);
  return Status::Ok();
}

StatusOr<std::vector<ObservedContainer>> LocalScheduler::Observe(AppPass& pass) {
  if (pass.docker_changed) {
    StatusOr<std::vector<ActualContainer>> relisted = ListActual(pass);
    if (!relisted.ok()) return relisted.status();
  }
  std::vector<ObservedContainer> observed;
  for (const ContainerSummary& s : pass.listed) {
    ObservedContainer o;
    o.id = s.id;
    o.app = pass.app;
    o.name = s.name;
    o.state = s.state;
    o.image_id = s.image_id;
    if (!ParseDyno(LabelOf(s, kLabelDyno), &o.proctype, &o.index)) continue;
    o.role = RoleName(RoleFromName(s.name, pass.app, o.proctype, o.index));
    if (o.role == std::string("other")) continue;
    o.release_id = ParseInt(LabelOf(s, kLabelRelease));
    StatusOr<ContainerInfo> info = InspectCached(s.id, s.state);
    if (info.ok()) {
      o.ip = info->ip;
      o.host_port = info->host_port;
      o.restart_count = info->restart_count;
      o.started_at = info->running ? ParseRfc3339Seconds(info->started_at) : 0;
    } else if (!info.status().IsNotFound()) {
      return info.status();
    }
    o.port = o.proctype == "web" ? WebPortLabel(s.labels, pass.web_port) : 0;
    observed.push_back(std::move(o));
  }
  return observed;
}

Status LocalScheduler::CheckLive(AppPass& pass, const DesiredProc& proc,
                                 const std::function<bool(int index)>& named, int* failed) {
  // The same checks a rollout of this type would run (PlanRollout: CHECKS applies to web).
  const RolloutPolicy policy = PlanRollout(proc.proctype, proc.checks, pass.desired.proxied);
  for (const ContainerSummary& s : pass.listed) {
    std::string proctype;
    int index = 0;
    if (!ParseDyno(LabelOf(s, kLabelDyno), &proctype, &index)) continue;
    if (proctype != proc.proctype ||
        RoleFromName(s.name, pass.app, proctype, index) != ContainerRole::kLive || !named(index))
      continue;
    pass.emit(kInfo1, fmt::format("Running checks for app ({}.{}.{})", pass.app, proctype, index));
    StatusOr<ContainerInfo> info = InspectCached(s.id, s.state);
    if (!info.ok()) return info.status();
    CheckOutcome outcome =
        RunContainerChecks(policy.checks_file ? pass.checks : std::nullopt,
                           proc.checks == ChecksMode::kSkipped, pass.default_wait, s.id,
                           {proctype, index, info->ip, WebPortLabel(info->labels, pass.web_port)},
                           docker_, prober_, sleeper_, pass.emit);
    if (outcome.interrupted) return Status::Unavailable("checks interrupted by shutdown");
    if (!outcome.ok) *failed += std::max(outcome.failed, 1);
  }
  return Status::Ok();
}

ContainerSpec LocalScheduler::MakeSpec(const AppPass& pass, const std::string& proctype, int index,
                                       const std::string& name) const {
  ContainerSpec spec;
  const bool web = proctype == "web";
  spec.name = name;
  spec.image = pass.release->image_id;
  std::string command = pass.CommandOf(proctype);
  // Procfile commands run in the image's shell, so $PORT and the app's env expand there; no
  // user input ever reaches a shell on the host.
  if (!command.empty()) spec.cmd = {"/bin/sh", "-c", command};
  // The config vars are not in the spec hash: like Dokku, a change reaches containers when they
  // are replaced (config:set restarts them unless --no-restart).
  spec.env = pass.EnvOf(proctype, fmt::format("{}.{}", proctype, index), pass.web_port);
  std::string hash;
  for (const DesiredProc& p : pass.desired.procs) {
    if (p.proctype == proctype) hash = p.spec_hash;
  }
  spec.labels = {
      {kLabelApp, pass.app},
      {kLabelProcType, proctype},
      {kLabelDyno, fmt::format("{}.{}", proctype, index)},
      {kLabelContainerType, "deploy"},
      {kLabelRelease, std::to_string(pass.release->id)},
      {kLabelSpecHash, hash},
      {kLabelStore, options_.store_id},
      {"dokku", ""},
      {"org.label-schema.schema-version", "1.0"},
      {"org.label-schema.vendor", "dokku"},
  };
  spec.restart_policy = pass.restart_policy;
  spec.init = true;
  spec.stop_timeout = pass.StopTimeout();
  if (web) {
    spec.exposed_port = pass.web_port;
    spec.labels[kLabelWebPort] = std::to_string(pass.web_port);
    spec.publish_port = !options_.proxy_enabled;
  }
  ApplyHostSettings(HostSettingsOf(pass, proctype), &spec);
  return spec;
}

}  // namespace dokku

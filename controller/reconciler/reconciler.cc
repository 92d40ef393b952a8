#include "controller/reconciler/reconciler.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <tuple>

#include "controller/docker/docker_wire.h"
#include "controller/env/log.h"
#include "controller/reconciler/reconciler_pass.h"
#include "store/parse_int.h"

namespace dokku {

void ParallelFor(int n, int parallel, const std::function<void(int)>& fn) {
  if (n <= 0) return;
  if (n == 1 || parallel <= 1) {
    for (int i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < std::min(n, parallel); ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) fn(i);
    });
  }
  for (std::thread& t : threads) t.join();
}

Reconciler::Reconciler(DockerApi* docker, Proxy* proxy, HttpProber* prober, Sleeper* sleeper,
                       const Clock* clock, ReconcilerOptions options, SwarmScheduler* swarm)
    : docker_(docker),
      proxy_(proxy),
      prober_(prober),
      sleeper_(sleeper),
      clock_(clock),
      options_(std::move(options)),
      swarm_(swarm) {}

void Reconciler::SwarmAppsSeen(const std::vector<std::string>& apps) {
  std::lock_guard<std::mutex> lock(mu_);
  swarm_apps_.insert(apps.begin(), apps.end());
}

void Reconciler::ContainerChanged(const std::string& container_id) {
  std::lock_guard<std::mutex> lock(mu_);
  inspect_cache_.erase(container_id);
}

void Reconciler::ImagesChanged(const std::string& app) {
  std::lock_guard<std::mutex> lock(mu_);
  images_dirty_.insert(app);
}

std::string Reconciler::NewSuffix() {
  std::lock_guard<std::mutex> lock(mu_);
  return fmt::format("{:x}{:x}", clock_->NowMs() % 0xfffff, ++suffix_counter_);
}

StatusOr<ContainerInfo> Reconciler::InspectCached(const std::string& id, const std::string& state) {
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

StatusOr<std::vector<ActualContainer>> Reconciler::ListActual(Pass& pass) {
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
    auto label = [&](const char* key) {
      auto it = s.labels.find(key);
      return it == s.labels.end() ? std::string() : it->second;
    };
    a.spec_hash = label(kLabelSpecHash);
    if (ParseDyno(label(kLabelDyno), &a.proctype, &a.index)) {
      a.role = RoleFromName(s.name, pass.app, a.proctype, a.index);
    }
    a.retirement_registered =
        std::any_of(pass.retirements.begin(), pass.retirements.end(),
                    [&](const Retirement& r) { return r.container_id == s.id; });
    out.push_back(std::move(a));
  }
  return out;
}

void Reconciler::FailPass(Pass& pass, const std::string& error) {
  pass.emit(kWarn, error);
  Status st = pass.store->SetObserved(pass.app, pass.generation, error);
  if (!st.ok()) Log(LogLevel::kWarning, "{}: cannot record outcome: {}", pass.app, st.message());
}

StatusOr<ReconcileResult> Reconciler::Reconcile(Store* store, const std::string& app) {
  Pass pass;
  pass.store = store;
  pass.app = app;
  pass.emit = [&pass](const std::string& level, const std::string& text) {
    std::lock_guard<std::mutex> lock(pass.emit_mu);
    Log(level == kWarn ? LogLevel::kWarning : LogLevel::kInfo, "{}: {}", pass.app, text);
    Status st = pass.store->AppendEvent(pass.app, level, text);
    if (!st.ok()) Log(LogLevel::kWarning, "{}: cannot record event: {}", pass.app, st.message());
  };
  StatusOr<std::optional<App>> row = store->FindApp(app);
  if (!row.ok()) return row.status();
  StatusOr<std::vector<Retirement>> retirements = store->ListRetirements();
  if (!retirements.ok()) return retirements.status();
  for (const Retirement& r : *retirements) {
    if (r.app == app) pass.retirements.push_back(r);
  }
  // An app unknown to the store (destroyed, or its row purged) owns nothing any more.
  if (!row->has_value()) return RemoveEverything(pass, /*purge_row=*/false);
  pass.row = **row;
  pass.generation = pass.row.generation;
  if (pass.row.deleting) return RemoveEverything(pass, /*purge_row=*/true);

  ReconcileResult result;
  int64_t next_due = 0;
  DOKKU_RETURN_IF_ERROR(RetireDue(pass, &next_due));
  DOKKU_RETURN_IF_ERROR(ApplyTagOps(pass));
  DOKKU_RETURN_IF_ERROR(RefreshImages(pass, false));

  if (pass.row.desired_release) {
    StatusOr<Release> desired = store->GetRelease(*pass.row.desired_release);
    if (!desired.ok()) return desired.status();
    if (desired->status == "pending") {
      bool failed = false;
      DOKKU_RETURN_IF_ERROR(PrepareRelease(pass, &desired.value(), &failed));
      if (failed) {
        // The app keeps running what it ran; nothing is retried until the user asks again.
        DOKKU_RETURN_IF_ERROR(store->SetDesiredRelease(app, pass.row.current_release));
        pass.row.desired_release = pass.row.current_release;
        pass.failure = desired->error;
      }
    }
  }
  DOKKU_RETURN_IF_ERROR(BuildDesired(pass));
  int64_t heal_requeue = 0;
  bool converged = true;
  if (pass.scheduler == kDockerSwarm) {
    DOKKU_RETURN_IF_ERROR(ApplySwarm(pass, &heal_requeue, &converged));
    // The local containers the app may still have (a switch from docker-local) go once the
    // services serve: the local plan below then has nothing to run.
    for (DesiredProc& p : pass.desired.procs) p.quantity = 0;
  }
  StatusOr<std::vector<ActualContainer>> actual = ListActual(pass);
  if (!actual.ok()) return actual.status();
  Plan plan = MakePlan(pass.desired, *actual);
  if (pass.scheduler == kDockerSwarm && (!converged || !pass.failure.empty())) {
    plan.changes.clear();  // keep local containers serving until the services do
  }
  Status applied = ApplyPlan(pass, plan, &heal_requeue);
  if (applied.ok() && pass.scheduler == kDockerLocal) {
    DOKKU_RETURN_IF_ERROR(RemoveSwarmServices(pass, /*now=*/false, &heal_requeue));
  }
  if (!applied.ok() && !applied.IsTerminal()) return applied;  // retried with backoff
  if (!converged) {
    // A Swarm update still rolling: look again soon; the CLI keeps waiting.
    DOKKU_RETURN_IF_ERROR(Observe(pass));
    return ReconcileResult{heal_requeue > 0 ? heal_requeue : 2000};
  }
  if (!pass.failure.empty() && pass.scheduler == kDockerSwarm && pass.release_rollout) {
    applied = Status::Terminal(pass.failure);
    pass.failure.clear();
  }
  if (pass.release_rollout) {
    if (applied.ok()) {
      DOKKU_RETURN_IF_ERROR(FinishRelease(pass));
    } else {
      pass.release->status = "failed";
      pass.release->error = applied.message();
      DOKKU_RETURN_IF_ERROR(store->UpdateRelease(*pass.release));
      DOKKU_RETURN_IF_ERROR(store->SetDesiredRelease(app, pass.row.current_release));
    }
  }
  if (!applied.ok()) pass.failure = applied.message();
  DOKKU_RETURN_IF_ERROR(AnswerRequests(pass));
  DOKKU_RETURN_IF_ERROR(Observe(pass));
  if (!pass.failure.empty()) {
    FailPass(pass, pass.failure);
  } else if (pass.row.observed_generation != pass.generation) {
    DOKKU_RETURN_IF_ERROR(store->SetObserved(app, pass.generation, ""));
  }

  // Wake up for the next retirement or self-heal attempt.
  for (const Retirement& r : pass.retirements) {
    int64_t in = std::max<int64_t>(r.retire_at - clock_->NowMs(), 1);
    if (next_due == 0 || in < next_due) next_due = in;
  }
  result.requeue_after_ms = next_due;
  if (heal_requeue > 0 &&
      (result.requeue_after_ms == 0 || heal_requeue < result.requeue_after_ms)) {
    result.requeue_after_ms = heal_requeue;
  }
  return result;
}

// Equal as `ps` would show them (order and the write time do not matter).
static bool SameObservation(std::vector<ObservedContainer> a, std::vector<ObservedContainer> b) {
  if (a.size() != b.size()) return false;
  auto key = [](const ObservedContainer& c) {
    return std::tie(c.id, c.name, c.proctype, c.index, c.release_id, c.state, c.role, c.ip, c.port,
                    c.host_port, c.restart_count, c.started_at, c.image_id);
  };
  auto less = [&](const ObservedContainer& x, const ObservedContainer& y) {
    return key(x) < key(y);
  };
  std::sort(a.begin(), a.end(), less);
  std::sort(b.begin(), b.end(), less);
  return std::equal(a.begin(), a.end(), b.begin(),
                    [&](auto& x, auto& y) { return key(x) == key(y); });
}

Status Reconciler::Observe(Pass& pass) {
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
    auto label = [&](const char* key) {
      auto it = s.labels.find(key);
      return it == s.labels.end() ? std::string() : it->second;
    };
    if (!ParseDyno(label(kLabelDyno), &o.proctype, &o.index)) continue;
    o.role = RoleName(RoleFromName(s.name, pass.app, o.proctype, o.index));
    if (o.role == std::string("other")) continue;
    o.release_id = ParseInt(label(kLabelRelease));
    StatusOr<ContainerInfo> info = InspectCached(s.id, s.state);
    if (info.ok()) {
      o.ip = info->ip;
      o.host_port = info->host_port;
      o.restart_count = info->restart_count;
      o.started_at = info->running ? ParseRfc3339Seconds(info->started_at) : 0;
    } else if (!info.status().IsNotFound()) {
      return info.status();
    }
    o.port = o.proctype == "web" ? options_.web_port : 0;
    observed.push_back(std::move(o));
  }
  observed.insert(observed.end(), pass.swarm_observed.begin(), pass.swarm_observed.end());
  // An idle pass must not write: compare with what the store already says.
  StatusOr<std::vector<ObservedContainer>> stored = pass.store->ListContainers(pass.app);
  if (!stored.ok()) return stored.status();
  if (SameObservation(*stored, observed)) return Status::Ok();
  return pass.store->ReplaceContainers(pass.app, observed);
}

}  // namespace dokku

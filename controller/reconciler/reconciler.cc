#include "controller/reconciler/reconciler.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "controller/env/log.h"

namespace dokku {

Reconciler::Reconciler(DockerApi* docker, Proxy* proxy, const Clock* clock,
                       ReconcilerOptions options, std::vector<Scheduler*> schedulers)
    : docker_(docker),
      proxy_(proxy),
      clock_(clock),
      options_(std::move(options)),
      schedulers_(std::move(schedulers)) {}

void Reconciler::ContainerChanged(const std::string& container_id) {
  for (Scheduler* s : schedulers_) s->ContainerChanged(container_id);
}

void Reconciler::ImagesChanged(const std::string& app) {
  std::lock_guard<std::mutex> lock(mu_);
  images_dirty_.insert(app);
}

std::string Reconciler::NewSuffix() {
  std::lock_guard<std::mutex> lock(mu_);
  return fmt::format("p{:x}{:x}", clock_->NowMs() % 0xfffff, ++suffix_counter_);
}

Scheduler* Reconciler::Find(const std::string& name) const {
  for (Scheduler* s : schedulers_) {
    if (s->Name() == name) return s;
  }
  return nullptr;
}

void Reconciler::FailPass(Pass& pass, const std::string& error) {
  pass.emit(kWarn, error);
  Status st = pass.store->SetObserved(pass.app, pass.generation, error);
  if (!st.ok()) Log(LogLevel::kWarning, "{}: cannot record outcome: {}", pass.app, st.message());
}

Status Reconciler::PushRoutes(Pass& pass) {
  if (!options_.proxy_enabled || proxy_ == nullptr) return Status::Ok();
  std::vector<Upstream> upstreams;
  for (const auto& [scheduler, endpoints] : pass.upstreams)
    upstreams.insert(upstreams.end(), endpoints.begin(), endpoints.end());
  if (upstreams.empty()) {
    // Removing the server block answers 404 for an app that still runs; its last endpoints are
    // the better guess until the scheduler sees one again.
    if (pass.routes_unknown) return Status::Ok();
    return proxy_->Remove(pass.app);
  }
  return proxy_->Apply(pass.app, pass.server_names, upstreams, pass.emit);
}

Status Reconciler::Schedule(Pass& pass, Applied* applied) {
  // Settings the host's policy refuses change nothing: what runs keeps running.
  Status access = CheckHostAccess(options_.host_access, pass.mounts, pass.docker_options);
  if (!access.ok()) return Status::Terminal(access.message());
  Scheduler* selected = Find(pass.scheduler);
  Status st = selected != nullptr
                  ? selected->Apply(pass, applied)
                  : Status::Terminal(fmt::format("The {} scheduler is not available in this dokkud",
                                                 pass.scheduler));
  if (!st.ok() && !st.IsTerminal()) return st;  // retried with backoff
  // What ran elsewhere goes once the selected scheduler serves; until then it keeps serving.
  const bool ready = st.ok() && applied->converged && pass.failure.empty();
  for (Scheduler* other : schedulers_) {
    if (other == selected) continue;
    int64_t requeue = 0;
    DOKKU_RETURN_IF_ERROR(other->Vacate(pass, ready, &requeue));
    if (requeue > 0 && (applied->requeue_ms == 0 || requeue < applied->requeue_ms))
      applied->requeue_ms = requeue;
  }
  return st;
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
  pass.push_routes = [this, &pass] { return PushRoutes(pass); };
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

  int64_t next_due = 0;
  for (Scheduler* s : schedulers_) DOKKU_RETURN_IF_ERROR(s->RetireDue(pass, &next_due));
  DOKKU_RETURN_IF_ERROR(ApplyTagOps(pass));
  DOKKU_RETURN_IF_ERROR(RefreshImages(pass, false));

  if (pass.row.desired_release) {
    StatusOr<Release> desired = store->GetRelease(*pass.row.desired_release);
    if (!desired.ok()) return desired.status();
    if (desired->status == "pending") {
      bool failed = false;
      DOKKU_RETURN_IF_ERROR(PrepareRelease(pass, &desired.value(), &failed));
      StatusOr<std::string> skip = store->ComputedProperty("ps", app, "skip-deploy", "false");
      if (!failed && skip.ok() && *skip == "true")
        pass.emit(kInfo1, fmt::format("Skipping deploy of release {}: ps skip-deploy is true; it "
                                      "starts once skip-deploy is unset",
                                      desired->number));
      if (failed) {
        // The app keeps running what it ran; nothing is retried until the user asks again.
        DOKKU_RETURN_IF_ERROR(store->SetDesiredRelease(app, pass.row.current_release));
        pass.row.desired_release = pass.row.current_release;
        pass.failure = desired->error;
      }
    }
  }
  DOKKU_RETURN_IF_ERROR(BuildDesired(pass));
  Applied scheduled;
  Status applied = Schedule(pass, &scheduled);
  if (!applied.ok() && !applied.IsTerminal()) return applied;  // retried with backoff
  if (!scheduled.converged) {
    // An update still rolling: look again soon; the CLI keeps waiting.
    DOKKU_RETURN_IF_ERROR(Observe(pass));
    return ReconcileResult{scheduled.requeue_ms > 0 ? scheduled.requeue_ms : 2000};
  }
  if (pass.release_rollout) {
    if (applied.ok()) {
      DOKKU_RETURN_IF_ERROR(FinishRelease(pass));
      DOKKU_RETURN_IF_ERROR(RunPostdeploy(pass));
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
  ReconcileResult result;
  for (const Retirement& r : pass.retirements) {
    int64_t in = std::max<int64_t>(r.retire_at - clock_->NowMs(), 1);
    if (next_due == 0 || in < next_due) next_due = in;
  }
  result.requeue_after_ms = next_due;
  if (scheduled.requeue_ms > 0 &&
      (result.requeue_after_ms == 0 || scheduled.requeue_ms < result.requeue_after_ms)) {
    result.requeue_after_ms = scheduled.requeue_ms;
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
  std::vector<ObservedContainer> observed;
  for (Scheduler* s : schedulers_) {
    StatusOr<std::vector<ObservedContainer>> here = s->Observe(pass);
    if (!here.ok()) return here.status();
    observed.insert(observed.end(), here->begin(), here->end());
  }
  // An idle pass must not write: compare with what the store already says.
  StatusOr<std::vector<ObservedContainer>> stored = pass.store->ListContainers(pass.app);
  if (!stored.ok()) return stored.status();
  if (SameObservation(*stored, observed)) return Status::Ok();
  return pass.store->ReplaceContainers(pass.app, observed);
}

}  // namespace dokku

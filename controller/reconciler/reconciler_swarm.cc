// Reconciler: apps on the docker-swarm scheduler. The same desired state drives one Swarm
// service per process type; nginx proxies to the web tasks next to any local containers, and
// the local containers of an app that moved to Swarm are scaled away once the services serve.
#include <fmt/format.h>

#include "controller/env/log.h"
#include "controller/reconciler/reconciler_pass.h"

namespace dokku {

static std::string CommandOf(const Reconciler::Pass& pass, const std::string& proctype) {
  if (!pass.procfile) return "";
  for (const ProcfileEntry& e : *pass.procfile) {
    if (e.type == proctype) return e.command;
  }
  return "";
}

Status Reconciler::ApplySwarm(Pass& pass, int64_t* requeue_ms, bool* converged) {
  *converged = true;
  if (swarm_ == nullptr) {
    pass.failure = "The docker-swarm scheduler is not available in this dokkud";
    return Status::Ok();
  }
  if (!pass.release) return Status::Ok();  // nothing deployed yet
  SwarmDesired d;
  d.app = pass.app;
  d.store_id = options_.store_id;
  d.release_id = pass.release->id;
  d.image_id = pass.release->image_id;
  d.running = pass.desired.running;
  d.restart_policy = pass.restart_policy;
  d.stop_timeout_s = pass.stop_timeout;
  d.checks = pass.checks;
  d.default_wait_s = pass.default_wait;
  d.web_port = options_.web_port;
  d.generation = pass.generation;
  for (const DesiredProc& p : pass.desired.procs) {
    SwarmProc sp;
    sp.proctype = p.proctype;
    sp.quantity = p.quantity;
    sp.command = CommandOf(pass, p.proctype);
    sp.spec_hash = p.spec_hash;
    for (const FormationEntry& f : pass.formation) {
      if (f.proctype == p.proctype) sp.restart_generation = f.restart_generation;
    }
    sp.checks_disabled = p.checks == ChecksMode::kDisabled;
    sp.checks_skipped = p.checks == ChecksMode::kSkipped;
    d.procs.push_back(sp);
  }
  // Follow a rolling update in nginx: a new task takes traffic as soon as it runs.
  d.on_web_upstreams = [this, &pass](const std::vector<Upstream>& upstreams) {
    pass.swarm_upstreams = upstreams;
    Status st = UpdateProxy(pass, {});
    if (!st.ok()) Log(LogLevel::kWarning, "{}: proxy update: {}", pass.app, st.message());
  };
  SwarmObserved observed;
  DOKKU_RETURN_IF_ERROR(swarm_->Apply(d, sleeper_, pass.emit, &observed));
  {
    std::lock_guard<std::mutex> lock(mu_);
    swarm_apps_.insert(pass.app);
    swarm_remove_at_.erase(pass.app);  // back on Swarm before its services were removed
  }
  pass.swarm_upstreams = observed.web_upstreams;
  pass.swarm_observed = observed.containers;
  for (ObservedContainer& c : pass.swarm_observed) {
    c.app = pass.app;
    c.release_id = pass.release->id;
  }
  *converged = observed.converged || !observed.failure.empty();
  if (!observed.failure.empty()) pass.failure = observed.failure;
  if (!*converged) *requeue_ms = 2000;
  return Status::Ok();
}

Status Reconciler::RemoveSwarmServices(Pass& pass, bool now, int64_t* requeue_ms) {
  const int64_t at = clock_->NowMs();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (swarm_ == nullptr || !swarm_apps_.count(pass.app)) return Status::Ok();
    // Leaving Swarm: the services keep serving until nginx's old workers have drained.
    auto [it, inserted] = swarm_remove_at_.emplace(pass.app, at + pass.wait_to_retire * 1000LL);
    if (!now && it->second > at) {
      if (inserted) {
        pass.emit(kInfo1, fmt::format("Shutting down the Swarm services in {} seconds",
                                      pass.wait_to_retire));
      }
      *requeue_ms = it->second - at;
      return Status::Ok();
    }
  }
  DOKKU_RETURN_IF_ERROR(swarm_->RemoveApp(pass.app, options_.store_id));
  // Swarm removes the task containers in the background; wait for them, so nothing of the
  // services is left when the command returns.
  for (int i = 0; i < 120; ++i) {
    StatusOr<std::vector<ContainerSummary>> left =
        docker_->ListContainers({fmt::format("{}={}", kLabelSwarmStore, options_.store_id),
                                 fmt::format("{}={}", kLabelApp, pass.app)});
    if (!left.ok()) return left.status();
    if (left->empty() || !sleeper_->SleepFor(250)) break;
  }
  Log(LogLevel::kInfo, "{}: removed its Swarm services", pass.app);
  std::lock_guard<std::mutex> lock(mu_);
  swarm_apps_.erase(pass.app);
  swarm_remove_at_.erase(pass.app);
  return Status::Ok();
}

}  // namespace dokku

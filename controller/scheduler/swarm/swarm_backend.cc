// SwarmBackend: the pass's desired state as Swarm services, and the services' removal.
#include "controller/scheduler/swarm/swarm_backend.h"

#include <fmt/format.h>

#include <algorithm>

#include "controller/env/log.h"
#include "controller/model/naming.h"

namespace dokku {

SwarmBackend::SwarmBackend(SwarmScheduler* swarm, DockerApi* docker, Sleeper* sleeper,
                           const Clock* clock, std::string store_id)
    : swarm_(swarm),
      docker_(docker),
      sleeper_(sleeper),
      clock_(clock),
      store_id_(std::move(store_id)) {}

void SwarmBackend::AppsSeen(const std::vector<std::string>& apps) {
  std::lock_guard<std::mutex> lock(mu_);
  apps_.insert(apps.begin(), apps.end());
}

Status SwarmBackend::RetireDue(AppPass&, int64_t*) { return Status::Ok(); }

SwarmDesired SwarmBackend::DesiredOf(AppPass& pass) const {
  SwarmDesired d;
  d.app = pass.app;
  d.store_id = store_id_;
  d.release_id = pass.release->id;
  // Pushed releases run by digest, which every node can pull; else the local image id, which
  // only this node has (a one-node swarm).
  d.image_id =
      pass.release->registry_ref.empty() ? pass.release->image_id : pass.release->registry_ref;
  d.running = pass.desired.running;
  d.restart_policy = pass.restart_policy;
  d.stop_timeout_s = pass.StopTimeout();
  d.checks = pass.checks;
  d.default_wait_s = pass.default_wait;
  d.web_port = pass.web_port;
  d.constraints = pass.swarm_constraints;
  d.max_replicas_per_node = pass.swarm_max_replicas_per_node;
  for (const auto& [key, value] : pass.env) d.env.push_back(key + "=" + value);
  d.generation = pass.generation;
  for (const DesiredProc& p : pass.desired.procs) {
    SwarmProc sp;
    sp.proctype = p.proctype;
    sp.quantity = p.quantity;
    sp.command = pass.CommandOf(p.proctype);
    sp.spec_hash = p.spec_hash;
    for (const FormationEntry& f : pass.formation) {
      if (f.proctype == p.proctype) sp.restart_generation = f.restart_generation;
    }
    sp.checks_disabled = p.checks == ChecksMode::kDisabled;
    sp.checks_skipped = p.checks == ChecksMode::kSkipped;
    // Swarm's update parallelism is the batch size; 0 there would mean every task at once.
    sp.parallelism = p.max_parallel > 0 ? p.max_parallel : std::max(p.quantity, 1);
    if (pass.app_json) {
      for (HealthCheckType type : {HealthCheckType::kStartup, HealthCheckType::kLiveness}) {
        std::vector<HealthCheck> checks = ChecksOf(*pass.app_json, p.proctype, type);
        sp.app_json_checks.insert(sp.app_json_checks.end(), checks.begin(), checks.end());
      }
    }
    const HostSettings host = HostSettingsOf(pass, p.proctype);
    sp.mounts = host.mounts;
    sp.memory = host.resources.memory;
    sp.nano_cpus = host.resources.nano_cpus;
    sp.memory_reservation = host.resources.memory_reservation;
    d.procs.push_back(sp);
  }
  return d;
}

namespace {

// True when the app should have web tasks serving.
bool WebWanted(const AppPass& pass) {
  if (!pass.desired.running || !pass.desired.proxied) return false;
  return std::any_of(pass.desired.procs.begin(), pass.desired.procs.end(),
                     [](const DesiredProc& p) { return p.proctype == "web" && p.quantity > 0; });
}

}  // namespace

Status SwarmBackend::Apply(AppPass& pass, Applied* out) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.erase(pass.app);
  }
  if (!pass.release) return Status::Ok();  // nothing deployed yet
  SwarmDesired d = DesiredOf(pass);
  const std::string name(Name());
  // Follow a rolling update in the proxy: a new task takes traffic as soon as it runs.
  d.on_web_upstreams = [&pass, name](const std::vector<Upstream>& upstreams) {
    pass.upstreams[name] = upstreams;
    Status st = pass.push_routes ? pass.push_routes() : Status::Ok();
    if (!st.ok()) Log(LogLevel::kWarning, "{}: proxy update: {}", pass.app, st.message());
  };
  SwarmObserved observed;
  Status st = swarm_->Apply(d, sleeper_, pass.emit, &observed);
  // An engine that is not a swarm manager cannot run the app: the app's failure, like a failed
  // rollout (what ran keeps running), until the operator fixes the engine and asks again.
  if (st.code() == StatusCode::kFailedPrecondition) return Status::Terminal(st.message());
  DOKKU_RETURN_IF_ERROR(st);
  for (ObservedContainer& c : observed.containers) {
    c.app = pass.app;
    c.release_id = pass.release->id;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    apps_.insert(pass.app);
    remove_at_.erase(pass.app);  // back on Swarm before its services were removed
    tasks_[pass.app] = observed.containers;
  }
  pass.upstreams[name] = observed.web_upstreams;
  if (observed.web_upstreams.empty() && WebWanted(pass)) pass.routes_unknown = true;
  out->converged = observed.converged || !observed.failure.empty();
  if (!out->converged) out->requeue_ms = 2000;
  if (!observed.failure.empty()) return Status::Terminal(observed.failure);
  return Status::Ok();
}

Status SwarmBackend::Vacate(AppPass& pass, bool replacement_ready, int64_t* requeue_ms) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.erase(pass.app);
  }
  if (!replacement_ready) return Status::Ok();
  return RemoveServices(pass, /*now=*/false, requeue_ms);
}

Status SwarmBackend::Teardown(AppPass& pass) {
  int64_t unused = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.erase(pass.app);
  }
  return RemoveServices(pass, /*now=*/true, &unused);
}

StatusOr<std::vector<ObservedContainer>> SwarmBackend::Observe(AppPass& pass) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tasks_.find(pass.app);
  if (it == tasks_.end()) return std::vector<ObservedContainer>{};
  return it->second;
}

Status SwarmBackend::CheckLive(AppPass& pass, const DesiredProc& proc,
                               const std::function<bool(int)>&, int*) {
  pass.emit(kInfo1, fmt::format("Swarm's healthcheck checks the running tasks of {}.{}", pass.app,
                                proc.proctype));
  return Status::Ok();
}

Status SwarmBackend::RemoveServices(AppPass& pass, bool now, int64_t* requeue_ms) {
  const int64_t at = clock_->NowMs();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!apps_.count(pass.app)) return Status::Ok();
    // Leaving Swarm: the services keep serving until the proxy's old workers have drained.
    auto [it, inserted] = remove_at_.emplace(pass.app, at + pass.wait_to_retire * 1000LL);
    if (!now && it->second > at) {
      if (inserted) {
        pass.emit(kInfo1, fmt::format("Shutting down the Swarm services in {} seconds",
                                      pass.wait_to_retire));
      }
      *requeue_ms = it->second - at;
      return Status::Ok();
    }
  }
  DOKKU_RETURN_IF_ERROR(swarm_->RemoveApp(pass.app, store_id_));
  pass.upstreams.erase(std::string(Name()));
  // Swarm removes the task containers in the background; wait for them, so nothing of the
  // services is left when the command returns.
  for (int i = 0; i < 120; ++i) {
    StatusOr<std::vector<ContainerSummary>> left =
        docker_->ListContainers({fmt::format("{}={}", kLabelSwarmStore, store_id_),
                                 fmt::format("{}={}", kLabelApp, pass.app)});
    if (!left.ok()) return left.status();
    if (left->empty() || !sleeper_->SleepFor(250)) break;
  }
  Log(LogLevel::kInfo, "{}: removed its Swarm services", pass.app);
  std::lock_guard<std::mutex> lock(mu_);
  apps_.erase(pass.app);
  remove_at_.erase(pass.app);
  return Status::Ok();
}

}  // namespace dokku

// LocalScheduler: the docker-local scheduler. Lists the app's containers, plans with MakePlan()
// and applies the plan: heals, rolls each process type out in the steps its RolloutPolicy says
// (start-first with checks, cutover in the proxy, retirement at wait-to-retire), scales down.
// Thread-safe for different apps at once; one pass per app at a time (the work queue).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "controller/checks/checks_runner.h"
#include "controller/docker/docker_api.h"
#include "controller/proxy/nginx_proxy.h"
#include "controller/scheduler/scheduler.h"
#include "store/clock.h"

namespace dokku {

struct NewContainer;  // one new container of a rollout (local_change.cc)

struct LocalSchedulerOptions {
  std::string store_id;       // value of the com.dokkud.store label on our containers
  bool proxy_enabled = true;  // false: web publishes its port on 127.0.0.1 instead
  int docker_parallel = 8;    // containers created/stopped at once within one pass
};

class LocalScheduler : public Scheduler {
 public:
  // `proxy` (may be null) is asked only how many requests are in flight to a peer; routes go
  // through pass.push_routes. Nothing is owned.
  LocalScheduler(DockerApi* docker, Proxy* proxy, HttpProber* prober, Sleeper* sleeper,
                 const Clock* clock, LocalSchedulerOptions options);

  std::string_view Name() const override { return kDockerLocal; }
  Status RetireDue(AppPass& pass, int64_t* next_due_ms) override;
  Status Apply(AppPass& pass, Applied* out) override;
  Status Vacate(AppPass& pass, bool replacement_ready, int64_t* requeue_ms) override;
  Status Teardown(AppPass& pass) override;
  StatusOr<std::vector<ObservedContainer>> Observe(AppPass& pass) override;
  Status CheckLive(AppPass& pass, const DesiredProc& proc,
                   const std::function<bool(int index)>& named, int* failed) override;

  void ContainerChanged(const std::string& container_id) override;

 private:
  // Plans `desired` (pass.desired, or none of it when vacating) against the app's containers and
  // applies it; with !rollouts only the leftovers, heals and stops (the app is on its way to
  // another scheduler and that one does not serve yet).
  Status Run(AppPass& pass, DesiredApp desired, bool rollouts, int64_t* requeue_ms);
  Status ApplyPlan(AppPass& pass, const Plan& plan, int64_t* requeue_ms);
  Status ReportDeployed(AppPass& pass);
  // One process type's change, in the steps its RolloutPolicy says (local_change.cc).
  Status ApplyChange(AppPass& pass, const TypeChange& change);
  // One batch of the change's new containers (policy.batch_size of them); `last`: the final one.
  Status ApplyBatch(AppPass& pass, const TypeChange& change, std::vector<NewContainer>& slots,
                    bool last);
  Status ScaleDown(AppPass& pass, const TypeChange& change);
  Status StopFirst(AppPass& pass, const TypeChange& change, const std::vector<NewContainer>& slots);
  void StartAndCheck(AppPass& pass, const TypeChange& change, std::vector<NewContainer>& slots);
  void StartAndCheckOne(AppPass& pass, const TypeChange& change, NewContainer& slot);
  // Removes the new containers and fails the rollout if any did not start or failed its checks.
  Status HandleFailedStarts(AppPass& pass, const std::string& proctype,
                            const std::vector<NewContainer>& slots);
  void EmitContainerOutput(AppPass& pass, const std::string& proctype, const NewContainer& slot);
  Status Cutover(AppPass& pass, const std::string& proctype,
                 const std::vector<NewContainer>& slots);
  Status RetireReplaced(AppPass& pass, const std::string& proctype,
                        const std::vector<NewContainer>& slots, int64_t now);
  Status RenameToLive(AppPass& pass, const TypeChange& change,
                      const std::vector<NewContainer>& slots, int64_t now);
  // The repeated acts of a rollout.
  Status RegisterRetirement(AppPass& pass, const std::string& id, int64_t now);
  Status RenameRetiring(const std::string& app, const std::string& id, const std::string& proctype,
                        int index, int64_t now_ms);
  void MarkBlocked(AppPass& pass, const std::string& proctype);  // not retried this generation
  void RemoveNew(AppPass& pass, const std::string& id);          // best effort, logged
  Status StartHeals(AppPass& pass, const std::vector<std::string>& ids, int64_t* requeue_ms);
  // Sets this scheduler's routes to the app's running live web containers, minus
  // `exclude_ids`, plus the (not yet renamed) containers in `include_ids`, and pushes them.
  Status UpdateProxy(AppPass& pass, const std::set<std::string>& exclude_ids,
                     const std::set<std::string>& include_ids = {});
  // Old web containers the proxy no longer sends to: SIGTERM once no request is in flight
  // (local_drain.cc). Best effort; retirement still stops and removes them. True when every
  // one was seen drained (false: the proxy cannot tell, or the wait ran out).
  bool DrainAndTerminate(AppPass& pass, const std::vector<std::string>& ids);

  // app.json liveness and readiness probes of the live containers that are due (local_probes.cc):
  // adds containers to replace to desired->replace_ids, keeps the unserving set for UpdateProxy
  // and lowers *requeue_ms to when the next probe or replacement is due.
  void ProbeLive(AppPass& pass, const std::vector<ActualContainer>& actual, DesiredApp* desired,
                 int64_t* requeue_ms);
  struct ContainerProbes {
    int64_t next_at = 0;  // 0: never probed
    int live_failures = 0, live_attempts = 0;
    int ready_failures = 0;
    bool ready = true;
  };
  void ProbeOne(AppPass& pass, const ActualContainer& c, const std::vector<HealthCheck>& live,
                const std::vector<HealthCheck>& ready, ContainerProbes* state, int64_t now);
  static int MinAttempts(const std::vector<HealthCheck>& checks);
  // A live container that failed readiness or liveness: the proxy leaves it out.
  bool Unserving(const std::string& app, const std::string& id);

  StatusOr<std::vector<ActualContainer>> ListActual(AppPass& pass);
  StatusOr<ContainerInfo> InspectCached(const std::string& id, const std::string& state);
  ContainerSpec MakeSpec(const AppPass& pass, const std::string& proctype, int index,
                         const std::string& name) const;
  std::string NewSuffix();

  DockerApi* const docker_;
  Proxy* const proxy_;
  HttpProber* const prober_;
  Sleeper* const sleeper_;
  const Clock* const clock_;
  const LocalSchedulerOptions options_;

  std::mutex mu_;  // guards everything below
  std::map<std::string, ContainerInfo> inspect_cache_;
  // Per app: the generation a rollout failed in and the specs that failed.
  std::map<std::string, std::pair<int64_t, std::set<std::string>>> blocked_;
  // Per container: self-heal attempts and when the next one may run (crash backoff), for the
  // app generation they were counted in.
  struct HealState {
    int tries = 0;
    int64_t next_at = 0;
    int64_t generation = 0;
  };
  std::map<std::string, HealState> heal_backoff_;
  uint64_t suffix_counter_ = 0;

  std::mutex probe_mu_;  // guards probes_
  struct AppProbes {
    std::map<std::string, ContainerProbes> containers;       // by container id
    std::map<std::string, std::pair<int64_t, int>> backoff;  // "web.1" -> (until, count)
    std::set<std::string> unserving;                         // ids the proxy leaves out
  };
  std::map<std::string, AppProbes> probes_;  // by app
};

}  // namespace dokku

// Reconciler: one level-triggered pass for one app. It re-reads the app's desired state from the
// store, lists the app's containers from Docker, plans with MakePlan() and applies the plan
// (prepare a release, heal, roll out start-first with checks, cut the proxy over, scale down,
// retire), then writes what it observed back to the store. Thread-safe for different apps at
// once; the caller (the work queue) guarantees one pass per app at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/checks/checks_runner.h"
#include "controller/docker/docker_api.h"
#include "controller/env/emit.h"
#include "controller/model/checks_file.h"
#include "controller/model/planner.h"
#include "controller/proxy/nginx_proxy.h"
#include "controller/scheduler/swarm/swarm_scheduler.h"
#include "store/clock.h"
#include "store/status.h"
#include "store/store.h"

namespace dokku {

struct NewContainer;  // one new container of a rollout (reconciler_change.cc)

struct ReconcilerOptions {
  std::string store_id;       // value of the com.dokkud.store label on our containers
  bool proxy_enabled = true;  // false: web publishes its port on 127.0.0.1 instead
  std::string proxy_listen = "80";
  int docker_parallel = 8;  // containers created/checked at once within one pass
  int web_port = 5000;
};

struct ReconcileResult {
  int64_t requeue_after_ms = 0;  // 0: nothing timed is pending
};

class Reconciler {
 public:
  // `proxy` may be null when proxy_enabled is false; `swarm` may be null when no app may use
  // the docker-swarm scheduler. Nothing is owned.
  Reconciler(DockerApi* docker, Proxy* proxy, HttpProber* prober, Sleeper* sleeper,
             const Clock* clock, ReconcilerOptions options, SwarmScheduler* swarm = nullptr);

  // One pass for `app` using `store` (a connection owned by the calling thread). Errors are
  // retryable (Docker unavailable, store busy); terminal failures (bad release, failed checks)
  // are recorded in the store and return OK.
  StatusOr<ReconcileResult> Reconcile(Store* store, const std::string& app);

  // Docker events: forget cached inspect data; mark the app's image list stale.
  void ContainerChanged(const std::string& container_id);
  void ImagesChanged(const std::string& app);
  // Apps known to have Swarm services (found at startup/resync), so a switch back to
  // docker-local or apps:destroy also removes them.
  void SwarmAppsSeen(const std::vector<std::string>& apps);

  struct Pass;  // per-pass context (reconciler_pass.h); internal to the reconciler's files

 private:
  StatusOr<ReconcileResult> RemoveEverything(Pass& pass, bool purge_row);
  Status RetireDue(Pass& pass, int64_t* next_due_ms);
  Status ApplyTagOps(Pass& pass);
  Status RefreshImages(Pass& pass, bool force);
  Status AnswerRequests(Pass& pass);
  // Resolves and reads a pending release. A bad release is recorded as failed (returns OK with
  // *failed set); Docker trouble is an error.
  Status PrepareRelease(Pass& pass, Release* release, bool* failed);
  Status BuildDesired(Pass& pass);
  Status ApplyPlan(Pass& pass, const Plan& plan, int64_t* requeue_ms);
  Status ReportDeployed(Pass& pass);
  // One process type's change, in the steps its RolloutPolicy says (reconciler_change.cc).
  Status ApplyChange(Pass& pass, const TypeChange& change);
  Status ScaleDown(Pass& pass, const TypeChange& change);
  Status StopFirst(Pass& pass, const TypeChange& change);
  void StartAndCheck(Pass& pass, const TypeChange& change, std::vector<NewContainer>& slots);
  void StartAndCheckOne(Pass& pass, const TypeChange& change, NewContainer& slot);
  // Removes the new containers and fails the rollout if any did not start or failed its checks.
  Status HandleFailedStarts(Pass& pass, const std::string& proctype,
                            const std::vector<NewContainer>& slots);
  void EmitContainerOutput(Pass& pass, const std::string& proctype, const NewContainer& slot);
  Status Cutover(Pass& pass, const std::string& proctype, const std::vector<NewContainer>& slots);
  Status RetireReplaced(Pass& pass, const std::string& proctype,
                        const std::vector<NewContainer>& slots, int64_t now);
  Status RenameToLive(Pass& pass, const TypeChange& change, const std::vector<NewContainer>& slots,
                      int64_t now);
  // The repeated acts of a rollout.
  Status RegisterRetirement(Pass& pass, const std::string& id, int64_t now);
  void MarkBlocked(Pass& pass, const std::string& proctype);  // not retried this generation
  void RemoveNew(Pass& pass, const std::string& id);          // best effort, logged
  Status StartHeals(Pass& pass, const std::vector<std::string>& ids, int64_t* requeue_ms);
  // Points the proxy at the app's running live web containers, minus `exclude_ids`, plus the
  // (not yet renamed) containers in `include_ids`, plus Swarm's web tasks.
  Status UpdateProxy(Pass& pass, const std::set<std::string>& exclude_ids,
                     const std::set<std::string>& include_ids = {});
  // Old web containers the proxy no longer sends to: SIGTERM once no request is in flight
  // (reconciler_drain.cc). Best effort; retirement still stops and removes them.
  void DrainAndTerminate(Pass& pass, const std::vector<std::string>& ids);
  Status Observe(Pass& pass);
  Status FinishRelease(Pass& pass);
  // docker-swarm: the services get the desired state, the local containers are scaled away.
  Status ApplySwarm(Pass& pass, int64_t* requeue_ms, bool* converged);
  // Removes the app's Swarm services: at once when `now`, else after wait-to-retire
  // (setting *requeue_ms until then).
  Status RemoveSwarmServices(Pass& pass, bool now, int64_t* requeue_ms);
  void FailPass(Pass& pass, const std::string& error);

  StatusOr<std::vector<ActualContainer>> ListActual(Pass& pass);
  StatusOr<ContainerInfo> InspectCached(const std::string& id, const std::string& state);
  ContainerSpec MakeSpec(const Pass& pass, const std::string& proctype, int index,
                         const std::string& name) const;
  std::string SpecHash(const Pass& pass, const std::string& proctype) const;
  std::vector<std::string> ServerNames(const Pass& pass) const;
  std::vector<std::string> Urls(const Pass& pass) const;
  std::string NewSuffix();

  DockerApi* const docker_;
  Proxy* const proxy_;
  HttpProber* const prober_;
  Sleeper* const sleeper_;
  const Clock* const clock_;
  const ReconcilerOptions options_;
  SwarmScheduler* const swarm_;

  std::mutex mu_;  // guards everything below
  std::map<std::string, ContainerInfo> inspect_cache_;
  std::set<std::string> images_dirty_;
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
  std::set<std::string> swarm_apps_;
  std::map<std::string, int64_t> swarm_remove_at_;  // app -> when its services go
};

}  // namespace dokku

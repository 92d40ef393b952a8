// SwarmScheduler: the docker-swarm scheduler. Each process type of an app is one replicated
// Swarm service (`<app>-<proctype>`, swarm_spec.h); Apply makes the services match the desired
// state and waits, bounded, until Swarm has converged or rolled back. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "controller/checks/checks_runner.h"
#include "controller/env/emit.h"
#include "controller/model/upstream.h"
#include "controller/scheduler/swarm/swarm_api.h"
#include "controller/scheduler/swarm/swarm_spec.h"
#include "store/clock.h"
#include "store/status.h"
#include "store/types.h"

namespace dokku {

struct SwarmObserved {
  // One entry per current task (desired state running): name <app>.<proc>.<slot>, index = slot,
  // state = Swarm's task state ("running", "starting", ...), id = container id (the task id
  // before it has one), role "live", or "retiring" for a task of the previous spec during an
  // update, restart_count = failed tasks of the current spec Swarm replaced in that slot (as far
  // as Swarm remembers: 5 tasks a slot by default).
  std::vector<ObservedContainer> containers;
  // kIngress: 127.0.0.1:<published port>; kHost: <node>:<port> of every running web task
  // (127.0.0.1 for tasks on this engine's node). Empty while no web task runs.
  std::vector<Upstream> web_upstreams;
  // Every service at its spec, all replicas running, no update in progress.
  bool converged = false;
  // Non-empty: an update failed (rolled back, paused) or did not converge in time.
  std::string failure;
  // Process types whose desired spec failed earlier in this generation and was not retried.
  std::vector<std::string> blocked;
};

struct SwarmSchedulerOptions {
  int64_t poll_ms = 1000;
  int64_t max_wait_ms = 0;  // 0: derived from the specs (replicas, monitor, health, stop grace)
};

class SwarmScheduler {
 public:
  SwarmScheduler(SwarmApi* api, const Clock* clock, SwarmSchedulerOptions options = {});

  // Creates/updates/removes the app's services so they match `desired`, emitting progress lines,
  // then waits for Swarm to converge or fail and reports what runs. Idempotent: an unchanged app
  // makes no update call. A type at quantity 0 keeps its service at 0 replicas (ps:start and
  // scaling back up keep its published port); a type missing from desired.procs loses it.
  // Errors: FailedPrecondition (engine is not a swarm manager), InvalidArgument (bad desired
  // state), Conflict (a foreign service holds the name), Unavailable (Docker, or a sleep cut
  // short by shutdown). A failed rollout is OK with observed->failure set.
  Status Apply(const SwarmDesired& desired, Sleeper* sleeper, const Emit& emit,
               SwarmObserved* observed);
  // Removes every service of the app (Swarm stops their tasks in the background).
  Status RemoveApp(const std::string& app, const std::string& store_id);
  // The app's current services/tasks without changing anything.
  Status Observe(const std::string& app, const std::string& store_id, SwarmObserved* observed);
  // Apps that have services labelled with this store (to find services of deleted apps).
  StatusOr<std::vector<std::string>> ListApps(const std::string& store_id);

 private:
  struct ServiceTasks {
    SwarmService service;
    std::vector<SwarmTask> tasks;
  };
  struct Pending;  // a service changed by this Apply, being waited for

  Status CheckManager();
  StatusOr<std::vector<SwarmService>> ListAppServices(const std::string& app,
                                                      const std::string& store_id);
  // Creates, updates or leaves alone the service of one process type.
  Status ApplyProc(const SwarmDesired& desired, const SwarmProc& proc, const SwarmService* existing,
                   const Emit& emit, std::vector<Pending>* pending, SwarmObserved* observed);
  // Creates the service (under a disambiguated name if a foreign service holds the plain one)
  // or updates it at the version read (once more on a fresh version if that was stale).
  Status Submit(const std::string& app, const std::string& proctype, const SwarmService* existing,
                SwarmServiceSpec* spec, std::string* id);
  Status Wait(const SwarmDesired& desired, std::vector<Pending>& pending, Sleeper* sleeper,
              const Emit& emit, std::string* failure);
  // Advances one pending service; true when it reached an end (success or failure).
  bool Evaluate(Pending& p, const ServiceTasks& st, const Emit& emit);
  StatusOr<std::vector<ServiceTasks>> Snapshot(const std::vector<SwarmService>& services);
  Status Fill(const std::string& app, const std::vector<ServiceTasks>& snapshot,
              SwarmObserved* observed);
  // Addresses of the running tasks of a service with a published port; in host mode
  // `task_ports` (if given) gets each task's host port by task id.
  StatusOr<std::vector<Upstream>> WebUpstreams(const ServiceTasks& web,
                                               std::map<std::string, int>* task_ports = nullptr);
  StatusOr<int> HostPort(const SwarmTask& task, int container_port, bool local);

  SwarmApi* const api_;
  const Clock* const clock_;
  const SwarmSchedulerOptions options_;

  std::mutex mu_;
  // app -> (generation, whole-spec hashes whose update failed in it)
  std::map<std::string, std::pair<int64_t, std::set<std::string>>> blocked_;
  std::map<std::string, int> host_ports_;  // container id -> IPv4 host port (never changes)
};

}  // namespace dokku

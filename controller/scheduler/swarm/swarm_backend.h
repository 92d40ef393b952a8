// SwarmBackend: the docker-swarm scheduler behind the Scheduler seam. The app's desired state
// drives one Swarm service per process type (SwarmScheduler); the running web tasks are this
// scheduler's routes; an app that leaves Swarm loses its services after wait-to-retire.
// Thread-safe for different apps at once; one pass per app at a time.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "controller/docker/docker_api.h"
#include "controller/env/sleeper.h"
#include "controller/scheduler/scheduler.h"
#include "controller/scheduler/swarm/swarm_scheduler.h"
#include "store/clock.h"

namespace dokku {

class SwarmBackend : public Scheduler {
 public:
  // Nothing is owned. `docker` lists the task containers left after a removal.
  SwarmBackend(SwarmScheduler* swarm, DockerApi* docker, Sleeper* sleeper, const Clock* clock,
               std::string store_id);

  std::string_view Name() const override { return kDockerSwarm; }
  // Swarm replaces its own tasks: nothing of ours to retire.
  Status RetireDue(AppPass& pass, int64_t* next_due_ms) override;
  // Terminal when this engine is not a swarm manager, or the update failed or rolled back.
  Status Apply(AppPass& pass, Applied* out) override;
  Status Vacate(AppPass& pass, bool replacement_ready, int64_t* requeue_ms) override;
  Status Teardown(AppPass& pass) override;
  StatusOr<std::vector<ObservedContainer>> Observe(AppPass& pass) override;
  // Swarm's own healthcheck gates and watches the tasks: checks:run only says so.
  Status CheckLive(AppPass& pass, const DesiredProc& proc,
                   const std::function<bool(int index)>& named, int* failed) override;

  // Apps found with services at startup/resync, so a switch back to docker-local or
  // apps:destroy also removes them.
  void AppsSeen(const std::vector<std::string>& apps);

 private:
  SwarmDesired DesiredOf(AppPass& pass) const;
  // Removes the app's services: at once when `now`, else after wait-to-retire (setting
  // *requeue_ms until then).
  Status RemoveServices(AppPass& pass, bool now, int64_t* requeue_ms);

  SwarmScheduler* const swarm_;
  DockerApi* const docker_;
  Sleeper* const sleeper_;
  const Clock* const clock_;
  const std::string store_id_;

  std::mutex mu_;                                                // guards everything below
  std::set<std::string> apps_;                                   // apps with services
  std::map<std::string, int64_t> remove_at_;                     // app -> when its services go
  std::map<std::string, std::vector<ObservedContainer>> tasks_;  // app -> as the last Apply saw
};

}  // namespace dokku

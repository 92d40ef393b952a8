// How the docker-swarm scheduler reads Swarm's tasks: which ones are meant to run, which were
// built from the service's current spec, and when a service counts as converged. Pure, inline.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "controller/scheduler/swarm/swarm_api.h"
#include "controller/scheduler/swarm/swarm_spec.h"

namespace dokku {

inline std::string SwarmLabel(const std::map<std::string, std::string>& labels, const char* key) {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

// Tasks Swarm means to run; the others are history (failed, shut down, removed by a scale-down).
inline bool IsActiveTask(const SwarmTask& t) {
  return t.desired_state == "running" || t.desired_state == "ready";
}

inline bool IsRunningTask(const SwarmTask& t) { return IsActiveTask(t) && t.state == "running"; }

// Built from the service's current spec (after a rollback: the restored previous one).
inline bool IsCurrentTask(const SwarmTask& t, const SwarmService& s) {
  return SwarmLabel(t.container_labels, kLabelSwarmTask) ==
         SwarmLabel(s.spec.container_labels, kLabelSwarmTask);
}

inline bool UpdateInProgress(const std::string& state) {
  return state == "updating" || state == "rollback_started";
}

inline bool UpdateStuck(const std::string& state) {
  return state == "paused" || state == "rollback_paused";
}

// No update under way or stuck, and exactly `replicas` current tasks, all running.
inline bool ServiceConverged(const SwarmService& s, const std::vector<SwarmTask>& tasks) {
  if (UpdateInProgress(s.update_status.state) || UpdateStuck(s.update_status.state)) return false;
  int active = 0;
  for (const SwarmTask& t : tasks) {
    if (!IsActiveTask(t)) continue;
    if (!IsCurrentTask(t, s) || t.state != "running") return false;
    ++active;
  }
  return active == s.spec.replicas;
}

}  // namespace dokku

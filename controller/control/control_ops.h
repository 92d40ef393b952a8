// The control socket's operations — what cannot be desired state: reading logs, one-off `run`
// containers, `enter` (exec) and ps:inspect. Each reads the store for the app and talks to
// Docker; output goes to the session, which ends with one exit frame. Run containers carry the
// app's label but not the store label the schedulers list by, so no reconcile touches them.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "controller/control/session.h"
#include "controller/docker/container_io.h"
#include "controller/docker/docker_api.h"
#include "controller/scheduler/host_access.h"

namespace dokku::control {

struct ControlDeps {
  std::string state_dir;  // each op opens its own store connection here
  std::string store_id;
  DockerApi* docker = nullptr;
  ContainerIo* io = nullptr;
  HostAccessPolicy host_access;  // what a run container may take from the host
  std::function<void(const std::string& app)> enqueue;  // asks for a reconcile pass of an app
};

// Runs the request's op to its end, then sends the exit frame. Unknown ops and bad requests
// end with a message and exit 1.
void Serve(const ControlDeps& deps, Session& session, const nlohmann::json& request);

// The ops (control_ops.cc, run_ops.cc); each returns the exit code.
int ServeLogs(const ControlDeps& deps, Session& session, const nlohmann::json& request);
int ServeInspect(const ControlDeps& deps, Session& session, const nlohmann::json& request);
int ServeEnter(const ControlDeps& deps, Session& session, const nlohmann::json& request);
int ServeRun(const ControlDeps& deps, Session& session, const nlohmann::json& request);
int ServeRunList(const ControlDeps& deps, Session& session, const nlohmann::json& request);
int ServeRunStop(const ControlDeps& deps, Session& session, const nlohmann::json& request);
int ServeRetire(const ControlDeps& deps, Session& session, const nlohmann::json& request);
int ServeRegistryLogin(const ControlDeps& deps, Session& session, const nlohmann::json& request);
int ServeRegistryLogout(const ControlDeps& deps, Session& session, const nlohmann::json& request);

// Stops and removes every running run container older than its active-deadline-seconds label,
// saying one line per container (" !     ..." for a failure). Returns the failures.
int RetireExpiredRuns(const ControlDeps& deps, const std::function<void(const std::string&)>& say);

// The app's containers with a live name (<app>.<type>.<n>), sorted by name, optionally of one
// process type; or its run containers (by `run_name` when given).
StatusOr<std::vector<ContainerSummary>> LiveContainers(const ControlDeps& deps,
                                                       const std::string& app,
                                                       const std::string& proctype);
StatusOr<std::vector<ContainerSummary>> RunContainers(const ControlDeps& deps,
                                                      const std::string& app);

}  // namespace dokku::control

// The dokkud daemon: wires the store, the Docker client, the proxy and the reconciler to a work
// queue fed by event sources (Docker events, the store's change feed, retirement timers and a
// slow full resync), runs the workers, keeps the heartbeat and talks to systemd.
#pragma once

#include <cstdint>
#include <string>

#include "controller/proxy/nginx_proxy.h"

namespace dokku {

struct DaemonOptions {
  std::string state_dir = "/var/lib/dokku";
  std::string docker_host = "unix:///var/run/docker.sock";
  std::string proxy = "nginx";  // nginx | none
  NginxProxyOptions nginx;
  std::string log_level = "info";
  // Root and this group's members may use <state_dir>/control.sock and the state database;
  // without such a group, root only.
  std::string control_group = "dokku";
  bool once = false;           // reconcile every app once, wait for it to settle, exit
  int workers = 8;             // apps reconciled in parallel
  int docker_parallel = 8;     // Docker API calls in flight
  int64_t resync_ms = 60'000;  // full re-list of everything
  int64_t poll_ms = 100;       // store change feed
};

// Runs until SIGTERM/SIGINT (or, with `once`, until every app settled). Returns the exit code.
// Containers are left running on exit.
int RunDaemon(const DaemonOptions& options);

}  // namespace dokku

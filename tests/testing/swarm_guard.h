// SwarmGuard: makes this engine a swarm manager for a test's lifetime, alone or with worker
// nodes on this machine (scripts/nodes: dockerd instances in their own network namespaces).
// Swarm tests of concurrent test processes take turns on one machine-wide lock file, so that one
// never leaves a swarm another still uses; a one-node swarm that existed before is used and not
// left.
#pragma once

#include <memory>
#include <string>

#include "store/status.h"
#include "tests/testing/testutil.h"

namespace dokku::testutil {

class SwarmGuard {
 public:
  // Takes the lock (blocking). With a non-empty `store`, the destructor also removes the services
  // labelled com.dokkud.store=<store> and waits for their task containers to go, before it
  // removes the workers and leaves a swarm it made.
  explicit SwarmGuard(std::string store = "");
  ~SwarmGuard();
  SwarmGuard(const SwarmGuard&) = delete;
  SwarmGuard& operator=(const SwarmGuard&) = delete;

  // `docker swarm init` on 127.0.0.1 unless the engine is already a swarm node.
  Status Init();
  // Creates `workers` nodes (node1..N), makes this engine their manager on their bridge's
  // address and joins them. Fails when the engine is already in a swarm they cannot reach.
  Status InitWithWorkers(int workers);
  // Makes 127.0.0.1:<port> of this host (a registry) answer on every worker's loopback.
  Status ForwardToWorkers(int port);
  // Stops / starts a worker's dockerd (a node failure and its recovery).
  Status StopWorker(const std::string& name);
  Status StartWorker(const std::string& name);
  // The engine socket of a worker, e.g. for `docker -H unix://...`.
  std::string WorkerSocket(const std::string& name) const;

 private:
  Status Nodes(const std::vector<std::string>& args);
  void RemoveServices();

  std::string store_;
  int lock_fd_ = -1;
  bool created_ = false;
  std::unique_ptr<TempDir> nodes_dir_;
};

}  // namespace dokku::testutil

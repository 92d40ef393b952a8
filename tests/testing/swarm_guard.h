// SwarmGuard: makes this engine a one-node swarm manager for a test's lifetime. Swarm tests of
// concurrent test processes take turns on one machine-wide lock file, so that one never leaves a
// swarm another still uses; a swarm that existed before is used and not left.
#pragma once

#include <string>

#include "store/status.h"

namespace dokku::testutil {

class SwarmGuard {
 public:
  // Takes the lock (blocking). With a non-empty `store`, the destructor also removes the services
  // labelled com.dokkud.store=<store> and waits for their task containers to go.
  explicit SwarmGuard(std::string store = "");
  ~SwarmGuard();
  SwarmGuard(const SwarmGuard&) = delete;
  SwarmGuard& operator=(const SwarmGuard&) = delete;

  // `docker swarm init` on 127.0.0.1 unless the engine is already a swarm node.
  Status Init();

 private:
  std::string store_;
  int lock_fd_ = -1;
  bool created_ = false;
};

}  // namespace dokku::testutil

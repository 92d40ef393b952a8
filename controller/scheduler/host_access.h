// Host access of an app's settings. When dokkud shares its state with a group (the CLI run by
// non-root members), the database is writable by them, so whatever it holds must not give a
// container more of the host than the app's own storage: bind mounts only from under
// <state-dir>/data/storage, no added capabilities, not the host's network. Root-only hosts
// (no group) keep Dokku's full freedom.
#pragma once

#include <string>
#include <vector>

#include "store/docker_options.h"
#include "store/host_config.h"
#include "store/status.h"

namespace dokku {

struct HostAccessPolicy {
  bool restricted = false;   // true when the state is shared with a control group
  std::string storage_root;  // <state-dir>/data/storage
};

// OK, or FailedPrecondition naming the first setting the policy refuses and what to do.
Status CheckHostAccess(const HostAccessPolicy& policy, const std::vector<StorageMount>& mounts,
                       const std::vector<DockerOption>& options);

}  // namespace dokku

// PrivateRegistry: scripts/registry (Debian's docker-registry) on a free 127.0.0.1 port with its
// storage in a temporary directory, for as long as the object lives. DigestCleanup removes the
// digest references (repo@sha256:...) this engine holds for a repository: pushes and swarm tasks
// leave them, and removing an app's tags does not.
#pragma once

#include <string>

#include "tests/testing/testutil.h"

namespace dokku::e2e {

class PrivateRegistry {
 public:
  PrivateRegistry();  // starts it; `started` says how that went
  ~PrivateRegistry() { Stop(); }
  PrivateRegistry(const PrivateRegistry&) = delete;
  PrivateRegistry& operator=(const PrivateRegistry&) = delete;

  void Start();
  void Stop();
  std::string address() const;

  int port;
  testutil::CommandResult started;

 private:
  testutil::TempDir dir_;
};

struct DigestCleanup {
  ~DigestCleanup();
  std::string repo;
};

}  // namespace dokku::e2e

#include "tests/testing/swarm_guard.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "tests/testing/testutil.h"

namespace dokku::testutil {

namespace {
constexpr char kSwarmLock[] = "/tmp/dokkutest-swarm.lock";
}  // namespace

SwarmGuard::SwarmGuard(std::string store) : store_(std::move(store)) {
  lock_fd_ = open(kSwarmLock, O_CREAT | O_RDWR | O_CLOEXEC, 0666);
  if (lock_fd_ >= 0) flock(lock_fd_, LOCK_EX);
}

SwarmGuard::~SwarmGuard() {
  if (!store_.empty()) {
    for (const std::string& id : NonEmptyLines(
             RunDocker({"service", "ls", "-q", "--filter", "label=com.dokkud.store=" + store_})
                 .out)) {
      RunDocker({"service", "rm", id});
    }
    // Swarm removes the task containers in the background.
    WaitFor(
        [&] {
          return NonEmptyLines(
                     RunDocker({"ps", "-aq", "--filter", "label=com.dokkud.swarm-store=" + store_})
                         .out)
              .empty();
        },
        60000, 500);
  }
  if (created_) RunDocker({"swarm", "leave", "--force"});
  if (lock_fd_ >= 0) close(lock_fd_);
}

Status SwarmGuard::Init() {
  std::string state = RunDocker({"info", "--format", "{{.Swarm.LocalNodeState}}"}).out;
  while (!state.empty() && (state.back() == '\n' || state.back() == ' ')) state.pop_back();
  if (state == "active") return Status::Ok();  // someone's swarm: used, not left
  if (state != "inactive") return Status::Internal("unexpected swarm state " + state);
  CommandResult init = RunDocker({"swarm", "init", "--advertise-addr", "127.0.0.1"});
  if (init.exit_code != 0) return Status::Internal("docker swarm init: " + init.Describe());
  created_ = true;
  return Status::Ok();
}

}  // namespace dokku::testutil

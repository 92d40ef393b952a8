#include "tests/testing/swarm_guard.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace dokku::testutil {

namespace {
constexpr char kSwarmLock[] = "/tmp/dokkutest-swarm.lock";

std::string NodesScript() { return std::string(DOKKUD_SOURCE_DIR) + "/scripts/nodes"; }
}  // namespace

SwarmGuard::SwarmGuard(std::string store) : store_(std::move(store)) {
  lock_fd_ = open(kSwarmLock, O_CREAT | O_RDWR | O_CLOEXEC, 0666);
  if (lock_fd_ >= 0) flock(lock_fd_, LOCK_EX);
}

SwarmGuard::~SwarmGuard() {
  RemoveServices();
  if (nodes_dir_) {
    // Workers leave and are removed, and the swarm the script made is left.
    (void)Nodes({"down", nodes_dir_->path()});
  } else if (created_) {
    RunDocker({"swarm", "leave", "--force"});
  }
  if (lock_fd_ >= 0) close(lock_fd_);
}

void SwarmGuard::RemoveServices() {
  if (store_.empty()) return;
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

Status SwarmGuard::Init() {
  const std::string state =
      TrimTrailing(RunDocker({"info", "--format", "{{.Swarm.LocalNodeState}}"}).out);
  if (state == "active") return Status::Ok();  // someone's swarm: used, not left
  if (state != "inactive") return Status::Internal("unexpected swarm state " + state);
  CommandResult init = RunDocker({"swarm", "init", "--advertise-addr", "127.0.0.1"});
  if (init.exit_code != 0) return Status::Internal("docker swarm init: " + init.Describe());
  created_ = true;
  return Status::Ok();
}

Status SwarmGuard::Nodes(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {NodesScript()};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = RunCommand(argv, {}, "", 240);
  if (r.exit_code != 0) return Status::Internal("scripts/nodes: " + r.Describe());
  return Status::Ok();
}

Status SwarmGuard::InitWithWorkers(int workers) {
  nodes_dir_ = std::make_unique<TempDir>();
  DOKKU_RETURN_IF_ERROR(Nodes({"up", nodes_dir_->path(), std::to_string(workers)}));
  return Nodes({"swarm", nodes_dir_->path()});
}

Status SwarmGuard::ForwardToWorkers(int port) {
  if (!nodes_dir_) return Status::FailedPrecondition("no workers");
  return Nodes({"forward", nodes_dir_->path(), std::to_string(port)});
}

Status SwarmGuard::StopWorker(const std::string& name) {
  if (!nodes_dir_) return Status::FailedPrecondition("no workers");
  return Nodes({"stop-node", nodes_dir_->path(), name});
}

Status SwarmGuard::StartWorker(const std::string& name) {
  if (!nodes_dir_) return Status::FailedPrecondition("no workers");
  return Nodes({"start-node", nodes_dir_->path(), name});
}

std::string SwarmGuard::WorkerSocket(const std::string& name) const {
  return nodes_dir_ ? nodes_dir_->Join(name + "/docker.sock") : std::string();
}

}  // namespace dokku::testutil

// FakeSwarm: an in-memory one-node Swarm behind SwarmApi, behaving like dockerd 20.10 where the
// scheduler relies on it: versioned updates, unique names, label filters, task history per slot,
// start-first replacement, rollback of a failing update, scale-only updates resetting
// UpdateStatus, routing-mesh and host-mode ports. Records every call; knobs inject failures.
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "controller/scheduler/swarm/swarm_api.h"
#include "store/clock.h"
#include "store/status.h"

namespace dokku {

class FakeSwarm : public SwarmApi {
 public:
  static constexpr char kNodeId[] = "node1";

  explicit FakeSwarm(const Clock* clock = RealClock::Get());

  // ---- SwarmApi. Calls are recorded as "info", "create <name>", "update <id> <version>",
  // "inspect <id>", "list <l1>,<l2>", "remove <id>", "tasks <id>", "nodes", "port <container>".
  StatusOr<SwarmInfo> Info() override;
  StatusOr<std::string> CreateService(const SwarmServiceSpec& spec) override;
  Status UpdateService(const std::string& id, uint64_t version,
                       const SwarmServiceSpec& spec) override;
  StatusOr<SwarmService> InspectService(const std::string& id_or_name) override;
  StatusOr<std::vector<SwarmService>> ListServices(const std::vector<std::string>& labels) override;
  Status RemoveService(const std::string& id) override;
  StatusOr<std::vector<SwarmTask>> ListTasks(const std::string& service_id) override;
  StatusOr<std::vector<SwarmNode>> ListNodes() override;
  StatusOr<int> LocalHostPort(const std::string& container_id, int container_port) override;

  // ---- Knobs.
  // false: Info() reports an inactive node and service calls fail like dockerd (not a manager).
  void SetManager(bool manager);
  // false: new tasks stay "starting" (and an update "updating", the old tasks running beside
  // the new ones) until Settle().
  void SetTasksStartRunning(bool running);
  // Starting tasks run, replaced tasks shut down, updates and rollbacks complete.
  void Settle();
  // The next update that changes the task template fails its first new task with `task_error`
  // and Swarm rolls the service back to its previous spec ("rollback_started", then
  // "rollback_completed" at once or at the next Settle()).
  void FailNextUpdate(const std::string& task_error);
  // New tasks are rejected with `error` (e.g. "No such image: ...") until cleared with "".
  void RejectNewTasks(const std::string& error);
  // Until cleared with "": new tasks stay "starting" and every Settle() fails them with `error`
  // and starts a replacement in the slot (a crash loop).
  void CrashNewTasks(const std::string& error);
  // The running task in `slot` dies (exit 137) and Swarm starts a replacement in the slot.
  void KillTask(const std::string& service_id, int slot);
  // Overwrites a service's UpdateStatus (e.g. "paused" after a failure with action pause).
  void SetUpdateStatus(const std::string& service_id, SwarmUpdateStatus status);
  // The next call whose recorded form starts with `call_prefix` fails with `status`.
  void FailNext(const std::string& call_prefix, Status status);

  // ---- Inspection.
  std::vector<std::string> calls() const;
  int CountCalls(const std::string& prefix) const;
  void ClearCalls();
  std::optional<SwarmService> ServiceByName(const std::string& name) const;
  std::vector<SwarmService> Services() const;

 private:
  struct Record {
    SwarmService service;
    std::optional<SwarmServiceSpec> previous;
    bool rollback_pending = false;  // rollback_started, completing at Settle()
  };

  Status Call(std::string call);
  Record* Find(const std::string& id_or_name);
  SwarmTask NewTask(const Record& r, int slot);
  void ReplaceTasks(Record& r);
  void Scale(Record& r);
  void Rollback(Record& r);
  SwarmService Published(const Record& r) const;
  int64_t Now() const { return clock_->NowSeconds(); }

  const Clock* const clock_;
  mutable std::mutex mu_;
  std::map<std::string, Record> services_;  // by id
  std::vector<SwarmTask> tasks_;
  std::vector<std::string> calls_;
  std::vector<std::pair<std::string, Status>> failures_;
  uint64_t index_ = 10;  // Swarm's global version counter
  int next_id_ = 1;
  int next_port_ = 30000;
  int next_host_port_ = 32768;
  bool manager_ = true;
  bool start_running_ = true;
  std::string fail_update_error_;
  std::string reject_error_;
  std::string crash_error_;
};

}  // namespace dokku

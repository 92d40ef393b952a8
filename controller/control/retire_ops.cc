// ps:retire: the retirements that are due now (dokkud's timers would take them within moments;
// this asks for them at once and waits), then the run containers past their
// active-deadline-seconds, which dokkud also retires by itself every five minutes.
#include <fmt/format.h>

#include <chrono>
#include <set>
#include <thread>

#include "controller/control/control_ops.h"
#include "controller/docker/docker_wire.h"
#include "controller/model/naming.h"
#include "store/parse_int.h"
#include "store/store.h"

namespace dokku::control {
namespace {

constexpr int kRetireWaitMs = 60'000;

// The due retirements (of `app`, or of every app), by container id.
StatusOr<std::vector<Retirement>> DueRetirements(Store& store, const std::string& app) {
  StatusOr<std::vector<Retirement>> all = store.ListRetirements();
  if (!all.ok()) return all.status();
  const int64_t now = RealClock::Get()->NowMs();
  std::vector<Retirement> due;
  for (const Retirement& r : *all) {
    if ((app.empty() || r.app == app) && r.retire_at <= now) due.push_back(r);
  }
  return due;
}

// Asks for a pass of every app with due retirements and waits until their records are gone.
int RetireDue(const ControlDeps& deps, Session& session, const std::string& app) {
  StatusOr<std::unique_ptr<Store>> store = Store::OpenStateDir(deps.state_dir);
  if (!store.ok()) return session.Warn(store.status().message()), 1;
  StatusOr<std::vector<Retirement>> due = DueRetirements(**store, app);
  if (!due.ok()) return session.Warn(due.status().message()), 1;
  std::set<std::string> apps;
  for (const Retirement& r : *due) {
    session.Out(fmt::format("       Attempting to retire {} container {}\n", r.app,
                            r.container_id.substr(0, 12)));
    apps.insert(r.app);
  }
  for (const std::string& a : apps) {
    if (deps.enqueue) deps.enqueue(a);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kRetireWaitMs);
  while (!session.cancelled()) {
    StatusOr<std::vector<Retirement>> left = DueRetirements(**store, app);
    if (!left.ok()) return session.Warn(left.status().message()), 1;
    std::set<std::string> wanted;
    for (const Retirement& r : *due) wanted.insert(r.container_id);
    int remaining = 0;
    for (const Retirement& r : *left) remaining += wanted.count(r.container_id) > 0;
    if (remaining == 0) return 0;
    if (std::chrono::steady_clock::now() >= deadline) {
      for (const Retirement& r : *left) {
        if (wanted.count(r.container_id))
          session.Warn(fmt::format("Unable to retire container {}", r.container_id.substr(0, 12)));
      }
      return 1;
    }
    session.WaitForHangup(200);
  }
  return 1;
}

}  // namespace

int RetireExpiredRuns(const ControlDeps& deps, const std::function<void(const std::string&)>& say) {
  StatusOr<std::vector<ContainerSummary>> runs =
      deps.docker->ListContainers({fmt::format("{}={}", kLabelRunStore, deps.store_id),
                                   fmt::format("{}=run", kLabelContainerType)});
  if (!runs.ok()) {
    say(" !     " + runs.status().message());
    return 1;
  }
  const int64_t now = RealClock::Get()->NowMs() / 1000;
  int failures = 0;
  for (const ContainerSummary& c : *runs) {
    if (c.state != "running") continue;
    auto label = c.labels.find(kLabelDeadline);
    std::optional<int64_t> ttl =
        label == c.labels.end() ? std::nullopt : ParseInt(label->second, 0, int64_t{1} << 40);
    StatusOr<ContainerInfo> info = deps.docker->InspectContainer(c.id);
    if (!ttl || !info.ok() || now - ParseRfc3339Seconds(info->started_at) < *ttl) continue;
    say(fmt::format("       Retiring container {}", c.id.substr(0, 12)));
    (void)deps.docker->UpdateRestartPolicy(c.id, "no");
    Status stopped = deps.docker->StopContainer(c.id, 10);
    if (!stopped.ok()) (void)deps.docker->KillContainer(c.id, "KILL");
    if (!deps.docker->RemoveContainer(c.id).ok()) {
      say(fmt::format(" !     Unable to retire container {}", c.id.substr(0, 12)));
      ++failures;
    }
  }
  return failures;
}

int ServeRetire(const ControlDeps& deps, Session& session, const nlohmann::json& request) {
  session.Out("-----> Retiring old containers and images\n");
  int rc = RetireDue(deps, session, request.value("app", ""));
  session.Out("-----> Retiring expired run and cron containers\n");
  session.Out("-----> Retiring all run and cron containers\n");
  if (RetireExpiredRuns(deps, [&](const std::string& line) {
        line.starts_with(" !") ? session.Err(line + "\n") : session.Out(line + "\n");
      }) > 0)
    rc = 1;
  return rc;
}

}  // namespace dokku::control

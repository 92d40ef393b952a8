// Reconciler: app.json's deployment tasks (scripts.dokku.predeploy / postdeploy), each run once
// per release in a one-off container of the release's image with the app's config vars. The
// container carries the app's labels but no dyno, so a crash mid-task leaves a leftover that the
// next pass removes (and the task runs again, its release still pending).
#include <fmt/format.h>

#include <sstream>

#include "controller/env/log.h"
#include "controller/model/naming.h"
#include "controller/reconciler/reconciler.h"

namespace dokku {

namespace {

// A task may run a long migration; past this it is stopped and fails.
constexpr int kTaskTimeoutSeconds = 3600;
constexpr size_t kTaskOutputMax = 64 * 1024;

}  // namespace

StatusOr<bool> Reconciler::RunTask(Pass& pass, const Release& release, const std::string& phase,
                                   const std::string& command) {
  pass.emit(kInfo1, fmt::format("Checking for {} task", phase));
  if (command.empty()) {
    pass.emit(kVerbose, fmt::format("No {} task found, skipping", phase));
    return true;
  }
  pass.emit(kVerbose,
            phase == "predeploy"
                ? fmt::format("Executing predeploy task from app.json: {}", command)
                : fmt::format("Executing {} task from app.json in ephemeral container: {}", phase,
                              command));
  StatusOr<std::map<std::string, std::string>> env = pass.store->GetMergedConfig(pass.app);
  if (!env.ok()) return env.status();
  // The app's deploy-phase storage mounts (a migration may need its files); no resource
  // limits or published ports, as Dokku drops those for tasks.
  StatusOr<std::vector<StorageMount>> mounts = pass.store->ListStorageMounts(pass.app);
  if (!mounts.ok()) return mounts.status();
  pass.mounts = *mounts;
  StatusOr<std::vector<DockerOption>> options = pass.store->ListDockerOptions(pass.app);
  if (!options.ok()) return options.status();
  if (Status access = CheckHostAccess(options_.host_access, pass.mounts, *options); !access.ok()) {
    pass.emit(kWarn, fmt::format("Execution of {} task failed: {}", phase, access.message()));
    return false;
  }
  ContainerSpec spec;
  spec.mounts = HostSettingsOf(pass, "").mounts;
  spec.name = fmt::format("{}.{}-task-{}", pass.app, phase, NewSuffix());
  spec.image = release.image_id;
  spec.cmd = {"/bin/sh", "-c", "set -e; " + command};
  for (const auto& [key, value] : *env) spec.env.push_back(key + "=" + value);
  spec.labels = {{kLabelStore, options_.store_id},
                 {kLabelApp, pass.app},
                 {kLabelContainerType, "deploy-task"},
                 {"dokku_phase_script", phase}};
  StatusOr<std::string> id = docker_->CreateContainer(spec);
  if (!id.ok()) {
    if (id.status().IsUnavailable()) return id.status();
    pass.emit(kWarn, fmt::format("Execution of {} task failed: {}", phase, id.status().message()));
    return false;
  }
  // A Docker failure from here on fails the task (reported) rather than re-running it.
  Status started = docker_->StartContainer(*id);
  StatusOr<int> exit_code =
      started.ok() ? docker_->WaitContainer(*id, kTaskTimeoutSeconds) : StatusOr<int>(started);
  StatusOr<std::string> logs = docker_->ContainerLogs(*id, -1);
  Status removed = docker_->RemoveContainer(*id);
  if (!removed.ok())
    Log(LogLevel::kWarning, "{}: cannot remove {}: {}", pass.app, *id, removed.message());
  const std::string cid = id->substr(0, 9);
  pass.emit(kInfo2, fmt::format("Start of {} {} task ({}) output", pass.app, phase, cid));
  std::string text = logs.ok() ? *logs : std::string();
  if (text.size() > kTaskOutputMax) text = text.substr(text.size() - kTaskOutputMax);
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) pass.emit(kVerbose, line);
  pass.emit(kInfo2, fmt::format("End of {} {} task ({}) output", pass.app, phase, cid));
  if (!exit_code.ok() || *exit_code != 0) {
    if (!exit_code.ok()) pass.emit(kWarn, exit_code.status().message());
    pass.emit(kWarn, fmt::format("Execution of {} task failed: {}", phase, command));
    return false;
  }
  return true;
}

}  // namespace dokku

// Internal to the reconciler's .cc files: the state of one pass.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "controller/model/checks_file.h"
#include "controller/model/procfile.h"
#include "controller/reconciler/reconciler.h"
#include "store/schedulers.h"

namespace dokku {

struct Reconciler::Pass {
  Store* store = nullptr;
  std::string app;
  App row;
  int64_t generation = 0;

  std::mutex emit_mu;
  Emit emit;  // thread-safe: appends to the app's events and the daemon log

  std::vector<ContainerSummary> listed;  // this pass's view of the app's containers
  std::vector<Retirement> retirements;   // the app's pending retirements

  std::optional<Release> release;  // the release to run (prepared or live)
  bool release_rollout = false;    // release differs from the live one
  std::optional<std::vector<ProcfileEntry>> procfile;
  std::optional<ChecksFile> checks;
  std::vector<FormationEntry> formation;
  DesiredApp desired;

  // The app's settings, read from the store once per pass (LoadStopTimeout, BuildDesired) and
  // parsed with one rule (SettingInt), so every step of the pass uses the same values.
  std::string restart_policy = "on-failure:10";
  int stop_timeout = 30;
  bool stop_timeout_loaded = false;  // retirements need it before BuildDesired runs
  int wait_to_retire = 60;
  int default_wait = 10;
  std::string domain;
  std::vector<std::string> checks_disabled, checks_skipped;

  bool docker_changed = false;  // something was created/started/stopped/removed
  bool web_rolled = false;      // web got new containers in this pass
  int retired = 0;              // old containers scheduled for retirement
  std::string failure;          // the pass's terminal failure, reported to the CLI
  std::string scheduler = std::string(kDefaultScheduler);
  std::vector<Upstream> swarm_upstreams;          // web tasks, proxied next to local containers
  std::vector<ObservedContainer> swarm_observed;  // task containers, for `ps`
};

// An integer setting as stored (ps:set and checks:set validate it): `fallback` when it is not a
// whole decimal int.
int SettingInt(const std::string& value, int fallback);

// Reads ps stop-timeout-seconds into pass.stop_timeout, once per pass.
Status LoadStopTimeout(Reconciler::Pass& pass);

// Runs fn(0..n-1) with at most `parallel` at once; returns when all are done.
void ParallelFor(int n, int parallel, const std::function<void(int)>& fn);

// Stops (with the app's stop timeout) and removes a container; gone already is fine.
Status StopAndRemove(DockerApi* docker, const std::string& id, int stop_timeout);

}  // namespace dokku

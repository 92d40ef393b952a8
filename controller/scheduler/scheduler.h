// Scheduler: one backend that runs an app's process types (docker-local, docker-swarm). The
// reconciler decides what should run (an AppPass: release, formation, settings, DesiredApp) and
// which scheduler runs it; the selected scheduler makes it run, every other one vacates, and
// each reports what runs there. Schedulers are peers: the reconciler names none of them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controller/docker/docker_api.h"
#include "controller/env/emit.h"
#include "controller/model/app_json.h"
#include "controller/model/checks_file.h"
#include "controller/model/planner.h"
#include "controller/model/procfile.h"
#include "controller/model/upstream.h"
#include "store/schedulers.h"
#include "store/status.h"
#include "store/store.h"

namespace dokku {

// One reconcile pass of one app: what the reconciler read and decided, and the scratch the
// schedulers share within the pass. Built by the reconciler; lives for one pass.
struct AppPass {
  Store* store = nullptr;
  std::string app;
  App row;
  int64_t generation = 0;

  std::mutex emit_mu;
  Emit emit;  // thread-safe: appends to the app's events and the daemon log

  std::vector<Retirement> retirements;  // the app's pending retirements

  std::optional<Release> release;  // the release to run (prepared or live)
  bool release_rollout = false;    // release differs from the live one
  std::optional<std::vector<ProcfileEntry>> procfile;
  std::optional<ChecksFile> checks;
  std::optional<AppJson> app_json;  // the release's app.json, parsed
  std::vector<FormationEntry> formation;
  DesiredApp desired;

  // The app's settings, read from the store once per pass (LoadStopTimeout, BuildDesired) and
  // parsed with one rule (SettingInt), so every step of the pass uses the same values.
  std::string restart_policy = "on-failure:10";
  std::optional<int> stop_timeout;  // loaded early: retirements need it before BuildDesired
  int wait_to_retire = 60;
  int default_wait = 10;
  std::string start_cmd;  // ps start-cmd, else dockerfile-start-cmd: web's command sans Procfile
  int max_parallel = 1;   // ps max-parallel (app, global, Dokku's 1): indices replaced at once
  std::string domain;
  std::vector<std::string> extra_domains;  // domains:add, served besides <app>.<domain>
  std::vector<std::string> checks_disabled, checks_skipped;
  std::map<std::string, std::string> env;  // config vars, global under app (GetMergedConfig)
  // The port web listens on: the container port of the first ports mapping (configured, else
  // detected from the release's EXPOSE, else 5000). It is PORT, the checks' and nginx's target.
  int web_port = 5000;
  std::vector<StorageMount> mounts;          // storage:mount, in load order
  std::vector<ResourceSetting> resources;    // resource:limit / resource:reserve
  std::vector<DockerOption> docker_options;  // docker-options:add (every phase)
  std::vector<std::string> server_names;     // the proxy's names for the app
  std::vector<std::string> urls;             // "Application deployed:" lines (proxied apps)

  std::string scheduler = std::string(kDefaultScheduler);  // the selected one
  // docker-swarm placement (scheduler:set constraints / max-replicas-per-node; 0: no limit).
  std::vector<std::string> swarm_constraints;
  int swarm_max_replicas_per_node = 0;
  std::string failure;  // the pass's terminal failure, reported to the CLI

  // Web endpoints by scheduler. The proxy serves their union, so a switch proxies to both sides
  // until the old one has gone; push_routes (set by the reconciler) sends that union.
  std::map<std::string, std::vector<Upstream>> upstreams;
  std::function<Status()> push_routes;
  // Set by a scheduler that wants web running but saw no endpoint this time (a task between
  // states): an empty union then leaves the proxy as it is instead of removing the app from it.
  bool routes_unknown = false;

  // docker-local's view within the pass.
  std::vector<ContainerSummary> listed;  // the app's containers as last listed
  bool docker_changed = false;           // something was created/started/stopped/removed
  bool web_rolled = false;               // web got new containers in this pass
  int retired = 0;                       // old containers scheduled for retirement
  // A wanted container is not running at the end of the pass (a failed or backed-off start).
  bool heals_pending = false;

  int StopTimeout() const { return stop_timeout.value_or(30); }
  // The Procfile command of a process type; for web without one, start_cmd; "" leaves the
  // image's own command.
  std::string CommandOf(const std::string& proctype) const;
  // A container's environment as KEY=VALUE: the config vars, then DYNO=<dyno>, then for web
  // PORT=<web_port>; other types keep a PORT config var, else get an empty PORT.
  std::vector<std::string> EnvOf(const std::string& proctype, const std::string& dyno,
                                 int web_port) const;
};

// The host configuration of a deploy container of one process type: the deploy-phase mounts
// (app-wide and the type's own) and the effective resources (EffectiveResources).
struct HostSettings {
  std::vector<ContainerMount> mounts;
  ContainerResources resources;
  // Deploy-phase docker-options, app-wide then the type's own; resource:limit wins over their
  // --memory and --cpus.
  DockerRunOptions options;
  // "" when there is nothing (so specs without any keep their hash); else a stable text.
  std::string HashKey() const;
};
// `phase`: "deploy" for process containers, "run" for one-off `dokku run` containers.
HostSettings HostSettingsOf(const AppPass& pass, const std::string& proctype,
                            const std::string& phase = "deploy");
// Sets spec's mounts, resource fields and docker-options (labels and env are added; dokkud's
// own labels and DYNO/PORT win).
void ApplyHostSettings(const HostSettings& settings, ContainerSpec* spec);

// What Apply reports besides errors.
struct Applied {
  bool converged = true;   // false: still rolling; the reconciler looks again soon
  int64_t requeue_ms = 0;  // > 0: something timed is pending (a heal backoff, a poll)
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual std::string_view Name() const = 0;

  // Starts of every pass, whichever scheduler is selected: stops and removes what is due to
  // retire, and says in *next_due_ms (if sooner) when the next retirement is due.
  virtual Status RetireDue(AppPass& pass, int64_t* next_due_ms) = 0;
  // Makes what runs here match pass.desired (rolling out, healing, scaling), updating
  // pass.upstreams and pushing routes as traffic moves. Errors: Terminal for a failed rollout or
  // a scheduler this host cannot use (recorded as the app's failure; the old containers keep
  // serving), anything else is retried with backoff.
  virtual Status Apply(AppPass& pass, Applied* out) = 0;
  // The app is on another scheduler. Until `replacement_ready` what runs here keeps serving (and
  // is healed); after, it leaves at wait-to-retire like any replaced container.
  virtual Status Vacate(AppPass& pass, bool replacement_ready, int64_t* requeue_ms) = 0;
  // apps:destroy (or an app the store no longer knows): remove all the app has here, now.
  virtual Status Teardown(AppPass& pass) = 0;
  // What `ps` shows of the app here, after this pass's Apply or Vacate.
  virtual StatusOr<std::vector<ObservedContainer>> Observe(AppPass& pass) = 0;
  // checks:run: runs the checks of the live containers of `proc` whose index `named` accepts,
  // adding the failed checks to *failed. Unavailable when cut short by shutdown.
  // A Docker event about one container: forget what is cached of it.
  virtual void ContainerChanged(const std::string& container_id) { (void)container_id; }
  virtual Status CheckLive(AppPass& pass, const DesiredProc& proc,
                           const std::function<bool(int index)>& named, int* failed) = 0;
};

// An integer setting as stored (ps:set and checks:set validate it): `fallback` when it is not a
// whole decimal int.
int SettingInt(const std::string& value, int fallback);

// Reads ps stop-timeout-seconds into pass.stop_timeout, once per pass.
Status LoadStopTimeout(AppPass& pass);

// Runs fn(0..n-1) with at most `parallel` at once; returns when all are done.
void ParallelFor(int n, int parallel, const std::function<void(int)>& fn);

// Stops (with the app's stop timeout) and removes a container; gone already is fine.
Status StopAndRemove(DockerApi* docker, const std::string& id, int stop_timeout);

}  // namespace dokku

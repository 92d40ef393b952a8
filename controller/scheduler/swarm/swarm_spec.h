// What the docker-swarm scheduler is asked to run (SwarmDesired) and the pure mapping of one
// process type onto a Swarm service spec: name, labels, command, env, restart and update policy,
// published port and a healthcheck derived from CHECKS. No I/O.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/model/app_json.h"
#include "controller/model/checks_file.h"
#include "controller/model/upstream.h"
#include "controller/scheduler/swarm/swarm_api.h"
#include "store/status.h"
#include "store/text.h"

namespace dokku {

// Service labels beyond naming.h's: a hash of the whole spec dokkud sent (an unchanged app
// makes no update call) and, on task containers, a hash of the task template (tells a current
// task from one of the previous spec during a rolling update).
inline constexpr char kLabelSwarmSpec[] = "com.dokkud.swarm-spec";
inline constexpr char kLabelSwarmTask[] = "com.dokkud.swarm-task";
// Task containers carry these instead of com.dokkud.store, so that the docker-local reconciler
// (which lists containers by com.dokkud.store) never sees, and never removes, Swarm's containers.
inline constexpr char kLabelScheduler[] = "com.dokkud.scheduler";
inline constexpr char kLabelSwarmStore[] = "com.dokkud.swarm-store";

struct SwarmProc {
  std::string proctype;
  int quantity = 0;
  std::string command;  // "" = the image's CMD
  std::string spec_hash;
  int64_t restart_generation = 0;  // ps:restart: a new value restarts every task (ForceUpdate)
  bool checks_disabled = false;    // stop-first, no healthcheck, no monitor window
  bool checks_skipped = false;     // start-first, no healthcheck, no monitor window
  int parallelism = 1;             // tasks replaced at a time during an update
  // app.json startup and liveness checks of the type: Swarm's healthcheck (which keeps running
  // and replaces a task that turns unhealthy) instead of CHECKS.
  std::vector<HealthCheck> app_json_checks = {};
  // From storage:mount and resource:limit/reserve (HostSettingsOf). Swarm has no memory-swap,
  // GPU count or docker-options equivalent here; those are not applied to services.
  std::vector<ContainerMount> mounts = {};
  int64_t memory = 0, nano_cpus = 0, memory_reservation = 0;
};

// How the web service is published. kIngress: Swarm's routing mesh (one port on every node,
// needs IPVS in the kernel); kHost: an ephemeral port per task on its node, which nginx balances
// like docker-local containers (works without IPVS; nginx must learn new tasks during a rollout,
// see SwarmDesired::on_web_upstreams).
enum class SwarmPublish { kHost, kIngress };

struct SwarmDesired {
  std::string app;
  std::string store_id;
  int64_t release_id = 0;
  std::string image_id;
  bool running = true;           // false (ps:stop): every service at 0 replicas
  std::vector<SwarmProc> procs;  // process types missing here lose their service
  std::string restart_policy = "on-failure:10";
  int stop_timeout_s = 30;
  std::optional<ChecksFile> checks;
  int default_wait_s = 10;
  int web_port = 5000;
  // Config vars as KEY=VALUE (AppPass::EnvOf without DYNO, which is per task here). Swarm
  // expands {{...}} templates in env values, so BuildServiceSpec escapes them.
  std::vector<std::string> env;
  // A failed update is not retried within the same generation (like docker-local's blocked
  // specs); a new generation (any user action) tries again.
  int64_t generation = 0;
  SwarmPublish web_publish = SwarmPublish::kHost;
  // TaskTemplate.Placement of every service: constraints (e.g. node.role==worker) and the most
  // tasks of one service on one node (0: no limit).
  std::vector<std::string> constraints = {};
  int max_replicas_per_node = 0;
  // The image has /bin/sh, wget and grep (busybox or coreutils) for the CHECKS healthcheck.
  bool healthcheck_tools = true;
  // Called while Apply waits, whenever the set of running web tasks' addresses changes, so the
  // proxy follows a rolling update (old tasks stop as soon as their replacement runs).
  std::function<void(const std::vector<Upstream>&)> on_web_upstreams;
};

// `<app>-<proctype>` when that is a valid service name (alphanumerics with inner '-'/'_', at most
// 63 characters); otherwise, or when `disambiguate`, a sanitized prefix plus a hash of both
// (app "a.b" contains a dot; app "a" + proc "b-web" collides with app "a-b" + proc "web").
std::string SwarmServiceName(const std::string& app, const std::string& proctype,
                             bool disambiguate = false);

// A CMD-SHELL healthcheck running every CHECKS entry with wget against 127.0.0.1:<port>; nullopt
// with `*why` set when the file cannot be expressed safely (https, a path, host or expected
// content with whitespace or control characters, no checks at all).
std::optional<SwarmHealthcheck> HealthcheckFromChecks(const ChecksFile& checks, int port,
                                                      std::string* why);
// The same for app.json checks: path (http, wget with the headers, grep for content), listening
// (nc -z), command (the argv, shell-quoted) and uptime (covered by the monitor window); interval
// the shortest wait, retries the most attempts, start period the longest initialDelay.
std::optional<SwarmHealthcheck> HealthcheckFromAppJson(const std::vector<HealthCheck>& checks,
                                                       int port, std::string* why);

// The full spec of one process type, hash labels included. `*note` gets a line worth showing
// the user (why CHECKS is not used as a healthcheck), else stays empty. InvalidArgument for a
// bad restart policy or a negative quantity.
StatusOr<SwarmServiceSpec> BuildServiceSpec(const SwarmDesired& desired, const SwarmProc& proc,
                                            std::string* note);

}  // namespace dokku

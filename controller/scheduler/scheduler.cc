#include "controller/scheduler/scheduler.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <thread>

#include "store/parse_int.h"

namespace dokku {

std::string AppPass::CommandOf(const std::string& proctype) const {
  if (procfile) {
    for (const ProcfileEntry& e : *procfile) {
      if (e.type == proctype) return e.command;
    }
  }
  // ps start-cmd stands in for the image's CMD when no Procfile line says what web runs.
  return proctype == "web" ? start_cmd : "";
}

std::vector<std::string> AppPass::EnvOf(const std::string& proctype, const std::string& dyno,
                                        int web_port) const {
  std::vector<std::string> out;
  out.reserve(env.size() + 2);
  for (const auto& [key, value] : env) {
    // DYNO is always the container's own; PORT is dokkud's for web (it is where nginx and the
    // checks connect), the operator's otherwise.
    if (key == "DYNO" || (key == "PORT" && proctype == "web")) continue;
    out.push_back(key + "=" + value);
  }
  out.push_back("DYNO=" + dyno);
  if (proctype == "web") {
    out.push_back("PORT=" + std::to_string(web_port));
  } else if (!env.count("PORT")) {
    out.push_back("PORT=");
  }
  return out;
}

// A storage mount's host directory is not stat'ed here: mounts go to Docker as HostConfig.Mounts
// binds, whose create fails with "bind source path does not exist" (Binds would create an empty
// root-owned directory instead). Docker checks on the host that runs the container (right even
// for a remote DOCKER_HOST, and without a stat-then-create race); the failed create fails the
// rollout like failed checks: terminal, the old containers keep serving, and the spec is not
// retried until the next generation (no crash loop).
HostSettings HostSettingsOf(const AppPass& pass, const std::string& proctype,
                            const std::string& phase) {
  HostSettings out;
  for (const StorageMount& m : pass.mounts) {
    if (m.phases.find(phase) == std::string::npos) continue;
    if (m.process_type != kDefaultProcessType && m.process_type != proctype) continue;
    ContainerMount c;
    c.type = m.IsVolume() ? "volume" : "bind";
    c.source = m.host_path;
    c.target = m.container_path;
    for (const std::string& o : m.options) {
      if (o == "ro") c.read_only = true;
      if (o == "nocopy") c.no_copy = true;
      if (o != "ro" && o != "rw" && o != "nocopy") c.propagation = o;  // validated at mount
    }
    out.mounts.push_back(std::move(c));
  }
  out.resources = EffectiveResources(pass.resources, proctype);
  for (const char* scope : {kDefaultProcessType, proctype.c_str()}) {
    for (const DockerOption& o : pass.docker_options) {
      if (o.phase != phase || o.process_type != scope) continue;
      // Stored options were validated by docker-options:add; one that no longer parses is
      // skipped rather than failing every deploy.
      (void)ApplyDockerOption(o.option, &out.options);
    }
  }
  return out;
}

// A stable text of what docker-options set.
static std::string OptionsKey(const DockerRunOptions& o) {
  std::string key =
      fmt::format("mem={},cpu={},net={},shm={}", o.memory, o.nano_cpus, o.network, o.shm_size);
  auto list = [&](const char* name, const std::vector<std::string>& values) {
    for (const std::string& v : values) key += fmt::format("|{}={}", name, v);
  };
  list("bind", o.binds);
  list("host", o.extra_hosts);
  list("capadd", o.cap_add);
  list("capdrop", o.cap_drop);
  list("env", o.env);
  for (const auto& [k, v] : o.labels) key += fmt::format("|label={}={}", k, v);
  for (const Ulimit& u : o.ulimits) key += fmt::format("|ulimit={}={}:{}", u.name, u.soft, u.hard);
  return key;
}

std::string HostSettings::HashKey() const {
  const bool no_options = options == DockerRunOptions{};
  if (mounts.empty() && resources == ContainerResources{} && no_options) return "";
  std::string key =
      fmt::format("mem={},swap={},res={},cpu={},gpu={}", resources.memory, resources.memory_swap,
                  resources.memory_reservation, resources.nano_cpus, resources.gpus);
  for (const ContainerMount& m : mounts) {
    key += fmt::format("|{}:{}:{}:{}:{}:{}", m.type, m.source, m.target, m.read_only, m.propagation,
                       m.no_copy);
  }
  if (!no_options) key += "|opts:" + OptionsKey(options);
  return key;
}

void ApplyHostSettings(const HostSettings& settings, ContainerSpec* spec) {
  spec->mounts = settings.mounts;
  spec->memory = settings.resources.memory;
  spec->memory_swap = settings.resources.memory_swap;
  spec->memory_reservation = settings.resources.memory_reservation;
  spec->nano_cpus = settings.resources.nano_cpus;
  spec->gpus = settings.resources.gpus;
  const DockerRunOptions& o = settings.options;
  if (spec->memory == 0) spec->memory = o.memory;
  if (spec->nano_cpus == 0) spec->nano_cpus = o.nano_cpus;
  spec->binds = o.binds;
  spec->network_mode = o.network;
  spec->extra_hosts = o.extra_hosts;
  for (const Ulimit& u : o.ulimits) spec->ulimits.push_back({u.name, u.soft, u.hard});
  spec->shm_size = o.shm_size;
  spec->cap_add = o.cap_add;
  spec->cap_drop = o.cap_drop;
  spec->env.insert(spec->env.begin(), o.env.begin(), o.env.end());  // DYNO, PORT come last
  for (const auto& [k, v] : o.labels) spec->labels.emplace(k, v);   // ours stay
}

int SettingInt(const std::string& value, int fallback) {
  std::optional<int64_t> v =
      ParseInt(value, std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
  return v ? static_cast<int>(*v) : fallback;
}

Status LoadStopTimeout(AppPass& pass) {
  if (pass.stop_timeout) return Status::Ok();
  StatusOr<std::string> stop =
      pass.store->ComputedProperty("ps", pass.app, "stop-timeout-seconds", "30");
  if (!stop.ok()) return stop.status();
  pass.stop_timeout = SettingInt(*stop, 30);
  return Status::Ok();
}

void ParallelFor(int n, int parallel, const std::function<void(int)>& fn) {
  if (n <= 0) return;
  if (n == 1 || parallel <= 1) {
    for (int i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < std::min(n, parallel); ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) fn(i);
    });
  }
  for (std::thread& t : threads) t.join();
}

Status StopAndRemove(DockerApi* docker, const std::string& id, int stop_timeout) {
  Status st = docker->StopContainer(id, stop_timeout);
  if (!st.ok() && !st.IsNotFound()) return st;
  return docker->RemoveContainer(id);
}

}  // namespace dokku

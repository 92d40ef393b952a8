#include "controller/scheduler/scheduler.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <thread>

#include "store/parse_int.h"

namespace dokku {

std::string AppPass::CommandOf(const std::string& proctype) const {
  if (!procfile) return "";
  for (const ProcfileEntry& e : *procfile) {
    if (e.type == proctype) return e.command;
  }
  return "";
}

HostSettings HostSettingsOf(const AppPass& pass, const std::string& proctype) {
  HostSettings out;
  for (const StorageMount& m : pass.mounts) {
    if (m.phases.find("deploy") == std::string::npos) continue;
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
  return out;
}

std::string HostSettings::HashKey() const {
  if (mounts.empty() && resources == ContainerResources{}) return "";
  std::string key =
      fmt::format("mem={},swap={},res={},cpu={},gpu={}", resources.memory, resources.memory_swap,
                  resources.memory_reservation, resources.nano_cpus, resources.gpus);
  for (const ContainerMount& m : mounts) {
    key += fmt::format("|{}:{}:{}:{}:{}:{}", m.type, m.source, m.target, m.read_only, m.propagation,
                       m.no_copy);
  }
  return key;
}

void ApplyHostSettings(const HostSettings& settings, ContainerSpec* spec) {
  spec->mounts = settings.mounts;
  spec->memory = settings.resources.memory;
  spec->memory_swap = settings.resources.memory_swap;
  spec->memory_reservation = settings.resources.memory_reservation;
  spec->nano_cpus = settings.resources.nano_cpus;
  spec->gpus = settings.resources.gpus;
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

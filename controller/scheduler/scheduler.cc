#include "controller/scheduler/scheduler.h"

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

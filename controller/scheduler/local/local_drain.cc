// LocalScheduler: draining old web containers. Once the proxy has moved traffic off them (a cutover
// or a scale-down), they get SIGTERM as soon as the proxy reports no request in flight to them
// (Dokku sends SIGTERM on deploy since 0.35), so they can finish their work within
// stop-timeout-seconds; the retirement at wait-to-retire then stops (what is left) and removes
// them. A proxy that cannot count requests per peer (nginx without the lua module: traffic
// leaves when the asynchronous reload finishes, which nobody can see) keeps today's behaviour:
// no early signal, stop at wait-to-retire.
#include <fmt/format.h>

#include <algorithm>

#include "controller/env/log.h"
#include "controller/scheduler/local/local_scheduler.h"

namespace dokku {

namespace {

// How long one pass waits for in-flight requests before leaving the old container to its
// retirement (which comes at wait-to-retire and stops it with stop-timeout-seconds). Requests
// usually finish in milliseconds; a long one (a websocket, a download) must not hold the deploy.
constexpr int64_t kMaxDrainWaitMs = 2000;
constexpr int64_t kDrainPollMs = 20;

}  // namespace

bool LocalScheduler::DrainAndTerminate(AppPass& pass, const std::vector<std::string>& ids) {
  if (ids.empty()) return true;
  if (proxy_ == nullptr || !options_.proxy_enabled) return false;
  struct Draining {
    std::string id;
    Upstream peer;
    bool done = false;
  };
  std::vector<Draining> draining;
  for (const std::string& id : ids) {
    StatusOr<ContainerInfo> info = InspectCached(id, "running");
    if (!info.ok() || info->ip.empty()) continue;
    draining.push_back({id, {info->ip, WebPortLabel(info->labels, pass.web_port)}});
  }
  if (draining.empty()) return true;
  StatusOr<int64_t> probe = proxy_->ActiveRequests(draining.front().peer);
  if (!probe.ok() && !probe.status().IsUnavailable()) return false;  // the proxy cannot tell
  const int64_t deadline =
      clock_->NowMs() + std::min<int64_t>(pass.wait_to_retire * 1000LL, kMaxDrainWaitMs);
  // A balancer that read the old peers an instant before the switch counts its request right
  // after: one poll interval of grace before the first look that counts.
  if (!sleeper_->SleepFor(kDrainPollMs)) return false;
  while (true) {
    bool all = true;
    for (Draining& d : draining) {
      if (d.done) continue;
      StatusOr<int64_t> active = proxy_->ActiveRequests(d.peer);
      if (!active.ok() && !active.status().IsUnavailable()) return false;  // cannot tell
      if (!active.ok() || *active > 0) {
        all = false;
        continue;
      }
      // Exiting on SIGTERM is not a failure to restart from (the default on-failure policy
      // would bring it back).
      Status policy = docker_->UpdateRestartPolicy(d.id, "no");
      if (!policy.ok() && !policy.IsNotFound()) {
        Log(LogLevel::kWarning, "{}: restart policy of {}: {}", pass.app, d.id.substr(0, 12),
            policy.message());
      }
      Status st = docker_->KillContainer(d.id, "SIGTERM");
      if (!st.ok() && !st.IsNotFound()) {
        Log(LogLevel::kWarning, "{}: SIGTERM to {}: {}", pass.app, d.id.substr(0, 12),
            st.message());
      }
      d.done = true;
      pass.docker_changed = true;
    }
    if (all) return true;
    if (clock_->NowMs() >= deadline || !sleeper_->SleepFor(kDrainPollMs)) return false;
  }
}

}  // namespace dokku

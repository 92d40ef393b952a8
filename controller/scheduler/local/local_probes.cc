// LocalScheduler: app.json liveness and readiness checks on live containers (beyond Dokku, whose
// docker-local ignores both). Each pass probes the containers whose next probe is due, one
// attempt per check, and asks to be called again when the next one is. `attempts` failures in
// a row: liveness replaces the container start-first (it leaves the proxy at once), no more
// often than a per-index backoff allows; readiness takes a web container out of the proxy until
// a probe passes again.
#include <fmt/format.h>

#include <algorithm>

#include "controller/env/log.h"
#include "controller/model/naming.h"
#include "controller/scheduler/local/local_scheduler.h"

namespace dokku {

namespace {

// Replacements of one index after failed liveness: 10 s, 20 s, ... up to 5 min apart.
constexpr int64_t kReplaceBackoffBaseMs = 10'000;
constexpr int64_t kReplaceBackoffMaxMs = 300'000;

int64_t Later(int64_t current, int64_t candidate) {
  return current == 0 || candidate < current ? candidate : current;
}

}  // namespace

void LocalScheduler::ProbeLive(AppPass& pass, const std::vector<ActualContainer>& actual,
                               DesiredApp* desired, int64_t* requeue_ms) {
  if (!pass.app_json || !desired->running) return;
  const int64_t now = clock_->NowMs();
  std::lock_guard<std::mutex> lock(probe_mu_);
  AppProbes& app = probes_[pass.app];
  std::map<std::string, ContainerProbes> seen;
  for (const ActualContainer& c : actual) {
    if (c.role != ContainerRole::kLive || c.state != "running") continue;
    std::vector<HealthCheck> live =
        ChecksOf(*pass.app_json, c.proctype, HealthCheckType::kLiveness);
    std::vector<HealthCheck> ready =
        ChecksOf(*pass.app_json, c.proctype, HealthCheckType::kReadiness);
    if (live.empty() && ready.empty()) continue;
    ContainerProbes state = app.containers.count(c.id) ? app.containers[c.id] : ContainerProbes{};
    if (state.next_at == 0) {
      int delay = 0;
      for (const HealthCheck& h : live) delay = std::max(delay, h.initial_delay);
      for (const HealthCheck& h : ready) delay = std::max(delay, h.initial_delay);
      state.next_at = now + delay * 1000LL;
    }
    if (now >= state.next_at) ProbeOne(pass, c, live, ready, &state, now);
    if (state.live_failures > 0 && state.live_failures >= MinAttempts(live)) {
      const std::string slot = fmt::format("{}.{}", c.proctype, c.index);
      auto& [until, count] = app.backoff[slot];
      if (now >= until) {
        pass.emit(kWarn, fmt::format("Liveness checks failed {} times; replacing {}",
                                     state.live_failures, slot));
        desired->replace_ids.insert(c.id);
        ++count;
        until =
            now + std::min(kReplaceBackoffBaseMs << std::min(count - 1, 10), kReplaceBackoffMaxMs);
      } else {
        *requeue_ms = Later(*requeue_ms, until - now);
      }
    }
    *requeue_ms = Later(*requeue_ms, std::max<int64_t>(state.next_at - now, 1));
    seen[c.id] = state;
  }
  app.containers = std::move(seen);
  app.unserving.clear();
  for (const auto& [id, state] : app.containers) {
    if (!state.ready || (state.live_failures > 0 && state.live_failures >= state.live_attempts))
      app.unserving.insert(id);
  }
}

int LocalScheduler::MinAttempts(const std::vector<HealthCheck>& checks) {
  int attempts = 0;
  for (const HealthCheck& h : checks)
    attempts = attempts == 0 ? h.attempts : std::min(attempts, h.attempts);
  return attempts;
}

void LocalScheduler::ProbeOne(AppPass& pass, const ActualContainer& c,
                              const std::vector<HealthCheck>& live,
                              const std::vector<HealthCheck>& ready, ContainerProbes* state,
                              int64_t now) {
  StatusOr<ContainerInfo> info = InspectCached(c.id, c.state);
  if (!info.ok()) return;
  const CheckTarget target{c.proctype, c.index, info->ip,
                           WebPortLabel(info->labels, pass.web_port)};
  const std::string dyno = fmt::format("{}.{}", c.proctype, c.index);
  int wait = 0;
  auto probe = [&](const std::vector<HealthCheck>& checks, const char* kind) {
    bool ok = true;
    for (const HealthCheck& h : checks) {
      wait = wait == 0 ? h.wait : std::min(wait, h.wait);
      const std::string failure = AttemptHealthCheck(h, c.id, target, docker_, prober_);
      if (failure.empty()) continue;
      ok = ok && h.warn;
      pass.emit(kWarn,
                fmt::format("{} check failed name='{}' ({}): {}", kind, h.name, dyno, failure));
    }
    return ok;
  };
  if (!live.empty()) {
    state->live_attempts = MinAttempts(live);
    state->live_failures = probe(live, "Liveness") ? 0 : state->live_failures + 1;
  }
  if (!ready.empty()) {
    const bool passed = probe(ready, "Readiness");
    state->ready_failures = passed ? 0 : state->ready_failures + 1;
    const bool was_ready = state->ready;
    if (passed) state->ready = true;
    if (state->ready_failures >= MinAttempts(ready)) state->ready = false;
    if (was_ready != state->ready) {
      pass.emit(kInfo1, state->ready ? fmt::format("{} is ready again; back in the proxy", dyno)
                                     : fmt::format("{} is not ready; out of the proxy", dyno));
    }
  }
  state->next_at = now + std::max(wait, 1) * 1000LL;
}

bool LocalScheduler::Unserving(const std::string& app, const std::string& id) {
  std::lock_guard<std::mutex> lock(probe_mu_);
  auto it = probes_.find(app);
  return it != probes_.end() && it->second.unserving.count(id) > 0;
}

}  // namespace dokku

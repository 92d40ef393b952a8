// app.json startup checks (RunAppJsonChecks): one entry at a time, each with its own attempts,
// wait, timeout and initial delay, reported in the deploy log per container.
#include <fmt/format.h>

#include "controller/checks/checks_runner.h"

namespace dokku {
namespace {

std::string PathFailure(const HttpResult& r, const HealthCheck& check) {
  if (!r.transport_ok) return r.error.empty() ? "curl: request failed" : r.error;
  if (r.status < 200 || r.status >= 300) return fmt::format("unexpected status code {}", r.status);
  if (r.body.find(check.content) == std::string::npos) {
    return fmt::format("expected content not found: \"{}\"", check.content);
  }
  return "";
}

// Returns false if a sleep was interrupted; *passed says how the check ended.
bool RunOne(const HealthCheck& check, const std::string& container_id, const CheckTarget& target,
            DockerApi* docker, HttpProber* prober, Sleeper* sleeper, const Emit& emit,
            bool* passed) {
  const std::string dyno = Dyno(target);
  *passed = false;
  emit(kVerbose,
       fmt::format("Running healthcheck name='{}' type='{}' attempts={} wait={} ({})", check.name,
                   HealthCheckKindName(check.kind), check.attempts, check.wait, dyno));
  if (!sleeper->SleepFor(int64_t{check.initial_delay} * 1000)) return false;
  // An uptime check is one look after that long; the others are retried.
  const bool uptime = check.kind == HealthCheckKind::kUptime;
  if (uptime && !sleeper->SleepFor(int64_t{check.uptime} * 1000)) return false;
  const int attempts = uptime ? 1 : check.attempts;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (attempt > 1 && !sleeper->SleepFor(int64_t{check.wait} * 1000)) return false;
    const std::string failure = AttemptHealthCheck(check, container_id, target, docker, prober);
    if (failure.empty()) {
      emit(kVerbose, fmt::format("Healthcheck succeeded name='{}' ({})", check.name, dyno));
      *passed = true;
      return true;
    }
    emit(kWarn, fmt::format("Healthcheck attempt {}/{} failed name='{}' ({}): {}", attempt,
                            attempts, check.name, dyno, failure));
  }
  emit(kWarn, fmt::format("Healthcheck failed name='{}'{} ({})", check.name,
                          check.warn ? " (warn only, not counted)" : "", dyno));
  *passed = check.warn;
  return true;
}

}  // namespace

std::string AttemptHealthCheck(const HealthCheck& check, const std::string& container_id,
                               const CheckTarget& target, DockerApi* docker, HttpProber* prober) {
  const int port = check.port > 0 ? check.port : target.port;
  switch (check.kind) {
    case HealthCheckKind::kPath: {
      HttpCheckRequest request{check.scheme, target.ip, port, check.path, "", check.timeout, {}};
      for (const HttpHeader& h : check.headers) request.headers.emplace_back(h.name, h.value);
      return PathFailure(prober->Get(request), check);
    }
    case HealthCheckKind::kListening:
      return prober->Connect(target.ip, port, check.timeout);
    case HealthCheckKind::kCommand: {
      StatusOr<ExecResult> ran = docker->Exec(container_id, check.command, check.timeout);
      if (!ran.ok()) return ran.status().message();
      if (ran->exit_code == 0) return "";
      return fmt::format("command exited with code {}", ran->exit_code);
    }
    case HealthCheckKind::kUptime: {
      StatusOr<ContainerInfo> info = docker->InspectContainer(container_id);
      if (!info.ok()) return info.status().message();
      if (!info->running) return fmt::format("container is {}", info->state);
      if (info->restart_count != 0) return "container restarted";
      return "";
    }
  }
  return "unknown check";
}

CheckOutcome RunAppJsonChecks(const std::vector<HealthCheck>& checks,
                              const std::string& container_id, const CheckTarget& target,
                              DockerApi* docker, HttpProber* prober, Sleeper* sleeper,
                              const Emit& emit) {
  return RunEachCheck(checks.size(), target, emit, [&](size_t i, bool* passed) {
    return RunOne(checks[i], container_id, target, docker, prober, sleeper, emit, passed);
  });
}

}  // namespace dokku

#include "controller/scheduler/swarm/swarm_spec.h"

#include <fmt/format.h>

#include <algorithm>

#include "controller/docker/docker_codec.h"
#include "controller/model/naming.h"

namespace dokku {
namespace {

constexpr int64_t kNanos = 1'000'000'000;
constexpr size_t kMaxServiceName = 63;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Swarm's rule for service names: alphanumerics, '-' and '_' only between alphanumerics.
bool ValidServiceName(const std::string& name) {
  if (name.empty() || name.size() > kMaxServiceName) return false;
  if (!IsAlnum(name.front()) || !IsAlnum(name.back())) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_'; });
}

// Printable ASCII without spaces: safe inside single quotes and a URL.
bool PlainUrlText(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// grep -F reads one pattern per line, so the expected text must be a single line; control
// characters are refused outright (bytes >= 0x80, UTF-8, are fine).
bool SingleLineText(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || (u >= ' ' && u != 0x7f);
  });
}

bool HostText(const std::string& s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsAlnum(c) || c == '.' || c == '-' || c == ':'; });
}

// GET http://127.0.0.1:<port><path> with `headers` ("Name: value"), passing when the body holds
// `content` ("" : any body). No `wget -T`: some static busybox builds crash on it; the
// healthcheck's Timeout bounds the run.
std::string WgetCommand(const std::vector<std::string>& headers, int port, const std::string& path,
                        const std::string& content) {
  std::string cmd = "wget -q -O-";
  // Built with fmt::format rather than `" " + std::string`: GCC 12 at -O3 reports a false
  // -Wrestrict in std::operator+(const char*, std::string&&) (GCC bug 105651).
  for (const std::string& h : headers) cmd += fmt::format(" --header {}", ShellQuote(h));
  cmd += fmt::format(" {}", ShellQuote(fmt::format("http://127.0.0.1:{}{}", port, path)));
  if (content.empty()) return cmd + " >/dev/null";
  return fmt::format("{} | grep -qF -e {}", cmd, ShellQuote(content));
}

std::string CheckCommand(const CheckSpec& check, int port) {
  std::vector<std::string> headers;
  if (!check.host.empty()) headers.push_back(fmt::format("Host: {}", check.host));
  return WgetCommand(headers, port, check.path, check.expected);
}

Status RestartPolicyFor(const std::string& policy, SwarmServiceSpec* spec) {
  StatusOr<RestartPolicy> parsed = ParseRestartPolicy(policy);
  if (!parsed.ok()) return parsed.status();
  if (parsed->name == "on-failure") {
    spec->restart_condition = "on-failure";
    spec->restart_max_attempts = parsed->max_retries;
  } else if (parsed->name == "always" || parsed->name == "unless-stopped") {
    spec->restart_condition = "any";
    spec->restart_max_attempts = 0;
  } else {
    spec->restart_condition = "none";
    spec->restart_max_attempts = 0;
  }
  return Status::Ok();
}

// One app.json check as a shell command run inside the task; "" with *why when it cannot be.
std::string AppJsonCheckCommand(const HealthCheck& check, int port, std::string* why) {
  const int target = check.port > 0 ? check.port : port;
  switch (check.kind) {
    case HealthCheckKind::kListening:
      return fmt::format("nc -z 127.0.0.1 {}", target);
    case HealthCheckKind::kCommand: {
      std::string cmd;
      for (const std::string& word : check.command) {
        if (!cmd.empty()) cmd += ' ';
        cmd += ShellQuote(word);  // appended: GCC 12 -O3 misreads "x" + temporary (-Wrestrict)
      }
      return cmd;
    }
    case HealthCheckKind::kPath: {
      if (check.scheme != "http" || !PlainUrlText(check.path) || !SingleLineText(check.content)) {
        *why = fmt::format("check '{}' cannot run inside the container", check.name);
        return "";
      }
      std::vector<std::string> headers;
      for (const HttpHeader& h : check.headers)
        headers.push_back(fmt::format("{}: {}", h.name, h.value));
      return WgetCommand(headers, target, check.path, check.content);
    }
    case HealthCheckKind::kUptime:
      return "true";  // the update's monitor window
  }
  return "true";
}

// The healthcheck (web only for CHECKS, any type for app.json) and the monitor window.
void ChecksFor(const SwarmDesired& desired, const SwarmProc& proc, SwarmServiceSpec* spec,
               std::string* note) {
  if (proc.checks_disabled || proc.checks_skipped) {
    spec->update.monitor_ns = 0;
    return;
  }
  spec->update.monitor_ns = std::max(desired.default_wait_s, 1) * kNanos;
  if (!proc.app_json_checks.empty()) {
    std::string why;
    if (desired.healthcheck_tools)
      spec->healthcheck = HealthcheckFromAppJson(proc.app_json_checks, desired.web_port, &why);
    if (!spec->healthcheck) {
      *note = fmt::format(
          "app.json checks not used as a Swarm healthcheck ({}); using the uptime "
          "check",
          desired.healthcheck_tools ? why : "the image lacks /bin/sh and wget");
      return;
    }
    spec->update.monitor_ns = spec->healthcheck->interval_ns;
    return;
  }
  if (proc.proctype != "web" || !desired.checks || desired.checks->checks.empty()) return;
  if (!desired.healthcheck_tools) {
    *note = "CHECKS not used: the image lacks /bin/sh and wget; using the uptime check";
    return;
  }
  std::string why;
  spec->healthcheck = HealthcheckFromChecks(*desired.checks, desired.web_port, &why);
  if (!spec->healthcheck) {
    *note = fmt::format("CHECKS not used as a Swarm healthcheck ({}); using the uptime check", why);
    return;
  }
  // A task only counts as running once healthy; watching it for one more interval catches an
  // app that passes once and then falls over.
  spec->update.monitor_ns = spec->healthcheck->interval_ns;
}

}  // namespace

std::string SwarmServiceName(const std::string& app, const std::string& proctype,
                             bool disambiguate) {
  const std::string plain = app + "-" + proctype;
  if (!disambiguate && ValidServiceName(plain)) return plain;
  std::string prefix;
  for (char c : plain.substr(0, 54)) prefix.push_back(IsAlnum(c) || c == '_' ? c : '-');
  while (!prefix.empty() && !IsAlnum(prefix.back())) prefix.pop_back();
  const std::string hash = StableHash(app + "\n" + proctype).substr(0, 8);
  return prefix.empty() ? "s-" + hash : prefix + "-" + hash;
}

std::optional<SwarmHealthcheck> HealthcheckFromChecks(const ChecksFile& checks, int port,
                                                      std::string* why) {
  if (checks.checks.empty()) {
    *why = "no checks";
    return std::nullopt;
  }
  std::vector<std::string> commands;
  for (const CheckSpec& check : checks.checks) {
    const std::string url = DisplayUrl(check);
    if (check.scheme != "http") {
      *why = fmt::format("{}: only http checks can run inside the container", url);
      return std::nullopt;
    }
    if (check.path.empty() || check.path[0] != '/' || !PlainUrlText(check.path)) {
      *why = fmt::format("{}: the path must be printable without spaces", url);
      return std::nullopt;
    }
    if (!HostText(check.host)) {
      *why = fmt::format("{}: unsupported host", url);
      return std::nullopt;
    }
    if (!SingleLineText(check.expected)) {
      *why = fmt::format("{}: the expected content must be one line of text", url);
      return std::nullopt;
    }
    commands.push_back(CheckCommand(check, port));
  }
  std::string shell;
  for (const std::string& c : commands) shell += (shell.empty() ? "" : " && ") + c;
  SwarmHealthcheck h;
  h.test = {"CMD-SHELL", shell};
  h.interval_ns = std::max(checks.wait, 1) * kNanos;
  h.timeout_ns =
      static_cast<int64_t>(checks.timeout) * static_cast<int64_t>(commands.size()) * kNanos;
  h.retries = checks.attempts;
  return h;
}

std::optional<SwarmHealthcheck> HealthcheckFromAppJson(const std::vector<HealthCheck>& checks,
                                                       int port, std::string* why) {
  std::string shell;
  SwarmHealthcheck h;
  int wait = 0, attempts = 1, delay = 0;
  int64_t timeout_s = 0;
  for (const HealthCheck& check : checks) {
    const std::string cmd = AppJsonCheckCommand(check, port, why);
    if (cmd.empty()) return std::nullopt;
    shell += (shell.empty() ? "" : " && ") + cmd;
    wait = wait == 0 ? std::max(check.wait, 1) : std::min(wait, std::max(check.wait, 1));
    attempts = std::max(attempts, check.attempts);
    delay = std::max({delay, check.initial_delay, check.uptime});
    timeout_s += check.timeout;
  }
  if (shell.empty()) {
    *why = "no checks";
    return std::nullopt;
  }
  h.test = {"CMD-SHELL", shell};
  h.interval_ns = wait * kNanos;
  h.timeout_ns = std::max<int64_t>(timeout_s, 1) * kNanos;
  h.start_period_ns = delay * kNanos;
  h.retries = attempts;
  return h;
}

StatusOr<SwarmServiceSpec> BuildServiceSpec(const SwarmDesired& desired, const SwarmProc& proc,
                                            std::string* note) {
  if (proc.quantity < 0) {
    return Status::InvalidArgument(fmt::format("negative quantity for {}", proc.proctype));
  }
  const bool web = proc.proctype == "web";
  SwarmServiceSpec spec;
  spec.name = SwarmServiceName(desired.app, proc.proctype);
  spec.image = desired.image_id;
  // Like docker-local: the Procfile command runs in the image's shell and replaces CMD only.
  if (!proc.command.empty()) spec.args = {"/bin/sh", "-c", proc.command};
  spec.env.clear();
  bool port_set = false;
  for (const std::string& kv : desired.env) {
    const std::string key = kv.substr(0, kv.find('='));
    if (key == "DYNO" || (key == "PORT" && web)) continue;
    port_set = port_set || key == "PORT";
    spec.env.push_back(EscapeGoTemplate(kv));
  }
  spec.env.push_back(fmt::format("DYNO={}.{{{{.Task.Slot}}}}", proc.proctype));
  if (web) {
    spec.env.push_back(fmt::format("PORT={}", desired.web_port));
  } else if (!port_set) {
    spec.env.push_back("PORT=");
  }
  const std::string release = std::to_string(desired.release_id);
  spec.container_labels = {
      {kLabelApp, desired.app},
      {kLabelProcType, proc.proctype},
      {kLabelContainerType, "deploy"},
      {kLabelRelease, release},
      {kLabelSpecHash, proc.spec_hash},
      {kLabelScheduler, "docker-swarm"},
      {kLabelSwarmStore, desired.store_id},
      {"dokku", ""},
      {"org.label-schema.schema-version", "1.0"},
      {"org.label-schema.vendor", "dokku"},
  };
  spec.init = true;
  spec.mounts = proc.mounts;
  spec.limit_memory = proc.memory;
  spec.limit_nano_cpus = proc.nano_cpus;
  spec.reserve_memory = proc.memory_reservation;
  spec.constraints = desired.constraints;
  spec.max_replicas_per_node = std::max(desired.max_replicas_per_node, 0);
  spec.stop_grace_ns = static_cast<int64_t>(std::max(desired.stop_timeout_s, 0)) * kNanos;
  DOKKU_RETURN_IF_ERROR(RestartPolicyFor(desired.restart_policy, &spec));
  spec.force_update = static_cast<uint64_t>(std::max<int64_t>(proc.restart_generation, 0));
  spec.replicas = desired.running ? proc.quantity : 0;

  note->clear();
  spec.update.parallelism = std::max(proc.parallelism, 1);
  spec.update.order = proc.checks_disabled ? "stop-first" : "start-first";
  spec.update.failure_action = "rollback";
  ChecksFor(desired, proc, &spec, note);
  spec.rollback = spec.update;
  spec.rollback.failure_action = "pause";
  if (web) {
    spec.ports = {
        {desired.web_port, 0, desired.web_publish == SwarmPublish::kIngress ? "ingress" : "host"}};
  }

  StatusOr<std::string> task = EncodeTaskTemplate(spec);
  if (!task.ok()) return task.status();
  spec.container_labels[kLabelSwarmTask] = StableHash(*task);
  spec.labels = {
      {kLabelApp, desired.app}, {kLabelProcType, proc.proctype},  {kLabelStore, desired.store_id},
      {kLabelRelease, release}, {kLabelSpecHash, proc.spec_hash},
  };
  // The name is left out: an existing service keeps the name it was created with.
  SwarmServiceSpec unnamed = spec;
  unnamed.name.clear();
  StatusOr<std::string> whole = EncodeServiceSpec(unnamed);
  if (!whole.ok()) return whole.status();
  spec.labels[kLabelSwarmSpec] = StableHash(*whole);
  return spec;
}

}  // namespace dokku

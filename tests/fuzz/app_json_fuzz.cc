// libFuzzer target for ParseAppJson: never crashes, and accepted files are within bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "controller/model/app_json.h"
#include "controller/model/procfile.h"

namespace {

bool In(int v, int min, int max) { return v >= min && v <= max; }

bool CheckIsValid(const dokku::HealthCheck& c) {
  if (!In(c.attempts, 1, 100) || !In(c.wait, 0, 3600) || !In(c.timeout, 1, 3600) ||
      !In(c.initial_delay, 0, 3600) || !In(c.uptime, 0, 86400) || !In(c.port, 0, 65535)) {
    return false;
  }
  if (c.name.empty() || c.path.empty() || c.path[0] != '/') return false;
  if (c.path.find_first_of(" \t\r\n") != std::string::npos) return false;
  if (c.scheme != "http" && c.scheme != "https") return false;
  if (c.kind == dokku::HealthCheckKind::kCommand && c.command.empty()) return false;
  for (const dokku::HttpHeader& h : c.headers) {
    if (h.name.empty() || h.name.find_first_of(":\r\n") != std::string::npos) return false;
    if (h.value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  dokku::StatusOr<dokku::AppJson> parsed = dokku::ParseAppJson(text);
  if (!parsed.ok()) {
    const std::string& m = parsed.status().message();
    if (!m.starts_with("app.json: ") || m.find('\n') != std::string::npos) __builtin_trap();
    return 0;
  }
  for (const auto& [proctype, checks] : parsed->healthchecks) {
    if (!dokku::IsValidProcessType(proctype)) __builtin_trap();
    for (const dokku::HealthCheck& check : checks) {
      if (!CheckIsValid(check)) __builtin_trap();
    }
    if (dokku::ChecksOf(*parsed, proctype, dokku::HealthCheckType::kStartup).size() >
        checks.size()) {
      __builtin_trap();
    }
  }
  for (const auto& [proctype, formation] : parsed->formation) {
    if (!dokku::IsValidProcessType(proctype)) __builtin_trap();
    if (formation.quantity && !In(*formation.quantity, 0, 10000)) __builtin_trap();
    if (formation.max_parallel && !In(*formation.max_parallel, 1, 10000)) __builtin_trap();
  }
  if (parsed->predeploy.size() > dokku::kMaxAppJsonScriptSize ||
      parsed->postdeploy.size() > dokku::kMaxAppJsonScriptSize) {
    __builtin_trap();
  }
  return 0;
}

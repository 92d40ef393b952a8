// app.json parsing (spec/dokku-next.md §2): healthchecks, formation and the dokku deploy scripts.
// Pure, no I/O. JSON with // and /* */ comments and trailing commas (Dokku's hujson); text that
// is empty, blank or only comments is {}; unknown keys are ignored; a null value reads as absent.
// Errors are InvalidArgument, one line starting with "app.json: ": syntax errors name the line
// and byte column of the last character the parser read (the end of the offending token), value
// errors the field path, e.g. "healthchecks.web[0].attempts".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace dokku {

inline constexpr size_t kMaxAppJsonSize = 1024 * 1024;
inline constexpr size_t kMaxAppJsonScriptSize = 64 * 1024;

enum class HealthCheckType { kStartup, kLiveness, kReadiness };
enum class HealthCheckKind { kPath, kCommand, kListening, kUptime };

struct HttpHeader {
  std::string name, value;
  bool operator==(const HttpHeader&) const = default;
};

struct HealthCheck {
  HealthCheckType type = HealthCheckType::kStartup;
  HealthCheckKind kind = HealthCheckKind::kUptime;
  std::string name;                 // given, else "<proctype>-<type>-<index>", e.g. "web-startup-0"
  std::string path = "/";           // kPath
  std::string content;              // kPath: literal substring required in the body
  std::string scheme = "http";      // kPath: http | https
  std::vector<HttpHeader> headers;  // kPath: from "httpHeaders": [{"name":..,"value":..}]
  std::vector<std::string> command;  // kCommand: argv run inside the container
  int uptime = 0;                    // kUptime: seconds
  int attempts = 3, wait = 5, timeout = 5, initial_delay = 0;  // "initialDelay"
  int port = 0;                                                // 0: the app's web container port
  bool warn = false;                                           // failure logged, not counted
  bool operator==(const HealthCheck&) const = default;
};

struct Formation {
  std::optional<int> quantity;      // 0..10000
  std::optional<int> max_parallel;  // 1..10000; Dokku ignores <= 0, so those read as absent
  bool operator==(const Formation&) const = default;
};

struct AppJson {
  // Process type -> checks in file order. A listed type keeps its key even when every entry was
  // skipped (no "type") or the list is empty.
  std::map<std::string, std::vector<HealthCheck>> healthchecks;
  std::map<std::string, Formation> formation;
  std::string predeploy;          // scripts.dokku.predeploy ("" = none)
  std::string postdeploy;         // scripts.dokku.postdeploy ("" = none)
  std::string heroku_postdeploy;  // scripts.postdeploy ("" = none)
  bool operator==(const AppJson&) const = default;
};

// Healthcheck entries: "type" is startup | liveness | readiness; an entry without one (absent,
// null or "") is skipped, as Dokku does. The kind is listening (when "listening": true), else
// command, else path, else uptime; an entry with two of path, command, listening: true and
// uptime > 0 is an error ("healthcheck name='<n>' cannot contain both path and command").
// The default name uses the entry's index in healthchecks.<proctype>, counting skipped ones.
// Ranges (integers only): attempts 1..100, wait 0..3600, timeout 1..3600, initialDelay 0..3600,
// uptime 0..86400, port 0..65535, quantity 0..10000. path starts with '/' and has no spaces or
// control characters; command is a non-empty array of strings; header names are HTTP tokens and
// header values have no CR, LF or NUL; scripts have no NUL and at most 64 KiB. Process type
// keys must satisfy IsValidProcessType. Input above 1 MiB, NUL bytes, invalid UTF-8 and nesting
// deeper than 64 levels are errors too.
StatusOr<AppJson> ParseAppJson(std::string_view text);

// Checks of one type for a process type, in file order.
std::vector<HealthCheck> ChecksOf(const AppJson& app_json, const std::string& proctype,
                                  HealthCheckType type);

// "startup", "liveness", "readiness".
std::string_view HealthCheckTypeName(HealthCheckType type);
// "path", "command", "listening", "uptime".
std::string_view HealthCheckKindName(HealthCheckKind kind);

}  // namespace dokku

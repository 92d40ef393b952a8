// Validation of every user-supplied value before it reaches the database. Each function returns
// OK or InvalidArgument with the message Dokku prints (spec/dokku-behaviour.md) where it has one.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "store/status.h"

namespace dokku {

// New apps: ^[a-z0-9][a-z0-9.-]*$, at most 63 characters (it becomes a DNS label and a
// container name).
Status ValidateNewAppName(const std::string& name);
// Existing apps also accept underscores (Dokku's older rule).
Status ValidateAppName(const std::string& name);
// Process types: ^[a-zA-Z0-9][a-zA-Z0-9_-]*$, at most 63 characters (Dokku's Procfile rule).
Status ValidateProcessType(const std::string& proctype);
// Image tags: Docker's rule [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
Status ValidateTag(const std::string& tag);
// Domains: dot-separated DNS labels (lowercase letters, digits, hyphens), at most 253 chars.
Status ValidateDomain(const std::string& domain);

// "a,,b," -> {"a", "b"} and back: the comma lists properties hold (checks, domains).
std::vector<std::string> SplitCommaList(const std::string& s);
// `s` without leading and trailing spaces and tabs.
std::string TrimBlanks(const std::string& s);
std::string JoinCommaList(const std::vector<std::string>& items);
// no | always | unless-stopped | on-failure | on-failure:<0..1000>.
Status ValidateRestartPolicy(const std::string& policy);
// A non-negative integer without sign or spaces, at most `max`.
Status ValidateSeconds(const std::string& value, int max = 86400);
// Parses "<proc>=<count>" as Dokku does (spaces around name/count trimmed), with our stricter
// count rule (integer 0..1000). Messages: Missing count for process type <t> / Invalid count for
// process type <t>.
Status ParseScaleArg(const std::string& arg, std::string* proctype, int* count);

// Config keys: ^[a-zA-Z_][a-zA-Z0-9_]*$ (Dokku's rule), else "Invalid key name: '<key>'".
Status ValidateConfigKey(const std::string& key);
// Config values: any UTF-8 without NUL, at most kMaxConfigValueSize bytes (what an environment
// variable delivered through the Engine API's JSON can carry exactly).
inline constexpr size_t kMaxConfigValueSize = 1 << 20;
Status ValidateConfigValue(const std::string& key, const std::string& value);

}  // namespace dokku

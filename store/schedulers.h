// The schedulers dokkud knows, by the names operators type (`scheduler:set <app> selected NAME`).
// The one list that the store's validation, the CLI's help and reports, and the reconciler's
// choice of backend read; adding a scheduler starts with a line here.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace dokku {

struct SchedulerName {
  std::string_view name;
  std::string_view summary;  // one line, for help
};

inline constexpr std::string_view kDockerLocal = "docker-local";
inline constexpr std::string_view kDockerSwarm = "docker-swarm";
inline constexpr std::string_view kDefaultScheduler = kDockerLocal;

// In the order help lists them; the default first.
std::span<const SchedulerName> KnownSchedulers();
bool IsKnownScheduler(std::string_view name);
// "docker-local, docker-swarm" (with `separator` between the names).
std::string SchedulerNameList(std::string_view separator = ", ");

}  // namespace dokku

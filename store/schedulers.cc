#include "store/schedulers.h"

namespace dokku {
namespace {

constexpr SchedulerName kSchedulers[] = {
    {kDockerLocal, "containers on this host's dockerd"},
    {kDockerSwarm, "one Swarm service per process type"},
};

}  // namespace

std::span<const SchedulerName> KnownSchedulers() { return kSchedulers; }

bool IsKnownScheduler(std::string_view name) {
  for (const SchedulerName& s : kSchedulers) {
    if (s.name == name) return true;
  }
  return false;
}

std::string SchedulerNameList(std::string_view separator) {
  std::string out;
  for (const SchedulerName& s : kSchedulers) {
    if (!out.empty()) out += separator;
    out += s.name;
  }
  return out;
}

}  // namespace dokku

#include "controller/model/naming.h"

#include <fmt/format.h>

#include <limits>
#include <optional>
#include <string_view>

#include "store/parse_int.h"

namespace dokku {

std::string LiveName(const std::string& app, const std::string& proctype, int index) {
  return fmt::format("{}.{}.{}", app, proctype, index);
}

std::string UpcomingName(const std::string& app, const std::string& proctype, int index,
                         const std::string& suffix) {
  return fmt::format("{}.upcoming-{}", LiveName(app, proctype, index), suffix);
}

std::string RetiringName(const std::string& app, const std::string& proctype, int index,
                         int64_t unix_seconds) {
  return fmt::format("{}.{}", LiveName(app, proctype, index), unix_seconds);
}

ContainerRole RoleFromName(const std::string& name, const std::string& app,
                           const std::string& proctype, int index) {
  const std::string live = LiveName(app, proctype, index);
  if (name == live) return ContainerRole::kLive;
  if (name.size() <= live.size() + 1 || name.compare(0, live.size(), live) != 0 ||
      name[live.size()] != '.') {
    return ContainerRole::kOther;
  }
  const std::string rest = name.substr(live.size() + 1);
  if (rest.rfind("upcoming-", 0) == 0) return ContainerRole::kUpcoming;
  for (char c : rest) {
    if (c < '0' || c > '9') return ContainerRole::kOther;
  }
  return ContainerRole::kRetiring;
}

const char* RoleName(ContainerRole role) {
  switch (role) {
    case ContainerRole::kLive:
      return "live";
    case ContainerRole::kUpcoming:
      return "upcoming";
    case ContainerRole::kRetiring:
      return "retiring";
    case ContainerRole::kOther:
      return "other";
  }
  return "other";
}

bool ParseDyno(const std::string& dyno, std::string* proctype, int* index) {
  size_t dot = dyno.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 >= dyno.size()) return false;
  std::optional<int64_t> n =
      ParseInt(std::string_view(dyno).substr(dot + 1), 1, std::numeric_limits<int>::max());
  if (!n) return false;
  *proctype = dyno.substr(0, dot);
  *index = static_cast<int>(*n);
  return true;
}

int WebPortLabel(const std::map<std::string, std::string>& labels, int fallback) {
  auto it = labels.find(kLabelWebPort);
  if (it == labels.end()) return fallback;
  std::optional<int64_t> port = ParseInt(it->second, 1, 65535);
  return port ? static_cast<int>(*port) : fallback;
}

std::string StableHash(const std::string& data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

}  // namespace dokku

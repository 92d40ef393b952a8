#include "controller/scheduler/host_access.h"

#include <fmt/format.h>

#include <filesystem>

namespace dokku {
namespace {

// True when `path`, with "." and ".." resolved lexically and symlinks resolved where they exist,
// lies under `root`.
bool Under(const std::string& path, const std::string& root) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::weakly_canonical(path, ec);
  if (ec) p = std::filesystem::path(path).lexically_normal();
  std::filesystem::path r = std::filesystem::weakly_canonical(root, ec);
  if (ec) r = std::filesystem::path(root).lexically_normal();
  const std::string ps = p.string(), rs = r.string();
  return ps.size() > rs.size() && ps.compare(0, rs.size(), rs) == 0 && ps[rs.size()] == '/';
}

Status Refuse(const std::string& what, const HostAccessPolicy& policy) {
  return Status::FailedPrecondition(fmt::format(
      "{} needs root: dokkud shares its state with a group (--control-group), so host paths "
      "must be under {}",
      what, policy.storage_root));
}

}  // namespace

Status CheckHostAccess(const HostAccessPolicy& policy, const std::vector<StorageMount>& mounts,
                       const std::vector<DockerOption>& options) {
  if (!policy.restricted) return Status::Ok();
  for (const StorageMount& m : mounts) {
    if (!m.IsVolume() && !Under(m.host_path, policy.storage_root))
      return Refuse(fmt::format("storage mount {}", m.Spec()), policy);
  }
  for (const DockerOption& o : options) {
    if (o.phase == "build") continue;  // dokkud builds nothing
    DockerRunOptions parsed;
    if (!ApplyDockerOption(o.option, &parsed).ok()) continue;  // not applied either
    for (const std::string& bind : parsed.binds) {
      const std::string source = bind.substr(0, bind.find(':'));
      if (!source.empty() && source[0] == '/' && !Under(source, policy.storage_root))
        return Refuse(fmt::format("docker option {}", o.option), policy);
    }
    if (!parsed.cap_add.empty() || parsed.network == "host" ||
        parsed.network.starts_with("container:"))
      return Status::FailedPrecondition(fmt::format(
          "docker option {} needs root: dokkud shares its state with a group (--control-group)",
          o.option));
  }
  return Status::Ok();
}

}  // namespace dokku

// storage:ensure-directory, storage:mount, storage:unmount, storage:list, storage:report (spec §4,
// the host:container form). Mounts are desired state: dokkud mounts them into every new deploy
// container, and because they are part of the spec hash a change replaces the app's containers.
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/command_util.h"
#include "cli/report.h"
#include "store/host_config.h"

namespace dokku {
namespace {

std::string StateDir(Context& ctx) { return ctx.Getenv("DOKKU_LIB_ROOT", "/var/lib/dokku"); }

// mount/unmount share the argument rules: exactly <app> <host:container[:opts]>.
int ParseMountArgs(Context& ctx, const Args& args, std::string* app, StorageMount* mount,
                   bool* force) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {{"force"}}, 2, &p, &rc)) return rc;
  *app = Arg(p, 0);
  *force = ctx.force || p.Has("force");
  if (int code = VerifyApp(ctx, *app)) return code;
  StatusOr<StorageMount> parsed = ParseMountSpec(Arg(p, 1));
  if (!parsed.ok()) return ctx.FailStatus(parsed.status());
  *mount = *parsed;
  return kExitOk;
}

int StorageMountCmd(Context& ctx, const Args& args) {
  std::string app;
  StorageMount mount;
  bool force = false;
  if (int rc = ParseMountArgs(ctx, args, &app, &mount, &force)) return rc;
  // The store checks its own process's $DOKKU_LIB_ROOT too; this is the directory we opened.
  if (!force) {
    Status allowed = CheckHostPathAllowed(mount.host_path, StateDir(ctx));
    if (!allowed.ok()) return ctx.FailStatus(allowed);
  }
  // Dokku prints nothing; the new containers follow from the changed spec.
  StatusOr<int64_t> gen = ctx.store().AddStorageMount(app, mount, force);
  return gen.ok() ? kExitOk : ctx.FailStatus(gen.status());
}

int StorageUnmountCmd(Context& ctx, const Args& args) {
  std::string app;
  StorageMount mount;
  bool force = false;
  if (int rc = ParseMountArgs(ctx, args, &app, &mount, &force)) return rc;
  StatusOr<int64_t> gen = ctx.store().RemoveStorageMount(app, mount);
  return gen.ok() ? kExitOk : ctx.FailStatus(gen.status());
}

// Dokku's order: by entry name, then container path (deploy-phase attachments only).
std::vector<StorageMount> SortedDeployMounts(std::vector<StorageMount> mounts) {
  std::erase_if(mounts,
                [](const StorageMount& m) { return m.phases.find("deploy") == m.phases.npos; });
  std::stable_sort(mounts.begin(), mounts.end(), [](const StorageMount& a, const StorageMount& b) {
    return std::pair(a.EntryName(), a.container_path) < std::pair(b.EntryName(), b.container_path);
  });
  return mounts;
}

int StorageListCmd(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {{"format", true}}, 1, &p, &rc)) return rc;
  const std::string app = Arg(p, 0), format = p.Value("format", "text");
  if (int code = VerifyApp(ctx, app)) return code;
  if (format != "text" && format != "json") return ctx.Fail("Invalid --format value specified");
  StatusOr<std::vector<StorageMount>> all = ctx.store().ListStorageMounts(app);
  if (!all.ok()) return ctx.FailStatus(all.status());
  std::vector<StorageMount> mounts = SortedDeployMounts(*all);
  if (format == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const StorageMount& m : mounts) {
      nlohmann::json o = {{"entry_name", m.EntryName()},
                          {"host_path", m.host_path},
                          {"container_path", m.container_path}};
      if (m.ReadOnly()) o["readonly"] = true;
      if (!m.VolumeOptions().empty()) o["volume_options"] = m.VolumeOptions();
      list.push_back(o);
    }
    ctx.Raw(list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return kExitOk;
  }
  ctx.Info1Quiet(fmt::format("{} volume bind-mounts:", app));
  for (const StorageMount& m : mounts) ctx.quiet ? ctx.Raw(m.Spec()) : ctx.Verbose(m.Spec());
  return kExitOk;
}

std::string PhaseMounts(const std::vector<StorageMount>& mounts, const char* phase) {
  std::string out;
  for (const StorageMount& m : mounts) {
    if (m.phases.find(phase) == m.phases.npos) continue;
    out += fmt::format("{}-v {}", out.empty() ? "" : " ", m.Spec());
  }
  return out;
}

StatusOr<ReportFlags> StorageFlags(Store& store, const std::string& app) {
  StatusOr<std::vector<StorageMount>> mounts = store.ListStorageMounts(app);
  if (!mounts.ok()) return mounts.status();
  ReportFlags f = {{"--storage-build-mounts", ""},
                   {"--storage-deploy-mounts", PhaseMounts(*mounts, "deploy")},
                   {"--storage-run-mounts", PhaseMounts(*mounts, "run")}};
  for (size_t i = 0; i < mounts->size(); ++i) {
    const StorageMount& m = (*mounts)[i];
    const std::string k = fmt::format("--storage-attachment.{}.", i + 1);
    f[k + "entry-name"] = m.EntryName();
    f[k + "host-path"] = m.host_path;
    f[k + "container-path"] = m.container_path;
    f[k + "phases"] = m.phases;
    f[k + "process-type"] = m.process_type;
    f[k + "subpath"] = "";
    f[k + "readonly"] = m.ReadOnly() ? "true" : "false";
    f[k + "volume-options"] = m.VolumeOptions();
    f[k + "volume-chown"] = "";
  }
  return f;
}

int StorageReportCmd(Context& ctx, const Args& args) {
  for (const std::string& a : args) {
    if (a == kGlobal) return ctx.Fail("storage:report --global is not supported by dokkud");
  }
  return RunReport(ctx, args, {"storage", true, ""},
                   [&](const std::string& app) { return StorageFlags(ctx.store(), app); });
}

// Creates <state>/data/storage/<dir> and hands it to the uid the app's processes run as.
int StorageEnsureDirectoryCmd(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {{"chown", true}}, 1, &p, &rc)) return rc;
  ctx.Warn("Deprecated: please use 'storage:create' instead of 'storage:ensure-directory'");
  const std::string dir = Arg(p, 0);
  if (dir.empty()) return ctx.Fail("Please specify a directory to create");
  for (char c : dir) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      return ctx.Fail("Directory can only contain the following set of characters: [A-Za-z0-9_-]");
    }
  }
  StatusOr<std::optional<int>> owner = ParseChownOption(p.Value("chown", "herokuish"));
  if (!owner.ok()) return ctx.FailStatus(owner.status());
  const std::string path = fmt::format("{}/data/storage/{}", StateDir(ctx), dir);
  ctx.Info1(fmt::format("Ensuring {} exists", path));
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return ctx.Fail(fmt::format("Unable to create {}: {}", path, ec.message()));
  if (*owner) {
    ctx.Verbose(fmt::format("Setting directory ownership to {}:{}", **owner, **owner));
    if (::chown(path.c_str(), **owner, **owner) != 0) {
      return ctx.Fail(fmt::format("Unable to set ownership of {}: {}", path, std::strerror(errno)));
    }
  }
  ctx.Verbose("Directory ready for mounting");
  return kExitOk;
}

const Command kStorageCommands[] = {
    {"storage:ensure-directory", "storage:ensure-directory [--chown option] <directory>",
     "[DEPRECATED] use storage:create instead", StorageEnsureDirectoryCmd},
    {"storage:list", "storage:list <app> [--format text|json]",
     "List bind mounts for app's container(s) (host:container)", StorageListCmd},
    {"storage:mount", "storage:mount <app> <host-dir:container-dir>", "Create a new bind mount",
     StorageMountCmd},
    {"storage:report", "storage:report [<app>] [<flag>]",
     "Displays a storage report for one or more apps", StorageReportCmd},
    {"storage:unmount", "storage:unmount <app> <host-dir:container-dir>",
     "Remove an existing bind mount", StorageUnmountCmd},
};

}  // namespace

std::span<const Command> StorageCommands() { return kStorageCommands; }

}  // namespace dokku

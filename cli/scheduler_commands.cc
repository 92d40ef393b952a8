// scheduler:set / scheduler:report: which scheduler runs an app's processes (docker-local, the
// default, or docker-swarm). Switching a deployed app moves it without downtime: dokkud starts it
// on the new scheduler, cuts the proxy over, then removes what ran on the old one.
#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "cli/command_util.h"
#include "cli/follow.h"
#include "cli/report.h"
#include "store/schedulers.h"

namespace dokku {
namespace {

// selected: which scheduler runs the app. constraints and max-replicas-per-node: where
// docker-swarm may place its tasks (docker-local ignores them: everything runs on this host).
constexpr const char* kKeys[] = {"selected", "constraints", "max-replicas-per-node"};

int SchedulerSet(Context& ctx, const Args& args) {
  PropertyArgs a;
  int rc = 0;
  if (!ParsePropertyArgs(ctx, args, &a, &rc, /*verify_app=*/true)) return rc;
  const bool global = a.global;
  const std::string &app = a.app, &key = a.key, &value = a.value;
  if (key.empty()) return ctx.Fail("No property specified");
  if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
    return ctx.Fail(
        "Invalid property specified, valid properties include: selected, constraints, "
        "max-replicas-per-node");
  }
  if (!ctx.OpenStore()) return kExitError;
  bool deployed = false;
  if (!global) {
    StatusOr<App> row = ctx.store().GetApp(app);
    if (!row.ok()) return ctx.FailStatus(row.status());
    deployed = row->current_release.has_value();
  }
  // Moving a deployed app to another scheduler redeploys it.
  if (deployed) {
    if (int code = RefuseIfLocked(ctx, app)) return code;
  }
  StatusOr<int64_t> last = FollowStart(ctx);
  if (!last.ok()) return ctx.FailStatus(last.status());
  StatusOr<int64_t> gen = ctx.store().SetProperty("scheduler", app, key, value);
  if (!gen.ok()) return ctx.FailStatus(gen.status());
  ctx.Info2(value.empty() ? fmt::format("Unsetting {}", key)
                          : fmt::format("Setting {} to {}", key, value));
  if (!deployed) return kExitOk;  // nothing runs yet: only stored
  return FollowOne(ctx, *last, Wait{Wait::Kind::kGeneration, app, *gen, std::nullopt});
}

// What a property computes to when neither the app nor --global sets it.
std::string DefaultOf(std::string_view key) {
  if (key == "selected") return std::string(kDefaultScheduler);
  if (key == "max-replicas-per-node") return std::string(1, '0');
  return std::string();
}

StatusOr<ReportFlags> SchedulerFlags(Store& store, const std::string& app) {
  ReportFlags flags;
  for (const std::string_view key : kKeys) {
    StatusOr<std::string> global = store.GetProperty("scheduler", kGlobal, std::string(key));
    if (!global.ok()) return global.status();
    const std::string fallback = global->empty() ? DefaultOf(key) : *global;
    flags[fmt::format("--scheduler-global-{}", key)] = *global;
    if (app == kGlobal) {
      flags[fmt::format("--scheduler-computed-{}", key)] = fallback;
      continue;
    }
    StatusOr<std::string> own = store.GetProperty("scheduler", app, std::string(key));
    if (!own.ok()) return own.status();
    flags[fmt::format("--scheduler-{}", key)] = *own;
    flags[fmt::format("--scheduler-computed-{}", key)] = own->empty() ? fallback : *own;
  }
  return flags;
}

int SchedulerReport(Context& ctx, const Args& args) {
  return RunReport(ctx, args, {"scheduler", true, ""},
                   [&](const std::string& app) { return SchedulerFlags(ctx.store(), app); });
}

// Built from the scheduler list before the table below (same translation unit, so in order).
const std::string kSchedulerSetHelp =
    "Set or clear a scheduler property for an app (selected: " + SchedulerNameList(" | ") +
    "; constraints, max-replicas-per-node: docker-swarm placement)";

const Command kSchedulerCommands[] = {
    {"scheduler:report", "scheduler:report [<app>|--global] [<flag>]",
     "Displays a scheduler report for one or more apps", SchedulerReport},
    {"scheduler:set", "scheduler:set [--global|<app>] <key> <value>", kSchedulerSetHelp,
     SchedulerSet},
};

}  // namespace

std::span<const Command> SchedulerCommands() { return kSchedulerCommands; }

}  // namespace dokku

// scheduler:set / scheduler:report: which scheduler runs an app's processes (docker-local, the
// default, or docker-swarm). Switching a deployed app moves it without downtime: dokkud starts it
// on the new scheduler, cuts the proxy over, then removes what ran on the old one.
#include <fmt/format.h>

#include "cli/command_util.h"
#include "cli/follow.h"
#include "cli/report.h"
#include "store/schedulers.h"

namespace dokku {
namespace {

int SchedulerSet(Context& ctx, const Args& args) {
  PropertyArgs a;
  int rc = 0;
  if (!ParsePropertyArgs(ctx, args, &a, &rc, /*verify_app=*/true)) return rc;
  const bool global = a.global;
  const std::string &app = a.app, &key = a.key, &value = a.value;
  if (key.empty()) return ctx.Fail("No property specified");
  if (key != "selected") {
    return ctx.Fail("Invalid property specified, valid properties include: selected");
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

StatusOr<ReportFlags> SchedulerFlags(Store& store, const std::string& app) {
  StatusOr<std::string> global = store.GetProperty("scheduler", kGlobal, "selected");
  if (!global.ok()) return global.status();
  const std::string global_or_default = global->empty() ? std::string(kDefaultScheduler) : *global;
  if (app == kGlobal) {
    return ReportFlags{{"--scheduler-computed-selected", global_or_default},
                       {"--scheduler-global-selected", *global}};
  }
  StatusOr<std::string> own = store.GetProperty("scheduler", app, "selected");
  if (!own.ok()) return own.status();
  return ReportFlags{{"--scheduler-computed-selected", own->empty() ? global_or_default : *own},
                     {"--scheduler-global-selected", *global},
                     {"--scheduler-selected", *own}};
}

int SchedulerReport(Context& ctx, const Args& args) {
  return RunReport(ctx, args, {"scheduler", true, ""},
                   [&](const std::string& app) { return SchedulerFlags(ctx.store(), app); });
}

// Built from the scheduler list before the table below (same translation unit, so in order).
const std::string kSchedulerSetHelp =
    "Set or clear a scheduler property for an app (selected: " + SchedulerNameList(" | ") + ")";

const Command kSchedulerCommands[] = {
    {"scheduler:report", "scheduler:report [<app>|--global] [<flag>]",
     "Displays a scheduler report for one or more apps", SchedulerReport},
    {"scheduler:set", "scheduler:set [--global|<app>] <key> <value>", kSchedulerSetHelp,
     SchedulerSet},
};

}  // namespace

std::span<const Command> SchedulerCommands() { return kSchedulerCommands; }

}  // namespace dokku

// checks:disable|enable|skip, checks:set, checks:report, checks:run (spec §6.1).
#include <fmt/format.h>

#include <algorithm>

#include "cli/app_view.h"
#include "cli/command_util.h"
#include "cli/follow.h"
#include "cli/report.h"

namespace dokku {
namespace {

// "web,worker" -> {"web", "worker"}; empty items are kept so the store rejects them.
std::vector<std::string> SplitCommas(const std::string& list) {
  std::vector<std::string> out;
  if (list.empty()) return out;
  size_t start = 0;
  for (;;) {
    size_t comma = list.find(',', start);
    out.push_back(
        list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

int SetMode(Context& ctx, const Args& args, const char* kind, const char* verb) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {}, 2, &p, &rc)) return rc;
  const std::string app = Arg(p, 0), list = Arg(p, 1);
  if (int code = VerifyApp(ctx, app)) return code;
  StatusOr<int64_t> gen = ctx.store().SetChecksMode(app, kind, SplitCommas(list));
  if (!gen.ok()) return ctx.FailStatus(gen.status());
  if (!list.empty()) {
    ctx.Info1(fmt::format("{} zero downtime for app's ({}) proctypes ({})", verb, app, list));
  } else if (std::string_view(kind) == "enable") {
    ctx.Info1(fmt::format("Enabling zero downtime for app's ({})", app));  // sic, as Dokku
  } else {
    ctx.Info1(fmt::format("{} zero downtime for app ({})", verb, app));
  }
  return kExitOk;
}

int ChecksDisable(Context& ctx, const Args& args) {
  return SetMode(ctx, args, "disable", "Disabling");
}
int ChecksEnable(Context& ctx, const Args& args) {
  return SetMode(ctx, args, "enable", "Enabling");
}
int ChecksSkip(Context& ctx, const Args& args) { return SetMode(ctx, args, "skip", "Skipping"); }

int ChecksSet(Context& ctx, const Args& args) {
  PropertyArgs a;
  int rc = 0;
  if (!ParsePropertyArgs(ctx, args, &a, &rc, /*verify_app=*/true)) return rc;
  const bool global = a.global;
  const std::string &app = a.app, &key = a.key, &value = a.value;
  if (key.empty()) return ctx.Fail("No key specified");
  const std::vector<std::string> keys =
      global ? std::vector<std::string>{"default-wait", "wait-to-retire"}
             : std::vector<std::string>{"wait-to-retire"};
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
    return ctx.Fail(
        fmt::format("Invalid key specified, valid keys include: {}", fmt::join(keys, ", ")));
  }
  if (!ctx.OpenStore()) return kExitError;
  StatusOr<int64_t> gen = ctx.store().SetProperty("checks", app, key, value);
  if (!gen.ok()) return ctx.FailStatus(gen.status());
  ctx.Info2(value.empty() ? fmt::format("Unsetting {}", key)
                          : fmt::format("Setting {} to {}", key, value));
  return kExitOk;
}

StatusOr<ReportFlags> ChecksFlags(Store& store, const std::string& app) {
  StatusOr<std::map<std::string, std::string>> global = store.GetProperties("checks", kGlobal);
  if (!global.ok()) return global.status();
  auto get = [](const std::map<std::string, std::string>& m, const char* key) {
    auto it = m.find(key);
    return it == m.end() ? std::string() : it->second;
  };
  std::string global_wait = get(*global, "wait-to-retire");
  ReportFlags f;
  f["--checks-global-wait-to-retire"] = global_wait;
  if (app == kGlobal) {
    f["--checks-computed-wait-to-retire"] = global_wait.empty() ? "60" : global_wait;
    std::string default_wait = get(*global, "default-wait");
    f["--checks-global-default-wait"] = default_wait;
    f["--checks-computed-default-wait"] = default_wait.empty() ? "10" : default_wait;
    return f;
  }
  StatusOr<std::map<std::string, std::string>> props = store.GetProperties("checks", app);
  if (!props.ok()) return props.status();
  std::string wait = get(*props, "wait-to-retire");
  std::string disabled = get(*props, "disabled"), skipped = get(*props, "skipped");
  f["--checks-wait-to-retire"] = wait;
  f["--checks-computed-wait-to-retire"] = !wait.empty()          ? wait
                                          : !global_wait.empty() ? global_wait
                                                                 : "60";
  f["--checks-disabled-list"] = disabled.empty() ? "none" : disabled;
  f["--checks-skipped-list"] = skipped.empty() ? "none" : skipped;
  return f;
}

int ChecksReport(Context& ctx, const Args& args) {
  return RunReport(ctx, args, {"checks", false, ""},
                   [&](const std::string& app) { return ChecksFlags(ctx.store(), app); });
}

// Dokku's checks:run validation: every item is a formation type, or a type and the index of
// one of its live containers.
int ValidateRunTargets(Context& ctx, const AppView& view, const std::string& list) {
  StatusOr<std::vector<FormationEntry>> formation = ctx.store().GetFormation(view.app.name);
  if (!formation.ok()) return ctx.FailStatus(formation.status());
  const std::string& app = view.app.name;
  for (const std::string& item : SplitCommas(list)) {
    size_t dot = item.find('.');
    std::string proc = item.substr(0, dot);
    bool known = std::any_of(formation->begin(), formation->end(),
                             [&](const FormationEntry& e) { return e.proctype == proc; });
    if (!known) return ctx.Fail(fmt::format("Invalid process type specified ({}.{})", app, proc));
    if (dot == std::string::npos) continue;
    std::string index = item.substr(dot + 1);
    std::optional<long long> n = ParseInteger(index);
    bool exists = n && std::any_of(view.live.begin(), view.live.end(), [&](const auto& c) {
                    return c.proctype == proc && c.index == *n;
                  });
    if (!exists) {
      return ctx.Fail(
          fmt::format("Invalid container index specified ({}.{}.{})", app, proc, index));
    }
  }
  return kExitOk;
}

int ChecksRun(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {}, 2, &p, &rc)) return rc;
  const std::string app = Arg(p, 0), list = Arg(p, 1);
  if (int code = VerifyApp(ctx, app)) return code;
  StatusOr<AppView> view = LoadAppView(ctx.store(), app);
  if (!view.ok()) return ctx.FailStatus(view.status());
  if (!view->deployed) return ctx.Fail(fmt::format("App {} has not been deployed", app), kExitOk);
  if (int code = ValidateRunTargets(ctx, *view, list)) return code;
  StatusOr<int64_t> last = FollowStart(ctx);
  if (!last.ok()) return ctx.FailStatus(last.status());
  StatusOr<int64_t> id = ctx.store().CreateRequest(app, "checks:run", list);
  if (!id.ok()) return ctx.FailStatus(id.status());
  return FollowOne(ctx, *last, {Wait::Kind::kRequest, app, *id, std::nullopt});
}

const Command kChecksCommands[] = {
    {"checks:disable", "checks:disable <app> [process-type(s)]",
     "Disable zero-downtime deployment for all processes (or comma-separated process-type list) "
     "***WARNING: this will cause downtime during deployments***",
     ChecksDisable},
    {"checks:enable", "checks:enable <app> [process-type(s)]",
     "Enable zero-downtime deployment for all processes (or comma-separated process-type list)",
     ChecksEnable},
    {"checks:report", "checks:report [<app>] [<flag>]",
     "Displays a checks report for one or more apps", ChecksReport},
    {"checks:run", "checks:run <app> [process-type(s)]",
     "Runs zero-downtime checks for all processes (or comma-separated process-type list)",
     ChecksRun},
    {"checks:set", "checks:set [--global|<app>] <key> <value>",
     "Set or clear a logs property for an app", ChecksSet},
    {"checks:skip", "checks:skip <app> [process-type(s)]",
     "Skip zero-downtime checks for all processes (or comma-separated process-type list)",
     ChecksSkip},
};

}  // namespace

std::span<const Command> ChecksCommands() { return kChecksCommands; }

}  // namespace dokku

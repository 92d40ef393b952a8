// apps:create, apps:destroy, apps:exists, apps:list, apps:lock / locked / unlock, and the apps
// command table (apps:clone, apps:rename, apps:report and apps:set are in apps_extras.cc).
#include "cli/apps_commands.h"

#include <fmt/format.h>

#include <istream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/command_util.h"
#include "cli/follow.h"

namespace dokku {
namespace {

int AppsCreate(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {}, 1, &p, &rc)) return rc;
  std::string app = Arg(p, 0);
  if (!ctx.OpenStore()) return kExitError;
  Status st = ctx.store().CreateApp(app);
  if (!st.ok()) return ctx.FailStatus(st);
  ctx.Info1Quiet(fmt::format("Creating {}...", app));
  return kExitOk;
}

// Dokku's destructive-action prompt: the user must type the app name.
bool Confirm(Context& ctx, const std::string& app) {
  ctx.Warn("WARNING: Potentially Destructive Action");
  ctx.Warn(fmt::format("This command will destroy app {}.", app));
  ctx.Warn(fmt::format("To proceed, type \"{}\"", app));
  std::string answer;
  if (!std::getline(ctx.in(), answer)) answer.clear();
  if (!answer.empty() && answer.back() == '\r') answer.pop_back();
  return answer == app;
}

int AppsDestroy(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {{"force"}}, 1, &p, &rc)) return rc;
  std::string app = Arg(p, 0);
  if (int code = VerifyApp(ctx, app)) return code;
  if (!ctx.force && !p.Has("force") && !Confirm(ctx, app)) {
    return ctx.Fail(fmt::format("Confirmation did not match {}. Aborted.", app));
  }
  return DestroyAndFollow(ctx, app);
}

}  // namespace

int DestroyAndFollow(Context& ctx, const std::string& app) {
  ctx.Info1(fmt::format("Destroying {} (including all add-ons)", app));
  StatusOr<int64_t> last = FollowStart(ctx);
  if (!last.ok()) return ctx.FailStatus(last.status());
  bool had_deployed = true;
  StatusOr<int64_t> gen = ctx.store().DestroyApp(app, &had_deployed);
  if (!gen.ok()) return ctx.FailStatus(gen.status());
  // Nothing ran or was tagged for this app, so there is nothing for dokkud to tear down: the app
  // is gone for every command now, and dokkud drops its remaining rows whenever it next runs.
  if (!had_deployed) return kExitOk;
  return FollowOne(ctx, *last, {Wait::Kind::kAppGone, app, *gen, std::nullopt});
}

namespace {

int AppsExists(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {}, 1, &p, &rc)) return rc;
  return VerifyApp(ctx, Arg(p, 0));
}

int AppsList(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {{"format", true}}, 0, &p, &rc)) return rc;
  if (!ctx.OpenStore()) return kExitError;
  StatusOr<std::vector<App>> apps = ctx.store().ListApps();
  if (!apps.ok()) return ctx.FailStatus(apps.status());
  // Dokku: json prints the sorted names (`[]` for none); any other format is stdout.
  if (p.Value("format") == "json") {
    nlohmann::json names = nlohmann::json::array();
    for (const App& a : *apps) names.push_back(a.name);
    ctx.Raw(names.dump());
    return kExitOk;
  }
  if (apps->empty()) {
    ctx.Warn("You haven't deployed any applications yet");
    return kExitOk;
  }
  ctx.Info2Quiet("My Apps");
  for (const App& a : *apps) ctx.Raw(a.name);
  return kExitOk;
}

// The app named by the only argument, verified; "" (with *rc set) on error.
std::string OneApp(Context& ctx, const Args& args, int* rc) {
  ParsedFlags p;
  if (!ParseCommandArgs(ctx, args, {}, 1, &p, rc)) return "";
  std::string app = Arg(p, 0);
  *rc = VerifyApp(ctx, app);
  return *rc ? "" : app;
}

int AppsLock(Context& ctx, const Args& args) {
  int rc = 0;
  std::string app = OneApp(ctx, args, &rc);
  if (rc) return rc;
  StatusOr<bool> was = ctx.store().SetAppLocked(app, true);
  if (!was.ok()) return ctx.FailStatus(was.status());
  ctx.Info1("Deploy lock created");
  return kExitOk;
}

int AppsLocked(Context& ctx, const Args& args) {
  int rc = 0;
  std::string app = OneApp(ctx, args, &rc);
  if (rc) return rc;
  StatusOr<App> a = ctx.store().GetApp(app);
  if (!a.ok()) return ctx.FailStatus(a.status());
  if (!a->locked) return ctx.Fail("Deploy lock does not exist");
  if (!ctx.quiet) ctx.Raw("Deploy lock exists");
  return kExitOk;
}

int AppsUnlock(Context& ctx, const Args& args) {
  int rc = 0;
  std::string app = OneApp(ctx, args, &rc);
  if (rc) return rc;
  StatusOr<bool> was = ctx.store().SetAppLocked(app, false);
  if (!was.ok()) return ctx.FailStatus(was.status());
  if (!*was) return ctx.Fail("Unable to remove deploy lock");
  ctx.Warn("A deploy may be in progress.");
  ctx.Warn("Removing the app lock will not stop in progress deploys.");
  ctx.Info1("Deploy lock removed");
  return kExitOk;
}

const Command kAppsCommands[] = {
    {"apps:clone", "apps:clone <old-app> <new-app>", "Clones an app", AppsClone},
    {"apps:create", "apps:create <app>", "Create a new app", AppsCreate},
    {"apps:destroy", "apps:destroy <app> [--force]", "Permanently destroy an app", AppsDestroy},
    {"apps:exists", "apps:exists <app>", "Checks if an app exists", AppsExists},
    {"apps:list", "apps:list [--format stdout|json]", "List your apps", AppsList},
    {"apps:lock", "apps:lock <app>", "Locks an app for deployment", AppsLock},
    {"apps:locked", "apps:locked <app>", "Checks if an app is locked for deployment", AppsLocked},
    {"apps:rename", "apps:rename [--skip-deploy] <old-app> <new-app>", "Rename an app", AppsRename},
    {"apps:report", "apps:report [<app>] [<flag>]", "Display report about an app", AppsReport},
    {"apps:set", "apps:set <app>|--global <key> <value>", "Set or clear an apps property", AppsSet},
    {"apps:unlock", "apps:unlock <app>", "Unlocks an app for deployment", AppsUnlock},
};

}  // namespace

std::span<const Command> AppsCommands() { return kAppsCommands; }

}  // namespace dokku

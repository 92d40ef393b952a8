// apps:create, apps:destroy, apps:exists, apps:list.
#include <fmt/format.h>

#include <istream>
#include <string>

#include "cli/command_util.h"
#include "cli/commands.h"
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

int AppsExists(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {}, 1, &p, &rc)) return rc;
  return VerifyApp(ctx, Arg(p, 0));
}

int AppsList(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {}, 0, &p, &rc)) return rc;
  if (!ctx.OpenStore()) return kExitError;
  StatusOr<std::vector<App>> apps = ctx.store().ListApps();
  if (!apps.ok()) return ctx.FailStatus(apps.status());
  if (apps->empty()) {
    ctx.Warn("You haven't deployed any applications yet");
    return kExitOk;
  }
  ctx.Info2Quiet("My Apps");
  for (const App& a : *apps) ctx.Raw(a.name);
  return kExitOk;
}

const Command kAppsCommands[] = {
    {"apps:create", "apps:create <app>", "Create a new app", AppsCreate},
    {"apps:destroy", "apps:destroy <app> [--force]", "Permanently destroy an app", AppsDestroy},
    {"apps:exists", "apps:exists <app>", "Checks if an app exists", AppsExists},
    {"apps:list", "apps:list", "List your apps", AppsList},
};

}  // namespace

std::span<const Command> AppsCommands() { return kAppsCommands; }

}  // namespace dokku

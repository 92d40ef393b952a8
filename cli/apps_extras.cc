// apps:report, apps:set, apps:clone and apps:rename (Dokku's plugins/apps, spec dokku-next.md §9).
// apps:rename is zero-downtime: the new app is created with everything of the old one and
// deployed from its live image; only once it is live is the old app destroyed. Until then the
// old app keeps serving its name and its domains, so no request to either name is refused.
#include <fmt/format.h>

#include "cli/apps_commands.h"
#include "cli/command_util.h"
#include "cli/follow.h"
#include "cli/report.h"
#include "store/validation.h"

namespace dokku {
namespace {

constexpr const char* kAppsKeys[] = {"deploy-source", "deploy-source-metadata",
                                     "disable-autocreation"};

StatusOr<ReportFlags> AppsFlags(Context& ctx, const std::string& app) {
  Store& store = ctx.store();
  StatusOr<std::string> autocreation = store.GetProperty("apps", kGlobal, "disable-autocreation");
  if (!autocreation.ok()) return autocreation.status();
  if (app == kGlobal) return ReportFlags{{"--app-global-disable-autocreation", *autocreation}};
  StatusOr<App> a = store.GetApp(app);
  if (!a.ok()) return a.status();
  StatusOr<std::map<std::string, std::string>> props = store.GetProperties("apps", app);
  if (!props.ok()) return props.status();
  auto get = [&](const char* key) {
    auto it = props->find(key);
    return it == props->end() ? std::string() : it->second;
  };
  return ReportFlags{
      {"--app-created-at", std::to_string(a->created_at)},
      {"--app-deploy-source", get("deploy-source")},
      {"--app-deploy-source-metadata", get("deploy-source-metadata")},
      {"--app-dir", fmt::format("{}/{}", ctx.Getenv("DOKKU_ROOT", "/home/dokku"), app)},
      {"--app-global-disable-autocreation", *autocreation},
      {"--app-locked", a->locked ? "true" : "false"},
  };
}

// Dokku's order of checks (apps.CommandSet, then common.CommandPropertySet).
int CheckAppsProperty(Context& ctx, const std::string& app, const std::string& key) {
  const bool global = app == kGlobal;
  if (!global && key == "disable-autocreation") {
    return ctx.Fail("Property can only be specified globally");
  }
  if (!global) {
    if (int code = VerifyApp(ctx, app)) return code;
  }
  if (global && key != "disable-autocreation") {
    return ctx.Fail("Property cannot be specified globally");
  }
  if (key.empty()) return ctx.Fail("No property specified");
  for (const char* k : kAppsKeys) {
    if (key == k) return kExitOk;
  }
  return ctx.Fail(fmt::format("Invalid property specified, valid properties include: {}",
                              fmt::join(kAppsKeys, ", ")));
}

// The new app's first deploy: the old app's live image, followed like tags:deploy.
int FollowCloneDeploy(Context& ctx, const std::string& app, int64_t last,
                      const std::optional<Release>& release) {
  if (!release) return kExitOk;  // the old app never went live: nothing to deploy
  StatusOr<App> a = ctx.store().GetApp(app);
  if (!a.ok()) return ctx.FailStatus(a.status());
  return FollowOne(ctx, last, {Wait::Kind::kGeneration, app, a->generation, release->id});
}

// Dokku's checks shared by apps:clone and apps:rename; returns 0 or the exit code.
int CheckCopyNames(Context& ctx, const std::string& old_app, const std::string& new_app) {
  if (old_app.empty()) return ctx.Fail("Please specify an app to run the command on");
  if (new_app.empty()) return ctx.Fail("Please specify an new app name");
  if (int code = VerifyApp(ctx, old_app)) return code;
  Status valid = ValidateNewAppName(new_app);
  if (!valid.ok()) return ctx.FailStatus(valid);
  return kExitOk;
}

// Destroys the half-made new app after its deploy failed, so a failed rename changes nothing.
void UndoRename(Context& ctx, const std::string& new_app) {
  StatusOr<int64_t> last = FollowStart(ctx);
  bool had_deployed = true;
  StatusOr<int64_t> gen = ctx.store().DestroyApp(new_app, &had_deployed);
  if (!last.ok() || !gen.ok() || !had_deployed) return;
  FollowOne(ctx, *last, {Wait::Kind::kAppGone, new_app, *gen, std::nullopt});
}

}  // namespace

int AppsReport(Context& ctx, const Args& args) {
  return RunReport(ctx, args, {"app", true, ""},
                   [&](const std::string& app) { return AppsFlags(ctx, app); });
}

int AppsSet(Context& ctx, const Args& args) {
  PropertyArgs a;
  int rc = 0;
  if (!ParsePropertyArgs(ctx, args, &a, &rc)) return rc;
  const std::string &app = a.app, &key = a.key, &value = a.value;
  if (int code = CheckAppsProperty(ctx, app, key)) return code;
  if (!ctx.OpenStore()) return kExitError;
  StatusOr<int64_t> gen = ctx.store().SetProperty("apps", app, key, value);
  if (!gen.ok()) return ctx.FailStatus(gen.status());
  ctx.Info2(value.empty() ? fmt::format("Unsetting {}", key)
                          : fmt::format("Setting {} to {}", key, value));
  return kExitOk;
}

int AppsClone(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {{"skip-deploy"}, {"ignore-existing"}}, 2, &p, &rc)) return rc;
  const std::string old_app = Arg(p, 0), new_app = Arg(p, 1);
  if (int code = CheckCopyNames(ctx, old_app, new_app)) return code;
  if (ctx.store().RequireApp(new_app).ok()) {
    if (!p.Has("ignore-existing")) return ctx.Fail("Name is already taken");
    ctx.Warn("Name is already taken");
    return kExitOk;
  }
  StatusOr<int64_t> last = FollowStart(ctx);
  if (!last.ok()) return ctx.FailStatus(last.status());
  StatusOr<std::optional<Release>> release =
      ctx.store().CloneApp(old_app, new_app, !p.Has("skip-deploy"));
  if (!release.ok()) return ctx.FailStatus(release.status());
  ctx.Info1Quiet(fmt::format("Cloning {} to {}", old_app, new_app));
  ctx.Info1Quiet(fmt::format("Creating {}...", new_app));
  return FollowCloneDeploy(ctx, new_app, *last, *release);
}

int AppsRename(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {{"skip-deploy"}}, 2, &p, &rc)) return rc;
  const std::string old_app = Arg(p, 0), new_app = Arg(p, 1);
  if (int code = CheckCopyNames(ctx, old_app, new_app)) return code;
  if (ctx.store().RequireApp(new_app).ok()) return ctx.Fail("Name is already taken");
  if (int code = RefuseIfLocked(ctx, old_app)) return code;
  StatusOr<int64_t> last = FollowStart(ctx);
  if (!last.ok()) return ctx.FailStatus(last.status());
  StatusOr<std::optional<Release>> release =
      ctx.store().RenameCopy(old_app, new_app, !p.Has("skip-deploy"));
  if (!release.ok()) return ctx.FailStatus(release.status());
  ctx.Info1Quiet(fmt::format("Renaming {} to {}", old_app, new_app));
  ctx.Info1Quiet(fmt::format("Creating {}...", new_app));
  if (int code = FollowCloneDeploy(ctx, new_app, *last, *release)) {
    UndoRename(ctx, new_app);  // the old app never stopped serving
    return code;
  }
  // The old app's teardown, once the new app serves: dokkud moves the proxy, then retires it.
  return DestroyAndFollow(ctx, old_app);
}

}  // namespace dokku

// ps:start, ps:stop, ps:restart, ps:rebuild (one app, or --all with --parallel), and the
// ps:restartall / ps:rebuildall aliases.
#include <fmt/format.h>

#include <optional>
#include <thread>

#include "cli/app_view.h"
#include "cli/command_util.h"
#include "cli/follow.h"
#include "cli/ps_commands.h"

namespace dokku {
namespace {

// Writes the desired change for one app; nullopt when there is nothing to wait for.
using AppStep = StatusOr<std::optional<Wait>> (*)(Context& ctx, const std::string& app,
                                                  const std::string& proc);

struct Lifecycle {
  std::string_view verb;
  AppStep step;
  bool takes_proc = false;
  bool refuses_locked = true;  // deploys or restarts: a locked app refuses (apps:lock)
};

// lc.step, unless the app is locked and lc refuses locked apps (the --all runs).
StatusOr<std::optional<Wait>> StepUnlessLocked(Context& ctx, const Lifecycle& lc,
                                               const std::string& app) {
  if (lc.refuses_locked) DOKKU_RETURN_IF_ERROR(CheckUnlocked(ctx, app));
  return lc.step(ctx, app, "");
}

// Loads the app; warns "has not been deployed" (Dokku exits 0 then) and returns nullopt.
StatusOr<std::optional<AppView>> DeployedView(Context& ctx, const std::string& app) {
  StatusOr<AppView> view = LoadAppView(ctx.store(), app);
  if (!view.ok()) return view.status();
  if (!view->deployed) {
    ctx.Warn(fmt::format("App {} has not been deployed", app));
    return std::optional<AppView>();
  }
  return std::optional<AppView>(*view);
}

std::optional<Wait> GenerationWait(const std::string& app, int64_t gen) {
  return Wait{Wait::Kind::kGeneration, app, gen, std::nullopt};
}

StatusOr<std::optional<Wait>> RestartStep(Context& ctx, const std::string& app,
                                          const std::string& proc) {
  StatusOr<std::optional<AppView>> view = DeployedView(ctx, app);
  if (!view.ok()) return view.status();
  if (!*view) return std::optional<Wait>();
  StatusOr<int64_t> gen = ctx.store().Restart(app, proc);
  if (!gen.ok()) return gen.status();
  return GenerationWait(app, *gen);
}

StatusOr<std::optional<Wait>> StartStep(Context& ctx, const std::string& app, const std::string&) {
  StatusOr<std::optional<AppView>> view = DeployedView(ctx, app);
  if (!view.ok()) return view.status();
  if (!*view) return std::optional<Wait>();
  const AppView& v = **view;
  if (v.running == "true" && v.app.desired_running) {
    ctx.Warn(fmt::format("App {} already running", app));
    return std::optional<Wait>();
  }
  if (v.running == "mixed") ctx.Warn("App is running in mixed mode, releasing");
  if (v.running == "false") ctx.Warn("App has been detected as not running, releasing");
  StatusOr<int64_t> gen = ctx.store().SetRunning(app, true);
  if (!gen.ok()) return gen.status();
  return GenerationWait(app, *gen);
}

StatusOr<std::optional<Wait>> StopStep(Context& ctx, const std::string& app, const std::string&) {
  StatusOr<std::optional<AppView>> view = DeployedView(ctx, app);
  if (!view.ok()) return view.status();
  if (!*view) return std::optional<Wait>();
  ctx.Info1(fmt::format("Stopping {}", app));
  StatusOr<int64_t> gen = ctx.store().SetRunning(app, false);
  if (!gen.ok()) return gen.status();
  return GenerationWait(app, *gen);
}

StatusOr<std::optional<Wait>> RebuildStep(Context& ctx, const std::string& app,
                                          const std::string&) {
  StatusOr<std::optional<AppView>> view = DeployedView(ctx, app);
  if (!view.ok()) return view.status();
  if (!*view) return std::optional<Wait>();
  StatusOr<Release> release = ctx.store().Rebuild(app);
  if (!release.ok()) return release.status();
  // Rebuild returns the release; the generation it wrote is the app's (or a later one).
  StatusOr<App> a = ctx.store().GetApp(app);
  if (!a.ok()) return a.status();
  return std::optional<Wait>(Wait{Wait::Kind::kGeneration, app, a->generation, release->id});
}

// Dokku's boot-time restore of one app. dokkud restores every app it wants running whenever it
// starts, so this is ps:start for an app whose restore property is not false.
StatusOr<std::optional<Wait>> RestoreStep(Context& ctx, const std::string& app,
                                          const std::string& proc) {
  StatusOr<std::string> restore = ctx.store().ComputedProperty("ps", app, "restore", "true");
  if (!restore.ok()) return restore.status();
  if (*restore == "false") {
    ctx.Warn(fmt::format("Skipping ps:restore for {} as restore property is false", app));
    return std::optional<Wait>();
  }
  ctx.Info1("Starting app");
  return StartStep(ctx, app, proc);
}

// One app, start to finish; returns the error text ("" on success).
std::string RunOneApp(Context& ctx, const Lifecycle& lc, const std::string& app) {
  StatusOr<int64_t> last = FollowStart(ctx);
  if (!last.ok()) return last.status().message();
  StatusOr<std::optional<Wait>> wait = StepUnlessLocked(ctx, lc, app);
  if (!wait.ok()) return wait.status().message();
  if (!*wait || ctx.detach) return "";
  return FollowAll(ctx, *last, {**wait}).front().error;
}

int RunSerial(Context& ctx, const Lifecycle& lc, const std::vector<std::string>& apps) {
  ctx.Warn(fmt::format("Running {} in serial mode", lc.verb));
  int errors = 0;
  for (const std::string& app : apps) {
    ctx.Info1(fmt::format("Running {} against app {}", lc.verb, app));
    std::string error = RunOneApp(ctx, lc, app);
    if (error.empty()) continue;
    ctx.Warn(fmt::format("Error running {} against app {}: {}", lc.verb, app, error));
    ++errors;
  }
  if (errors) return ctx.Fail(fmt::format("{} command returned {} errors", lc.verb, errors));
  return kExitOk;
}

// Writes every app's change first, then follows them together: dokkud reconciles different
// apps in parallel, so the CLI only has to wait for all of them.
int RunParallel(Context& ctx, const Lifecycle& lc, const std::vector<std::string>& apps) {
  StatusOr<int64_t> last = FollowStart(ctx);
  if (!last.ok()) return ctx.FailStatus(last.status());
  int errors = 0;
  std::vector<Wait> waits;
  auto report = [&](const std::string& app, const std::string& error) {
    ctx.Warn(fmt::format("Error running {} against {}: {}", lc.verb, app, error));
    ++errors;
  };
  for (const std::string& app : apps) {
    ctx.Info1(fmt::format("Running command against {}", app));
    StatusOr<std::optional<Wait>> wait = StepUnlessLocked(ctx, lc, app);
    if (!wait.ok()) {
      report(app, wait.status().message());
    } else if (*wait) {
      waits.push_back(**wait);
    }
  }
  if (!ctx.detach && !waits.empty()) {
    std::vector<WaitResult> results = FollowAll(ctx, *last, waits);
    for (size_t i = 0; i < waits.size(); ++i) {
      if (!results[i].ok()) report(waits[i].app, results[i].error);
    }
  }
  if (errors) return ctx.Fail(fmt::format("Encountered {} errors during parallel run", errors));
  return kExitOk;
}

int RunAllApps(Context& ctx, const Lifecycle& lc, long long parallel) {
  if (!ctx.OpenStore()) return kExitError;
  StatusOr<std::vector<App>> all = ctx.store().ListApps();
  if (!all.ok()) return ctx.FailStatus(all.status());
  if (all->empty()) {
    ctx.Warn("You haven't deployed any applications yet");
    return kExitOk;
  }
  std::vector<std::string> apps;
  for (const App& a : *all) apps.push_back(a.name);
  if (parallel == -1) {
    parallel = std::max(1u, std::thread::hardware_concurrency());
    ctx.Warn(fmt::format("Setting --parallel=-1 value to CPU count of {}", parallel));
  }
  return parallel <= 1 ? RunSerial(ctx, lc, apps) : RunParallel(ctx, lc, apps);
}

int RunLifecycle(Context& ctx, const Args& args, const Lifecycle& lc, bool all_apps) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {{"all"}, {"parallel", true}}, lc.takes_proc ? 2 : 1, &p, &rc)) {
    return rc;
  }
  long long parallel = 0;
  if (p.values.count("parallel")) {
    const std::string v = p.Value("parallel");
    std::optional<long long> n = ParseInteger(v);
    if (!n)
      return ctx.UsageError(fmt::format("invalid argument \"{}\" for \"--parallel\" flag", v));
    if (*n < -1) return ctx.Fail(fmt::format("Invalid value {} for --parallel flag", *n));
    parallel = *n;
  }
  if (all_apps || p.Has("all")) {
    if (!p.positional.empty()) {
      if (lc.takes_proc)
        return ctx.Fail("Unable to restart all apps when specifying a process name");
      return ctx.UsageError("--all cannot be combined with an app name");
    }
    return RunAllApps(ctx, lc, parallel);
  }
  const std::string app = Arg(p, 0);
  if (int code = VerifyApp(ctx, app)) return code;
  if (lc.refuses_locked) {
    if (int code = RefuseIfLocked(ctx, app)) return code;
  }
  StatusOr<int64_t> last = FollowStart(ctx);
  if (!last.ok()) return ctx.FailStatus(last.status());
  StatusOr<std::optional<Wait>> wait = lc.step(ctx, app, Arg(p, 1));
  if (!wait.ok()) return ctx.FailStatus(wait.status());
  if (!*wait) return kExitOk;
  return FollowOne(ctx, *last, **wait);
}

constexpr Lifecycle kStart{"start", StartStep};
constexpr Lifecycle kStop{"stop", StopStep, false, false};
constexpr Lifecycle kRestart{"restart", RestartStep, true};
constexpr Lifecycle kRebuild{"rebuild", RebuildStep};
constexpr Lifecycle kRestore{"restore", RestoreStep, false, false};

}  // namespace

int PsStart(Context& ctx, const Args& args) { return RunLifecycle(ctx, args, kStart, false); }
int PsStop(Context& ctx, const Args& args) { return RunLifecycle(ctx, args, kStop, false); }
int PsRestart(Context& ctx, const Args& args) { return RunLifecycle(ctx, args, kRestart, false); }
int PsRebuild(Context& ctx, const Args& args) { return RunLifecycle(ctx, args, kRebuild, false); }
int PsRestartAll(Context& ctx, const Args& args) { return RunLifecycle(ctx, args, kRestart, true); }
int PsRebuildAll(Context& ctx, const Args& args) { return RunLifecycle(ctx, args, kRebuild, true); }

int PsRestore(Context& ctx, const Args& args) {
  bool named = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--parallel")
      ++i;  // its value is no app
    else if (args[i] == "--all" || !LooksLikeFlag(args[i]))
      named = true;
  }
  if (named) return RunLifecycle(ctx, args, kRestore, false);
  ctx.Warn("Restore specified without app, assuming --all");
  return RunLifecycle(ctx, args, kRestore, true);
}

}  // namespace dokku

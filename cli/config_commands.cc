// config, config:show|get|set|unset|clear|keys|export (spec/dokku-next.md §1): config vars of
// an app or --global. App changes restart the app's containers start-first with checks, unless
// --no-restart; global changes reach each app at its next deploy or restart, as in Dokku.
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <limits>

#include "cli/app_view.h"
#include "cli/command_util.h"
#include "cli/config_format.h"
#include "cli/follow.h"
#include "store/validation.h"

namespace dokku {
namespace {

constexpr size_t kAnyNumber = std::numeric_limits<size_t>::max();

// (<app>|--global) and the positionals after it.
struct Scope {
  std::string name;  // the app or kGlobal
  bool global = false;
  std::vector<std::string> rest;
};

// Resolves the scope; returns 0, or the exit code of the failure it printed.
int ResolveScope(Context& ctx, const ParsedFlags& p, Scope* scope) {
  scope->global = p.Has("global");
  if (scope->global) {
    scope->name = kGlobal;
    scope->rest = p.positional;
    return ctx.OpenStore() ? 0 : kExitError;
  }
  scope->name = Arg(p, 0);
  if (int code = VerifyApp(ctx, scope->name)) return code;
  scope->rest.assign(p.positional.begin() + 1, p.positional.end());
  return 0;
}

StatusOr<ConfigVars> LoadVars(Context& ctx, const Scope& scope, bool merged) {
  if (merged && !scope.global) return ctx.store().GetMergedConfig(scope.name);
  return ctx.store().GetConfig(scope.name);
}

// Parses flags plus the scope; returns false with *rc set on failure.
bool Begin(Context& ctx, const Args& args, std::initializer_list<FlagSpec> flags, Scope* scope,
           ParsedFlags* p, int* rc) {
  if (!ParseCommandArgs(ctx, args, flags, kAnyNumber, p, rc)) return false;
  *rc = ResolveScope(ctx, *p, scope);
  return *rc == 0;
}

void PrintShow(Context& ctx, const Scope& scope, const ConfigVars& vars) {
  ctx.Info2(scope.global ? "global env vars" : fmt::format("{} env vars", scope.name));
  for (const std::string& line : PrettyConfigLines(vars)) ctx.Raw(line);
}

// A command that only reads: parses `flags`, resolves the scope, loads its vars (merged when
// --merged is given and allowed) and hands them to `print`.
int ReadVars(Context& ctx, const Args& args, std::initializer_list<FlagSpec> flags,
             const std::function<int(const Scope&, const ParsedFlags&, const ConfigVars&)>& print) {
  ParsedFlags p;
  Scope scope;
  int rc = 0;
  if (!Begin(ctx, args, flags, &scope, &p, &rc)) return rc;
  StatusOr<ConfigVars> vars = LoadVars(ctx, scope, p.Has("merged"));
  if (!vars.ok()) return ctx.FailStatus(vars.status());
  return print(scope, p, *vars);
}

int ConfigShow(Context& ctx, const Args& args) {
  return ReadVars(ctx, args, {{"global"}, {"merged"}},
                  [&](const Scope& scope, const ParsedFlags&, const ConfigVars& vars) {
                    PrintShow(ctx, scope, vars);
                    return kExitOk;
                  });
}

// `config`: Go's std flag package, so flags count only before the app.
int Config(Context& ctx, const Args& args) {
  Args flags;
  size_t i = 0;
  for (; i < args.size() && LooksLikeFlag(args[i]); ++i) flags.push_back(args[i]);
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, flags, {{"global"}, {"merged"}, {"shell"}, {"export"}}, 0, &p, &rc))
    return rc;
  p.positional.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  if (p.Has("shell") && p.Has("export"))
    return ctx.Fail("Only one of --shell and --export can be given");
  Scope scope;
  if (int code = ResolveScope(ctx, p, &scope)) return code;
  StatusOr<ConfigVars> vars = LoadVars(ctx, scope, p.Has("merged"));
  if (!vars.ok()) return ctx.FailStatus(vars.status());
  if (p.Has("shell") || p.Has("export")) {
    const char* format = p.Has("shell") ? "shell" : "exports";
    ctx.Warn(fmt::format("Deprecated: Use 'config:export --format {}' instead", format));
    ctx.out() << *ExportConfig(*vars, format);
    return kExitOk;
  }
  PrintShow(ctx, scope, *vars);
  return kExitOk;
}

int ConfigGet(Context& ctx, const Args& args) {
  ParsedFlags p;
  Scope scope;
  int rc = 0;
  if (!Begin(ctx, args, {{"global"}, {"quoted"}}, &scope, &p, &rc)) return rc;
  if (scope.rest.empty()) return ctx.Fail("Expected: key");
  if (scope.rest.size() > 1) {
    std::vector<std::string> extra(scope.rest.begin() + 1, scope.rest.end());
    return ctx.Fail(fmt::format("Unexpected argument(s): [{}]", fmt::join(extra, " ")));
  }
  const std::string& key = scope.rest[0];
  if (Status s = ValidateConfigKey(key); !s.ok()) return ctx.FailStatus(s);
  StatusOr<ConfigVars> vars = ctx.store().GetConfig(scope.name);
  if (!vars.ok()) return ctx.FailStatus(vars.status());
  auto it = vars->find(key);
  if (it == vars->end()) return kExitError;  // Dokku: unset prints nothing, exits 1
  ctx.Raw(p.Has("quoted") ? ShellQuote(it->second) : it->second);
  return kExitOk;
}

// After an app-scope change: Dokku restarts a deployed app whose ps restore is not false. The
// restart was written with the change; this follows it. A failed restart only warns.
int FollowRestart(Context& ctx, const std::string& app, int64_t gen, int64_t last_event) {
  ctx.Info1(fmt::format("Restarting app {}", app));
  if (ctx.detach) return kExitOk;
  WaitResult r = FollowAll(ctx, last_event, {Wait{Wait::Kind::kGeneration, app, gen, {}}}).front();
  if (!r.ok()) ctx.Warn(fmt::format("Failure while restarting app: {}", r.error));
  return kExitOk;
}

// Whether an app-scope change should restart the app.
StatusOr<bool> WantsRestart(Context& ctx, const Scope& scope, const ParsedFlags& p) {
  if (scope.global || p.Has("no-restart")) return false;
  StatusOr<AppView> view = LoadAppView(ctx.store(), scope.name);
  if (!view.ok()) return view.status();
  return view->deployed && view->app.desired_running;
}

using Changes = std::map<std::string, std::optional<std::string>>;

// Writes the change (restarting when Dokku would) and follows the restart.
int WriteChange(Context& ctx, const Scope& scope, const ParsedFlags& p, const Changes& changes,
                bool clear, const std::function<void()>& print) {
  StatusOr<bool> restart = WantsRestart(ctx, scope, p);
  if (!restart.ok()) return ctx.FailStatus(restart.status());
  if (*restart) {
    if (int code = RefuseIfLocked(ctx, scope.name)) return code;
  }
  StatusOr<int64_t> last = FollowStart(ctx);
  if (!last.ok()) return ctx.FailStatus(last.status());
  StatusOr<Store::ConfigChange> change =
      ctx.store().ChangeConfig(scope.name, changes, clear, *restart);
  if (!change.ok()) return ctx.FailStatus(change.status());
  print();
  // Unlike Dokku, nothing restarts when the vars are as they were (an unset of a missing key).
  if (!*restart || !change->changed) return kExitOk;
  return FollowRestart(ctx, scope.name, change->generation, *last);
}

int ConfigSet(Context& ctx, const Args& args) {
  ParsedFlags p;
  Scope scope;
  int rc = 0;
  if (!Begin(ctx, args, {{"global"}, {"encoded"}, {"no-restart"}}, &scope, &p, &rc)) return rc;
  if (scope.rest.empty()) return ctx.Fail("At least one env pair must be given");
  Changes changes;
  ConfigVars shown;
  for (const std::string& pair : scope.rest) {
    const size_t eq = pair.find('=');
    if (eq == std::string::npos) return ctx.Fail(fmt::format("Invalid env pair: {}", pair));
    const std::string key = pair.substr(0, eq);
    std::string value = pair.substr(eq + 1);
    if (Status s = ValidateConfigKey(key); !s.ok()) return ctx.FailStatus(s);
    if (p.Has("encoded")) {
      size_t bad = 0;
      std::optional<std::string> decoded = DecodeBase64(value, &bad);
      if (!decoded) {
        return ctx.Fail(fmt::format("illegal base64 data at input byte {} for key '{}'", bad, key));
      }
      value = std::move(*decoded);
    }
    changes[key] = value;
    shown[key] = value;
  }
  return WriteChange(ctx, scope, p, changes, false, [&] {
    ctx.Info1Quiet("Setting config vars");
    for (const std::string& line : PrettyConfigLines(shown)) ctx.VerboseQuiet(line);
  });
}

int ConfigUnset(Context& ctx, const Args& args) {
  ParsedFlags p;
  Scope scope;
  int rc = 0;
  if (!Begin(ctx, args, {{"global"}, {"no-restart"}}, &scope, &p, &rc)) return rc;
  if (scope.rest.empty()) return ctx.Fail("At least one key must be given");
  for (const std::string& key : scope.rest) {
    if (Status s = ValidateConfigKey(key); !s.ok()) return ctx.FailStatus(s);
  }
  StatusOr<ConfigVars> before = ctx.store().GetConfig(scope.name);
  if (!before.ok()) return ctx.FailStatus(before.status());
  Changes changes;
  for (const std::string& key : scope.rest) changes[key] = std::nullopt;
  return WriteChange(ctx, scope, p, changes, false, [&] {
    for (const std::string& key : scope.rest) {
      ctx.Info1(before->count(key)
                    ? fmt::format("Unsetting {}", key)
                    : fmt::format("Skipping {}, it is not set in the environment", key));
    }
  });
}

int ConfigClear(Context& ctx, const Args& args) {
  ParsedFlags p;
  Scope scope;
  int rc = 0;
  if (!Begin(ctx, args, {{"global"}, {"no-restart"}}, &scope, &p, &rc)) return rc;
  if (!scope.rest.empty()) return ctx.UsageError("too many arguments");
  StatusOr<ConfigVars> before = ctx.store().GetConfig(scope.name);
  if (!before.ok()) return ctx.FailStatus(before.status());
  return WriteChange(ctx, scope, p, {}, true, [&] {
    for (const auto& [key, value] : *before) ctx.Info1(fmt::format("Unsetting {}", key));
  });
}

int ConfigKeys(Context& ctx, const Args& args) {
  return ReadVars(ctx, args, {{"global"}, {"merged"}},
                  [&](const Scope&, const ParsedFlags&, const ConfigVars& vars) {
                    for (const auto& [key, value] : vars) ctx.Raw(key);
                    return kExitOk;
                  });
}

int ConfigExport(Context& ctx, const Args& args) {
  return ReadVars(ctx, args, {{"global"}, {"merged"}, {"format", true}},
                  [&](const Scope&, const ParsedFlags& p, const ConfigVars& vars) {
                    std::optional<std::string> out =
                        ExportConfig(vars, p.Value("format", "exports"));
                    if (!out) {
                      return ctx.Fail(fmt::format("Unknown export format: {}", p.Value("format")));
                    }
                    ctx.out() << *out;
                    return kExitOk;
                  });
}

const Command kConfigCommands[] = {
    {"config", "config (<app>|--global)", "Pretty-print an app or global environment", Config},
    {"config:clear", "config:clear [--no-restart] (<app>|--global)", "Clears environment variables",
     ConfigClear},
    {"config:export", "config:export [--format=FORMAT] [--merged] (<app>|--global)",
     "Export a global or app environment", ConfigExport},
    {"config:get", "config:get [--quoted] (<app>|--global) KEY",
     "Display a global or app-specific config value", ConfigGet},
    {"config:keys", "config:keys [--merged] (<app>|--global)", "Show keys set in environment",
     ConfigKeys},
    {"config:show", "config:show [--merged] (<app>|--global)", "Show keys set in environment",
     ConfigShow},
    {"config:set",
     "config:set [--encoded] [--no-restart] (<app>|--global) KEY1=VALUE1 [KEY2=VALUE2 ...]",
     "Set one or more config vars", ConfigSet},
    {"config:unset", "config:unset [--no-restart] (<app>|--global) KEY1 [KEY2 ...]",
     "Unset one or more config vars", ConfigUnset},
};

}  // namespace

std::span<const Command> ConfigCommands() { return kConfigCommands; }

}  // namespace dokku

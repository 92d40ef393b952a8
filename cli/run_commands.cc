// run, run:detached, run:list, run:logs, run:stop, enter and ps:inspect: one-off containers and
// looks inside live ones, served by dokkud's control socket. The CLI parses and checks the
// arguments (Dokku's messages), then relays; it never reaches Docker itself.
#include <fmt/format.h>

#include <algorithm>

#include "cli/command_util.h"
#include "cli/commands.h"
#include "cli/control_client.h"
#include "cli/format.h"
#include "cli/operate_commands.h"
#include "cli/ps_commands.h"
#include "controller/model/operate.h"
#include "store/parse_int.h"

namespace dokku {

bool ParseLogFlags(Context& ctx, const Args& args, std::initializer_list<FlagSpec> extra,
                   LogFlags* out, int* rc) {
  // pflag's shorthands, rewritten to the long names ParseFlags knows.
  static const std::pair<const char*, const char*> kShort[] = {
      {"-t", "--tail"}, {"-n", "--num"}, {"-q", "--quiet"}, {"-p", "--ps"}};
  Args normal;
  bool ended = false;
  for (const std::string& a : args) {
    std::string arg = a;
    if (a == "--") ended = true;
    for (const auto& [s, l] : kShort) {
      if (!ended && (a == s || a.starts_with(std::string(s) + "="))) arg = l + a.substr(2);
    }
    normal.push_back(std::move(arg));
  }
  std::vector<FlagSpec> specs = {{"tail"}, {"num", true}, {"quiet"}};
  specs.insert(specs.end(), extra.begin(), extra.end());
  StatusOr<ParsedFlags> p = ParseFlagList(normal, specs);
  if (!p.ok()) {
    *rc = ctx.UsageError(p.status().message());
    return false;
  }
  out->positional = p->positional;
  out->tail = p->Has("tail");
  out->quiet = p->Has("quiet");
  out->ps = p->Value("ps");
  out->container = p->Value("container");
  if (p->values.count("num") > 0) {
    const std::string n = p->Value("num");
    std::optional<long long> v = ParseInteger(n);
    if (!v || *v < -1 || *v > 1000000000) {
      *rc =
          ctx.UsageError(fmt::format("invalid argument \"{}\" for \"-n, --num\" flag: "
                                     "strconv.ParseInt: parsing \"{}\": invalid syntax",
                                     n, n));
      return false;
    }
    out->num = static_cast<int>(*v);
  }
  return true;
}

int RequireDeployed(Context& ctx, const std::string& app) {
  if (int rc = VerifyApp(ctx, app); rc != kExitOk) return rc;
  StatusOr<App> row = ctx.store().GetApp(app);
  if (!row.ok()) return ctx.FailStatus(row.status());
  if (!row->current_release) return ctx.Fail(fmt::format("App {} has not been deployed", app));
  return kExitOk;
}

namespace {

// run's flags, which Dokku reads only before the app (everything after it is the command).
struct RunArgs {
  std::string app;
  std::vector<std::string> cmd, env;
  bool no_tty = false, force_tty = false;
  std::string ttl = "86400";
};

// Dokku's hand parser: a flag missing its value warns and ends the flags.
bool ParseRunArgs(Context& ctx, const Args& args, RunArgs* out) {
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const std::string& flag, std::string* into) {
      if (a.size() > flag.size() && a.starts_with(flag + "=")) {
        *into = a.substr(flag.size() + 1);
        return true;
      }
      if (i + 1 >= args.size()) {
        ctx.Warn(fmt::format("expected {} to have an argument", flag));
        return false;
      }
      *into = args[++i];
      return true;
    };
    std::string v;
    if (a == "-e" || a == "--env" || a.starts_with("-e=") || a.starts_with("--env=")) {
      if (!value(a.starts_with("--") ? "--env" : "-e", &v)) break;
      out->env.push_back(v);
    } else if (a == "--ttl-seconds" || a.starts_with("--ttl-seconds=")) {
      if (!value("--ttl-seconds", &out->ttl)) break;
    } else if (a == "--no-tty") {
      out->no_tty = true;
    } else if (a == "--force-tty") {
      out->force_tty = true;
    } else {
      break;
    }
  }
  if (i < args.size() && !LooksLikeFlag(args[i])) {
    out->app = args[i];
    out->cmd.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
  }
  if (out->no_tty && out->force_tty) {
    ctx.Fail("Cannot specify both --force-tty and --no-tty");
    return false;
  }
  if (out->ttl.empty() || !std::all_of(out->ttl.begin(), out->ttl.end(), ::isdigit) ||
      !ParseInt(out->ttl, 0, 1'000'000'000)) {
    ctx.Fail("--ttl-seconds must be a positive integer");
    return false;
  }
  return true;
}

int RunCommon(Context& ctx, const Args& args, bool detached) {
  RunArgs r;
  if (!ParseRunArgs(ctx, args, &r)) return kExitError;
  if (r.app.empty()) return ctx.Fail("App  does not exist", kExitNoApp);
  if (int rc = VerifyApp(ctx, r.app); rc != kExitOk)
    return rc == kExitNoApp || rc == kExitError ? rc : kExitError;
  if (int rc = RequireDeployed(ctx, r.app); rc != kExitOk) return rc;
  const bool tty = !r.no_tty && (r.force_tty || (!detached && StdinIsTerminal(ctx)));
  int rows = 0, cols = 0;
  if (tty) TerminalSize(&rows, &cols);
  nlohmann::json request = {{"op", "run"},
                            {"app", r.app},
                            {"cmd", r.cmd},
                            {"env", r.env},
                            {"tty", tty},
                            {"rows", rows},
                            {"cols", cols},
                            {"detached", detached},
                            {"ttl", static_cast<int>(*ParseInt(r.ttl, 0, 1'000'000'000))}};
  return CallDaemon(ctx, request, {.attach_stdin = !detached, .tty = tty && !detached});
}

int Run(Context& ctx, const Args& args) { return RunCommon(ctx, args, false); }
int RunDetached(Context& ctx, const Args& args) { return RunCommon(ctx, args, true); }

// Docker's "2024-05-01 10:00:00 +0000 UTC".
std::string CreatedAt(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  tm utc{};
  gmtime_r(&t, &utc);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &utc);
  return buf;
}

void PrintRunTable(Context& ctx, const nlohmann::json& list, bool header) {
  std::vector<std::vector<std::string>> rows;
  if (header) rows.push_back({"NAMES", "COMMAND", "CREATED"});
  const int64_t now = ctx.clock().NowMs() / 1000;
  for (const nlohmann::json& c : list) {
    rows.push_back({c.value("name", ""), c.value("command", ""),
                    HumanAgo(c.value("created", int64_t{0}), now)});
  }
  // Docker's tabwriter: cells padded to the widest in the column plus 3 (at least 10).
  size_t w0 = 10, w1 = 10;
  for (const auto& r : rows) {
    w0 = std::max(w0, r[0].size() + 3);
    w1 = std::max(w1, r[1].size() + 3);
  }
  for (const auto& r : rows) {
    ctx.Raw(fmt::format("{:<{}}{:<{}}{}", r[0], w0, r[1], w1, r[2]));
  }
}

int RunList(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {{"format", true}, {"quiet"}}, 1, &p, &rc)) return rc;
  const std::string format = p.Value("format", "stdout");
  if (format != "stdout" && format != "json")
    return ctx.Fail(fmt::format("Invalid format specified: {}", format));
  const std::string app = Arg(p, 0);
  if ((rc = VerifyApp(ctx, app)) != kExitOk) return rc;
  std::string captured;
  rc = CallDaemon(ctx, {{"op", "run:list"}, {"app", app}}, {.capture_stdout = &captured});
  if (rc != kExitOk) return rc;
  nlohmann::json list = nlohmann::json::parse(captured, nullptr, false);
  if (!list.is_array()) return ctx.Fail("dokkud answered run:list with something else");
  if (format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const nlohmann::json& c : list) {
      out.push_back({{"name", c.value("name", "")},
                     {"state", c.value("state", "")},
                     {"command", c.value("command", "")},
                     {"created_at", CreatedAt(c.value("created", int64_t{0}))}});
    }
    ctx.Raw(out.dump(2));
    return kExitOk;
  }
  const bool quiet = p.Has("quiet") || ctx.quiet;
  if (!quiet) ctx.Info2(fmt::format("{} run containers", app));
  PrintRunTable(ctx, list, !quiet);
  return kExitOk;
}

// `<app>.run.<n>`: Dokku's checks of a run container name given with --container.
int CheckRunContainer(Context& ctx, const std::string& app, const std::string& container) {
  if (std::count(container.begin(), container.end(), '.') != 2)
    return ctx.Fail(fmt::format("Invalid container name specified: {}", container));
  const std::string owner = container.substr(0, container.find('.'));
  if (!app.empty() && owner != app) return ctx.Fail("Specified app does not app in container name");
  const size_t first = container.find('.') + 1;
  if (container.substr(first, container.rfind('.') - first) != "run")
    return ctx.Fail("Specified container must be a run container");
  return VerifyApp(ctx, owner);
}

// The app and container of run:logs / run:stop: `<app>` or `--container <app>.run.<n>`.
int RunTarget(Context& ctx, const std::string& app_arg, const std::string& container,
              std::string* app) {
  if (app_arg.empty() && container.empty()) return ctx.Fail("No container or app specified");
  if (!container.empty()) {
    if (int rc = CheckRunContainer(ctx, app_arg, container); rc != kExitOk) return rc;
    *app = container.substr(0, container.find('.'));
    return kExitOk;
  }
  *app = app_arg;
  return VerifyApp(ctx, app_arg);
}

int RunLogs(Context& ctx, const Args& args) {
  LogFlags f;
  int rc = 0;
  if (!ParseLogFlags(ctx, args, {{"container", true}}, &f, &rc)) return rc;
  if (f.positional.size() > 1) return ctx.UsageError("too many arguments");
  std::string app;
  if ((rc = RunTarget(ctx, f.positional.empty() ? "" : f.positional[0], f.container, &app)) != 0)
    return rc;
  nlohmann::json request = {{"op", "logs"},
                            {"run", true},
                            {"app", app},
                            {"num", f.num},
                            {"tail", f.tail},
                            {"quiet", f.quiet},
                            {"container", f.container}};
  return CallDaemon(ctx, request, {});
}

int RunStop(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {{"container", true}}, 1, &p, &rc)) return rc;
  std::string app;
  if ((rc = RunTarget(ctx, Arg(p, 0), p.Value("container"), &app)) != kExitOk) return rc;
  return CallDaemon(ctx, {{"op", "run:stop"}, {"app", app}, {"container", p.Value("container")}},
                    {});
}

int Enter(Context& ctx, const Args& args) {
  std::string app, target, container_id;
  std::vector<std::string> cmd;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--container-id") {
      if (i + 1 >= args.size()) return ctx.Fail("expected --container-id to have an argument");
      container_id = args[++i];
    } else if (a.starts_with("--container-id=")) {
      container_id = a.substr(15);
    } else if (a == "--") {
      ++i;
      break;
    } else if (app.empty()) {
      app = a;
    } else if (target.empty() && container_id.empty()) {
      target = a;
    } else {
      break;
    }
  }
  cmd.assign(args.begin() + static_cast<std::ptrdiff_t>(std::min(i, args.size())), args.end());
  if (int rc = RequireDeployed(ctx, app); rc != kExitOk) return rc;
  const bool tty = StdinIsTerminal(ctx);
  int rows = 0, cols = 0;
  if (tty) TerminalSize(&rows, &cols);
  nlohmann::json request = {
      {"op", "enter"}, {"app", app}, {"target", target}, {"container_id", container_id},
      {"cmd", cmd},    {"tty", tty}, {"rows", rows},     {"cols", cols}};
  return CallDaemon(ctx, request, {.attach_stdin = true, .tty = tty});
}

const Command kRunCommands[] = {
    {"run", "run [-e|--env KEY=VALUE] [--no-tty] [--ttl-seconds SECONDS] <app> <cmd>",
     "Run a command in a new container using the current app image", Run},
    {"run:detached",
     "run:detached [-e|-env KEY=VALUE] [--force-tty] [--ttl-seconds SECONDS] <app> <cmd>",
     "Run a command in a new detached container using the current app image", RunDetached},
    {"run:list", "run:list [--format json|stdout] <app>", "List all run containers for an app",
     RunList},
    {"run:logs", "run:logs <app|--container CONTAINER> [-h] [-t] [-n num] [-q]",
     "Display recent log output for run containers", RunLogs},
    {"run:stop", "run:stop <app|--container CONTAINER>",
     "Stops all run containers for an app or a specified run container", RunStop},
};

const Command kEnterCommands[] = {
    {"enter", "enter <app> [<container-type> || --container-id <container-id>]",
     "Connect to a specific app container", Enter},
};

}  // namespace

int PsInspect(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {}, 1, &p, &rc)) return rc;
  if ((rc = VerifyApp(ctx, Arg(p, 0))) != kExitOk) return rc;
  return CallDaemon(ctx, {{"op", "ps:inspect"}, {"app", Arg(p, 0)}}, {});
}

std::span<const Command> RunCommands() { return kRunCommands; }
std::span<const Command> EnterCommands() { return kEnterCommands; }

}  // namespace dokku

namespace dokku {

int PsRetire(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {}, 1, &p, &rc)) return rc;
  if (!Arg(p, 0).empty() && (rc = VerifyApp(ctx, Arg(p, 0))) != kExitOk) return rc;
  return CallDaemon(ctx, {{"op", "ps:retire"}, {"app", Arg(p, 0)}}, {});
}

}  // namespace dokku

// logs: `logs` and `run:logs` (served by dokkud's control socket: the CLI reads no Docker) and
// `logs:failed` (the output of the last failed deploy's containers, from the deploy log the
// daemon records in the store).
#include <fmt/format.h>

#include "cli/command_util.h"
#include "cli/commands.h"
#include "cli/control_client.h"
#include "cli/flags.h"
#include "cli/operate_commands.h"

namespace dokku {
namespace {

int Logs(Context& ctx, const Args& args) {
  LogFlags f;
  int rc = 0;
  if (!ParseLogFlags(ctx, args, {{"ps", true}}, &f, &rc)) return rc;
  if (f.positional.size() > 1) return ctx.UsageError("too many arguments");
  const std::string app = f.positional.empty() ? "" : f.positional[0];
  if ((rc = RequireDeployed(ctx, app)) != kExitOk) return rc;
  nlohmann::json request = {{"op", "logs"},   {"app", app},       {"num", f.num},
                            {"tail", f.tail}, {"quiet", f.quiet}, {"ps", f.ps}};
  return CallDaemon(ctx, request, {});
}

// The deploy log's container output blocks ("Start of <app> container output ..." to "End
// of ...") since the last "Deploying <app> (" line: the containers of the last failed deploy.
std::vector<std::string> FailedOutput(const std::vector<Event>& events, const std::string& app) {
  const std::string deploying = fmt::format("Deploying {} (", app);
  const std::string start = fmt::format("Start of {} container output", app);
  const std::string end = fmt::format("End of {} container output", app);
  size_t from = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].text.starts_with(deploying)) from = i;
  }
  std::vector<std::string> lines;
  bool inside = false;
  for (size_t i = from; i < events.size(); ++i) {
    const std::string& text = events[i].text;
    if (text.starts_with(start)) {
      inside = true;
    } else if (text.starts_with(end)) {
      inside = false;
    } else if (inside) {
      lines.push_back(text);
    }
  }
  return lines;
}

int LogsFailedApp(Context& ctx, const std::string& app) {
  StatusOr<std::vector<Event>> events = ctx.store().EventsAfter(app, 0);
  if (!events.ok()) return ctx.FailStatus(events.status());
  ctx.Info2(fmt::format("{} failed deploy logs", app));
  std::vector<std::string> lines = FailedOutput(*events, app);
  if (lines.empty()) return ctx.Fail("No failed containers found");
  for (const std::string& line : lines) ctx.Raw(line);
  return kExitOk;
}

int LogsFailed(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {{"all"}}, 1, &p, &rc)) return rc;
  if (!p.Has("all")) {
    if ((rc = VerifyApp(ctx, Arg(p, 0))) != kExitOk) return rc;
    return LogsFailedApp(ctx, Arg(p, 0));
  }
  if (!ctx.OpenStore()) return kExitError;
  StatusOr<std::vector<App>> apps = ctx.store().ListApps();
  if (!apps.ok()) return ctx.FailStatus(apps.status());
  int errors = 0;
  for (const App& a : *apps) {
    ctx.Info1(fmt::format("Running logs:failed against app {}", a.name));
    if (LogsFailedApp(ctx, a.name) != kExitOk) ++errors;
  }
  if (errors > 0) return ctx.Fail(fmt::format("logs:failed command returned {} errors", errors));
  return kExitOk;
}

const Command kLogsCommands[] = {
    {"logs", "logs [-h|--help] [-t|--tail] [-n|--num num] [-q|--quiet] [-p|--ps process] <app>",
     "Display recent log output", Logs},
    {"logs:failed", "logs:failed [--all|<app>]", "Shows the last failed deploy logs", LogsFailed},
};

}  // namespace

std::span<const Command> LogsCommands() { return kLogsCommands; }

}  // namespace dokku

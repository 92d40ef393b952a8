// docker-options:add/remove/clear/list/report (spec §5.1). Only the `docker run` flags dokkud can
// map onto the Engine API are accepted (store/docker_options.h); nothing reaches a shell. Deploy
// options are part of the container spec, so a change replaces the affected containers; build
// and run options are stored and reported (dokkud has no build or run containers yet).
#include <fmt/format.h>

#include <algorithm>

#include "cli/command_util.h"
#include "cli/report.h"
#include "store/docker_options.h"
#include "store/host_config.h"
#include "store/validation.h"

namespace dokku {
namespace {

struct OptionArgs {
  std::vector<std::string> processes;  // --process, repeatable; empty: app-wide
  std::vector<std::string> positional;
};

// `--process P` may come anywhere, even inside OPTION (Dokku lifts it out).
StatusOr<OptionArgs> ParseOptionArgs(const Args& args) {
  OptionArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--process") {
      if (i + 1 == args.size()) return Status::InvalidArgument("flag needs an argument: --process");
      out.processes.push_back(args[++i]);
    } else if (a.rfind("--process=", 0) == 0) {
      out.processes.push_back(a.substr(10));
    } else {
      out.positional.push_back(a);
    }
  }
  for (const std::string& p : out.processes) {
    if (p == kDefaultProcessType) {
      return Status::InvalidArgument(
          "\"_default_\" is reserved and cannot be used as a process type");
    }
    DOKKU_RETURN_IF_ERROR(ValidateProcessType(p));  // all of them before anything is written
  }
  return out;
}

std::string JoinFrom(const std::vector<std::string>& words, size_t from) {
  std::string out;
  for (size_t i = from; i < words.size(); ++i) out += (out.empty() ? "" : " ") + words[i];
  return out;
}

// -v binds may not expose the state directory or the Docker socket without `dokku --force`.
Status CheckBinds(Context& ctx, const std::vector<std::string>& options) {
  if (ctx.force) return Status::Ok();
  const std::string state = ctx.Getenv("DOKKU_LIB_ROOT", "/var/lib/dokku");
  for (const std::string& o : options) {
    DockerRunOptions parsed;
    DOKKU_RETURN_IF_ERROR(ApplyDockerOption(o, &parsed));
    for (const std::string& bind : parsed.binds) {
      DOKKU_RETURN_IF_ERROR(CheckHostPathAllowed(bind.substr(0, bind.find(':')), state));
    }
  }
  return Status::Ok();
}

void WarnUndeclared(Context& ctx, const std::string& app, const std::vector<std::string>& procs) {
  StatusOr<App> row = ctx.store().GetApp(app);
  if (!row.ok()) return;
  StatusOr<std::optional<Release>> governing = ctx.store().GoverningRelease(*row);
  if (!governing.ok() || !*governing || !(*governing)->proctypes) return;
  const auto& types = *(*governing)->proctypes;
  for (const std::string& p : procs) {
    if (std::find(types.begin(), types.end(), p) == types.end()) {
      ctx.Warn(fmt::format("Process type \"{}\" is not declared in the Procfile for {}", p, app));
    }
  }
}

int AddOrRemove(Context& ctx, const Args& args, bool add) {
  StatusOr<OptionArgs> parsed = ParseOptionArgs(args);
  if (!parsed.ok()) return ctx.FailStatus(parsed.status());
  const std::vector<std::string>& pos = parsed->positional;
  const std::string app = pos.empty() ? "" : pos[0];
  if (int code = VerifyApp(ctx, app)) return code;
  StatusOr<std::vector<std::string>> phases = ParseDockerOptionPhases(pos.size() > 1 ? pos[1] : "");
  if (!phases.ok()) return ctx.FailStatus(phases.status());
  const std::string text = JoinFrom(pos, 2);
  if (text.empty()) {
    return ctx.Fail(fmt::format("Please specify docker options to {} the phase",
                                add ? "add to" : "remove from"));
  }
  StatusOr<std::vector<std::string>> options = SplitDockerOptions(text);
  if (!options.ok()) return ctx.FailStatus(options.status());
  if (add) {
    if (Status st = CheckBinds(ctx, *options); !st.ok()) return ctx.FailStatus(st);
  }
  std::vector<std::string> procs = parsed->processes;
  if (procs.empty()) procs.push_back(kDefaultProcessType);
  for (const std::string& phase : *phases) {
    if (procs.front() != kDefaultProcessType && phase != "deploy") {
      return ctx.Fail(
          fmt::format("--process is only supported for the deploy phase, got \"{}\"", phase));
    }
  }
  // One process type at a time: the store validates each before it writes.
  for (const std::string& proc : procs) {
    StatusOr<int64_t> gen = add ? ctx.store().AddDockerOptions(app, *phases, proc, *options)
                                : ctx.store().RemoveDockerOptions(app, *phases, proc, *options);
    if (!gen.ok()) return ctx.FailStatus(gen.status());
  }
  if (procs.front() != kDefaultProcessType) WarnUndeclared(ctx, app, procs);
  return kExitOk;
}

int DockerOptionsAdd(Context& ctx, const Args& args) { return AddOrRemove(ctx, args, true); }
int DockerOptionsRemove(Context& ctx, const Args& args) { return AddOrRemove(ctx, args, false); }

int DockerOptionsClear(Context& ctx, const Args& args) {
  StatusOr<OptionArgs> parsed = ParseOptionArgs(args);
  if (!parsed.ok()) return ctx.FailStatus(parsed.status());
  const std::vector<std::string>& pos = parsed->positional;
  if (pos.size() > 2) return ctx.UsageError("too many arguments");
  const std::string app = pos.empty() ? "" : pos[0];
  if (int code = VerifyApp(ctx, app)) return code;
  const bool scoped = !parsed->processes.empty();
  std::vector<std::string> phases;
  if (pos.size() > 1 || scoped) {
    StatusOr<std::vector<std::string>> p =
        ParseDockerOptionPhases(pos.size() > 1 ? pos[1] : "deploy");
    if (!p.ok()) return ctx.FailStatus(p.status());
    phases = *p;
  }
  const std::vector<std::string> procs =
      scoped ? parsed->processes : std::vector<std::string>{kDefaultProcessType};
  for (const std::string& proc : procs) {
    StatusOr<int64_t> gen = ctx.store().ClearDockerOptions(app, phases, scoped ? proc : "");
    if (!gen.ok()) return ctx.FailStatus(gen.status());
  }
  if (phases.empty()) {
    ctx.Info1(fmt::format("Clearing docker-options for {} on all phases", app));
    return kExitOk;
  }
  for (const std::string& proc : procs) {
    for (const std::string& phase : phases) {
      ctx.Info1(fmt::format("Clearing docker-options for {} on phase {}{}", app, phase,
                            scoped ? " for process " + proc : ""));
    }
  }
  return kExitOk;
}

int DockerOptionsList(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {{"process", true}, {"phase", true}}, 1, &p, &rc)) return rc;
  const std::string app = Arg(p, 0);
  if (int code = VerifyApp(ctx, app)) return code;
  if (p.Value("phase").empty()) return ctx.Fail("--phase is required");
  StatusOr<std::vector<std::string>> phase = ParseDockerOptionPhases(p.Value("phase"));
  if (!phase.ok()) return ctx.FailStatus(phase.status());
  const std::string proc = p.Value("process", kDefaultProcessType);
  StatusOr<std::vector<DockerOption>> all = ctx.store().ListDockerOptions(app);
  if (!all.ok()) return ctx.FailStatus(all.status());
  for (const DockerOption& o : *all) {
    if (o.process_type == proc && o.phase == phase->front()) ctx.Raw(o.option);
  }
  return kExitOk;
}

// "<phase>" or "deploy.<proc>" -> the stored options, in order.
StatusOr<std::map<std::string, std::vector<std::string>>> Grouped(Store& store,
                                                                  const std::string& app) {
  std::map<std::string, std::vector<std::string>> out = {
      {"build", {}}, {"deploy", {}}, {"run", {}}};
  StatusOr<std::vector<DockerOption>> all = store.ListDockerOptions(app);
  if (!all.ok()) return all.status();
  for (const DockerOption& o : *all) {
    const bool app_wide = o.process_type == kDefaultProcessType;
    out[app_wide ? o.phase : o.phase + "." + o.process_type].push_back(o.option);
  }
  return out;
}

int DockerOptionsReport(Context& ctx, const Args& args) {
  ReportStyle style{"docker-options", true, ""};
  style.multi_flag_error = "docker-options:report command allows only a single flag";
  style.json_lists = [&](const std::string& app) -> StatusOr<ReportLists> {
    if (app == kGlobal) return ReportLists{};
    auto grouped = Grouped(ctx.store(), app);
    if (!grouped.ok()) return grouped.status();
    ReportLists lists;
    for (const auto& [key, options] : *grouped) lists[key + "-list"] = options;
    return lists;
  };
  return RunReport(ctx, args, style, [&](const std::string& app) -> StatusOr<ReportFlags> {
    if (app == kGlobal) return ReportFlags{};
    auto grouped = Grouped(ctx.store(), app);
    if (!grouped.ok()) return grouped.status();
    ReportFlags f;
    for (const auto& [key, options] : *grouped) {
      std::string joined;
      for (const std::string& o : options) joined += (joined.empty() ? "" : " ") + o;
      f["--docker-options-" + key] = joined;
    }
    return f;
  });
}

const Command kDockerOptionsCommands[] = {
    {"docker-options:add", "docker-options:add <app> <phase(s)> OPTION",
     "Add Docker option to app for phase (comma separated phase list)", DockerOptionsAdd},
    {"docker-options:clear", "docker-options:clear <app> [phase(s)]",
     "Clear a docker options from application with an optional phase (comma separated phase "
     "list)",
     DockerOptionsClear},
    {"docker-options:list", "docker-options:list <app> [--process P] --phase PHASE",
     "List the docker options of a phase, one per line", DockerOptionsList, true},
    {"docker-options:remove", "docker-options:remove <app> <phase(s)> OPTION",
     "Remove Docker option from app for phase (comma separated phase list)", DockerOptionsRemove},
    {"docker-options:report", "docker-options:report [<app>] [<flag>]",
     "Displays a docker options report for one or more apps", DockerOptionsReport},
};

}  // namespace

std::span<const Command> DockerOptionsCommands() { return kDockerOptionsCommands; }

}  // namespace dokku

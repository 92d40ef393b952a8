// resource:limit, resource:reserve, their -clear forms and resource:report (spec §5.2). Values
// are desired state: dokkud maps the effective ones onto each deploy container (Memory,
// MemorySwap, NanoCpus, MemoryReservation, GPUs) and a change replaces the affected containers.
#include <fmt/format.h>

#include "cli/command_util.h"
#include "cli/report.h"
#include "store/host_config.h"

namespace dokku {
namespace {

struct KindText {
  const char* kind;      // "limit" | "reserve"
  const char* setting;   // "resource limits" | "resource reservation"
  const char* clearing;  // "limits" | "reservation"
};
constexpr KindText kLimit = {"limit", "resource limits", "limits"};
constexpr KindText kReserve = {"reserve", "resource reservation", "reservation"};

std::string ProcSuffix(const std::string& proc) { return proc.empty() ? "" : " (" + proc + ")"; }

// Prints the stored values of one process type (not merged with the app-wide ones), as Dokku's
// resource:limit without options does.
int ShowResources(Context& ctx, const std::string& app, const std::string& proc,
                  const KindText& kind) {
  StatusOr<std::vector<ResourceSetting>> all = ctx.store().ListResources(app);
  if (!all.ok()) return ctx.FailStatus(all.status());
  const std::string scope = proc.empty() ? kDefaultProcessType : proc;
  ctx.Info2(fmt::format("{} {} information {}", kind.setting, app,
                        proc.empty() ? "[defaults]" : "(" + proc + ")"));
  for (const std::string& key : ResourceKeys()) {
    std::string value;
    for (const ResourceSetting& s : *all) {
      if (s.process_type == scope && s.kind == kind.kind && s.key == key) value = s.value;
    }
    ctx.Verbose(fmt::format("{}: {}", key, value));
  }
  return kExitOk;
}

int SetResourcesCmd(Context& ctx, const Args& args, const KindText& kind) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args,
                        {{"process-type", true},
                         {"cpu", true},
                         {"memory", true},
                         {"memory-swap", true},
                         {"network", true},
                         {"network-ingress", true},
                         {"network-egress", true},
                         {"nvidia-gpu", true}},
                        1, &p, &rc)) {
    return rc;
  }
  const std::string app = Arg(p, 0), proc = p.Value("process-type");
  if (int code = VerifyApp(ctx, app)) return code;
  std::vector<std::pair<std::string, std::string>> values;
  for (const std::string& key : ResourceKeys()) {
    if (p.values.count(key)) values.emplace_back(key, p.Value(key));
  }
  if (values.empty()) return ShowResources(ctx, app, proc, kind);
  StatusOr<int64_t> gen =
      ctx.store().SetResources(app, proc.empty() ? kDefaultProcessType : proc, kind.kind, values);
  if (!gen.ok()) return ctx.FailStatus(gen.status());
  ctx.Info2(fmt::format("Setting {} for {}{}", kind.setting, app, ProcSuffix(proc)));
  for (const auto& [key, value] : values) {
    ctx.Verbose(fmt::format("{}: {}", key, value == "clear" ? "cleared" : value));
  }
  return kExitOk;
}

int ClearResourcesCmd(Context& ctx, const Args& args, const KindText& kind) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {{"process-type", true}}, 1, &p, &rc)) return rc;
  const std::string app = Arg(p, 0), proc = p.Value("process-type");
  if (int code = VerifyApp(ctx, app)) return code;
  ctx.Info2(fmt::format("clearing {} {}{}", app, kind.clearing, ProcSuffix(proc)));
  StatusOr<int64_t> gen = ctx.store().ClearResources(app, proc, kind.kind);
  return gen.ok() ? kExitOk : ctx.FailStatus(gen.status());
}

int ResourceLimit(Context& ctx, const Args& args) { return SetResourcesCmd(ctx, args, kLimit); }
int ResourceReserve(Context& ctx, const Args& args) { return SetResourcesCmd(ctx, args, kReserve); }
int ResourceLimitClear(Context& ctx, const Args& args) {
  return ClearResourcesCmd(ctx, args, kLimit);
}
int ResourceReserveClear(Context& ctx, const Args& args) {
  return ClearResourcesCmd(ctx, args, kReserve);
}

// One flag per stored value: --resource-<proc>.<kind>.<key>.
int ResourceReport(Context& ctx, const Args& args) {
  ReportStyle style{"resource", true, ""};
  style.capitalize_labels = false;
  return RunReport(ctx, args, style, [&](const std::string& app) -> StatusOr<ReportFlags> {
    if (app == kGlobal) return ReportFlags{};
    StatusOr<std::vector<ResourceSetting>> all = ctx.store().ListResources(app);
    if (!all.ok()) return all.status();
    ReportFlags f;
    for (const ResourceSetting& s : *all) {
      f[fmt::format("--resource-{}.{}.{}", s.process_type, s.kind, s.key)] = s.value;
    }
    return f;
  });
}

const Command kResourceCommands[] = {
    {"resource:limit", "resource:limit [--process-type <process-type>] [RESOURCE_OPTS...] <app>",
     "Limit resources for a given app/process-type combination", ResourceLimit},
    {"resource:limit-clear", "resource:limit-clear [--process-type <process-type>] <app>",
     "Limit resources for a given app/process-type combination", ResourceLimitClear},
    {"resource:report", "resource:report [<app>] [<flag>]",
     "Displays a resource report for one or more apps", ResourceReport},
    {"resource:reserve",
     "resource:reserve [--process-type <process-type>] [RESOURCE_OPTS...] <app>",
     "Reserve resources for a given app/process-type combination", ResourceReserve},
    {"resource:reserve-clear", "resource:reserve-clear [--process-type <process-type>] <app>",
     "Reserve resources for a given app/process-type combination", ResourceReserveClear},
};

}  // namespace

std::span<const Command> ResourceCommands() { return kResourceCommands; }

}  // namespace dokku

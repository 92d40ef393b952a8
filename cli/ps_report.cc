// ps:report: Dokku's ps report (spec §2.3) from the store's desired and observed state.
#include <fmt/format.h>

#include "cli/app_view.h"
#include "cli/ps_commands.h"
#include "cli/report.h"

namespace dokku {
namespace {

struct PsDefault {
  const char* key;
  const char* fallback;
};
// Properties with a global scope, and their defaults.
constexpr PsDefault kGlobalProps[] = {{"procfile-path", "Procfile"},
                                      {"restart-policy", "on-failure:10"},
                                      {"skip-deploy", "false"},
                                      {"stop-timeout-seconds", "30"}};

std::string Lookup(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? "" : it->second;
}

StatusOr<ReportFlags> GlobalFlags(Store& store, std::map<std::string, std::string>* global) {
  StatusOr<std::map<std::string, std::string>> props = store.GetProperties("ps", kGlobal);
  if (!props.ok()) return props.status();
  *global = *props;
  ReportFlags flags;
  for (const PsDefault& d : kGlobalProps) {
    std::string value = Lookup(*global, d.key);
    flags[fmt::format("--ps-global-{}", d.key)] = value;
    flags[fmt::format("--ps-computed-{}", d.key)] = value.empty() ? d.fallback : value;
  }
  return flags;
}

StatusOr<ReportFlags> AppFlags(Store& store, const std::string& app) {
  std::map<std::string, std::string> global;
  StatusOr<ReportFlags> flags = GlobalFlags(store, &global);
  if (!flags.ok()) return flags;
  StatusOr<std::map<std::string, std::string>> props = store.GetProperties("ps", app);
  if (!props.ok()) return props.status();
  StatusOr<AppView> view = LoadAppView(store, app);
  if (!view.ok()) return view.status();
  ReportFlags& f = *flags;
  for (const PsDefault& d : kGlobalProps) {
    std::string value = Lookup(*props, d.key);
    f[fmt::format("--ps-{}", d.key)] = value;
    if (!value.empty()) f[fmt::format("--ps-computed-{}", d.key)] = value;
  }
  for (const char* key : {"dockerfile-start-cmd", "start-cmd"}) {
    f[fmt::format("--ps-{}", key)] = Lookup(*props, key);
    f[fmt::format("--ps-computed-{}", key)] = Lookup(*props, key);
  }
  std::string restore = Lookup(*props, "restore");
  f["--restore"] = restore.empty() ? "true" : restore;
  f["--deployed"] = view->deployed ? "true" : "false";
  f["--processes"] = std::to_string(view->live.size());
  f["--ps-can-scale"] = view->can_scale ? "true" : "false";
  f["--running"] = view->running;
  for (const ObservedContainer& c : view->live) {
    // On a swarm of several nodes the report also says where each task runs.
    f[fmt::format("--status-{}.{}", c.proctype, c.index)] =
        c.node.empty() ? fmt::format("{} (CID: {})", c.state, c.id.substr(0, 11))
                       : fmt::format("{} (CID: {}, node: {})", c.state, c.id.substr(0, 11), c.node);
  }
  return flags;
}

}  // namespace

int PsReport(Context& ctx, const Args& args) {
  return RunReport(ctx, args, {"ps", true, ""},
                   [&](const std::string& app) -> StatusOr<ReportFlags> {
                     if (app == kGlobal) {
                       std::map<std::string, std::string> global;
                       return GlobalFlags(ctx.store(), &global);
                     }
                     return AppFlags(ctx.store(), app);
                   });
}

}  // namespace dokku

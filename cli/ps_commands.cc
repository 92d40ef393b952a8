// ps <app> (status table), ps:scale, ps:set, and the ps command table.
#include "cli/ps_commands.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/app_view.h"
#include "cli/command_util.h"
#include "cli/follow.h"
#include "cli/format.h"
#include "cli/operate_commands.h"
#include "store/validation.h"

namespace dokku {
namespace {

int RoleOrder(const std::string& role) { return role == "live" ? 0 : role == "upcoming" ? 1 : 2; }

// Tag of each release id, looked up once.
class ReleaseTags {
 public:
  explicit ReleaseTags(Store& store) : store_(store) {}
  std::optional<std::string> Get(const std::optional<int64_t>& id) {
    if (!id) return std::nullopt;
    auto it = cache_.find(*id);
    if (it == cache_.end()) {
      StatusOr<Release> r = store_.GetRelease(*id);
      it = cache_.emplace(*id, r.ok() ? std::optional<std::string>(r->tag) : std::nullopt).first;
    }
    return it->second;
  }

 private:
  Store& store_;
  std::map<int64_t, std::optional<std::string>> cache_;
};

int64_t UptimeSeconds(const ObservedContainer& c, int64_t now) {
  return c.state == "running" && c.started_at > 0 ? std::max<int64_t>(0, now - c.started_at) : 0;
}

void PrintStatusJson(Context& ctx, const std::vector<ObservedContainer>& cs, ReleaseTags& tags) {
  nlohmann::json arr = nlohmann::json::array();
  const int64_t now = ctx.clock().NowSeconds();
  for (const ObservedContainer& c : cs) {
    std::optional<std::string> tag = tags.Get(c.release_id);
    arr.push_back({{"name", c.name},
                   {"process_type", c.proctype},
                   {"index", c.index},
                   {"state", c.state},
                   {"role", c.role},
                   {"release", tag ? nlohmann::json(*tag) : nlohmann::json(nullptr)},
                   {"container_id", c.id},
                   {"uptime_seconds", UptimeSeconds(c, now)},
                   {"ip", c.ip},
                   {"port", c.port},
                   {"host_port", c.host_port},
                   {"node", c.node}});
  }
  ctx.Raw(arr.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void PrintStatusTable(Context& ctx, const std::vector<ObservedContainer>& cs, ReleaseTags& tags) {
  const bool host_ports =
      std::any_of(cs.begin(), cs.end(), [](const auto& c) { return c.host_port != 0; });
  const bool nodes =
      std::any_of(cs.begin(), cs.end(), [](const auto& c) { return !c.node.empty(); });
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "TYPE", "STATE", "RELEASE", "CONTAINER ID", "UPTIME"}};
  if (host_ports) rows[0].push_back("HOST PORT");
  if (nodes) rows[0].push_back("NODE");
  const int64_t now = ctx.clock().NowSeconds();
  for (const ObservedContainer& c : cs) {
    std::string state = c.role == "live" ? c.state : fmt::format("{} ({})", c.state, c.role);
    bool up = c.state == "running" && c.started_at > 0;
    rows.push_back({c.name, c.proctype, state, tags.Get(c.release_id).value_or("-"),
                    ShortId(c.id, 12), up ? FormatUptime(UptimeSeconds(c, now)) : "-"});
    if (host_ports) rows.back().push_back(c.host_port ? std::to_string(c.host_port) : "-");
    if (nodes) rows.back().push_back(c.node.empty() ? "-" : c.node);
  }
  PrintTable(ctx.out(), rows);
}

void PrintScale(Context& ctx, const std::string& app, const std::vector<FormationEntry>& f,
                bool json) {
  if (json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const FormationEntry& e : f) {
      arr.push_back({{"process_type", e.proctype}, {"quantity", e.quantity}});
    }
    ctx.Raw(arr.dump());
    return;
  }
  ctx.Info1Quiet(fmt::format("Scaling for {}", app));
  if (!ctx.quiet) {
    ctx.Raw("proctype: qty");
    ctx.Raw("--------: ---");
  }
  for (const FormationEntry& e : f)
    ctx.Raw(RightPad(e.proctype + ":", 5) + " " + std::to_string(e.quantity));
}

}  // namespace

int PsStatus(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {{"format", true}}, 1, &p, &rc)) return rc;
  const std::string app = Arg(p, 0), format = p.Value("format", "stdout");
  if (format != "stdout" && format != "json") {
    return ctx.Fail(fmt::format("Format must be \"stdout\" or \"json\": \"{}\"", format));
  }
  if (int code = VerifyApp(ctx, app)) return code;
  StatusOr<AppView> view = LoadAppView(ctx.store(), app);
  if (!view.ok()) return ctx.FailStatus(view.status());
  std::vector<ObservedContainer> cs = view->containers;
  std::stable_sort(cs.begin(), cs.end(), [](const auto& a, const auto& b) {
    return std::tie(a.proctype, a.index) < std::tie(b.proctype, b.index) ||
           (std::tie(a.proctype, a.index) == std::tie(b.proctype, b.index) &&
            RoleOrder(a.role) < RoleOrder(b.role));
  });
  ReleaseTags tags(ctx.store());
  if (format == "json") {
    PrintStatusJson(ctx, cs, tags);
  } else if (!view->deployed) {
    ctx.Warn(fmt::format("App {} has not been deployed", app));
  } else {
    PrintStatusTable(ctx, cs, tags);
  }
  return kExitOk;
}

int PsScale(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {{"skip-deploy"}, {"format", true}}, SIZE_MAX, &p, &rc)) {
    return rc;
  }
  const std::string app = Arg(p, 0);
  if (int code = VerifyApp(ctx, app)) return code;
  std::vector<std::string> tuples(p.positional.begin() + 1, p.positional.end());
  if (tuples.empty()) {
    StatusOr<std::vector<FormationEntry>> f = ctx.store().GetFormation(app);
    if (!f.ok()) return ctx.FailStatus(f.status());
    PrintScale(ctx, app, *f, p.Value("format") == "json");
    return kExitOk;
  }
  StatusOr<AppView> view = LoadAppView(ctx.store(), app);
  if (!view.ok()) return ctx.FailStatus(view.status());
  if (!view->can_scale) {
    return ctx.Fail(
        fmt::format("App {} contains DOKKU_SCALE file and cannot be manually scaled", app));
  }
  // app.json's formation sets those types' quantity at every release (Dokku's message); the
  // types it does not list stay the operator's (dokku#5412).
  for (const std::string& t : tuples) {
    const std::string proc = t.substr(0, t.find('='));
    if (std::find(view->app_json_scaled.begin(), view->app_json_scaled.end(), proc) !=
        view->app_json_scaled.end()) {
      return ctx.Fail(fmt::format(
          "App {} contains an app.json file with a formations key and cannot be manually scaled",
          app));
    }
  }
  // Malformed tuples are refused before anything is echoed back.
  std::vector<std::pair<std::string, int>> counts;
  for (const std::string& t : tuples) {
    std::string proctype;
    int count = 0;
    Status st = ParseScaleArg(t, &proctype, &count);
    if (!st.ok()) return ctx.FailStatus(st);
    counts.emplace_back(proctype, count);
  }
  const bool skip_deploy = p.Has("skip-deploy");
  if (!skip_deploy && view->deployed) {
    if (int code = RefuseIfLocked(ctx, app)) return code;
  }
  ctx.Info1(fmt::format("Scaling {} processes: {}", app, fmt::join(tuples, " ")));
  StatusOr<int64_t> last = FollowStart(ctx);
  if (!last.ok()) return ctx.FailStatus(last.status());
  StatusOr<int64_t> gen = ctx.store().SetScale(app, counts, skip_deploy);
  if (!gen.ok()) return ctx.FailStatus(gen.status());
  // Nothing runs yet (or the user asked to wait for the next deploy): the change is stored.
  if (skip_deploy || !view->deployed) return kExitOk;
  return FollowOne(ctx, *last, {Wait::Kind::kGeneration, app, *gen, std::nullopt});
}

int PsSet(Context& ctx, const Args& args) {
  PropertyArgs a;
  int rc = 0;
  if (!ParsePropertyArgs(ctx, args, &a, &rc)) return rc;
  const bool global = a.global;
  const std::string &app = a.app, &key = a.key, &value = a.value;
  // Dokku's order of checks (common.CommandPropertySet).
  if (key == "restart-policy" && !value.empty()) {
    Status st = ValidateRestartPolicy(value);
    if (!st.ok()) return ctx.FailStatus(st);
  }
  if (!global) {
    if (int code = VerifyApp(ctx, app)) return code;
  }
  static const std::vector<std::string> kGlobalKeys = {
      "max-parallel", "procfile-path", "restart-policy", "skip-deploy", "stop-timeout-seconds"};
  static const std::vector<std::string> kKeys = {
      "dockerfile-start-cmd", "max-parallel", "procfile-path",       "restart-policy", "restore",
      "skip-deploy",          "start-cmd",    "stop-timeout-seconds"};
  auto contains = [](const std::vector<std::string>& v, const std::string& k) {
    return std::find(v.begin(), v.end(), k) != v.end();
  };
  if (global && !contains(kGlobalKeys, key))
    return ctx.Fail("Property cannot be specified globally");
  if (key.empty()) return ctx.Fail("No property specified");
  if (!contains(kKeys, key)) {
    return ctx.Fail(fmt::format("Invalid property specified, valid properties include: {}",
                                fmt::join(kKeys, ", ")));
  }
  if (!ctx.OpenStore()) return kExitError;
  StatusOr<int64_t> gen = ctx.store().SetProperty("ps", app, key, value);
  if (!gen.ok()) return ctx.FailStatus(gen.status());
  ctx.Info2(value.empty() ? fmt::format("Unsetting {}", key)
                          : fmt::format("Setting {} to {}", key, value));
  return kExitOk;
}

namespace {

const Command kPsCommands[] = {
    {"ps", "ps <app> [--format stdout|json]", "List an app's containers and their state", PsStatus},
    {"ps:inspect", "ps:inspect <app>", "Displays a sanitized version of docker inspect for an app",
     PsInspect},
    {"ps:rebuild", "ps:rebuild [--parallel count] [--all|<app>]", "Rebuilds an app from source",
     PsRebuild},
    {"ps:report", "ps:report [<app>] [<flag>]", "Displays a process report for one or more apps",
     PsReport},
    {"ps:restart", "ps:restart [--parallel count] [--all|<app>] [<process-name>]", "Restart an app",
     PsRestart},
    {"ps:scale", "ps:scale [--skip-deploy] [--format stdout|json] <app> [<proc>=<count>...]",
     "Get/Set how many instances of a given process to run", PsScale},
    {"ps:set", "ps:set <app> <key> <value>", "Set or clear a ps property for an app", PsSet},
    {"ps:start", "ps:start [--parallel count] [--all|<app>]", "Start an app", PsStart},
    {"ps:stop", "ps:stop [--parallel count] [--all|<app>]", "Stop an app", PsStop},
    {"ps:restore", "ps:restore [--all|--parallel count] [<app>]",
     "Start previously running apps e.g. after reboot", PsRestore},
    {"ps:retire", "ps:retire [<app>]", "Retire due and expired containers now", PsRetire, true},
    {"ps:restartall", "ps:restartall [--parallel count]", "Restart all deployed apps", PsRestartAll,
     true},
    {"ps:rebuildall", "ps:rebuildall [--parallel count]", "Rebuild all apps", PsRebuildAll, true},
};

}  // namespace

std::span<const Command> PsCommands() { return kPsCommands; }

}  // namespace dokku

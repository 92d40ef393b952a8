// ports:list|add|set|remove|clear|report (spec/dokku-next.md §3): the app's port mappings. The
// web containers listen on the container port of the first mapping (PORT); a change of that
// port replaces them start-first with checks, like a deploy.
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "cli/command_util.h"
#include "cli/report.h"

namespace dokku {
namespace {

// Dokku's columnized block: cells split on ':', each column padded to its widest + 2.
void PrintColumnized(Context& ctx, const std::vector<std::string>& rows) {
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> widths;
  for (const std::string& row : rows) {
    std::vector<std::string> c;
    size_t start = 0;
    for (size_t colon; (colon = row.find(':', start)) != std::string::npos; start = colon + 1)
      c.push_back(row.substr(start, colon - start));
    c.push_back(row.substr(start));
    widths.resize(std::max(widths.size(), c.size()), 0);
    for (size_t i = 0; i < c.size(); ++i) widths[i] = std::max(widths[i], c[i].size());
    cells.push_back(std::move(c));
  }
  for (const auto& c : cells) {
    std::string line = "    ";
    for (size_t i = 0; i < c.size(); ++i) {
      line += i + 1 == c.size() ? c[i] : c[i] + std::string(widths[i] - c[i].size() + 2, ' ');
    }
    ctx.Raw(line);
  }
}

int PortsList(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {}, 1, &p, &rc)) return rc;
  const std::string app = Arg(p, 0);
  if (int code = VerifyApp(ctx, app)) return code;
  StatusOr<std::vector<PortMap>> maps = ctx.store().GetPorts(app);
  if (!maps.ok()) return ctx.FailStatus(maps.status());
  if (maps->empty()) return ctx.Fail("No port mappings configured for app");
  ctx.Info1(fmt::format("Port mappings for {}", app));
  std::vector<std::string> rows;
  if (!ctx.quiet) rows.push_back("-----> scheme:host port:container port");
  for (const PortMap& m : *maps) rows.push_back(m.ToString());
  std::sort(rows.begin(), rows.end());
  PrintColumnized(ctx, rows);
  return kExitOk;
}

// ports:add / set / remove / clear: parses every token first; prints nothing on success.
int ChangePorts(Context& ctx, const Args& args, Store::PortsOp op) {
  ParsedFlags p;
  int rc = 0;
  const size_t max = op == Store::PortsOp::kClear ? 1 : std::numeric_limits<size_t>::max();
  if (!ParseCommandArgs(ctx, args, {}, max, &p, &rc)) return rc;
  const std::string app = Arg(p, 0);
  if (int code = VerifyApp(ctx, app)) return code;
  std::vector<PortMap> maps;
  if (op != Store::PortsOp::kClear) {
    std::vector<std::string> tokens(p.positional.begin() + 1, p.positional.end());
    if (tokens.empty()) return ctx.Fail("No port mapping specified");
    StatusOr<std::vector<PortMap>> parsed =
        ParsePortMaps(tokens, /*allow_wildcards=*/op == Store::PortsOp::kRemove);
    if (!parsed.ok()) return ctx.FailStatus(parsed.status());
    maps = *parsed;
  }
  StatusOr<int64_t> gen = ctx.store().ChangePorts(app, op, maps);
  if (!gen.ok()) return ctx.FailStatus(gen.status());
  return kExitOk;
}

int PortsAdd(Context& ctx, const Args& args) {
  return ChangePorts(ctx, args, Store::PortsOp::kAdd);
}
int PortsSet(Context& ctx, const Args& args) {
  return ChangePorts(ctx, args, Store::PortsOp::kSet);
}
int PortsRemove(Context& ctx, const Args& args) {
  return ChangePorts(ctx, args, Store::PortsOp::kRemove);
}
int PortsClear(Context& ctx, const Args& args) {
  return ChangePorts(ctx, args, Store::PortsOp::kClear);
}

StatusOr<ReportFlags> PortsFlags(Context& ctx, const std::string& app) {
  if (app == kGlobal) return ReportFlags{};  // Dokku's ports plugin has no global flags
  StatusOr<std::vector<PortMap>> maps = ctx.store().GetPorts(app);
  if (!maps.ok()) return maps.status();
  StatusOr<App> row = ctx.store().GetApp(app);
  if (!row.ok()) return row.status();
  StatusOr<std::optional<Release>> release = ctx.store().GoverningRelease(*row);
  if (!release.ok()) return release.status();
  const std::vector<PortMap> detected =
      DetectedPortMaps(*release ? (*release)->exposed_ports : std::nullopt);
  return ReportFlags{{"--ports-map", JoinPortMaps(*maps)},
                     {"--ports-map-detected", JoinPortMaps(detected)},
                     {"--ports-map-json", PortMapsJson(*maps)},
                     {"--ports-map-detected-json", PortMapsJson(detected)}};
}

int PortsReport(Context& ctx, const Args& args) {
  return RunReport(ctx, args, {"ports", true, ""},
                   [&](const std::string& app) { return PortsFlags(ctx, app); });
}

const Command kPortsCommands[] = {
    {"ports:list", "ports:list <app>", "List port mappings for app", PortsList},
    {"ports:add", "ports:add <app> [<scheme>:<host-port>:<container-port>...]",
     "Add port mappings to an app", PortsAdd},
    {"ports:clear", "ports:clear <app>", "Clear all port mappings for an app", PortsClear},
    {"ports:remove", "ports:remove <app> [<host-port>|<scheme>:<host-port>:<container-port>...]",
     "Remove specific port mappings from an app", PortsRemove},
    {"ports:set", "ports:set <app> [<scheme>:<host-port>:<container-port>...]",
     "Set port mappings for an app", PortsSet},
    {"ports:report", "ports:report [<app>] [<flag>]",
     "Displays a ports report for one or more apps", PortsReport},
};

}  // namespace

std::span<const Command> PortsCommands() { return kPortsCommands; }

}  // namespace dokku

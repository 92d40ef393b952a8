// domains:set-global and domains:report --global: the global vhost dokkud's proxy uses.
#include <fmt/format.h>

#include "cli/command_util.h"
#include "cli/report.h"

namespace dokku {
namespace {

int DomainsSetGlobal(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {}, 1, &p, &rc)) return rc;
  const std::string domain = Arg(p, 0);
  if (domain.empty()) return ctx.Fail("No domain specified");
  if (!ctx.OpenStore()) return kExitError;
  StatusOr<int64_t> gen = ctx.store().SetProperty("domains", kGlobal, "vhost", domain);
  if (!gen.ok()) return ctx.FailStatus(gen.status());
  ctx.Info1(fmt::format("Set {}", domain));
  return kExitOk;
}

int DomainsReport(Context& ctx, const Args& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--format") {
      ++i;
      continue;
    }
    if (a.empty() || a[0] == '-') continue;
    // Per-app domains are not part of dokkud: every app is <app>.<global domain>.
    if (int code = VerifyApp(ctx, a)) return code;
    return ctx.Fail("dokkud only has global domains: use domains:report --global");
  }
  bool global = false;
  for (const std::string& a : args) global = global || a == kGlobal;
  if (!global) return ctx.Fail("dokkud only has global domains: use domains:report --global");
  return RunReport(
      ctx, args, {"domains", false, "--global domains information"},
      [&](const std::string&) -> StatusOr<ReportFlags> {
        StatusOr<std::string> vhost = ctx.store().GetProperty("domains", kGlobal, "vhost");
        if (!vhost.ok()) return vhost.status();
        return ReportFlags{{"--domains-global-enabled", vhost->empty() ? "false" : "true"},
                           {"--domains-global-vhosts", *vhost}};
      });
}

const Command kDomainsCommands[] = {
    {"domains:report", "domains:report --global [<flag>]", "Displays the global domains report",
     DomainsReport},
    {"domains:set-global", "domains:set-global <domain>", "Set the global domain name",
     DomainsSetGlobal},
};

}  // namespace

std::span<const Command> DomainsCommands() { return kDomainsCommands; }

}  // namespace dokku

// domains:*: the global vhost, and each app's extra domains. An app always answers on its
// default vhost `<app>.<global vhost>`; domains:add/set/remove/clear manage the domains it
// answers on besides that one (property domains/<app>/vhosts, a comma list), which follow the
// app through apps:clone and apps:rename.
#include <fmt/format.h>

#include <algorithm>

#include "cli/command_util.h"
#include "cli/report.h"
#include "store/validation.h"

namespace dokku {
namespace {

bool Listed(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

StatusOr<std::vector<std::string>> AppDomains(Context& ctx, const std::string& app) {
  StatusOr<std::string> v = ctx.store().GetProperty("domains", app, "vhosts");
  if (!v.ok()) return v.status();
  return SplitCommaList(*v);
}

std::string DefaultVhost(Context& ctx, const std::string& app) {
  StatusOr<std::string> global = ctx.store().GetProperty("domains", kGlobal, "vhost");
  return fmt::format("{}.{}", app, global.ok() && !global->empty() ? *global : "localhost");
}

// Shared front of domains:add/remove/set/clear: "<cmd> <app> [<domain>...]", the app checked
// and the domains lower-cased and validated as Dokku's is_valid_hostname does (a leading "*."
// is allowed, as nginx's server_name takes it). Returns 0 when the caller may go on.
int ParseAppDomains(Context& ctx, const Args& args, bool need_domains, std::string* app,
                    std::vector<std::string>* domains) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {}, 1000, &p, &rc)) return rc;
  *app = Arg(p, 0);
  if (app->empty()) return ctx.Fail("Please specify an app to run the command on");
  if (!ctx.OpenStore()) return kExitError;
  if (int code = VerifyApp(ctx, *app)) return code;
  for (size_t i = 1; i < p.positional.size(); ++i) {
    std::string d = p.positional[i];
    std::transform(d.begin(), d.end(), d.begin(),
                   [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; });
    std::string bare = d.rfind("*.", 0) == 0 ? d.substr(2) : d;
    if (!ValidateDomain(bare).ok()) return ctx.Fail(fmt::format("{} is invalid. exiting...", d));
    if (!Listed(*domains, d)) domains->push_back(d);
  }
  if (need_domains && domains->empty()) return ctx.Fail("Please specify a domain");
  return 0;
}

int StoreDomains(Context& ctx, const std::string& app, const std::vector<std::string>& domains) {
  StatusOr<int64_t> gen = ctx.store().SetProperty("domains", app, "vhosts", JoinCommaList(domains));
  return gen.ok() ? kExitOk : ctx.FailStatus(gen.status());
}

int DomainsAdd(Context& ctx, const Args& args) {
  std::string app;
  std::vector<std::string> add;
  if (int rc = ParseAppDomains(ctx, args, true, &app, &add)) return rc;
  StatusOr<std::vector<std::string>> have = AppDomains(ctx, app);
  if (!have.ok()) return ctx.FailStatus(have.status());
  for (const std::string& d : add) {
    if (Listed(*have, d) || d == DefaultVhost(ctx, app)) {
      return ctx.Fail(fmt::format("{} is already defined for {}", d, app));
    }
    have->push_back(d);
  }
  if (int rc = StoreDomains(ctx, app, *have)) return rc;
  for (const std::string& d : add) ctx.Info1(fmt::format("Added {} to {}", d, app));
  return kExitOk;
}

int DomainsRemove(Context& ctx, const Args& args) {
  std::string app;
  std::vector<std::string> remove;
  if (int rc = ParseAppDomains(ctx, args, true, &app, &remove)) return rc;
  StatusOr<std::vector<std::string>> have = AppDomains(ctx, app);
  if (!have.ok()) return ctx.FailStatus(have.status());
  for (const std::string& d : remove) {
    if (d == DefaultVhost(ctx, app)) {
      return ctx.Fail(fmt::format("{} is the default domain of {} and stays", d, app));
    }
    if (!Listed(*have, d)) return ctx.Fail(fmt::format("{} is not defined for {}", d, app));
  }
  std::erase_if(*have, [&](const std::string& d) { return Listed(remove, d); });
  if (int rc = StoreDomains(ctx, app, *have)) return rc;
  for (const std::string& d : remove) ctx.Info1(fmt::format("Removed {} from {}", d, app));
  return kExitOk;
}

int DomainsSet(Context& ctx, const Args& args) {
  std::string app;
  std::vector<std::string> set;
  if (int rc = ParseAppDomains(ctx, args, true, &app, &set)) return rc;
  std::erase(set, DefaultVhost(ctx, app));
  if (int rc = StoreDomains(ctx, app, set)) return rc;
  std::vector<std::string> shown = set;
  shown.insert(shown.begin(), DefaultVhost(ctx, app));
  ctx.Info1(fmt::format("Set {} for {}", fmt::join(shown, " "), app));
  return kExitOk;
}

int DomainsClear(Context& ctx, const Args& args) {
  std::string app;
  std::vector<std::string> none;
  if (int rc = ParseAppDomains(ctx, args, false, &app, &none)) return rc;
  if (!none.empty()) return ctx.Fail("domains:clear takes no domains", kExitUsage);
  if (int rc = StoreDomains(ctx, app, {})) return rc;
  ctx.Info1(fmt::format("Cleared domains in {}", app));
  return kExitOk;
}

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

StatusOr<ReportFlags> DomainsFlags(Context& ctx, const std::string& app) {
  StatusOr<std::string> vhost = ctx.store().GetProperty("domains", kGlobal, "vhost");
  if (!vhost.ok()) return vhost.status();
  ReportFlags f{{"--domains-global-enabled", vhost->empty() ? "false" : "true"},
                {"--domains-global-vhosts", *vhost}};
  if (app == kGlobal) return f;
  StatusOr<std::vector<std::string>> extra = AppDomains(ctx, app);
  if (!extra.ok()) return extra.status();
  std::vector<std::string> all = *extra;
  all.insert(all.begin(), DefaultVhost(ctx, app));
  f["--domains-app-enabled"] = "true";
  f["--domains-app-vhosts"] = fmt::format("{}", fmt::join(all, " "));
  return f;
}

int DomainsReport(Context& ctx, const Args& args) {
  return RunReport(ctx, args, {"domains", false, "--global domains information"},
                   [&](const std::string& app) { return DomainsFlags(ctx, app); });
}

const Command kDomainsCommands[] = {
    {"domains:add", "domains:add <app> <domain> [<domain> ...]", "Add domains to app", DomainsAdd},
    {"domains:clear", "domains:clear <app>", "Clear all domains for app", DomainsClear},
    {"domains:remove", "domains:remove <app> <domain> [<domain> ...]", "Remove domains from app",
     DomainsRemove},
    {"domains:report", "domains:report [<app>|--global] [<flag>]",
     "Displays a domains report for one or more apps", DomainsReport},
    {"domains:set", "domains:set <app> <domain> [<domain> ...]", "Set domains for app", DomainsSet},
    {"domains:set-global", "domains:set-global <domain>", "Set the global domain name",
     DomainsSetGlobal},
};

}  // namespace

std::span<const Command> DomainsCommands() { return kDomainsCommands; }

}  // namespace dokku

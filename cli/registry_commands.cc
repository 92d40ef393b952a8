// registry:login/logout/set/report: where an app's release images are pushed before rollout
// (docker-swarm apps with a server set, or push-on-release), and the logins for it. Settings are
// desired state in the store; logins go to dokkud over the control socket, which checks them with
// the engine and keeps them where the control group cannot read them.
#include <fmt/format.h>

#include <iterator>

#include "cli/command_util.h"
#include "cli/control_client.h"
#include "cli/report.h"
#include "store/registry.h"

namespace dokku {
namespace {

constexpr char kDeprecatedGlobal[] =
    "Deprecated: please use --global flag for global registry login";

// Dokku's aliases for Docker Hub, named the way `docker login` takes them.
std::string LoginServer(const std::string& server) {
  return server == "hub.docker.com" || server == "docker.com" ? "docker.io" : server;
}

std::string TrimmedStdin(Context& ctx) {
  std::string all((std::istreambuf_iterator<char>(ctx.in())), std::istreambuf_iterator<char>());
  while (!all.empty() && std::isspace(static_cast<unsigned char>(all.back()))) all.pop_back();
  size_t start = 0;
  while (start < all.size() && std::isspace(static_cast<unsigned char>(all[start]))) ++start;
  return all.substr(start);
}

int RegistryLogin(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {{"global"}, {"password-stdin"}}, 4, &p, &rc)) return rc;
  const bool from_stdin = p.Has("password-stdin");
  const size_t n = p.positional.size();
  bool global = p.Has("global");
  if (!global && n == (from_stdin ? 2u : 3u)) {  // Dokku's arity rule: no app means global
    ctx.Warn(kDeprecatedGlobal);
    global = true;
  }
  const size_t first = global ? 0 : 1;
  const std::string app = global ? "--global" : Arg(p, 0);
  if (!global) {
    if (int code = VerifyApp(ctx, app)) return code;
  }
  const std::string server = Arg(p, first), user = Arg(p, first + 1);
  if (server.empty()) return ctx.Fail("Missing server argument");
  if (user.empty()) return ctx.Fail("Missing username argument");
  if (from_stdin && n > first + 2) return ctx.UsageError("too many arguments");
  const std::string password = from_stdin ? TrimmedStdin(ctx) : Arg(p, first + 2);
  if (password.empty()) return ctx.Fail("Missing password argument");
  return CallDaemon(ctx,
                    {{"op", "registry:login"},
                     {"scope", app},
                     {"server", LoginServer(server)},
                     {"username", user},
                     {"password", password}},
                    {});
}

int RegistryLogout(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {{"global"}}, 2, &p, &rc)) return rc;
  const bool global = p.Has("global") || p.positional.size() == 1;
  if (global && p.positional.size() > 1) return ctx.UsageError("too many arguments");
  const std::string app = global ? "--global" : Arg(p, 0);
  if (!global) {
    if (int code = VerifyApp(ctx, app)) return code;
  }
  const std::string server = Arg(p, global ? 0 : 1);
  if (server.empty()) return ctx.Fail("Missing server argument");
  return CallDaemon(
      ctx, {{"op", "registry:logout"}, {"scope", app}, {"server", LoginServer(server)}}, {});
}

int RegistrySet(Context& ctx, const Args& args) {
  PropertyArgs a;
  int rc = 0;
  if (!ParsePropertyArgs(ctx, args, &a, &rc, /*verify_app=*/true)) return rc;
  const std::string &app = a.app, &key = a.key, &value = a.value;
  if (key.empty()) return ctx.Fail("No property specified");
  if (!ctx.OpenStore()) return kExitError;
  StatusOr<int64_t> gen = ctx.store().SetProperty("registry", app, key, value);
  if (!gen.ok()) return ctx.FailStatus(gen.status());
  ctx.Info2(value.empty() ? fmt::format("Unsetting {}", key)
                          : fmt::format("Setting {} to {}", key, value));
  return kExitOk;
}

std::string Joined(const std::vector<std::string>& tags) {
  std::string out;
  for (const std::string& t : tags) out += (out.empty() ? "" : ",") + t;
  return out;
}

StatusOr<ReportFlags> RegistryFlags(Store& store, const std::string& app) {
  StatusOr<RegistrySettings> s = store.RegistrySettingsOf(app == kGlobal ? "" : app);
  if (!s.ok()) return s.status();
  const RegistryTarget t = ComputeRegistryTarget(*s);
  const std::string computed_server = t.server.empty() ? "" : t.server + "/";
  ReportFlags flags = {
      {"--registry-computed-push-extra-tags", Joined(t.extra_tags)},
      {"--registry-computed-server", computed_server},
      {"--registry-global-push-extra-tags", s->global_push_extra_tags},
      {"--registry-global-push-on-release", s->global_push_on_release},
      {"--registry-global-server", s->global_server},
  };
  if (app == kGlobal) {
    const std::string& push = s->global_push_on_release;
    flags["--registry-computed-push-on-release"] = push == "true" ? "true" : "false";
    return flags;
  }
  flags["--registry-computed-image-repo"] = t.repo;
  flags["--registry-computed-push-on-release"] = t.push ? "true" : "false";
  flags["--registry-image-repo"] = s->image_repo;
  flags["--registry-push-extra-tags"] = s->push_extra_tags;
  flags["--registry-push-on-release"] = s->push_on_release;
  flags["--registry-server"] = s->server;
  // The release running now, if it was pushed: its number and digest reference.
  std::string version, pushed;
  StatusOr<App> row = store.GetApp(app);
  if (row.ok() && row->current_release) {
    StatusOr<Release> r = store.GetRelease(*row->current_release);
    if (r.ok() && !r->registry_ref.empty()) {
      version = std::to_string(r->number);
      pushed = r->registry_ref;
    }
  }
  flags["--registry-tag-version"] = version;
  flags["--registry-pushed-image"] = pushed;
  return flags;
}

int RegistryReport(Context& ctx, const Args& args) {
  return RunReport(ctx, args, {"registry", true, ""},
                   [&](const std::string& app) { return RegistryFlags(ctx.store(), app); });
}

const Command kRegistryCommands[] = {
    {"registry:login",
     "registry:login [--global|--password-stdin] [<app>] <server> <username> [<password>]",
     "Login to a docker registry", RegistryLogin},
    {"registry:logout", "registry:logout [--global] [<app>] <server>",
     "Logout from a docker registry", RegistryLogout},
    {"registry:report", "registry:report [<app>] [<flag>]",
     "Displays a registry report for one or more apps", RegistryReport},
    {"registry:set", "registry:set <app>|--global <property> (<value>)",
     "Set or clear a registry property for an app (server, image-repo, push-on-release, "
     "push-extra-tags)",
     RegistrySet},
};

}  // namespace

std::span<const Command> RegistryCommands() { return kRegistryCommands; }

}  // namespace dokku

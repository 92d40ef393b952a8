// registry:login and registry:logout: dokkud checks the credentials with the engine (POST /auth)
// and keeps them in its own 0600 file, which members of the control group cannot read. The
// password arrives over the control socket and goes nowhere else: not the store, not a log.
#include <fmt/format.h>

#include "controller/control/control_ops.h"
#include "controller/registry/registry_credentials.h"
#include "store/registry.h"
#include "store/store.h"
#include "store/validation.h"

namespace dokku::control {
namespace {

constexpr char kGlobalScope[] = "--global";

// The request's scope (an existing app, or --global) and server, or a message saying why not.
Status ScopeAndServer(const ControlDeps& deps, const nlohmann::json& request, std::string* scope,
                      std::string* server) {
  *scope = request.value("scope", "");
  *server = NormalizeRegistryServer(request.value("server", ""));
  if (*scope != kGlobalScope) {
    DOKKU_RETURN_IF_ERROR(ValidateAppName(*scope));
    StatusOr<std::unique_ptr<Store>> store = Store::OpenStateDir(deps.state_dir);
    if (!store.ok()) return store.status();
    StatusOr<App> app = (*store)->GetApp(*scope);
    if (!app.ok()) return app.status();
  }
  if (request.value("server", "").empty())
    return Status::InvalidArgument("Missing server argument");
  return Status::Ok();
}

std::string Subject(const std::string& scope) {
  return scope == kGlobalScope ? "global registry" : scope;
}

}  // namespace

int ServeRegistryLogin(const ControlDeps& deps, Session& session, const nlohmann::json& request) {
  std::string scope, server;
  if (Status st = ScopeAndServer(deps, request, &scope, &server); !st.ok()) {
    return session.Warn(st.message()), 1;
  }
  const RegistryCredential login{request.value("username", ""), request.value("password", "")};
  if (login.username.empty()) return session.Warn("Missing username argument"), 1;
  if (login.password.empty()) return session.Warn("Missing password argument"), 1;
  Status checked = deps.docker->CheckRegistryAuth(RegistryAuthJson(login, server));
  if (!checked.ok()) {
    return session.Warn("Unable to run docker login: " + checked.message()), 1;
  }
  Status saved = RegistryCredentials(deps.state_dir).Save(scope, server, login);
  if (!saved.ok()) return session.Warn(saved.message()), 1;
  session.Warn("Login Succeeded for " + Subject(scope));
  return 0;
}

int ServeRegistryLogout(const ControlDeps& deps, Session& session, const nlohmann::json& request) {
  std::string scope, server;
  if (Status st = ScopeAndServer(deps, request, &scope, &server); !st.ok()) {
    return session.Warn(st.message()), 1;
  }
  StatusOr<bool> removed = RegistryCredentials(deps.state_dir).Remove(scope, server);
  if (!removed.ok()) return session.Warn(removed.status().message()), 1;
  if (!*removed) {
    return session.Warn(scope == kGlobalScope
                            ? fmt::format("Not logged in to {}", request.value("server", ""))
                            : "No registry credentials found for app " + scope),
           1;
  }
  session.Out(fmt::format("Removing login credentials for {}\n", request.value("server", "")));
  return 0;
}

}  // namespace dokku::control

#include "controller/registry/registry_credentials.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "controller/env/files.h"

namespace dokku {
namespace {

using nlohmann::json;

StatusOr<json> ReadAll(const std::string& path) {
  StatusOr<std::optional<std::string>> text = ReadFileIfExists(path);
  if (!text.ok()) return text.status();
  if (!text->has_value()) return json::object();
  json j = json::parse(**text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::Internal(path + " is not a JSON object; fix or remove it");
  return j;
}

Status WriteAll(const std::string& dir, const std::string& path, const json& j) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::Internal(fmt::format("mkdir {}: {}", dir, std::strerror(errno)));
  }
  if (::chmod(dir.c_str(), 0700) != 0) {
    return Status::Internal(fmt::format("chmod {}: {}", dir, std::strerror(errno)));
  }
  return WriteFileAtomically(path, j.dump(2) + "\n", 0600);
}

}  // namespace

std::mutex RegistryCredentials::mu_;

RegistryCredentials::RegistryCredentials(std::string state_dir)
    : dir_(state_dir + "/registry"), path_(dir_ + "/credentials.json") {}

StatusOr<std::optional<RegistryCredential>> RegistryCredentials::Lookup(
    const std::string& app, const std::string& server) const {
  std::lock_guard<std::mutex> lock(mu_);
  StatusOr<json> all = ReadAll(path_);
  if (!all.ok()) return all.status();
  for (const std::string& scope : {app, std::string("--global")}) {
    auto s = all->find(scope);
    if (s == all->end() || !s->is_object()) continue;
    auto c = s->find(server);
    if (c == s->end() || !c->is_object()) continue;
    return std::optional<RegistryCredential>(
        RegistryCredential{c->value("username", ""), c->value("password", "")});
  }
  return std::optional<RegistryCredential>();
}

Status RegistryCredentials::Save(const std::string& scope, const std::string& server,
                                 const RegistryCredential& c) {
  std::lock_guard<std::mutex> lock(mu_);
  StatusOr<json> all = ReadAll(path_);
  if (!all.ok()) return all.status();
  (*all)[scope][server] = {{"username", c.username}, {"password", c.password}};
  return WriteAll(dir_, path_, *all);
}

StatusOr<bool> RegistryCredentials::Remove(const std::string& scope, const std::string& server) {
  std::lock_guard<std::mutex> lock(mu_);
  StatusOr<json> all = ReadAll(path_);
  if (!all.ok()) return all.status();
  auto s = all->find(scope);
  if (s == all->end() || !s->is_object() || s->erase(server) == 0) return false;
  if (s->empty()) all->erase(s);
  DOKKU_RETURN_IF_ERROR(WriteAll(dir_, path_, *all));
  return true;
}

std::string RegistryAuthJson(const std::optional<RegistryCredential>& c,
                             const std::string& server) {
  if (!c) return "{}";
  // Docker Hub's credentials are addressed by its index URL.
  const std::string address = server.empty() ? "https://index.docker.io/v1/" : server;
  return json{{"username", c->username}, {"password", c->password}, {"serveraddress", address}}
      .dump();
}

}  // namespace dokku

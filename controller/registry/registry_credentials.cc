#include "controller/registry/registry_credentials.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

namespace dokku {
namespace {

using nlohmann::json;

Status Errno(const std::string& what) {
  return Status::Internal(fmt::format("{}: {}", what, std::strerror(errno)));
}

StatusOr<json> ReadAll(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? StatusOr<json>(json::object()) : Errno("open " + path);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (n < 0) return Errno("read " + path);
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::Internal(path + " is not a JSON object; fix or remove it");
  return j;
}

Status WriteAll(const std::string& dir, const std::string& path, const json& j) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Errno("mkdir " + dir);
  if (::chmod(dir.c_str(), 0700) != 0) return Errno("chmod " + dir);
  const std::string tmp = path + ".new";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("open " + tmp);
  const std::string text = j.dump(2) + "\n";
  bool ok = ::fchmod(fd, 0600) == 0 &&
            ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    Status st = Errno("write " + path);
    ::unlink(tmp.c_str());
    return st;
  }
  return Status::Ok();
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

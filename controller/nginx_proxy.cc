#include "controller/nginx_proxy.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <utility>

namespace dokku {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// Everything below is checked character by character because it is pasted into an nginx
// configuration: a stray ';', '{', space or newline would let a value add directives.
bool IsValidAppName(std::string_view app) {
  if (app.empty() || app.size() > 63 || !IsLowerAlnum(app[0])) return false;
  return std::all_of(app.begin(), app.end(),
                     [](char c) { return IsLowerAlnum(c) || c == '.' || c == '_' || c == '-'; });
}

bool IsValidDnsName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  while (true) {
    const size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    if (!std::all_of(label.begin(), label.end(),
                     [](char c) { return IsLowerAlnum(c) || c == '-'; })) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    name.remove_prefix(dot + 1);
  }
}

bool ParseDecimal(std::string_view s, int max, int* out) {
  if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0')) return false;
  int value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value > max) return false;
  *out = value;
  return true;
}

bool IsValidIPv4(std::string_view ip) {
  for (int octet = 0; octet < 4; ++octet) {
    const size_t dot = ip.find('.');
    if ((octet < 3) == (dot == std::string_view::npos)) return false;
    int value = 0;
    if (!ParseDecimal(ip.substr(0, dot), 255, &value)) return false;
    ip = octet < 3 ? ip.substr(dot + 1) : std::string_view();
  }
  return true;
}

// Only for validated addresses.
uint32_t IPv4Value(std::string_view ip) {
  uint32_t value = 0, octet = 0;
  for (char c : ip) {
    if (c == '.') {
      value = (value << 8) | octet;
      octet = 0;
    } else {
      octet = octet * 10 + static_cast<uint32_t>(c - '0');
    }
  }
  return (value << 8) | octet;
}

bool IsValidPort(int port) { return port >= 1 && port <= 65535; }

bool IsValidListen(std::string_view listen) {
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (!ParseDecimal(listen.substr(colon == std::string_view::npos ? 0 : colon + 1), 65535, &port) ||
      !IsValidPort(port)) {
    return false;
  }
  return colon == std::string_view::npos || IsValidIPv4(listen.substr(0, colon));
}

Status Invalid(std::string_view what, std::string_view value) {
  return Status::InvalidArgument(
      fmt::format("invalid {} for the nginx proxy: \"{}\"", what, value.substr(0, 100)));
}

StatusOr<std::optional<std::string>> ReadFileIfExists(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Status::Internal(fmt::format("reading {}: {}", path, std::strerror(errno)));
  }
  std::string content;
  char buf[8192];
  while (true) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      return Status::Internal(fmt::format("reading {}: {}", path, std::strerror(err)));
    }
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return std::optional<std::string>(std::move(content));
}

Status Errno(std::string_view what, const std::string& path) {
  return Status::Internal(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

// Temp file + fsync + rename + directory fsync: nginx never sees a half-written file, and the
// new file survives a crash once this returns.
Status WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::filesystem::path target(path);
  const std::string tmp =
      (target.parent_path() / fmt::format(".{}.tmp", target.filename().string())).string();
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("creating", tmp);
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const Status st = Errno("writing", tmp);
      close(fd);
      unlink(tmp.c_str());
      return st;
    }
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    const Status st = Errno("syncing", tmp);
    unlink(tmp.c_str());
    return st;
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const Status st = Errno("renaming to", path);
    unlink(tmp.c_str());
    return st;
  }
  const int dir = open(target.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
  return Status::Ok();
}

Status RemoveFile(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("removing", path);
  return Status::Ok();
}

std::string TrimOutput(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

NginxProxy::NginxProxy(NginxProxyOptions options, CommandRunner* runner)
    : options_(std::move(options)), runner_(runner) {}

std::string NginxProxy::ConfPath(const std::string& app) const {
  return fmt::format("{}/{}.conf", options_.conf_dir, app);
}

StatusOr<std::string> NginxProxy::Render(const std::string& app,
                                         const std::vector<std::string>& server_names,
                                         std::vector<Upstream> upstreams,
                                         const std::string& listen) {
  if (!IsValidAppName(app)) return Invalid("app name", app);
  if (!IsValidListen(listen)) return Invalid("listen address", listen);
  if (server_names.empty()) return Status::InvalidArgument("no server names for the nginx proxy");
  if (upstreams.empty()) return Status::InvalidArgument("no upstreams for the nginx proxy");
  for (const std::string& name : server_names) {
    if (!IsValidDnsName(name)) return Invalid("server name", name);
  }
  for (const Upstream& u : upstreams) {
    if (!IsValidIPv4(u.ip)) return Invalid("upstream address", u.ip);
    if (!IsValidPort(u.port)) return Invalid("upstream port", std::to_string(u.port));
  }
  // Sorted so the same containers always give the same file, whatever order Docker lists them.
  std::sort(upstreams.begin(), upstreams.end(), [](const Upstream& a, const Upstream& b) {
    return std::pair(IPv4Value(a.ip), a.port) < std::pair(IPv4Value(b.ip), b.port);
  });
  const std::string upstream_name = fmt::format("{}-{}", app, upstreams.front().port);
  std::string out =
      fmt::format("# Written by dokkud for app {}. Changes will be overwritten.\n", app);
  fmt::format_to(std::back_inserter(out), "upstream {} {{\n", upstream_name);
  for (const Upstream& u : upstreams) {
    fmt::format_to(std::back_inserter(out), "  server {}:{};\n", u.ip, u.port);
  }
  out += "}\n\n";
  fmt::format_to(std::back_inserter(out),
                 "server {{\n"
                 "  listen {};\n"
                 "  server_name {};\n"
                 "  location / {{\n"
                 "    proxy_pass http://{};\n"
                 "    proxy_http_version 1.1;\n"
                 "    proxy_set_header Upgrade $http_upgrade;\n"
                 "    proxy_set_header Connection $http_connection;\n"
                 "    proxy_set_header Host $http_host;\n"
                 "    proxy_set_header X-Forwarded-For $remote_addr;\n"
                 "    proxy_set_header X-Forwarded-Port $server_port;\n"
                 "    proxy_set_header X-Forwarded-Proto $scheme;\n"
                 "    proxy_set_header X-Request-Start $msec;\n"
                 "    proxy_next_upstream error timeout http_502;\n"
                 "  }}\n"
                 "}}\n",
                 listen, fmt::join(server_names, " "), upstream_name);
  return out;
}

Status NginxProxy::Apply(const std::string& app, const std::vector<std::string>& server_names,
                         const std::vector<Upstream>& upstreams, const Emit& emit) {
  std::lock_guard<std::mutex> lock(mu_);
  if (upstreams.empty()) return RemoveLocked(app);
  StatusOr<std::string> content = Render(app, server_names, upstreams, options_.listen);
  if (!content.ok()) return content.status();
  const std::string path = ConfPath(app);
  StatusOr<std::optional<std::string>> previous = ReadFileIfExists(path);
  if (!previous.ok()) return previous.status();
  const bool changed = *previous != *content;
  if (!changed && !reload_pending_.contains(app)) return Status::Ok();

  const auto say = [&](const char* level, const std::string& text) {
    if (emit) emit(level, text);
  };
  for (const std::string& name : server_names) say(kInfo1, fmt::format("Configuring {}...", name));
  say(kInfo1, "Creating http nginx.conf");
  if (changed) {
    std::error_code ec;
    std::filesystem::create_directories(options_.conf_dir, ec);
    DOKKU_RETURN_IF_ERROR(WriteFileAtomically(path, *content));
    DOKKU_RETURN_IF_ERROR(TestOrRestore(path, *previous));
  }
  say(kVerbose, "Reloading nginx");
  return Reload(app);
}

Status NginxProxy::Remove(const std::string& app) {
  std::lock_guard<std::mutex> lock(mu_);
  return RemoveLocked(app);
}

Status NginxProxy::RemoveLocked(const std::string& app) {
  if (!IsValidAppName(app)) return Invalid("app name", app);
  const std::string path = ConfPath(app);
  StatusOr<std::optional<std::string>> previous = ReadFileIfExists(path);
  if (!previous.ok()) return previous.status();
  if (!previous->has_value() && !reload_pending_.contains(app)) return Status::Ok();
  if (previous->has_value()) {
    DOKKU_RETURN_IF_ERROR(RemoveFile(path));
    DOKKU_RETURN_IF_ERROR(TestOrRestore(path, *previous));
  }
  return Reload(app);
}

Status NginxProxy::TestOrRestore(const std::string& path,
                                 const std::optional<std::string>& previous) {
  std::string output;
  if (runner_->Run(options_.test_cmd, &output) == 0) return Status::Ok();
  const Status restored = previous ? WriteFileAtomically(path, *previous) : RemoveFile(path);
  std::string message = fmt::format("nginx configuration test failed: {}", TrimOutput(output));
  if (!restored.ok())
    message += fmt::format(" (and restoring {} failed: {})", path, restored.message());
  return Status::Internal(message);
}

Status NginxProxy::Reload(const std::string& app) {
  std::string output;
  if (runner_->Run(options_.reload_cmd, &output) != 0) {
    reload_pending_.insert(app);
    return Status::Unavailable(fmt::format("nginx reload failed: {}", TrimOutput(output)));
  }
  reload_pending_.erase(app);
  return Status::Ok();
}

}  // namespace dokku

#include "controller/proxy/nginx_proxy.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>

#include "controller/env/files.h"
#include "controller/env/log.h"
#include "controller/proxy/nginx_dynamic.h"
#include "store/parse_int.h"

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

Status Errno(std::string_view what, const std::string& path) {
  return Status::Internal(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
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

NginxProxy::~NginxProxy() {
  {
    std::lock_guard<std::mutex> lock(watch_mu_);
    stop_ = true;
  }
  watch_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

std::string NginxProxy::ConfPath(const std::string& app) const {
  return fmt::format("{}/{}.conf", options_.conf_dir, app);
}

namespace {

// Sorted so the same containers always give the same file, whatever order Docker lists them.
// Only for validated addresses.
void SortUpstreams(std::vector<Upstream>* upstreams) {
  std::sort(upstreams->begin(), upstreams->end(), [](const Upstream& a, const Upstream& b) {
    return std::pair(IPv4Value(a.ip), a.port) < std::pair(IPv4Value(b.ip), b.port);
  });
}

StatusOr<std::string> RenderConf(const std::string& app,
                                 const std::vector<std::string>& server_names,
                                 std::vector<Upstream> upstreams, const std::string& listen,
                                 bool dynamic, int64_t generation) {
  if (!IsValidAppName(app)) return Invalid("app name", app);
  if (!IsValidListen(listen)) return Invalid("listen address", listen);
  if (server_names.empty()) return Status::InvalidArgument("no server names for the nginx proxy");
  if (upstreams.empty()) return Status::InvalidArgument("no upstreams for the nginx proxy");
  for (const std::string& name : server_names) {
    // A leading "*." is nginx's wildcard server name (domains:add "*.example.com").
    std::string_view bare = name.rfind("*.", 0) == 0 ? std::string_view(name).substr(2) : name;
    if (!IsValidDnsName(bare)) return Invalid("server name", name);
  }
  for (const Upstream& u : upstreams) {
    if (!IsValidIPv4(u.ip)) return Invalid("upstream address", u.ip);
    if (!IsValidPort(u.port)) return Invalid("upstream port", std::to_string(u.port));
  }
  SortUpstreams(&upstreams);
  std::string out =
      fmt::format("# Written by dokkud for app {}. Changes will be overwritten.\n", app);
  std::string upstream_name;
  if (dynamic) {
    // The upstream's name and everything but the balancer line stay the same when the peers
    // change, so a peer change is not a change of structure (ConfStructure).
    upstream_name = fmt::format("{}-dynamic", app);
    fmt::format_to(std::back_inserter(out),
                   "upstream {} {{\n"
                   "  server 0.0.0.1:1;  # a placeholder: the balancer picks every peer\n"
                   "  balancer_by_lua_block {{\n"
                   "{}"
                   "  }}\n"
                   "  keepalive 32;\n"
                   "}}\n\n",
                   upstream_name, BalancerLine(app, generation, PeerList(upstreams)));
  } else {
    upstream_name = fmt::format("{}-{}", app, upstreams.front().port);
    fmt::format_to(std::back_inserter(out), "upstream {} {{\n", upstream_name);
    for (const Upstream& u : upstreams) {
      fmt::format_to(std::back_inserter(out), "  server {}:{};\n", u.ip, u.port);
    }
    out += "}\n\n";
  }
  fmt::format_to(std::back_inserter(out),
                 "server {{\n"
                 "  listen {};\n"
                 "  server_name {};\n"
                 "  location / {{\n"
                 "    proxy_pass http://{};\n"
                 "    proxy_http_version 1.1;\n"
                 "    proxy_set_header Upgrade $http_upgrade;\n"
                 "    proxy_set_header Connection {};\n"
                 "    proxy_set_header Host $http_host;\n"
                 "    proxy_set_header X-Forwarded-For $remote_addr;\n"
                 "    proxy_set_header X-Forwarded-Port $server_port;\n"
                 "    proxy_set_header X-Forwarded-Proto $scheme;\n"
                 "    proxy_set_header X-Request-Start $msec;\n"
                 "    proxy_next_upstream error timeout http_502;\n"
                 "{}"
                 "  }}\n"
                 "}}\n",
                 listen, fmt::join(server_names, " "), upstream_name,
                 // Keep-alive to the containers needs the client's Connection header cleared;
                 // $dokkud_connection (a map in the control file) keeps "upgrade" for websockets.
                 dynamic ? "$dokkud_connection" : "$http_connection",
                 dynamic ? "    log_by_lua_block { dokkud.done() }\n" : "");
  return out;
}

}  // namespace

StatusOr<std::string> NginxProxy::Render(const std::string& app,
                                         const std::vector<std::string>& server_names,
                                         std::vector<Upstream> upstreams,
                                         const std::string& listen) {
  return RenderConf(app, server_names, std::move(upstreams), listen, /*dynamic=*/false, 0);
}

StatusOr<std::string> NginxProxy::RenderDynamic(const std::string& app,
                                                const std::vector<std::string>& server_names,
                                                std::vector<Upstream> upstreams,
                                                const std::string& listen, int64_t generation) {
  if (generation < 0) return Invalid("generation", std::to_string(generation));
  return RenderConf(app, server_names, std::move(upstreams), listen, /*dynamic=*/true, generation);
}

Status NginxProxy::Apply(const std::string& app, const std::vector<std::string>& server_names,
                         const std::vector<Upstream>& upstreams, const Emit& emit) {
  std::lock_guard<std::mutex> lock(mu_);
  if (upstreams.empty()) return RemoveLocked(app);
  if (dynamic_) return ApplyDynamicLocked(app, server_names, upstreams, emit);
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
    Log(LogLevel::kInfo, "{}: no web container serves; removing its nginx server block", app);
  }
  DOKKU_RETURN_IF_ERROR(Reload(app));
  if (dynamic_ && peers_.contains(app)) {
    // The server block is gone; the dictionary entry would only be in the way of a new app of
    // the same name (it would override the peers of that app's first file).
    if (PutPeers(app, "").ok()) peers_.erase(app);
  }
  return Status::Ok();
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

// ---- Dynamic upstreams (nginx_dynamic.h) ----

namespace dokku {

namespace {

constexpr std::chrono::milliseconds kControlTimeout{2000};

// A token that tells this dokkud's feeds from an earlier one's and from an empty dictionary.
std::string NewToken() {
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  return fmt::format("{}-{}-{}", getpid(), now,
                     std::chrono::system_clock::now().time_since_epoch().count());
}

}  // namespace

bool NginxProxy::PrepareSocketDir() {
  const std::filesystem::path dir = std::filesystem::path(options_.control_socket).parent_path();
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) {
    std::error_code ec;
    std::filesystem::create_directories(dir.parent_path(), ec);
    if (mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
      Log(LogLevel::kWarning, "nginx dynamic upstreams: cannot create {}: {}", dir.string(),
          std::strerror(errno));
      return false;
    }
    // The dokku group (if there is one) may use the socket too, as it may use dokkud's.
    if (const group* g = getgrnam("dokku"); g != nullptr) {
      if (chown(dir.c_str(), 0, g->gr_gid) != 0) {
        Log(LogLevel::kWarning, "nginx dynamic upstreams: chown {}: {}", dir.string(),
            std::strerror(errno));
      }
    }
    if (stat(dir.c_str(), &st) != 0) return false;
  }
  // nginx creates the socket world-writable: only the directory keeps others out.
  if (!S_ISDIR(st.st_mode) || (st.st_mode & 0007) != 0 || st.st_uid != geteuid()) {
    Log(LogLevel::kWarning,
        "nginx dynamic upstreams: {} must be a directory of this user that others cannot "
        "enter (the control socket would be open to every local user)",
        dir.string());
    return false;
  }
  return true;
}

bool NginxProxy::Start(HttpTransport* control, bool watch, int64_t watch_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (dynamic_) return true;
  const std::string path = fmt::format("{}/{}", options_.conf_dir, kNginxControlConfName);
  const auto fallback = [&](const std::string& why) {
    Log(LogLevel::kWarning,
        "nginx dynamic upstreams unavailable ({}): cutovers reload nginx, which drops idle "
        "keep-alive connections; install libnginx-mod-http-lua and load it for zero-downtime "
        "cutovers",
        why);
    return false;
  };
  if (options_.control_socket.empty()) return fallback("no --nginx-control-socket");
  if (control == nullptr) return fallback("no control client");
  if (!IsValidControlSocketPath(options_.control_socket)) {
    return fallback("invalid control socket path \"" + options_.control_socket.substr(0, 100) +
                    "\"");
  }
  if (!PrepareSocketDir()) return fallback("control socket directory not private");
  StatusOr<std::optional<std::string>> previous = ReadFileIfExists(path);
  if (!previous.ok()) return fallback(previous.status().message());
  const std::string content = RenderNginxControlConf(options_.control_socket);
  const bool changed = *previous != content;
  if (changed) {
    std::error_code ec;
    std::filesystem::create_directories(options_.conf_dir, ec);
    Status written = WriteFileAtomically(path, content);
    if (!written.ok()) return fallback(written.message());
    Status tested = TestOrRestore(path, std::nullopt);  // a failure removes the file
    if (!tested.ok()) return fallback(tested.message());
  }
  control_ = control;
  token_ = NewToken();
  dynamic_ = true;
  // A running nginx that has not loaded the control server yet needs one reload; one that does
  // not run will load it when it starts.
  StatusOr<HttpResponse> fed = control_->Request("GET", "/fed", "", "", kControlTimeout);
  if (changed || !fed.ok() || fed->status != 200) {
    std::string output;
    if (runner_->Run(options_.reload_cmd, &output) != 0) {
      Log(LogLevel::kWarning, "nginx reload (loading the control server) failed: {}",
          TrimOutput(output));
    }
  }
  Log(LogLevel::kInfo, "nginx dynamic upstreams on (control socket {})", options_.control_socket);
  if (watch) {
    watcher_ = std::thread([this, watch_ms] {
      std::unique_lock<std::mutex> wl(watch_mu_);
      while (!watch_cv_.wait_for(wl, std::chrono::milliseconds(watch_ms), [&] { return stop_; })) {
        wl.unlock();
        Resync();
        wl.lock();
      }
    });
  }
  return true;
}

Status NginxProxy::PutPeers(const std::string& app, const std::string& peers) {
  StatusOr<HttpResponse> r =
      control_->Request("PUT", "/peers/" + app, peers, "text/plain", kControlTimeout);
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return Status::Unavailable(fmt::format("nginx control server answered {} to PUT /peers/{}: {}",
                                           r->status, app, TrimOutput(r->body).substr(0, 200)));
  }
  return Status::Ok();
}

Status NginxProxy::ApplyDynamicLocked(const std::string& app,
                                      const std::vector<std::string>& server_names,
                                      const std::vector<Upstream>& upstreams, const Emit& emit) {
  if (!IsValidAppName(app)) return Invalid("app name", app);
  for (const Upstream& u : upstreams) {
    if (!IsValidIPv4(u.ip)) return Invalid("upstream address", u.ip);
    if (!IsValidPort(u.port)) return Invalid("upstream port", std::to_string(u.port));
  }
  std::vector<Upstream> sorted = upstreams;
  SortUpstreams(&sorted);
  const std::string peers = PeerList(sorted);
  const std::string path = ConfPath(app);
  StatusOr<std::optional<std::string>> previous = ReadFileIfExists(path);
  if (!previous.ok()) return previous.status();
  // Same peers as the file: same generation (an unchanged app leaves the file alone). New
  // peers: a generation newer than the file's, whatever the clock did.
  int64_t previous_gen = -1;
  std::string previous_peers;
  const bool had_line =
      previous->has_value() && ParseBalancerLine(**previous, &previous_gen, &previous_peers);
  auto known = peers_.find(app);
  const std::optional<std::string> old_body =
      known == peers_.end() ? std::nullopt : std::optional<std::string>(known->second);
  int64_t gen = previous_gen;
  if (!had_line || previous_peers != peers) {
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    int64_t pushed_gen = -1;
    // The body we pushed is "<gen> <peers>".
    if (old_body) pushed_gen = ParseInt(old_body->substr(0, old_body->find(' '))).value_or(0);
    gen = std::max({now_ms, previous_gen + 1, pushed_gen + 1});
  }
  StatusOr<std::string> content = RenderDynamic(app, server_names, upstreams, options_.listen, gen);
  if (!content.ok()) return content.status();
  const std::string body = fmt::format("{} {}", gen, peers);
  const bool changed = *previous != *content;
  const bool structural = !previous->has_value() || reload_pending_.contains(app) ||
                          ConfStructure(**previous) != ConfStructure(*content);
  if (!changed && !structural && old_body == body) return Status::Ok();

  const auto say = [&](const char* level, const std::string& text) {
    if (emit) emit(level, text);
  };
  if (changed) {
    std::error_code ec;
    std::filesystem::create_directories(options_.conf_dir, ec);
    // Written before the running nginx learns the peers: an nginx that restarts from here on
    // falls back to exactly these peers.
    DOKKU_RETURN_IF_ERROR(WriteFileAtomically(path, *content));
  }
  if (structural) {
    for (const std::string& name : server_names) {
      say(kInfo1, fmt::format("Configuring {}...", name));
    }
    say(kInfo1, "Creating http nginx.conf");
    if (changed) DOKKU_RETURN_IF_ERROR(TestOrRestore(path, *previous));
  }
  // The dictionary first: a loaded server block switches at once, and a reload below finds the
  // dictionary already right.
  Status put = PutPeers(app, body);
  if (put.ok()) {
    peers_[app] = body;
  } else {
    peers_.erase(app);
    Log(LogLevel::kWarning, "{}: nginx control server: {}; reloading instead", app, put.message());
  }
  if (!structural && put.ok()) {
    say(kVerbose, "Switching nginx upstreams (no reload)");
    return Status::Ok();
  }
  say(kVerbose, "Reloading nginx");
  Status reloaded = Reload(app);
  if (reloaded.ok()) return reloaded;
  // Neither way reached nginx for sure. Put back what the running nginx had, so that traffic
  // does not go to peers the caller will treat as not serving (it removes new containers).
  if (put.ok() && (old_body || had_line)) {
    const std::string old_peers =
        old_body ? old_body->substr(old_body->find(' ') + 1) : previous_peers;
    const std::string back = fmt::format("{} {}", gen + 1, old_peers);
    if (PutPeers(app, back).ok()) peers_[app] = back;
  }
  if (!structural && changed) {
    const Status restored = *previous ? WriteFileAtomically(path, **previous) : RemoveFile(path);
    if (!restored.ok()) {
      Log(LogLevel::kWarning, "{}: restoring {}: {}", app, path, restored.message());
    }
    reload_pending_.erase(app);
  }
  return reloaded;
}

StatusOr<int64_t> NginxProxy::ActiveRequests(const Upstream& peer) {
  if (!dynamic_) return Proxy::ActiveRequests(peer);
  if (!IsValidIPv4(peer.ip) || !IsValidPort(peer.port)) {
    return Invalid("upstream address", fmt::format("{}:{}", peer.ip, peer.port));
  }
  StatusOr<HttpResponse> r = control_->Request(
      "GET", fmt::format("/active/{}:{}", peer.ip, peer.port), "", "", kControlTimeout);
  if (!r.ok()) return r.status();
  int64_t n = 0;
  const std::string body = TrimOutput(r->body);
  if (r->status != 200 || body.empty() || body.size() > 18) {
    return Status::Unavailable(
        fmt::format("nginx control server answered {} to GET /active", r->status));
  }
  for (char c : body) {
    if (c == '-' && n == 0) continue;  // a counter cannot go below 0 for long; treat as 0
    if (c < '0' || c > '9') return Status::Unavailable("nginx control server: bad /active body");
    n = n * 10 + (c - '0');
  }
  return body[0] == '-' ? 0 : n;
}

void NginxProxy::Resync() {
  std::lock_guard<std::mutex> lock(mu_);
  ResyncLocked();
}

void NginxProxy::ResyncLocked() {
  if (!dynamic_) return;
  StatusOr<HttpResponse> fed = control_->Request("GET", "/fed", "", "", kControlTimeout);
  if (!fed.ok()) {
    // A killed nginx leaves its socket file; nginx cannot bind the address again until it is
    // gone. Only a socket nobody accepts on is removed.
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", options_.control_socket.c_str());
      struct stat st {};
      if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 &&
          errno == ECONNREFUSED && lstat(options_.control_socket.c_str(), &st) == 0 &&
          S_ISSOCK(st.st_mode)) {
        Log(LogLevel::kWarning, "nginx control socket {} is stale (nginx gone); removing it",
            options_.control_socket);
        unlink(options_.control_socket.c_str());
      }
      close(fd);
    }
    return;
  }
  if (fed->status == 200 && fed->body == token_) return;
  // An nginx that started since the last feed (empty dictionary) or one last fed by an
  // earlier dokkud: give it every app this process has pushed.
  size_t fed_apps = 0;
  for (auto it = peers_.begin(); it != peers_.end();) {
    Status put = PutPeers(it->first, it->second);
    if (!put.ok()) {
      Log(LogLevel::kWarning, "{}: re-feeding nginx: {}", it->first, put.message());
      it = peers_.erase(it);  // the next Apply pushes it
      continue;
    }
    ++fed_apps;
    ++it;
  }
  StatusOr<HttpResponse> mark =
      control_->Request("PUT", "/fed", token_, "text/plain", kControlTimeout);
  if (!mark.ok() || mark->status != 200) return;
  if (fed_apps > 0) Log(LogLevel::kInfo, "nginx (re)started: fed the peers of {} apps", fed_apps);
}

}  // namespace dokku

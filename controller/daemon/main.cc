// dokkud: flags (each with an environment twin) -> DaemonOptions -> RunDaemon.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "controller/daemon/daemon.h"
#include "controller/daemon/fatal.h"
#include "controller/env/log.h"
#include "store/parse_int.h"

namespace {

const char kUsage[] =
    "Usage: dokkud [flags]\n"
    "\n"
    "Reconciles the apps in the dokku state database with Docker.\n"
    "\n"
    "  --state-dir DIR          state directory holding dokku.db   [DOKKU_LIB_ROOT, "
    "/var/lib/dokku]\n"
    "  --docker-host URL        Docker socket               [DOCKER_HOST, "
    "unix:///var/run/docker.sock]\n"
    "  --proxy nginx|none       web traffic through nginx, or ports on 127.0.0.1   [DOKKUD_PROXY, "
    "nginx]\n"
    "  --nginx-conf-dir DIR     where <app>.conf files go  [DOKKUD_NGINX_CONF_DIR, "
    "/etc/nginx/conf.d/dokkud]\n"
    "  --nginx-test-cmd CMD     config test               [DOKKUD_NGINX_TEST_CMD, nginx -t -q]\n"
    "  --nginx-reload-cmd CMD   reload                    [DOKKUD_NGINX_RELOAD_CMD, nginx -s "
    "reload]\n"
    "  --proxy-listen ADDR      nginx listen address, [ip:]port   [DOKKUD_PROXY_LISTEN, 80]\n"
    "  --nginx-control-socket PATH  nginx's control socket for upstream changes without reloads;\n"
    "                           '' for reloads only [DOKKUD_NGINX_CONTROL_SOCKET, "
    "/run/dokkud/nginx-control.sock]\n"
    "  --control-group GROUP    who besides root may use the control socket and the state\n"
    "                           database (logs, run, enter; the CLI)   [DOKKUD_CONTROL_GROUP, "
    "dokku]\n"
    "  --log-level LEVEL        error|warning|info|debug   [DOKKUD_LOG_LEVEL, info]\n"
    "  --workers N              apps reconciled in parallel   [DOKKUD_WORKERS, 8]\n"
    "  --docker-parallel N      Docker API calls in flight    [DOKKUD_DOCKER_PARALLEL, 8]\n"
    "  --resync-seconds N       full resync period            [DOKKUD_RESYNC_SECONDS, 60]\n"
    "  --once                   reconcile every app once, wait for it to settle, exit\n"
    "  --version, --help\n";

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v ? v : fallback;
}

int ToPositive(const std::string& flag, const std::string& value) {
  std::optional<int64_t> v = dokku::ParseInt(value, 1, 100000);
  if (!v) {
    std::fprintf(stderr, "dokkud: %s needs a positive integer, got '%s'\n", flag.c_str(),
                 value.c_str());
    std::exit(2);
  }
  return static_cast<int>(*v);
}

// [a.b.c.d:]port, checked here so a bad value stops dokkud at once instead of failing every
// proxy update later.
bool ValidListen(const std::string& listen) {
  // Digits only (no '-'), at most five of them.
  auto number = [](const std::string& s, int64_t min, int64_t max) {
    return s.size() <= 5 && !s.starts_with('-') && dokku::ParseInt(s, min, max).has_value();
  };
  size_t colon = listen.rfind(':');
  std::string port = colon == std::string::npos ? listen : listen.substr(colon + 1);
  if (!number(port, 1, 65535)) return false;
  if (colon == std::string::npos) return true;
  std::string ip = listen.substr(0, colon);
  int parts = 0;
  size_t start = 0;
  while (start <= ip.size()) {
    size_t dot = ip.find('.', start);
    if (dot == std::string::npos) dot = ip.size();
    if (!number(ip.substr(start, dot - start), 0, 255)) return false;
    ++parts;
    start = dot + 1;
  }
  return parts == 4;
}

int Main(int argc, char** argv) {
  dokku::DaemonOptions o;
  o.state_dir = Env("DOKKU_LIB_ROOT", o.state_dir);
  o.docker_host = Env("DOCKER_HOST", o.docker_host);
  o.proxy = Env("DOKKUD_PROXY", o.proxy);
  o.nginx.conf_dir = Env("DOKKUD_NGINX_CONF_DIR", o.nginx.conf_dir);
  o.nginx.test_cmd = Env("DOKKUD_NGINX_TEST_CMD", o.nginx.test_cmd);
  o.nginx.reload_cmd = Env("DOKKUD_NGINX_RELOAD_CMD", o.nginx.reload_cmd);
  o.nginx.listen = Env("DOKKUD_PROXY_LISTEN", o.nginx.listen);
  o.nginx.control_socket = Env("DOKKUD_NGINX_CONTROL_SOCKET", o.nginx.control_socket);
  o.log_level = Env("DOKKUD_LOG_LEVEL", o.log_level);
  o.control_group = Env("DOKKUD_CONTROL_GROUP", o.control_group);
  o.workers = ToPositive("DOKKUD_WORKERS", Env("DOKKUD_WORKERS", "8"));
  o.docker_parallel = ToPositive("DOKKUD_DOCKER_PARALLEL", Env("DOKKUD_DOCKER_PARALLEL", "8"));
  o.resync_ms = 1000LL * ToPositive("DOKKUD_RESYNC_SECONDS", Env("DOKKUD_RESYNC_SECONDS", "60"));

  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    size_t eq = arg.find('=');
    bool has_inline = arg.rfind("--", 0) == 0 && eq != std::string::npos;
    if (has_inline) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    auto next = [&]() -> std::string {
      if (has_inline) return value;
      if (i + 1 >= argc) {
        std::fprintf(stderr, "dokkud: %s needs a value\n%s", arg.c_str(), kUsage);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--version") {
      std::printf("dokkud %s\n", DOKKUD_VERSION);
      return 0;
    } else if (arg == "--once") {
      o.once = true;
    } else if (arg == "--state-dir") {
      o.state_dir = next();
    } else if (arg == "--docker-host") {
      o.docker_host = next();
    } else if (arg == "--proxy") {
      o.proxy = next();
    } else if (arg == "--nginx-conf-dir") {
      o.nginx.conf_dir = next();
    } else if (arg == "--nginx-test-cmd") {
      o.nginx.test_cmd = next();
    } else if (arg == "--nginx-reload-cmd") {
      o.nginx.reload_cmd = next();
    } else if (arg == "--proxy-listen") {
      o.nginx.listen = next();
    } else if (arg == "--nginx-control-socket") {
      o.nginx.control_socket = next();
    } else if (arg == "--control-group") {
      o.control_group = next();
    } else if (arg == "--log-level") {
      o.log_level = next();
    } else if (arg == "--workers") {
      o.workers = ToPositive(arg, next());
    } else if (arg == "--docker-parallel") {
      o.docker_parallel = ToPositive(arg, next());
    } else if (arg == "--resync-seconds") {
      o.resync_ms = 1000LL * ToPositive(arg, next());
    } else {
      std::fprintf(stderr, "dokkud: unknown flag %s\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (!ValidListen(o.nginx.listen)) {
    std::fprintf(stderr, "dokkud: --proxy-listen must be [ipv4:]port (port 1-65535), got '%s'\n",
                 o.nginx.listen.c_str());
    return 2;
  }
  if (o.proxy != "nginx" && o.proxy != "none") {
    std::fprintf(stderr, "dokkud: --proxy must be nginx or none, got '%s'\n", o.proxy.c_str());
    return 2;
  }
  return dokku::RunDaemon(o);
}

}  // namespace

int main(int argc, char** argv) {
  dokku::InstallTerminateHandler();
  try {
    return Main(argc, argv);
  } catch (...) {
    dokku::LogLine(dokku::LogLevel::kError,
                   dokku::FatalExceptionMessage("main", std::current_exception()));
    return dokku::kExitUncaughtException;
  }
}

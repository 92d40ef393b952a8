# shellcheck shell=bash
# Shared helpers for scripts/test, scripts/run-demo and scripts/bench. Source it; it defines
# functions and a few variables (REPO_ROOT, JOBS) and changes no shell options of the caller.
# Everything here is idempotent: calling ensure_* twice does the work at most once.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JOBS="${JOBS:-2}"
DOCKER_SOCK="${DOCKER_SOCK:-/var/run/docker.sock}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/dokkud-test-dockerd.log}"

# The Debian packages the project builds, tests, demos and benchmarks with.
DOKKUD_PACKAGES=(
  build-essential cmake g++ pkg-config
  libsqlitecpp-dev libsqlite3-dev libcurl4-openssl-dev nlohmann-json3-dev libfmt-dev
  libgtest-dev libgmock-dev
  docker.io nginx libnginx-mod-http-lua busybox-static sqlite3 curl tar
  clang clang-format libclang-rt-14-dev systemd docker-compose hyperfine jq
  openssh-server openssh-client git docker-registry socat iproute2 iptables
)

info() { printf -- '-----> %s\n' "$*"; }
warn() { printf -- ' !     %s\n' "$*" >&2; }
die() {
  warn "$*"
  exit 1
}

# Seconds since the epoch, for step timings.
now_s() { date +%s; }

# Prints the packages (of the arguments) that dpkg does not report as installed.
missing_packages() {
  local pkg status
  for pkg in "$@"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || printf '%s\n' "$pkg"
  done
}

# Installs whichever of DOKKUD_PACKAGES (or the given packages) are missing. apt-get update runs
# only when something must be installed. Package maintainer scripts must not start daemons
# (nginx on :80, dockerd) on a machine without systemd: a temporary policy-rc.d forbids it.
ensure_packages() {
  local -a want=("$@")
  ((${#want[@]})) || want=("${DOKKUD_PACKAGES[@]}")
  local -a missing
  mapfile -t missing < <(missing_packages "${want[@]}")
  ((${#missing[@]})) || return 0
  [[ "$(id -u)" == 0 ]] || die "missing packages (${missing[*]}) and not root: install them first"
  info "Installing ${missing[*]}"
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  local rc=0
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || rc=$?
  if ((rc == 0)); then
    apt-get install -y -qq --no-install-recommends "${missing[@]}" || rc=$?
  fi
  ((created_policy)) && rm -f "$policy"
  ((rc == 0)) || die "apt-get failed (exit $rc) installing: ${missing[*]}"
}

docker_ping() {
  curl -sf --max-time 3 --unix-socket "$DOCKER_SOCK" http://localhost/_ping >/dev/null 2>&1
}

# Makes sure a dockerd answers on $DOCKER_SOCK, starting one in the background if needed. A
# dockerd that was killed leaves its pid file behind and then refuses to start: remove it when
# its process is gone. dockerd from docker.io starts its own containerd.
ensure_dockerd() {
  docker_ping && return 0
  [[ "$(id -u)" == 0 ]] || die "dockerd is not running and starting it needs root"
  command -v dockerd >/dev/null || die "dockerd not found (package docker.io)"
  local pidfile=/var/run/docker.pid pid
  if [[ -f "$pidfile" ]]; then
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      info "dockerd (pid $pid) is running but not answering yet; waiting"
    else
      info "Removing stale $pidfile (pid ${pid:-?} is gone)"
      rm -f "$pidfile"
      pid=""
    fi
  fi
  if [[ -z "${pid:-}" ]]; then
    local stale_ctr=/var/run/docker/containerd/containerd.pid
    if [[ -f "$stale_ctr" ]] && ! kill -0 "$(cat "$stale_ctr" 2>/dev/null)" 2>/dev/null; then
      rm -f "$stale_ctr"
    fi
    info "Starting dockerd (log: $DOCKERD_LOG)"
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
    disown || true
  fi
  local i
  for ((i = 0; i < 120; i++)); do
    docker_ping && return 0
    sleep 0.5
  done
  tail -n 30 "$DOCKERD_LOG" >&2 || true
  die "dockerd did not answer /_ping within 60 s"
}

# Sets NGINX_BIN to the nginx binary (installing the package if needed).
ensure_nginx_binary() {
  NGINX_BIN="$(command -v nginx || true)"
  [[ -n "$NGINX_BIN" ]] || NGINX_BIN=/usr/sbin/nginx
  if [[ ! -x "$NGINX_BIN" ]]; then
    ensure_packages nginx
    [[ -x "$NGINX_BIN" ]] || die "nginx binary not found after installing nginx"
  fi
  export NGINX_BIN
}

# Writes <prefix>/nginx.conf for a private nginx: everything (pid, logs, temp files) under the
# prefix, listening on 127.0.0.1:<port> with a default server answering 404, and including
# <confdir>/*.conf (the files dokkud writes).
write_private_nginx_conf() {
  local prefix="$1" port="$2" confdir="$3"
  mkdir -p "$prefix/logs" "$prefix/tmp" "$confdir"
  chmod 1777 "$prefix/tmp"
  # The lua module (libnginx-mod-http-lua, with ndk) gives dokkud upstream changes without reloads.
  local modules="" m
  for m in ndk_http_module ngx_http_lua_module; do
    [[ -f "/usr/lib/nginx/modules/$m.so" ]] && modules+="load_module /usr/lib/nginx/modules/$m.so;"$'\n'
  done
  cat >"$prefix/nginx.conf" <<EOF
daemon on;
worker_processes 1;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log warn;
${modules}events { worker_connections 512; }
http {
  access_log $prefix/logs/access.log;
  client_body_temp_path $prefix/tmp/client_body;
  proxy_temp_path $prefix/tmp/proxy;
  fastcgi_temp_path $prefix/tmp/fastcgi;
  uwsgi_temp_path $prefix/tmp/uwsgi;
  scgi_temp_path $prefix/tmp/scgi;
  server_names_hash_bucket_size 128;
  server {
    listen 127.0.0.1:$port default_server;
    server_name _;
    return 404;
  }
  include $confdir/*.conf;
}
EOF
}

# The command-line prefix that addresses the private nginx under <prefix>.
private_nginx_args() { printf -- '-p %s -c %s/nginx.conf' "$1" "$1"; }

start_private_nginx() {
  local prefix="$1" port="$2" confdir="$3"
  ensure_nginx_binary
  write_private_nginx_conf "$prefix" "$port" "$confdir"
  "$NGINX_BIN" -t -q -p "$prefix" -c "$prefix/nginx.conf" || die "private nginx config invalid"
  "$NGINX_BIN" -p "$prefix" -c "$prefix/nginx.conf" || die "private nginx did not start"
  wait_for_pid_file "$prefix/nginx.pid" || die "private nginx wrote no pid file in $prefix"
}

# True once <file> is non-empty (a daemon wrote its pid), waiting up to 5 s.
wait_for_pid_file() {
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s "$1" ]] && return 0
    sleep 0.1
  done
  return 1
}

stop_private_nginx() {
  local prefix="$1" pid i
  [[ -s "$prefix/nginx.pid" ]] || return 0
  pid="$(cat "$prefix/nginx.pid")"
  ensure_nginx_binary
  "$NGINX_BIN" -p "$prefix" -c "$prefix/nginx.conf" -s quit 2>/dev/null || kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

# True if nothing accepts connections on 127.0.0.1:<port>.
port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints the first free loopback port at or above <start>.
free_port() {
  local port="${1:-18080}"
  while ! port_is_free "$port"; do port=$((port + 1)); done
  printf '%s\n' "$port"
}

# Every script owns a build directory named by its configuration, so no script ever runs on a
# tree another one configured differently:
#   release         Release               scripts/run-demo, scripts/bench (what a user builds)
#   relwithdebinfo  RelWithDebInfo        scripts/test's full run, scripts/chaos
#   debug-asan      Debug + ASan/UBSan    scripts/test's sanitizer run
#   fuzz            clang + libFuzzer     scripts/fuzz (no CMake)
BUILD_KINDS=(release relwithdebinfo debug-asan)

# build_dir <kind>: absolute path of the build directory of a kind, build/<kind>.
build_dir() { printf '%s/build/%s\n' "$REPO_ROOT" "$1"; }

# build_type <kind>: the CMAKE_BUILD_TYPE of a kind.
build_type() {
  case "$1" in
    release) echo Release ;;
    relwithdebinfo) echo RelWithDebInfo ;;
    debug-asan) echo Debug ;;
    *) die "unknown build kind: $1" ;;
  esac
}

# configure_build <kind> [target...]: configures build/<kind> with its build type (always passed,
# so a directory can never keep another type) and builds the targets, or everything, with $JOBS
# jobs. Incremental when the directory exists.
configure_build() {
  local kind="$1" dir type
  shift
  dir="$(build_dir "$kind")"
  type="$(build_type "$kind")"
  local -a extra=(-DBUILD_TESTING=ON)
  [[ "$kind" == debug-asan ]] && extra+=(-DDOKKUD_SANITIZE=ON)
  cmake -S "$REPO_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE="$type" "${extra[@]}" >/dev/null ||
    { warn "cmake configure failed for $dir"; return 1; }
  local -a targets=()
  (($#)) && targets=(--target "$@")
  cmake --build "$dir" -j "$JOBS" "${targets[@]}" || { warn "build failed in $dir"; return 1; }
}

# Test resources are named dokkutest-<pid>-...: remove the containers and images whose test
# process is gone (a test binary that crashed or was killed could not clean up). Resources of
# test processes still running are left alone.
remove_stale_test_resources() {
  docker_ping || return 0
  local docker=/usr/bin/docker id name pid
  local -a doomed=()
  while read -r id name; do
    [[ "$name" =~ ^dokkutest-([0-9]+)- ]] || continue
    pid="${BASH_REMATCH[1]}"
    kill -0 "$pid" 2>/dev/null || doomed+=("$id")
  done < <("$docker" ps -a --format '{{.ID}} {{.Names}}' 2>/dev/null || true)
  if ((${#doomed[@]})); then
    info "Removing ${#doomed[@]} container(s) left by earlier test runs"
    "$docker" rm -f -v "${doomed[@]}" >/dev/null 2>&1 || true
  fi
  doomed=()
  while read -r name; do
    [[ "$name" =~ ^dokku/dokkutest-([0-9]+)- ]] || continue
    pid="${BASH_REMATCH[1]}"
    kill -0 "$pid" 2>/dev/null || doomed+=("$name")
  done < <("$docker" images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null || true)
  if ((${#doomed[@]})); then
    info "Removing ${#doomed[@]} image tag(s) left by earlier test runs"
    "$docker" rmi -f "${doomed[@]}" >/dev/null 2>&1 || true
  fi
}

# import_busybox_image <ref> <files dir> <cmd json>: builds an image without a registry: Debian's
# busybox-static with applet links, the files of <files dir> under /app (the WORKDIR), and the
# given CMD (a JSON array), via `docker import`. Prints the image id.
import_busybox_image() {
  local ref="$1" files="$2" cmd_json="$3" tmp applet
  [[ -x /bin/busybox ]] || ensure_packages busybox-static
  tmp="$(mktemp -d)"
  mkdir -p "$tmp/root/bin" "$tmp/root/tmp" "$tmp/root/etc" "$tmp/root/app"
  chmod 1777 "$tmp/root/tmp"
  cp /bin/busybox "$tmp/root/bin/busybox"
  for applet in sh httpd echo cat sleep true false env ls wget nc ps kill test printf grep sed \
    mkdir rm touch hostname date; do
    ln -s busybox "$tmp/root/bin/$applet"
  done
  cp -a "$files/." "$tmp/root/app/"
  tar --numeric-owner --owner=0 --group=0 -C "$tmp/root" -cf "$tmp/image.tar" . &&
    /usr/bin/docker import \
      --change 'WORKDIR /app' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change "CMD $cmd_json" "$tmp/image.tar" "$ref"
  local rc=$?
  rm -rf "$tmp"
  return $rc
}

# start_demo_dokkud <dokkud> <dir> <nginx port> [flags...]: dokkud for a demo, its state in
# <dir>/state, proxying through the private nginx of <dir>/nginx (start_private_nginx) on
# 127.0.0.1:<port>; log <dir>/dokkud.log, pid <dir>/dokkud.pid.
start_demo_dokkud() {
  local dokkud="$1" dir="$2" port="$3"
  shift 3
  info "Starting dokkud (log: $dir/dokkud.log)"
  "$dokkud" "$@" \
    --state-dir "$dir/state" \
    --docker-host unix:///var/run/docker.sock \
    --proxy nginx \
    --nginx-conf-dir "$dir/nginx/conf.d" \
    --nginx-test-cmd "$NGINX_BIN -t -q -p $dir/nginx -c $dir/nginx/nginx.conf" \
    --nginx-reload-cmd "$NGINX_BIN -s reload -p $dir/nginx -c $dir/nginx/nginx.conf" \
    --proxy-listen "127.0.0.1:$port" \
    --nginx-control-socket "$dir/control/nginx.sock" \
    --log-level info \
    >>"$dir/dokkud.log" 2>&1 </dev/null &
  echo $! >"$dir/dokkud.pid"
  sleep 1
  kill -0 "$(cat "$dir/dokkud.pid")" 2>/dev/null || die "dokkud exited right after starting"
}

# stop_demo_dokkud <dir>: SIGTERM to the dokkud of start_demo_dokkud, SIGKILL after 30 s.
stop_demo_dokkud() {
  local pidfile="$1/dokkud.pid" pid i
  [[ -s "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

# bench: dokkud's CPU, memory and Docker API calls while 30 apps x 3 containers sit idle
# usage: scripts/bench idle [--write] [--apps N] [--seconds S] [--resync S]
#
# N apps (image with a Procfile and DOKKU_SCALE web=1 worker=2, checks:skip, --proxy none) are
# deployed; once every container runs and every generation is applied, dokkud is watched for S
# idle seconds: CPU from /proc/<pid>/stat (utime+stime delta), memory from /proc/<pid>/status,
# and every Docker Engine API request it makes, counted by a small Python proxy between dokkud
# (--docker-host unix://<work>/docker.sock) and /var/run/docker.sock that logs the request line
# of each HTTP request on the client->dockerd byte stream.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/_dokkud.sh"

USAGE="usage: scripts/bench idle [--write] [--apps N] [--seconds S] [--resync S]"
WRITE=0
APPS=30
SECONDS_IDLE=60
RESYNC=30
while (($#)); do
  case "$1" in
    --write) WRITE=1 ;;
    --apps) APPS="$2"; shift ;;
    --seconds) SECONDS_IDLE="$2"; shift ;;
    --resync) RESYNC="$2"; shift ;;
    *) die "unknown argument: $1 ($USAGE)" ;;
  esac
  shift
done
[[ "$APPS" =~ ^[1-9][0-9]*$ && "$SECONDS_IDLE" =~ ^[1-9][0-9]*$ && "$RESYNC" =~ ^[1-9][0-9]*$ ]] || die "$USAGE"

ensure_packages docker.io busybox-static sqlite3
command -v python3 >/dev/null || ensure_packages python3
ensure_dockerd
bench_build dokku dokkud
MACHINE="$(machine_description)"  # before the run: it includes the load average
BUILD="$BENCH_BUILD"
DOKKU="$BUILD/dokku"
DOKKUD="$BUILD/dokkud"

WORK="$(mktemp -d /tmp/dokkud-bench-idle-XXXXXX)"
PREFIX="benchidle-$$"
STATE="$WORK/state"
export DOKKU_LIB_ROOT="$STATE"
PROXY_PID=""
APP_NAMES=()
for ((i = 1; i <= APPS; i++)); do APP_NAMES+=("$PREFIX-$i"); done

cleanup() {
  set +e
  stop_dokkud
  [[ -z "$PROXY_PID" ]] || { kill "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null; }
  remove_app_resources "${APP_NAMES[@]}"
  "$DOCKER" rmi -f "dokku/$PREFIX-base:v1" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# count_proxy.py <listen socket> <docker socket> <log>: forwards every connection and appends
# "<unix ns> <method> <target>" to <log> for each HTTP request line the client sends.
cat >"$WORK/count_proxy.py" <<'PY'
import os, re, socket, sys, threading, time
listen_path, target_path, log_path = sys.argv[1:4]
REQUEST_LINE = re.compile(rb"(GET|POST|PUT|DELETE|HEAD) (/\S*) HTTP/1\.[01]\r\n")
log = open(log_path, "a", buffering=1)
log_lock = threading.Lock()

def pump(src, dst, count):
    pending = b""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
            if count:
                pending += data
                end = 0
                for m in REQUEST_LINE.finditer(pending):
                    with log_lock:
                        log.write("%d %s %s\n" % (time.time_ns(), m.group(1).decode(), m.group(2).decode(errors="replace")))
                    end = m.end()
                pending = pending[end:][-4096:]  # a request line may straddle two reads
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

def serve(client):
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    upstream.connect(target_path)
    threading.Thread(target=pump, args=(client, upstream, True), daemon=True).start()
    threading.Thread(target=pump, args=(upstream, client, False), daemon=True).start()

if os.path.exists(listen_path):
    os.unlink(listen_path)
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(listen_path)
server.listen(64)
while True:
    conn, _ = server.accept()
    serve(conn)
PY

info "Building the app image (Procfile web + worker, DOKKU_SCALE web=1 worker=2)"
mkdir -p "$WORK/files"
echo hello >"$WORK/files/index.html"
# shellcheck disable=SC2016 # $PORT is expanded by the container's shell
printf 'web: httpd -f -p $PORT -h /app\nworker: while true; do sleep 3600; done\n' >"$WORK/files/Procfile"
printf 'web=1\nworker=2\n' >"$WORK/files/DOKKU_SCALE"
# shellcheck disable=SC2016
import_busybox_image "dokku/$PREFIX-base:v1" "$WORK/files" '["/bin/sh","-c","httpd -f -p $PORT -h /app"]' >/dev/null ||
  die "docker import failed"

python3 "$WORK/count_proxy.py" "$WORK/docker.sock" "$DOCKER_SOCK" "$WORK/requests.log" &
PROXY_PID=$!
for ((i = 0; i < 50; i++)); do [[ -S "$WORK/docker.sock" ]] && break; sleep 0.1; done
[[ -S "$WORK/docker.sock" ]] || die "the counting proxy did not start"

DOKKUD_ARGS=(--proxy none --resync-seconds "$RESYNC" --docker-host "unix://$WORK/docker.sock")
info "Starting dokkud ${DOKKUD_ARGS[*]}"
start_dokkud "$STATE" "$WORK/dokkud.log" "${DOKKUD_ARGS[@]}"
STORE_ID="$(sqlite3 "$STATE/dokku.db" "SELECT value FROM meta WHERE key = 'store_id'")"

info "Deploying $APPS apps x 3 containers"
DEPLOY_START="$(date +%s.%N)"
for app in "${APP_NAMES[@]}"; do
  "$DOKKU" apps:create "$app" >/dev/null
  "$DOKKU" checks:skip "$app" >/dev/null
  "$DOCKER" tag "dokku/$PREFIX-base:v1" "dokku/$app:v1"
  "$DOKKU" --detach tags:deploy "$app" v1 >/dev/null
done
WANT=$((APPS * 3))
for ((i = 0; i < 1200; i++)); do
  pending="$(sqlite3 "$STATE/dokku.db" "SELECT count(*) FROM apps WHERE observed_generation < generation OR last_error != ''")"
  running="$("$DOCKER" ps -q --filter "label=com.dokkud.store=$STORE_ID" | wc -l)"
  total="$("$DOCKER" ps -aq --filter "label=com.dokkud.store=$STORE_ID" | wc -l)"
  [[ "$pending" == 0 && "$running" == "$WANT" && "$total" == "$WANT" ]] && break
  sleep 0.5
done
[[ "$pending" == 0 && "$running" == "$WANT" ]] ||
  die "deploys did not settle: $pending apps pending, $running/$WANT running (log: $WORK/dokkud.log)"
DEPLOY_S="$(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$DEPLOY_START" "$(date +%s.%N)")"
info "All $WANT containers running after $DEPLOY_S s; settling 5 s, then measuring $SECONDS_IDLE s"
sleep 5

stat_ticks() { awk '{print $14 + $15}' "/proc/$DOKKUD_PID/stat"; }
status_kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$DOKKUD_PID/status"; }
T0="$(date +%s%N)"
TICKS0="$(stat_ticks)"
sleep "$SECONDS_IDLE"
TICKS1="$(stat_ticks)"
T1="$(date +%s%N)"
RSS_KB="$(status_kb VmRSS)"
HWM_KB="$(status_kb VmHWM)"
THREADS="$(status_kb Threads)"
kill -0 "$DOKKUD_PID" 2>/dev/null || die "dokkud died during the measurement"
[[ "$("$DOCKER" ps -q --filter "label=com.dokkud.store=$STORE_ID" | wc -l)" == "$WANT" ]] ||
  die "containers changed during the idle minute"

TABLE="$WORK/table.md"
python3 - "$WORK/requests.log" "$T0" "$T1" "$TICKS0" "$TICKS1" "$(getconf CLK_TCK)" "$RSS_KB" \
  "$HWM_KB" "$THREADS" "$APPS" "$RESYNC" "$SECONDS_IDLE" "$DEPLOY_S" "$MACHINE" \
  "$(bench_date)" "$BENCH_BUILD_TYPE" "$(bench_commit)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
  "$STORE_ID" "$PREFIX" >"$TABLE" <<'PY'
import collections, re, sys, urllib.parse
(log_path, t0, t1, ticks0, ticks1, clk_tck, rss_kb, hwm_kb, threads, apps, resync, seconds,
 deploy_s, machine, date, build_type, commit, load, store_id, prefix) = sys.argv[1:21]
t0, t1, apps, resync = int(t0), int(t1), int(apps), int(resync)
elapsed = (t1 - t0) / 1e9
cpu_pct = (int(ticks1) - int(ticks0)) / int(clk_tck) / elapsed * 100
rss_mb, hwm_mb = int(rss_kb) / 1024, int(hwm_kb) / 1024

def shape(method, target):
    path, _, query = target.partition("?")
    path = re.sub(r"^/v[0-9.]+", "", path)
    path = re.sub(r"/containers/(?!json$)[^/]+", "/containers/<id>", path)
    path = re.sub(r"/images/.+/json$", "/images/<ref>/json", path)
    if path == "/containers/json":
        filters = urllib.parse.parse_qs(query).get("filters", [""])[0]
        app = re.search(r"com\.dokku\.app-name=([^\"]*)", filters)
        if not app:
            scope = "all of this store"
        elif app.group(1).startswith(prefix + "-"):
            scope = "one of the %d apps" % apps
        else:
            scope = "`%s`, an app this store does not have" % app.group(1)
        return "%s %s (label filter: %s)" % (method, path, scope)
    return "%s %s" % (method, path)

calls = collections.Counter()
for line in open(log_path):
    ts, method, target = line.rstrip("\n").split(" ", 2)
    if t0 <= int(ts) <= t1:
        calls[shape(method, target)] += 1
total = sum(calls.values())
periods = elapsed / resync
resyncs = calls.get("GET /containers/json (label filter: all of this store)", 0)
per_app_period = total / apps / periods

def mark(ok):
    return "met" if ok else "**not met**"

print("## Idle daemon (`scripts/bench idle`)")
print()
print("%d apps, each deployed from an image with a Procfile (`web` = busybox httpd, `worker` = a "
      "sleep loop) and `DOKKU_SCALE` web=1 worker=2, with `checks:skip`: %d containers. dokkud "
      "runs with `--proxy none --resync-seconds %d --docker-host unix://<tmp>/docker.sock`; that "
      "socket is a small Python proxy in front of /var/run/docker.sock which logs the request "
      "line of every HTTP request dokkud sends (the long-lived `GET /events` stream counts once, "
      "when it is opened). After all %d deploys were applied (%s s from the first "
      "`apps:create`) and 5 s of settling, dokkud was watched for %.1f s."
      % (apps, apps * 3, resync, apps, deploy_s, elapsed))
print()
print("- Machine: %s" % machine)
print("- Date: %s; commit %s; build type %s; load average at the end: %s" % (date, commit, build_type, load))
print()
print("| measure | value | target |")
print("|---|---:|---|")
print("| CPU (utime+stime delta from /proc/<pid>/stat over %.0f s, %% of one core) | %.2f %% | < 1 %% (%s) |"
      % (elapsed, cpu_pct, mark(cpu_pct < 1)))
print("| RSS at the end (VmRSS) | %.1f MB | < 40 MB (%s) |" % (rss_mb, mark(rss_mb < 40)))
print("| peak RSS incl. the deploys (VmHWM) | %.1f MB | |" % hwm_mb)
print("| threads | %s | |" % threads)
print("| Docker API requests in the window | %d | |" % total)
print("| full resyncs seen (store-wide container lists) | %d | %.1f expected |" % (resyncs, periods))
own = sum(v for k, v in calls.items() if "one of the" in k)
print("| requests per app per resync period (%d s), the apps' own passes | %.2f | ≤ 1 (%s) |"
      % (resync, own / apps / periods, mark(own / apps / periods <= 1)))
print("| requests per app per resync period, all (+ store-wide lists, other apps) | %.2f | ≤ 1 (%s) |"
      % (per_app_period, mark(per_app_period <= 1)))
print()
print("Requests in the window by kind:")
print()
print("| request | count |")
print("|---|---:|")
for k, v in sorted(calls.items(), key=lambda kv: (-kv[1], kv[0])):
    print("| `%s` | %d |" % (k, v))
if not calls:
    print("| (none) | 0 |")
PY
echo
cat "$TABLE"
if ((WRITE)); then write_bench_section idle "$TABLE"; fi

# bench: zero-downtime ps:restart of web=10 and a web=2 deploy with CHECKS (WAIT=1) behind nginx
# usage: scripts/bench rolling [--write] [--reps N]
#
# dokkud runs with a private nginx on 127.0.0.1:<free port>. The image's CHECKS file is
# "WAIT=1 / ATTEMPTS=3 / `/ hello`": every new web container is probed once after 1 s. Timed:
#   `dokku ps:restart <app>` with web=10 (dokkud checks up to --docker-parallel=8 containers at
#   once, so the waits alone take ceil(10/8) x 1 s = 2 s; Dokku's sequential checks take 10 x 1 s)
#   `dokku tags:deploy <app> <tag>` with web=2, alternating two images (waits alone: 1 s)
# Each run's phases come from the deploy log dokkud writes into the store (events, unix ms), and
# a client requests the app through nginx every 20 ms during the run to show nothing failed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/_dokkud.sh"

USAGE="usage: scripts/bench rolling [--write] [--reps N]"
WRITE=0
REPS=3
while (($#)); do
  case "$1" in
    --write) WRITE=1 ;;
    --reps) REPS="$2"; shift ;;
    *) die "unknown argument: $1 ($USAGE)" ;;
  esac
  shift
done
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || die "$USAGE"

ensure_packages docker.io nginx busybox-static sqlite3 curl
command -v python3 >/dev/null || ensure_packages python3
ensure_dockerd
ensure_nginx_binary
bench_build dokku dokkud
MACHINE="$(machine_description)"  # before the run: it includes the load average
BUILD="$BENCH_BUILD"
DOKKU="$BUILD/dokku"
DOKKUD="$BUILD/dokkud"

WORK="$(mktemp -d /tmp/dokkud-bench-rolling-XXXXXX)"
STATE="$WORK/state"
NGINX_PREFIX="$WORK/nginx"
NGINX_CONF_DIR="$NGINX_PREFIX/conf.d"
export DOKKU_LIB_ROOT="$STATE"
APP10="benchroll-$$-r"
APP2="benchroll-$$-d"
RETIRE_S=2

cleanup() {
  set +e
  stop_dokkud
  stop_private_nginx "$NGINX_PREFIX"
  remove_app_resources "$APP10" "$APP2"
  "$DOCKER" rmi -f "dokku/benchroll-$$-base:v1" "dokku/benchroll-$$-base:v2" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# timed_run.py <db> <app> <nginx addr> <out json> -- CMD...: runs CMD while GETting
# http://<nginx addr>/ with Host <app>.localhost every 20 ms, then reads the app's new events.
cat >"$WORK/timed_run.py" <<'PY'
import json, sqlite3, subprocess, sys, threading, time, urllib.request
db_path, app, addr, out_path = sys.argv[1:5]
cmd = sys.argv[6:] if sys.argv[5] == "--" else sys.argv[5:]

def last_event_id():
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]

probe = {"ok": 0, "bad": 0, "bad_samples": []}
stop = threading.Event()
def client():
    req = urllib.request.Request("http://%s/" % addr, headers={"Host": app + ".localhost"})
    while not stop.is_set():
        try:
            with urllib.request.urlopen(req, timeout=2) as r:
                body = r.read().decode(errors="replace")
                ok = r.status == 200 and "hello" in body
                detail = "%d %r" % (r.status, body[:40])
        except Exception as e:  # connection refused, 502, timeout: all count as failures
            ok, detail = False, str(e)[:80]
        probe["ok" if ok else "bad"] += 1
        if not ok and len(probe["bad_samples"]) < 3:
            probe["bad_samples"].append(detail)
        time.sleep(0.02)

after = last_event_id()
thread = threading.Thread(target=client, daemon=True)
thread.start()
time.sleep(0.2)
t0 = time.time() * 1000
proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
t1 = time.time() * 1000
time.sleep(0.2)
stop.set()
thread.join()
if proc.returncode != 0:
    sys.stderr.write("%r failed (exit %d):\n%s%s" % (cmd, proc.returncode, proc.stdout, proc.stderr))
    sys.exit(1)
with sqlite3.connect(db_path) as db:
    events = db.execute("SELECT time, text FROM events WHERE app = ? AND id > ? ORDER BY id",
                        (app, after)).fetchall()

def first(pred):
    ts = [t for t, text in events if pred(text)]
    return min(ts) - t0 if ts else None
def last(pred):
    ts = [t for t, text in events if pred(text)]
    return max(ts) - t0 if ts else None

json.dump({
    "wall_ms": round(t1 - t0, 1),
    "first_event_ms": first(lambda s: True),
    "first_wait_ms": first(lambda s: s.startswith("Attempt 1/")),
    "last_wait_ms": last(lambda s: s.startswith("Attempt 1/")),
    "last_check_ok_ms": last(lambda s: s.startswith("All checks successful")),
    "deployed_ms": last(lambda s: s == "Application deployed:"),
    "checked": sum(1 for _, s in events if s.startswith("All checks successful")),
    "failed_attempts": sum(1 for _, s in events if s.startswith("Check attempt")),
    "requests_ok": probe["ok"], "requests_bad": probe["bad"], "bad_samples": probe["bad_samples"],
    "timeline": [[round(t - t0), text] for t, text in events] + [[round(t1 - t0), "(command returned)"]],
}, open(out_path, "w"))
PY

info "Building two app images with CHECKS (WAIT=1, ATTEMPTS=3, / hello)"
for v in v1 v2; do
  mkdir -p "$WORK/files-$v"
  printf 'hello from %s\n' "$v" >"$WORK/files-$v/index.html"
  printf 'WAIT=1\nATTEMPTS=3\n/ hello\n' >"$WORK/files-$v/CHECKS"
  # shellcheck disable=SC2016 # $PORT is expanded by the container's shell
  import_busybox_image "dokku/benchroll-$$-base:$v" "$WORK/files-$v" '["/bin/sh","-c","httpd -f -p $PORT -h /app"]' >/dev/null ||
    die "docker import failed"
done

NGINX_PORT="$(free_port 18480)"
info "Starting a private nginx on 127.0.0.1:$NGINX_PORT"
start_private_nginx "$NGINX_PREFIX" "$NGINX_PORT" "$NGINX_CONF_DIR"
NGINX_FLAGS="$(private_nginx_args "$NGINX_PREFIX")"
start_dokkud "$STATE" "$WORK/dokkud.log" --proxy nginx --nginx-conf-dir "$NGINX_CONF_DIR" \
  --nginx-test-cmd "$NGINX_BIN -t -q $NGINX_FLAGS" --nginx-reload-cmd "$NGINX_BIN $NGINX_FLAGS -s reload" \
  --proxy-listen "127.0.0.1:$NGINX_PORT"

setup_app() {
  local app="$1" web="$2" v
  "$DOKKU" apps:create "$app" >/dev/null
  "$DOKKU" checks:set "$app" wait-to-retire "$RETIRE_S" >/dev/null
  for v in v1 v2; do "$DOCKER" tag "dokku/benchroll-$$-base:$v" "dokku/$app:$v"; done
  "$DOKKU" tags:deploy "$app" v1 >"$WORK/setup-$app.log" 2>&1 || { cat "$WORK/setup-$app.log" >&2; die "deploy of $app failed"; }
  "$DOKKU" ps:scale "$app" "web=$web" >>"$WORK/setup-$app.log" 2>&1 || { cat "$WORK/setup-$app.log" >&2; die "scale of $app failed"; }
  wait_settled "$app" "$web"
  # Both of web=2 at once, as before max-parallel existed (its default, 1, is Dokku's).
  "$DOKKU" ps:set "$app" max-parallel "$web" >/dev/null
  curl -sf -H "Host: $app.localhost" "http://127.0.0.1:$NGINX_PORT/" | grep -q hello ||
    die "$app is not served through nginx"
}

# Waits until the app has exactly <web> containers (the retiring ones are gone).
wait_settled() {
  local app="$1" expected="$2" i
  for ((i = 0; i < 300; i++)); do
    [[ "$(all_count "$app")" == "$expected" && "$(running_count "$app")" == "$expected" ]] && return 0
    sleep 0.2
  done
  die "$app did not settle at $expected containers"
}

RESULTS="$WORK/results.jsonl"
timed() {
  local kind="$1" app="$2" rep="$3"
  shift 3
  python3 "$WORK/timed_run.py" "$STATE/dokku.db" "$app" "127.0.0.1:$NGINX_PORT" "$WORK/run.json" -- "$@" ||
    die "$kind (rep $rep) failed"
  printf '{"kind":"%s","rep":%d,%s\n' "$kind" "$rep" "$(cut -c2- "$WORK/run.json")" >>"$RESULTS"
}

info "Deploying $APP10 (web=10) and $APP2 (web=2)"
setup_app "$APP10" 10
setup_app "$APP2" 2
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for ((rep = 1; rep <= REPS; rep++)); do
  info "Repetition $rep/$REPS"
  # max-parallel 10: every container of the type at once (dokkud's --docker-parallel still caps
  # Docker calls at 8); then 2 at a time, in five batches.
  "$DOKKU" ps:set "$APP10" max-parallel 10 >/dev/null
  timed restart10 "$APP10" "$rep" "$DOKKU" ps:restart "$APP10"
  wait_settled "$APP10" 10
  "$DOKKU" ps:set "$APP10" max-parallel 2 >/dev/null
  timed restart10p2 "$APP10" "$rep" "$DOKKU" ps:restart "$APP10"
  wait_settled "$APP10" 10
  tag=v2
  ((rep % 2 == 0)) && tag=v1
  timed deploy2 "$APP2" "$rep" "$DOKKU" tags:deploy "$APP2" "$tag"
  wait_settled "$APP2" 2
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

TABLE="$WORK/table.md"
python3 - "$RESULTS" "$REPS" "$RETIRE_S" "$MACHINE" "$(bench_date)" "$BENCH_BUILD_TYPE" \
  "$(bench_commit)" "$("$NGINX_BIN" -v 2>&1 | sed 's/^nginx version: //')" "$LOAD_BEFORE" "$LOAD_AFTER" \
  >"$TABLE" <<'PY'
import json, math, statistics, sys
path, reps, retire_s, machine, date, build_type, commit, nginx, load_before, load_after = sys.argv[1:11]
rows = [json.loads(l) for l in open(path)]
PARALLEL, WAIT_S = 8, 1

def med(kind, field):
    v = [r[field] for r in rows if r["kind"] == kind and r[field] is not None]
    return statistics.median(v) if v else float("nan")

print("## Zero-downtime restarts and deploys with CHECKS (`scripts/bench rolling`)")
print()
print("dokkud with a private nginx on 127.0.0.1 (`--proxy nginx`, its own `nginx -t` / `-s reload`). "
      "The busybox httpd images carry `CHECKS` = `WAIT=1`, `ATTEMPTS=3`, `/ hello`, so each new "
      "web container is probed once after a 1 s wait; `wait-to-retire` is %s s (retirement happens "
      "after the command returns and is not timed; the next run waits for it). dokkud starts and "
      "checks up to `--docker-parallel` = %d containers at once. During every run a client "
      "requested the app through nginx every 20 ms. %s runs each; phases are medians, in ms from "
      "the command's start, from the deploy log dokkud writes to the store." % (retire_s, PARALLEL, reps))
print()
print("- Machine: %s" % machine)
print("- Date: %s; commit %s; build type %s; nginx %s" % (date, commit, build_type, nginx))
print("- Load average (1/5/15 min) before: %s, after: %s (a shared machine)" % (load_before, load_after))
print()
print("| run | containers | sum of CHECKS waits | waits in parallel (8 at most, or the batch) | wall median (min–max) | "
      "overhead = wall − parallel waits | first log line | first check wait starts | last check "
      "passed | `Application deployed:` | requests OK / failed |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
summary = {}
for kind, label, n, batch in (
        ("restart10", "`dokku ps:restart <app>` (web=10, max-parallel 10)", 10, PARALLEL),
        ("restart10p2", "`dokku ps:restart <app>` (web=10, max-parallel 2)", 10, 2),
        ("deploy2", "`dokku tags:deploy <app> <tag>` (web=2, max-parallel 2)", 2, PARALLEL)):
    rs = [r for r in rows if r["kind"] == kind]
    if not rs:
        continue
    walls = [r["wall_ms"] for r in rs]
    floor = math.ceil(n / min(batch, PARALLEL)) * WAIT_S * 1000
    wall = statistics.median(walls)
    summary[kind] = (wall, floor, n)
    ok = sum(r["requests_ok"] for r in rs)
    bad = sum(r["requests_bad"] for r in rs)
    print("| %s | %d | %d ms | %d ms | %.0f (%.0f–%.0f) | %.0f ms | %.0f | %.0f | %.0f | %.0f | %d / %d |" % (
        label, n, n * WAIT_S * 1000, floor, wall, min(walls), max(walls), wall - floor,
        med(kind, "first_event_ms"), med(kind, "first_wait_ms"), med(kind, "last_check_ok_ms"),
        med(kind, "deployed_ms"), ok, bad))
print()
if "restart10" in summary:
    wall, floor, n = summary["restart10"]
    print("- `ps:restart` of web=10: %.1f s, against %d s if the %d checks ran one after another "
          "(Dokku) and %d s of waits with %d in parallel; %.2f s on top of the waits."
          % (wall / 1000, n * WAIT_S, n, floor // 1000, PARALLEL, (wall - floor) / 1000))
if "restart10p2" in summary:
    wall, floor, n = summary["restart10p2"]
    print("- `ps:restart` of web=10 with max-parallel 2: %.1f s for 5 batches of 1 s waits "
          "(target: at most 5 waits plus 1 s — %s); the batches stop the old containers in between, "
          "so web never runs more than 12." % (wall / 1000, "met" if wall <= floor + 1000 else "**not met**"))
if "deploy2" in summary:
    wall, floor, n = summary["deploy2"]
    print("- Deploy of web=2: %.2f s for 1 s of configured waits: our own overhead is %.2f s "
          "(target: within 1 s — %s)." % (wall / 1000, (wall - floor) / 1000,
                                          "met" if wall - floor <= 1000 else "**not met**"))
bad = [s for r in rows for s in r["bad_samples"]]
if bad:
    print("- Failed requests during the runs (first samples): %s" % "; ".join(bad[:3]))
deploys = sorted((r for r in rows if r["kind"] == "deploy2"), key=lambda r: r["wall_ms"])
if deploys:
    r = deploys[len(deploys) // 2]
    print()
    print("The median web=2 deploy as dokkud logged it (ms from the command's start; the CLI prints "
          "these lines):")
    print()
    print("```")
    for t, text in r["timeline"]:
        print("%6d  %s" % (t, text))
    print("```")
PY
echo
cat "$TABLE"
if ((WRITE)); then write_bench_section rolling "$TABLE"; fi

# bench: ps:scale web=0->20->0 next to a docker run loop, docker-compose and raw Engine API calls
# usage: scripts/bench scale [--write] [--reps N] [--count N]
#
# One app (busybox httpd, checks:skip, dokkud --proxy none) is deployed with web=1 and scaled to 0;
# each repetition then times, for every contender, COUNT containers up and back down:
#   ours  `dokku ps:scale <app> web=COUNT` / `web=0` (the CLI returns when dokkud reports done)
#   (a)   a sequential `docker run -d` loop / sequential `docker rm -f`
#   (b)   `docker-compose up -d --scale web=COUNT` / `docker-compose down`
#   (c)   raw Engine API create+start with curl, 8 at a time / parallel DELETE ?force=true
# (a)-(c) use the create options of ours, read back with `docker inspect` from our web.1.
# Two clocks per run: the command's wall time, and when the Docker event stream showed the
# COUNTth `start` (up) or `destroy` (down) of that contender's containers.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/_dokkud.sh"

USAGE="usage: scripts/bench scale [--write] [--reps N] [--count N]"
WRITE=0
REPS=3
COUNT=20
while (($#)); do
  case "$1" in
    --write) WRITE=1 ;;
    --reps) REPS="$2"; shift ;;
    --count) COUNT="$2"; shift ;;
    *) die "unknown argument: $1 ($USAGE)" ;;
  esac
  shift
done
[[ "$REPS" =~ ^[1-9][0-9]*$ && "$COUNT" =~ ^[1-9][0-9]*$ ]] || die "$USAGE"

ensure_packages docker.io docker-compose busybox-static curl sqlite3
command -v python3 >/dev/null || ensure_packages python3
ensure_dockerd
bench_build dokku dokkud
MACHINE="$(machine_description)"  # before the run: it includes the load average
BUILD="$BENCH_BUILD"
DOKKU="$BUILD/dokku"
DOKKUD="$BUILD/dokkud"
API="http://localhost/v1.41"

WORK="$(mktemp -d /tmp/dokkud-bench-scale-XXXXXX)"
APP="benchscale-$$"
STATE="$WORK/state"
export DOKKU_LIB_ROOT="$STATE"
# Each contender's containers carry com.dokku.app-name=<its name>: that is what the event
# watcher and the cleanup filter on.
NAME_RUN="$APP-run"
NAME_COMPOSE="$APP-compose"
NAME_API="$APP-api"
PROJECT="${APP//-/}compose"

cleanup() {
  set +e
  stop_dokkud
  [[ -f "$WORK/compose.yml" ]] &&
    docker-compose -p "$PROJECT" -f "$WORK/compose.yml" down -t 1 >/dev/null 2>&1
  remove_app_resources "$APP" "$NAME_RUN" "$NAME_COMPOSE" "$NAME_API"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# measure.py <socket> <label> <start|destroy> <count> <timeout s> -- CMD...: subscribes to the
# Docker events of containers with <label>, runs CMD, and prints JSON {cmd_ms, observed_ms}:
# CMD's wall time and the time of the <count>th <action> event, both from just before CMD ran.
cat >"$WORK/measure.py" <<'PY'
import http.client, json, socket, subprocess, sys, threading, time, urllib.parse

sock_path, label, action, count, timeout = sys.argv[1:6]
count, timeout = int(count), float(timeout)
cmd = sys.argv[7:] if sys.argv[6] == "--" else sys.argv[6:]

class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=timeout + 30)
        self.unix_path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.unix_path)

filters = json.dumps({"type": ["container"], "event": [action], "label": [label]})
conn = UnixConnection(sock_path)
conn.request("GET", "/v1.41/events?filters=" + urllib.parse.quote(filters))
resp = conn.getresponse()  # dockerd subscribes before it sends the headers
seen = []
done = threading.Event()

def read_events():
    while len(seen) < count:
        line = resp.readline()
        if not line:
            break
        seen.append(json.loads(line)["timeNano"])
    done.set()

threading.Thread(target=read_events, daemon=True).start()
t0 = time.time_ns()
proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
t_cmd = time.time_ns()
if proc.returncode != 0:
    sys.stderr.write("%r failed (exit %d): %s\n" % (cmd, proc.returncode, proc.stderr.decode(errors="replace")))
    sys.exit(1)
if not done.wait(timeout) or len(seen) < count:
    sys.stderr.write("%r: saw %d of %d %s events\n" % (cmd, len(seen), count, action))
    sys.exit(1)
print(json.dumps({"cmd_ms": round((t_cmd - t0) / 1e6, 1),
                  "observed_ms": round((sorted(seen)[count - 1] - t0) / 1e6, 1)}))
PY

# ---- ours: the app, deployed with web=1, then scaled to 0.
info "Building dokku/$APP:v1 (busybox httpd)"
mkdir -p "$WORK/files"
echo hello >"$WORK/files/index.html"
# shellcheck disable=SC2016 # $PORT is expanded by the container's shell
import_busybox_image "dokku/$APP:v1" "$WORK/files" '["/bin/sh","-c","httpd -f -p $PORT -h /app"]' >/dev/null ||
  die "docker import failed"

info "Starting dokkud --proxy none (log: $WORK/dokkud.log)"
start_dokkud "$STATE" "$WORK/dokkud.log" --proxy none
"$DOKKU" apps:create "$APP" >/dev/null
"$DOKKU" checks:skip "$APP" >/dev/null
"$DOKKU" tags:deploy "$APP" v1 >"$WORK/deploy.log" 2>&1 || { cat "$WORK/deploy.log" >&2; die "tags:deploy failed"; }
[[ "$(running_count "$APP")" == 1 ]] || die "expected web.1 running after the deploy"

# The create options of ours, from Docker itself, are the template of (a)-(c).
"$DOCKER" inspect "$APP.web.1" >"$WORK/ours.json"
python3 - "$WORK" "$COUNT" "$NAME_RUN" "$NAME_COMPOSE" "$NAME_API" "$DOCKER" "$API" <<'PY'
import json, os, shlex, sys
work, count, name_run, name_compose, name_api, docker, api = sys.argv[1:8]
count = int(count)
c = json.load(open(os.path.join(work, "ours.json")))[0]
cfg, host = c["Config"], c["HostConfig"]
env = [e for e in cfg["Env"] if e.split("=", 1)[0] in ("DYNO", "PORT")]
port_env = [e for e in env if e.startswith("PORT=")]
image = cfg["Image"]
policy = host["RestartPolicy"]
policy_str = policy["Name"] + (":%d" % policy["MaximumRetryCount"] if policy["Name"] == "on-failure" else "")
stop_timeout = cfg.get("StopTimeout") or 10
exposed = sorted(cfg.get("ExposedPorts") or {})
bindings = host.get("PortBindings") or {}

def labels(name, i):
    out = dict(cfg["Labels"])
    out["com.dokku.app-name"] = name
    out["com.dokku.dyno"] = "web.%d" % i
    out["com.dokkud.store"] = "bench-not-dokkud"  # dokkud must not adopt these
    return out

def dyno_env(i):
    return [("DYNO=web.%d" % i) if e.startswith("DYNO=") else e for e in env]

# (a) sequential docker run / docker rm -f
with open(os.path.join(work, "run-up.sh"), "w") as f:
    for i in range(1, count + 1):
        args = [docker, "run", "-d", "--name", "%s.web.%d" % (name_run, i), "--init",
                "--restart", policy_str, "--stop-timeout", str(stop_timeout)]
        for e in dyno_env(i):
            args += ["-e", e]
        for k, v in sorted(labels(name_run, i).items()):
            args += ["--label", "%s=%s" % (k, v)]
        for p in exposed:
            args += ["--expose", p]
            for b in bindings.get(p, []):
                args += ["-p", "%s:%s:%s" % (b["HostIp"], b["HostPort"], p.split("/")[0])]
        args.append(image)
        f.write(" ".join(shlex.quote(a) for a in args) + " >/dev/null\n")
with open(os.path.join(work, "run-down.sh"), "w") as f:
    for i in range(1, count + 1):
        f.write("%s rm -f %s >/dev/null\n" % (docker, shlex.quote("%s.web.%d" % (name_run, i))))

# (b) docker-compose v1 (JSON is YAML). Compose cannot vary DYNO per replica: PORT only.
service = {"image": image, "init": True, "restart": policy_str,
           "stop_grace_period": "%ds" % stop_timeout, "environment": port_env,
           "labels": labels(name_compose, 0), "network_mode": "bridge",
           "expose": [p.split("/")[0] for p in exposed],
           "ports": ["%s::%s" % (b["HostIp"], p.split("/")[0]) for p in exposed for b in bindings.get(p, [])]}
del service["labels"]["com.dokku.dyno"]
json.dump({"version": "2.4", "services": {"web": service}},
          open(os.path.join(work, "compose.yml"), "w"), indent=2)

# (c) raw Engine API: one JSON body per container, as dokkud's create body
for i in range(1, count + 1):
    body = {"Image": image, "Env": dyno_env(i), "Labels": labels(name_api, i),
            "StopTimeout": stop_timeout, "ExposedPorts": {p: {} for p in exposed},
            "HostConfig": {"RestartPolicy": policy, "Init": True, "PortBindings": bindings}}
    json.dump(body, open(os.path.join(work, "body.%d.json" % i), "w"))
PY

cat >"$WORK/api-up.sh" <<EOF
seq 1 $COUNT | xargs -P8 -n1 sh -c 'curl -sf -o /dev/null --unix-socket $DOCKER_SOCK -H "Content-Type: application/json" --data-binary @$WORK/body.\$1.json "$API/containers/create?name=$NAME_API.web.\$1" && curl -sf -o /dev/null -X POST --unix-socket $DOCKER_SOCK "$API/containers/$NAME_API.web.\$1/start"' sh
EOF
cat >"$WORK/api-down.sh" <<EOF
seq 1 $COUNT | xargs -P8 -I{} curl -sf -o /dev/null -X DELETE --unix-socket $DOCKER_SOCK "$API/containers/$NAME_API.web.{}?force=true"
EOF

"$DOKKU" ps:scale "$APP" web=0 >/dev/null || die "ps:scale web=0 failed"
[[ "$(all_count "$APP")" == 0 ]] || die "containers left after ps:scale web=0"

# contender <key> -> "<label name>|<up command>|<down command>"
declare -A LABEL UP DOWN SHOWN_UP SHOWN_DOWN
LABEL[ours]="$APP"
UP[ours]="$DOKKU ps:scale $APP web=$COUNT"
DOWN[ours]="$DOKKU ps:scale $APP web=0"
SHOWN_UP[ours]="dokku ps:scale <app> web=$COUNT"
SHOWN_DOWN[ours]="dokku ps:scale <app> web=0"
LABEL[run]="$NAME_RUN"
UP[run]="bash $WORK/run-up.sh"
DOWN[run]="bash $WORK/run-down.sh"
SHOWN_UP[run]="for i in 1..$COUNT: docker run -d --name <app>-run.web.\$i --init --restart on-failure:10 --stop-timeout 30 -e DYNO=web.\$i -e PORT=5000 --label ... (10 labels) --expose 5000/tcp -p 127.0.0.1::5000 <image id>"
SHOWN_DOWN[run]="for i in 1..$COUNT: docker rm -f <app>-run.web.\$i"
LABEL[compose]="$NAME_COMPOSE"
UP[compose]="docker-compose -p $PROJECT -f $WORK/compose.yml up -d --scale web=$COUNT"
DOWN[compose]="docker-compose -p $PROJECT -f $WORK/compose.yml down"
SHOWN_UP[compose]="docker-compose -p <project> -f compose.yml up -d --scale web=$COUNT (same image, init, restart, stop grace, labels, PORT, ports; network_mode: bridge)"
SHOWN_DOWN[compose]="docker-compose -p <project> -f compose.yml down"
LABEL[api]="$NAME_API"
UP[api]="bash $WORK/api-up.sh"
DOWN[api]="bash $WORK/api-down.sh"
SHOWN_UP[api]="seq 1 $COUNT | xargs -P8 -n1: curl --unix-socket POST /v1.41/containers/create?name=<app>-api.web.\$i (dokkud's create body) && POST /containers/<name>/start"
SHOWN_DOWN[api]="seq 1 $COUNT | xargs -P8: curl --unix-socket -X DELETE /v1.41/containers/<name>?force=true"

RESULTS="$WORK/results.jsonl"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
trial() {
  local key="$1" rep="$2" dir="$3" action cmd out
  if [[ "$dir" == up ]]; then action=start cmd="${UP[$key]}"; else action=destroy cmd="${DOWN[$key]}"; fi
  # shellcheck disable=SC2086
  out="$(python3 "$WORK/measure.py" "$DOCKER_SOCK" "com.dokku.app-name=${LABEL[$key]}" "$action" \
    "$COUNT" 180 -- $cmd)" || die "$key $dir (rep $rep) failed"
  printf '{"key":"%s","rep":%d,"dir":"%s",%s\n' "$key" "$rep" "$dir" "${out#\{}" >>"$RESULTS"
  local expected=0
  [[ "$dir" == up ]] && expected="$COUNT"
  [[ "$(running_count "${LABEL[$key]}")" == "$expected" && "$(all_count "${LABEL[$key]}")" == "$expected" ]] ||
    die "$key $dir (rep $rep): expected $expected containers, found $(all_count "${LABEL[$key]}")"
  sleep 1  # let dockerd finish its own bookkeeping before the next contender
}

ORDER=(ours run compose api)
for ((rep = 1; rep <= REPS; rep++)); do
  if ((rep % 2 == 0)); then keys=(api compose run ours); else keys=("${ORDER[@]}"); fi
  info "Repetition $rep/$REPS: ${keys[*]}"
  for key in "${keys[@]}"; do
    trial "$key" "$rep" up
    trial "$key" "$rep" down
  done
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

TABLE="$WORK/table.md"
{
  for key in ours run compose api; do printf '%s\t%s\t%s\n' "$key" "${SHOWN_UP[$key]}" "${SHOWN_DOWN[$key]}"; done
} >"$WORK/commands.tsv"
python3 - "$RESULTS" "$WORK/commands.tsv" "$COUNT" "$REPS" "$MACHINE" \
  "$(bench_date)" "$BENCH_BUILD_TYPE" \
  "$(bench_commit)" "$("$DOCKER" version --format '{{.Server.Version}}' 2>/dev/null)" \
  "$(docker-compose version --short 2>/dev/null)" "$LOAD_BEFORE" "$LOAD_AFTER" >"$TABLE" <<'PY'
import json, statistics, sys
(path, commands_path, count, reps, machine, date, build_type, commit, docker_version,
 compose_version, load_before, load_after) = sys.argv[1:13]
rows = [json.loads(l) for l in open(path)]
names = {"ours": "ours: `dokku ps:scale`", "run": "(a) sequential `docker run` / `rm -f`",
         "compose": "(b) `docker-compose` v1", "api": "(c) raw API, 8 in parallel"}
commands = [l.rstrip("\n").split("\t") for l in open(commands_path)]

def med(key, d, field):
    return statistics.median(r[field] for r in rows if r["key"] == key and r["dir"] == d)

def spread(key, d, field):
    v = [r[field] for r in rows if r["key"] == key and r["dir"] == d]
    return "%.0f–%.0f" % (min(v), max(v))

print("## Scaling 0 → %s → 0 (`scripts/bench scale`)" % count)
print()
print("One app (busybox httpd image, `checks:skip`, dokkud `--proxy none`, so web containers "
      "publish port 5000 on 127.0.0.1) is deployed with web=1 and scaled to 0; then each "
      "contender starts %s containers and removes them again, %s repetitions, the order of the "
      "contenders reversed every other repetition. (a)–(c) use our create options as read back "
      "from `docker inspect` of our web.1: image id, `--init`, restart `on-failure:10`, stop "
      "timeout 30 s, `DYNO`/`PORT` env, the 10 labels, port 5000 published on 127.0.0.1 "
      "(compose: no per-replica `DYNO`)." % (count, reps))
print()
print("*command* is the wall time until the command returned (ours: the CLI returns when dokkud "
      "reports the generation applied; dokkud reads the change feed every 100 ms and the CLI "
      "polls every 50 ms). *docker saw* is when Docker's event stream showed the %sth `start` "
      "(up) or `destroy` (down) of that contender's containers, from the same origin. Median "
      "(min–max) in ms." % count)
print()
print("- Machine: %s" % machine)
print("- Date: %s; commit %s; build type %s; Docker %s; docker-compose %s" %
      (date, commit, build_type, docker_version, compose_version))
print("- Load average (1/5/15 min) before: %s, after: %s (a shared machine: other jobs were "
      "running)" % (load_before, load_after))
print()
print("| contender | 0→%s command | 0→%s docker saw | %s→0 command | %s→0 docker saw |" % ((count,) * 4))
print("|---|---:|---:|---:|---:|")
for key in ("ours", "run", "compose", "api"):
    cells = []
    for d in ("up", "down"):
        for field in ("cmd_ms", "observed_ms"):
            cells.append("%.0f (%s)" % (med(key, d, field), spread(key, d, field)))
    print("| %s | %s |" % (names[key], " | ".join(cells)))
print()
print("Ratios of the medians of the command times (ours = `dokku ps:scale` returning):")
print()
print("| direction | ours / (c) (target ≤ 1.2) | (a) / ours (target ≥ 1.3) | (b) / ours (target ≥ 1.3) |")
print("|---|---:|---:|---:|")
for d, label in (("up", "0→%s" % count), ("down", "%s→0" % count)):
    ours = med("ours", d, "cmd_ms")
    c, a, b = med("api", d, "cmd_ms"), med("run", d, "cmd_ms"), med("compose", d, "cmd_ms")
    def mark(ok):
        return "met" if ok else "**not met**"
    print("| %s | %.2f (%s) | %.2f (%s) | %.2f (%s) |" % (
        label, ours / c, mark(ours / c <= 1.2), a / ours, mark(a / ours >= 1.3), b / ours,
        mark(b / ours >= 1.3)))
print()
print("Commands:")
print()
for key, up, down in commands:
    print("- %s: `%s`; down: `%s`" % (names[key].split(":")[0] if key == "ours" else names[key].split(" ")[0], up, down))
PY
echo
cat "$TABLE"
if ((WRITE)); then write_bench_section scale "$TABLE"; fi

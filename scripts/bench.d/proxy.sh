# bench: request latency through nginx with dokkud's dynamic upstream against a static one, and the time from checks passed to the new container's first answer
# usage: scripts/bench proxy [--write] [--requests N] [--switches N]
#
# Part 1, latency: one app (web=2, busybox httpd) behind a private nginx with the lua module;
# dokkud gives it the dynamic upstream (balancer_by_lua over a shared dict). Beside it, in the
# same nginx, a server block written by this script with a static `upstream` of the same two
# containers (same keepalive, same proxy settings). One keep-alive client (raw socket, one
# connection per upstream) alternates blocks of requests between the two, so both see the same
# machine load; per-request latency median and p99.
# Part 2, switch time: `tags:deploy` alternating v1/v2 (web=1, CHECKS WAIT=1) while a keep-alive
# client polls; measured from the "All checks successful" event dokkud writes (unix ms) to the
# first answer of the new release. Once with dynamic upstreams, once with an nginx without the
# lua module (dokkud falls back to writing the file and reloading).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/_dokkud.sh"

USAGE="usage: scripts/bench proxy [--write] [--requests N] [--switches N]"
WRITE=0
REQUESTS=20000
SWITCHES=6
while (($#)); do
  case "$1" in
    --write) WRITE=1 ;;
    --requests) REQUESTS="$2"; shift ;;
    --switches) SWITCHES="$2"; shift ;;
    *) die "unknown argument: $1 ($USAGE)" ;;
  esac
  shift
done
[[ "$REQUESTS" =~ ^[1-9][0-9]*$ && "$SWITCHES" =~ ^[1-9][0-9]*$ ]] || die "$USAGE"

ensure_packages docker.io nginx libnginx-mod-http-lua busybox-static sqlite3 curl
command -v python3 >/dev/null || ensure_packages python3
ensure_dockerd
ensure_nginx_binary
bench_build dokku dokkud
MACHINE="$(machine_description)"
DOKKU="$BENCH_BUILD/dokku"
DOKKUD="$BENCH_BUILD/dokkud"
[[ -f /usr/lib/nginx/modules/ngx_http_lua_module.so ]] || die "the nginx lua module is not installed"

WORK="$(mktemp -d /tmp/dokkud-bench-proxy-XXXXXX)"
chmod 700 "$WORK"
APP="benchproxy-$$"
NGINX_PREFIX=""

cleanup() {
  set +e
  stop_dokkud
  [[ -n "$NGINX_PREFIX" ]] && stop_private_nginx "$NGINX_PREFIX"
  remove_app_resources "$APP"
  "$DOCKER" rmi -f "dokku/benchproxy-$$-base:v1" "dokku/benchproxy-$$-base:v2" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

info "Building two app images with CHECKS (WAIT=1, ATTEMPTS=3, / hello)"
for v in v1 v2; do
  mkdir -p "$WORK/files-$v"
  printf 'hello from %s\n' "$v" >"$WORK/files-$v/index.html"
  printf 'WAIT=1\nATTEMPTS=3\n/ hello\n' >"$WORK/files-$v/CHECKS"
  # shellcheck disable=SC2016 # $PORT is expanded by the container's shell
  import_busybox_image "dokku/benchproxy-$$-base:$v" "$WORK/files-$v" '["/bin/sh","-c","httpd -f -p $PORT -h /app"]' >/dev/null ||
    die "docker import failed"
done

# start_phase <name> <lua: 1|0>: a private nginx (with or without the lua module), a state
# directory and dokkud; the app deployed at v1.
start_phase() {
  local name="$1" lua="$2"
  NGINX_PREFIX="$WORK/$name/nginx"
  STATE="$WORK/$name/state"
  export DOKKU_LIB_ROOT="$STATE"
  NGINX_PORT="$(free_port 18580)"
  write_private_nginx_conf "$NGINX_PREFIX" "$NGINX_PORT" "$NGINX_PREFIX/conf.d"
  ((lua)) || sed -i '/^load_module/d' "$NGINX_PREFIX/nginx.conf"
  # The static baseline's server block lives outside dokkud's directory.
  mkdir -p "$NGINX_PREFIX/static.d"
  sed -i "s|^  include $NGINX_PREFIX/conf.d/\*.conf;|&\n  include $NGINX_PREFIX/static.d/*.conf;|" "$NGINX_PREFIX/nginx.conf"
  "$NGINX_BIN" -p "$NGINX_PREFIX" -c "$NGINX_PREFIX/nginx.conf" || die "private nginx did not start"
  local flags
  flags="$(private_nginx_args "$NGINX_PREFIX")"
  mkdir -p "$WORK/$name/control"
  chmod 700 "$WORK/$name/control"
  start_dokkud "$STATE" "$WORK/$name/dokkud.log" --proxy nginx --nginx-conf-dir "$NGINX_PREFIX/conf.d" \
    --nginx-test-cmd "$NGINX_BIN -t -q $flags" --nginx-reload-cmd "$NGINX_BIN $flags -s reload" \
    --proxy-listen "127.0.0.1:$NGINX_PORT" --nginx-control-socket "$WORK/$name/control/nginx.sock"
  "$DOKKU" apps:create "$APP" >/dev/null
  "$DOKKU" checks:set "$APP" wait-to-retire 2 >/dev/null
  for v in v1 v2; do "$DOCKER" tag "dokku/benchproxy-$$-base:$v" "dokku/$APP:$v"; done
  "$DOKKU" tags:deploy "$APP" v1 >"$WORK/$name/setup.log" 2>&1 || { cat "$WORK/$name/setup.log" >&2; die "deploy failed"; }
  local i
  for ((i = 0; i < 100; i++)); do
    curl -sf -H "Host: $APP.localhost" "http://127.0.0.1:$NGINX_PORT/" | grep -q hello && return 0
    sleep 0.1
  done
  die "$APP is not served through nginx"
}

stop_phase() {
  "$DOKKU" apps:destroy "$APP" --force >/dev/null 2>&1 || true
  stop_dokkud
  DOKKUD_PID=""
  stop_private_nginx "$NGINX_PREFIX"
  NGINX_PREFIX=""
}

# The measuring client: raw sockets, one keep-alive connection per Host, no retries.
cat >"$WORK/client.py" <<'PY'
import json, socket, sqlite3, subprocess, sys, time

def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

def get(host, buf):
    # buf: [unread bytes, socket, port]; the socket is replaced when nginx closes it.
    sock = buf[1]
    sock.sendall(b"GET / HTTP/1.1\r\nHost: " + host.encode() + b"\r\n\r\n")
    while b"\r\n\r\n" not in buf[0]:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf[0] += chunk
    head, rest = buf[0].split(b"\r\n\r\n", 1)
    length, close = 0, False
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
        if k.strip().lower() == b"connection" and v.strip().lower() == b"close":
            close = True  # nginx's keepalive_requests (1000) ends the connection after this answer
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        rest += chunk
    buf[0] = rest[length:]
    if close:
        sock.close()
        buf[0] = b""
        buf[1] = connect(buf[2])
    return int(head.split(b" ")[1]), rest[:length]

def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]

def latency(port, dynamic_host, static_host, total, out):
    times = {dynamic_host: [], static_host: []}
    bufs = {h: [b"", connect(port), port] for h in times}
    block = 250
    for h in times:  # warm both connections and the upstream keepalive pools
        for _ in range(200):
            get(h, bufs[h])
    failed = 0
    for i in range(0, total, block):
        for h in (times if (i // block) % 2 == 0 else list(times)[::-1]):
            for _ in range(block // 2):
                t0 = time.perf_counter_ns()
                status, body = get(h, bufs[h])
                times[h].append((time.perf_counter_ns() - t0) / 1000.0)
                if status != 200 or b"hello" not in body:
                    failed += 1
    json.dump({"dynamic": {"median": pct(times[dynamic_host], 0.5), "p99": pct(times[dynamic_host], 0.99),
                           "n": len(times[dynamic_host])},
               "static": {"median": pct(times[static_host], 0.5), "p99": pct(times[static_host], 0.99),
                          "n": len(times[static_host])},
               "failed": failed}, open(out, "w"))

def switch(port, host, db, cmd, new_body, out):
    # Polls with one keep-alive connection while `cmd` deploys; the time of the first answer with
    # new_body, next to the last "All checks successful" event.
    with sqlite3.connect(db) as c:
        after = c.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    buf = [b"", connect(port), port]
    first_new, failed, total = None, 0, 0
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            status, body = get(host, buf)
        except (ConnectionError, OSError):
            failed += 1
            buf = [b"", connect(port), port]
            continue
        total += 1
        now = time.time() * 1000
        if status != 200:
            failed += 1
        elif new_body in body and first_new is None:
            first_new = now
        if first_new is not None and proc.poll() is not None:
            break
    err = proc.communicate()[1]
    if proc.returncode != 0:
        sys.exit("deploy failed: " + err.decode(errors="replace"))
    with sqlite3.connect(db) as c:
        checked = c.execute("SELECT max(time) FROM events WHERE app = ? AND id > ? AND text LIKE 'All checks successful%'",
                            (host.split(".")[0], after)).fetchone()[0]
    json.dump({"switch_ms": None if first_new is None or checked is None else first_new - checked,
               "failed": failed, "total": total}, open(out, "w"))

if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "latency":
        latency(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6])
    else:
        switch(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[7:], sys.argv[5].encode(), sys.argv[6])
PY

RESULTS="$WORK/results.jsonl"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- Part 1 and part 2 with the dynamic upstream ----
info "Dynamic upstreams: deploying $APP (web=2)"
start_phase dynamic 1
grep -q "dynamic upstreams on" "$WORK/dynamic/dokkud.log" || die "dokkud did not turn dynamic upstreams on"
"$DOKKU" ps:scale "$APP" web=2 >/dev/null
PEERS=""
for id in $("$DOCKER" ps -q --filter "label=com.dokku.app-name=$APP"); do
  PEERS+="    server $("$DOCKER" inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$id"):5000;"$'\n'
done
# The same proxy settings as dokkud's server block, with a static upstream.
sed -n '/^server {/,$p' "$NGINX_PREFIX/conf.d/$APP.conf" |
  sed "s/server_name .*;/server_name static.bench.test;/; s|proxy_pass http://[^;]*;|proxy_pass http://bench-static;|; /log_by_lua_block/d" \
    >"$WORK/server.part"
grep -q "proxy_pass http://bench-static;" "$WORK/server.part" || die "cannot derive the static server block from $APP.conf"
{
  printf 'upstream bench-static {\n%s    keepalive 32;\n}\n' "$PEERS"
  cat "$WORK/server.part"
} >"$NGINX_PREFIX/static.d/static.conf"
"$NGINX_BIN" -t -q $(private_nginx_args "$NGINX_PREFIX") || die "the static server block is invalid"
"$NGINX_BIN" $(private_nginx_args "$NGINX_PREFIX") -s reload
sleep 1
curl -sf -H "Host: static.bench.test" "http://127.0.0.1:$NGINX_PORT/" | grep -q hello || die "static server block does not serve"
info "Latency: $REQUESTS keep-alive requests, alternating dynamic and static"
python3 "$WORK/client.py" latency "$NGINX_PORT" "$APP.localhost" static.bench.test "$REQUESTS" "$WORK/latency.json"
rm -f "$NGINX_PREFIX/static.d/static.conf"
"$NGINX_BIN" $(private_nginx_args "$NGINX_PREFIX") -s reload
"$DOKKU" ps:scale "$APP" web=1 >/dev/null

measure_switches() {
  local mode="$1" i tag body
  for ((i = 1; i <= SWITCHES; i++)); do
    tag=v2
    ((i % 2 == 0)) && tag=v1
    body="hello from $tag"
    python3 "$WORK/client.py" switch "$NGINX_PORT" "$APP.localhost" "$STATE/dokku.db" "$body" "$WORK/switch.json" \
      "$DOKKU" tags:deploy "$APP" "$tag" || die "switch $i ($mode) failed"
    printf '{"mode":"%s",%s\n' "$mode" "$(cut -c2- "$WORK/switch.json")" >>"$RESULTS"
    sleep 2.5  # the old container retires (wait-to-retire 2)
  done
}
info "Switch time with dynamic upstreams ($SWITCHES deploys)"
measure_switches dynamic
stop_phase

info "Switch time with reloads (nginx without the lua module, $SWITCHES deploys)"
start_phase reload 0
grep -q "dynamic upstreams unavailable" "$WORK/reload/dokkud.log" || die "dokkud did not fall back to reloads"
measure_switches reload
stop_phase
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

TABLE="$WORK/table.md"
python3 - "$WORK/latency.json" "$RESULTS" "$REQUESTS" "$MACHINE" "$(bench_date)" "$BENCH_BUILD_TYPE" \
  "$(bench_commit)" "$("$NGINX_BIN" -v 2>&1 | sed 's/^nginx version: //')" "$LOAD_BEFORE" "$LOAD_AFTER" \
  >"$TABLE" <<'PY'
import json, statistics, sys
lat_path, res_path, requests, machine, date, build_type, commit, nginx, load_before, load_after = sys.argv[1:11]
lat = json.load(open(lat_path))
rows = [json.loads(l) for l in open(res_path)]
d, s = lat["dynamic"], lat["static"]
print("## Proxy: dynamic upstream latency and switch time (`scripts/bench proxy`)")
print()
print("One app behind a private nginx (%s) with Debian's lua module. **Latency**: %s requests from one "
      "keep-alive client (raw socket, Python, one request at a time), alternating blocks of 125 between "
      "dokkud's server block (`balancer_by_lua` over a shared dict) and a static `upstream` block of the same two "
      "web containers with the same proxy settings and `keepalive 32` (without dokkud's `log_by_lua` in-flight count, so the "
      "difference is everything the lua module adds). Times include the client's own overhead, "
      "the same for both. **Switch**: `tags:deploy` v1/v2 of web=1 with CHECKS (WAIT=1); from the "
      "`All checks successful` event dokkud records (unix ms) to the first answer of the new release on a keep-alive "
      "connection polling back to back; with dynamic upstreams, and with an nginx without the module (dokkud "
      "writes the file and reloads)." % (nginx, requests))
print()
print("- Machine: %s" % machine)
print("- Date: %s; commit %s; build type %s; load average before: %s, after: %s" % (date, commit, build_type, load_before, load_after))
print()
print("| upstream | requests | median µs | p99 µs |")
print("|---|---:|---:|---:|")
print("| static `upstream` | %d | %.0f | %.0f |" % (s["n"], s["median"], s["p99"]))
print("| dynamic (lua balancer) | %d | %.0f | %.0f |" % (d["n"], d["median"], d["p99"]))
ratio_m, ratio_p = d["median"] / s["median"], d["p99"] / s["p99"]
met = lambda r: "met" if r <= 1.05 else "**not met**"
print()
print("Dynamic / static: median %.3f (target ≤ 1.05: %s), p99 %.3f (%s); failed requests: %d." % (
    ratio_m, met(ratio_m), ratio_p, met(ratio_p), lat["failed"]))
print()
print("| cutover | deploys | checks passed → first answer, median ms | max ms | failed requests / total |")
print("|---|---:|---:|---:|---:|")
for mode in ("dynamic", "reload"):
    r = [x for x in rows if x["mode"] == mode]
    v = [x["switch_ms"] for x in r if x["switch_ms"] is not None]
    med = statistics.median(v) if v else float("nan")
    print("| %s | %d | %.0f | %.0f | %d / %d |" % (
        "dynamic upstream (no reload)" if mode == "dynamic" else "file + `nginx -s reload`",
        len(r), med, max(v) if v else float("nan"), sum(x["failed"] for x in r), sum(x["total"] for x in r)))
dyn = [x["switch_ms"] for x in rows if x["mode"] == "dynamic" and x["switch_ms"] is not None]
if dyn:
    m = statistics.median(dyn)
    print()
    print("Target for the dynamic cutover: under 50 ms (%s: median %.0f ms). Event times have millisecond "
          "resolution and are written by dokkud just before it switches." % ("met" if m < 50 else "**not met**", m))
print()
print("Command: `scripts/bench proxy --requests %s`" % requests)
PY
cat "$TABLE"
((WRITE)) && write_bench_section proxy "$TABLE"
exit 0

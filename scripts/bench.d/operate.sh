# shellcheck shell=bash
# bench: dokku run / enter / logs through dokkud's control socket against the docker CLI doing the same
# usage: scripts/bench operate [--write] [--runs N]
#
# One app (busybox, a web process that logs a line a second) runs under a real dokkud
# (--proxy none). Each pair times whole process runs, the docker command being the baseline of
# the same invocation: `dokku run app true` vs `docker run --rm <image> true`, `dokku enter app
# web.1 true` vs `docker exec <web.1> true`, `dokku logs app -n 100` vs `docker logs --tail 100`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/_dokkud.sh"

WRITE=0
RUNS="${BENCH_RUNS:-20}"
while (($#)); do
  case "$1" in
    --write) WRITE=1 ;;
    --runs) RUNS="$2"; shift ;;
    *) die "unknown argument: $1 (usage: scripts/bench operate [--write] [--runs N])" ;;
  esac
  shift
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"

ensure_packages docker.io busybox-static sqlite3
command -v python3 >/dev/null || ensure_packages python3
ensure_dockerd
bench_build dokku dokkud
MACHINE="$(machine_description)"
DOKKU="$BENCH_BUILD/dokku"
DOKKUD="$BENCH_BUILD/dokkud"
TIMING="$(dirname "${BASH_SOURCE[0]}")/timing.py"

APP="benchop-$$"
STATE="$(mktemp -d /tmp/dokkud-bench-XXXXXX)"
RESULTS="$STATE/results.jsonl"
cleanup() {
  stop_dokkud
  remove_app_resources "$APP"
  rm -rf "$STATE"
}
trap cleanup EXIT
export DOKKU_LIB_ROOT="$STATE/state"

mkdir -p "$STATE/src"
printf 'web: while true; do echo "line from $DYNO"; sleep 1; done\n' >"$STATE/src/Procfile"
IMAGE="$(import_busybox_image "dokku/$APP:v1" "$STATE/src" '["/bin/sh"]')" || die "image build failed"
start_dokkud "$DOKKU_LIB_ROOT" "$STATE/dokkud.log" --proxy none
"$DOKKU" apps:create "$APP" >/dev/null
"$DOKKU" tags:deploy "$APP" v1 >/dev/null || die "deploy failed (log: $STATE/dokkud.log)"
WEB="$("$DOCKER" ps -q --filter "name=^$APP.web.1\$")"
[[ -n "$WEB" ]] || die "no $APP.web.1"
sleep 3  # a few log lines

info "Timing $RUNS runs of each command (build type $BENCH_BUILD_TYPE)"
t() { python3 "$TIMING" --runs "$RUNS" --label "$1" -- "${@:2}" >>"$RESULTS"; }
t "docker run --rm <image> true" "$DOCKER" run --rm "$IMAGE" true
t "dokku run <app> true" "$DOKKU" run "$APP" true
t "docker exec <web.1> true" "$DOCKER" exec "$WEB" true
t "dokku enter <app> web.1 true" "$DOKKU" enter "$APP" web.1 true
t "docker logs --tail 100 <web.1>" "$DOCKER" logs --tail 100 "$WEB"
t "dokku logs <app> -n 100" "$DOKKU" logs "$APP" -n 100
LEFT="$("$DOCKER" ps -aq --filter "label=com.dokku.app-name=$APP" --filter label=com.dokku.container-type=run | wc -l)"

TABLE="$STATE/table.md"
python3 - "$RESULTS" "$MACHINE" "$(bench_date)" "$BENCH_BUILD_TYPE" "$(bench_commit)" "$LEFT" \
  >"$TABLE" <<'PY'
import json, sys
path, machine, date, build_type, commit, left = sys.argv[1:7]
rows = [json.loads(line) for line in open(path)]
print("## Operating through the control socket (`scripts/bench operate`)")
print()
print("Wall time of whole process runs, %d runs each after warm-up; each dokku command against the "
      "docker CLI command that does the same, timed in the same invocation (the ratio is what the "
      "control socket, the store lookups and the CLI cost on top). Run containers left behind "
      "afterwards: %s." % (rows[0]["runs"], left))
print()
print("- Machine: %s" % machine)
print("- Date: %s; commit %s; build type %s" % (date, commit, build_type))
print()
print("| command | median ms | p95 ms | min ms | median / docker |")
print("|---|---:|---:|---:|---:|")
for i in range(0, len(rows), 2):
    base, ours = rows[i], rows[i + 1]
    for r in (base, ours):
        print("| `%s` | %.1f | %.1f | %.1f | %s |" % (r["label"], r["median_ms"], r["p95_ms"],
              r["min_ms"], "1.00× (baseline)" if r is base else "%.2f×" % (r["median_ms"] / base["median_ms"])))
PY
echo
cat "$TABLE"
if ((WRITE)); then write_bench_section operate "$TABLE"; fi

# shellcheck shell=bash
# bench: CLI latency of a desired-state write and a report, against a one-row SQLite UPDATE
# usage: scripts/bench cli [--write] [--runs N]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"

WRITE=0
RUNS="${BENCH_RUNS:-200}"
while (($#)); do
  case "$1" in
    --write) WRITE=1 ;;
    --runs)
      RUNS="$2"
      shift
      ;;
    *) die "unknown argument: $1 (usage: scripts/bench cli [--write] [--runs N])" ;;
  esac
  shift
done

ensure_packages build-essential cmake libsqlitecpp-dev libsqlite3-dev libcurl4-openssl-dev \
  nlohmann-json3-dev libfmt-dev libgtest-dev libgmock-dev sqlite3
command -v python3 >/dev/null || ensure_packages python3
bench_build dokku
DOKKU="$BENCH_BUILD/dokku"
TIMING="$(dirname "${BASH_SOURCE[0]}")/timing.py"

STATE="$(mktemp -d /tmp/dokkud-bench-XXXXXX)"
RESULTS="$STATE/results.jsonl"
trap 'rm -rf "$STATE"' EXIT
export DOKKU_LIB_ROOT="$STATE"
"$DOKKU" apps:create benchapp >/dev/null || die "dokku apps:create benchapp failed"
DB="$STATE/dokku.db"
[[ -f "$DB" ]] || die "no database at $DB after apps:create"

info "Timing $RUNS runs of each command (build type $BENCH_BUILD_TYPE)"
python3 "$TIMING" --runs "$RUNS" --label "sqlite3 dokku.db \"UPDATE apps SET created_at=created_at WHERE name='benchapp'\"" -- \
  sqlite3 "$DB" "UPDATE apps SET created_at=created_at WHERE name='benchapp'" >>"$RESULTS"
python3 "$TIMING" --runs "$RUNS" --label "dokku --detach ps:scale benchapp web=N (N=1..5)" -- \
  "$DOKKU" --detach ps:scale benchapp 'web={n}' >>"$RESULTS"
python3 "$TIMING" --runs "$RUNS" --label "dokku --detach config:set benchapp KEY=N (N=1..5)" -- \
  "$DOKKU" --detach config:set benchapp 'KEY={n}' >>"$RESULTS"
python3 "$TIMING" --runs "$RUNS" --label "dokku ps:report benchapp" -- \
  "$DOKKU" ps:report benchapp >>"$RESULTS"

TABLE="$STATE/table.md"
python3 - "$RESULTS" "$(machine_description)" "$(date -u '+%Y-%m-%d %H:%M UTC')" \
  "$BENCH_BUILD_TYPE" "$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  >"$TABLE" <<'PY'
import json, sys
path, machine, date, build_type, commit = sys.argv[1:6]
rows = [json.loads(line) for line in open(path)]
floor = rows[0]["median_ms"]
print("## CLI latency (`scripts/bench cli`)")
print()
print("Wall time of whole process runs (fork, exec, open the store, run, exit), %d runs each after "
      "5 warm-up runs; no daemon running. The floor is the sqlite3 shell doing a one-row UPDATE on "
      "the same database: the least any process that writes the store can cost." % rows[0]["runs"])
print()
print("- Machine: %s" % machine)
print("- Date: %s; commit %s; build type %s" % (date, commit, build_type))
print()
print("| command | median ms | p95 ms | min ms | median / floor |")
print("|---|---:|---:|---:|---:|")
for i, r in enumerate(rows):
    print("| `%s`%s | %.2f | %.2f | %.2f | %.2f× |" % (r["label"], " (floor)" if i == 0 else "",
                                                    r["median_ms"], r["p95_ms"], r["min_ms"],
                                                    r["median_ms"] / floor))
PY
echo
cat "$TABLE"
if ((WRITE)); then write_bench_section cli "$TABLE"; fi

# bench: one steady-state reconcile pass over N = 10..1000 apps on FakeDocker (calls and ms per app)
# usage: scripts/bench reconcile [--write] [--passes P] [--sizes "10 30 100 300 1000"] [--no-shared]
#
# Runs build/release/dokku_reconcile_bench (tests/bench/reconcile_bench.cc): N apps deployed with web=2
# worker=1 and checks:skip on FakeDocker, the store in a temp file, then P timed passes that call
# Reconciler::Reconcile once per app. Twice: with one FakeDocker per app (so the fake's own
# label scan costs nothing), then with one FakeDocker for all apps (its list scans every
# container, as dockerd's does), to show what the Docker side adds.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"

USAGE='usage: scripts/bench reconcile [--write] [--passes P] [--sizes "N..."] [--no-shared]'
WRITE=0
PASSES=5
SIZES="10 30 100 300 1000"
SHARED=1
while (($#)); do
  case "$1" in
    --write) WRITE=1 ;;
    --passes) PASSES="$2"; shift ;;
    --sizes) SIZES="$2"; shift ;;
    --no-shared) SHARED=0 ;;
    *) die "unknown argument: $1 ($USAGE)" ;;
  esac
  shift
done
[[ "$PASSES" =~ ^[1-9][0-9]*$ && "$SIZES" =~ ^[0-9\ ]+$ ]] || die "$USAGE"

ensure_packages build-essential cmake libsqlitecpp-dev libsqlite3-dev libcurl4-openssl-dev \
  nlohmann-json3-dev libfmt-dev
bench_build dokku_reconcile_bench
MACHINE="$(machine_description)"  # before the run: it includes the load average
BENCH="$BENCH_BUILD/dokku_reconcile_bench"
WORK="$(mktemp -d /tmp/dokkud-bench-reconcile-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

info "Sharded FakeDocker: $PASSES passes for N = $SIZES"
# shellcheck disable=SC2086
"$BENCH" --passes "$PASSES" $SIZES >"$WORK/sharded.md" || die "dokku_reconcile_bench failed"
cat "$WORK/sharded.md"
if ((SHARED)); then
  info "One FakeDocker for all apps: $PASSES passes for N = $SIZES"
  # shellcheck disable=SC2086
  "$BENCH" --passes "$PASSES" --shared-fake $SIZES >"$WORK/shared.md" || die "dokku_reconcile_bench --shared-fake failed"
  cat "$WORK/shared.md"
fi

TABLE="$WORK/table.md"
{
  echo "## Steady-state reconcile pass over N apps (\`scripts/bench reconcile\`)"
  echo
  echo "\`dokku_reconcile_bench\` (tests/bench/reconcile_bench.cc) deploys N apps with web=2 worker=1 and"
  echo "\`checks:skip\` on FakeDocker, with the store in a temporary SQLite file (WAL, as dokkud uses it), a"
  echo "no-op proxy, FakeHttpProber and FakeSleeper; after two settling passes it times $PASSES full passes"
  echo "(\`Reconciler::Reconcile\` once per app, on one thread) and reports the median pass. *Docker calls*"
  echo "count every call the fakes recorded during one pass; *mutating calls* (create, start, stop, remove,"
  echo "rename, update) over all timed passes must be 0 in a steady state. *CPU ms* is the process CPU time"
  echo "(less disturbed by other jobs than wall time); *ms in FakeDocker* is wall time inside the fake."
  echo
  echo "- Machine: $MACHINE"
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown); build type $BENCH_BUILD_TYPE; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Command: \`$(basename "$BENCH") --passes $PASSES $SIZES\`$( ((SHARED)) && echo " and the same with \`--shared-fake\`")"
  echo
  echo "One FakeDocker per app (calls routed by app label, image repository or id), so listing an app's"
  echo "containers costs the same for every N:"
  echo
  cat "$WORK/sharded.md"
  if ((SHARED)); then
    echo
    echo "One FakeDocker for all apps: its label-filtered list scans every container, as dockerd's"
    echo "\`GET /containers/json?filters=...\` does, so each app's list grows with N and the Docker side of a"
    echo "full pass with N² (*ms in FakeDocker*; *CPU ms* includes the fake, which runs in-process). The"
    echo "time outside the fake per app grows far less (what does grow is the side effect of the fake's"
    echo "scans on caches and the allocator); the table above is the reconciler's own scaling:"
    echo
    cat "$WORK/shared.md"
  fi
} >"$TABLE"
echo
cat "$TABLE"
if ((WRITE)); then write_bench_section reconcile "$TABLE"; fi

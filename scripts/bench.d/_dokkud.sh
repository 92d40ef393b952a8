# Helpers for the benchmarks that run a real dokkud against the real dockerd (scale, idle,
# rolling). Sourced after scripts/lib/common.sh and _lib.sh.

DOCKER=/usr/bin/docker
DOKKUD_PID=""

# start_dokkud <state dir> <log file> [dokkud flags...]: starts dokkud in the background (pid in
# DOKKUD_PID) and waits until it has written its heartbeat, so that the CLI's "is the daemon
# running" check passes. Extra environment for dokkud can be given with `env` in DOKKUD_PREFIX.
start_dokkud() {
  local state="$1" log="$2"
  shift 2
  mkdir -p "$state"
  ${DOKKUD_PREFIX:-} "$DOKKUD" --state-dir "$state" "$@" >"$log" 2>&1 &
  DOKKUD_PID=$!
  local i pid
  for ((i = 0; i < 300; i++)); do
    kill -0 "$DOKKUD_PID" 2>/dev/null || { tail -n 20 "$log" >&2; die "dokkud exited at start"; }
    pid="$(sqlite3 "$state/dokku.db" 'SELECT pid FROM daemon' 2>/dev/null || true)"
    [[ "$pid" == "$DOKKUD_PID" ]] && return 0
    sleep 0.1
  done
  die "dokkud wrote no heartbeat within 30 s (log: $log)"
}

stop_dokkud() {
  [[ -n "$DOKKUD_PID" ]] || return 0
  if kill -0 "$DOKKUD_PID" 2>/dev/null; then
    kill -TERM "$DOKKUD_PID" 2>/dev/null || true
    wait "$DOKKUD_PID" 2>/dev/null || true
  fi
  DOKKUD_PID=""
}

# remove_app_resources <app>...: every container labelled with one of the app names, and every
# tag of the repositories dokku/<app>.
remove_app_resources() {
  local app ids
  for app in "$@"; do
    ids="$("$DOCKER" ps -aq --filter "label=com.dokku.app-name=$app" 2>/dev/null || true)"
    # shellcheck disable=SC2086
    [[ -z "$ids" ]] || "$DOCKER" rm -f -v $ids >/dev/null 2>&1 || true
    "$DOCKER" images --format '{{.Repository}}:{{.Tag}}' "dokku/$app" 2>/dev/null |
      xargs -r "$DOCKER" rmi -f >/dev/null 2>&1 || true
  done
}

running_count() { "$DOCKER" ps -q --filter "label=com.dokku.app-name=$1" | wc -l; }
all_count() { "$DOCKER" ps -aq --filter "label=com.dokku.app-name=$1" | wc -l; }

bench_commit() { git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown; }
bench_date() { date -u '+%Y-%m-%d %H:%M UTC'; }

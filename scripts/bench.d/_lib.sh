# shellcheck shell=bash
# Helpers shared by the benchmarks in scripts/bench.d (sourced, after scripts/lib/common.sh).

BENCH_DOC="$REPO_ROOT/docs/benchmarks.md"

# The machine line of every results table.
machine_description() {
  local model
  model="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
  printf '%s cores, %s, %s GiB RAM, %s; load average %s at the start' "$(nproc)" \
    "${model:-unknown CPU}" "$(awk '/MemTotal/ {printf "%d", $2 / 1048576}' /proc/meminfo)" \
    "$(uname -sr)" "$(cut -d' ' -f1 /proc/loadavg)"
}

# Builds the given targets in build/release (Release: what a user runs) and sets BENCH_BUILD and
# BENCH_BUILD_TYPE, which every benchmark records beside its figures.
bench_build() {
  configure_build release "$@" >/dev/null || die "build failed"
  # shellcheck disable=SC2034  # read by the benchmark scripts
  BENCH_BUILD="$(build_dir release)"
  # shellcheck disable=SC2034
  BENCH_BUILD_TYPE="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BENCH_BUILD/CMakeCache.txt")"
}

# write_bench_section <name> <markdown file>: replaces the text between
# <!-- bench:<name>:begin --> and <!-- bench:<name>:end --> in docs/benchmarks.md (appending the
# section if it is not there yet).
write_bench_section() {
  local name="$1" body="$2"
  mkdir -p "$(dirname "$BENCH_DOC")"
  [[ -f "$BENCH_DOC" ]] || printf '# Benchmarks\n\nProduced by `scripts/bench <name> --write`; each section is replaced by its next run.\n' >"$BENCH_DOC"
  python3 - "$BENCH_DOC" "$name" "$body" <<'PY'
import sys
doc_path, name, body_path = sys.argv[1:4]
begin, end = "<!-- bench:%s:begin -->" % name, "<!-- bench:%s:end -->" % name
doc = open(doc_path).read()
section = begin + "\n" + open(body_path).read().rstrip("\n") + "\n" + end
if begin in doc and end in doc:
    doc = doc[:doc.index(begin)] + section + doc[doc.index(end) + len(end):]
else:
    doc = doc.rstrip("\n") + "\n\n" + section + "\n"
open(doc_path, "w").write(doc)
PY
  info "Updated the '$name' section of ${BENCH_DOC#"$REPO_ROOT"/}"
}

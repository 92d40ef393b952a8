#!/usr/bin/env python3
"""Times a command over repeated runs and prints one JSON object with wall-time statistics.

usage: timing.py --runs N --label TEXT [--warmup K] -- CMD ARG...
In the arguments, {n} is replaced by 1 + (run index mod 5) and {i} by the run index, so a run
can vary its input (e.g. web={n}). A run that exits non-zero aborts with exit 1.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time


def percentile(sorted_values, p):
    # Nearest-rank percentile: the smallest value with at least p% of the runs at or below it.
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--label", required=True)
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    if not cmd:
        parser.error("no command given")

    def run(i):
        argv = [a.replace("{n}", str(1 + i % 5)).replace("{i}", str(i)) for a in cmd]
        start = time.perf_counter_ns()
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
        elapsed = time.perf_counter_ns() - start
        if proc.returncode != 0:
            sys.stderr.write("run %d of %r failed (exit %d): %s\n" %
                             (i, argv, proc.returncode, proc.stderr.decode(errors="replace")))
            sys.exit(1)
        return elapsed / 1e6

    for i in range(args.warmup):
        run(i)
    times = sorted(run(i) for i in range(args.runs))
    print(json.dumps({
        "label": args.label,
        "runs": args.runs,
        "median_ms": round(statistics.median(times), 3),
        "p95_ms": round(percentile(times, 95), 3),
        "min_ms": round(times[0], 3),
        "mean_ms": round(statistics.fmean(times), 3),
    }))


if __name__ == "__main__":
    main()

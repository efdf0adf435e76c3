#!/usr/bin/env python3
"""What each of futexscope's BPF programs costs per run, from the kernel's bpf_stats.

Turns kernel.bpf_stats_enabled on (and back to what it was), records
`perf bench futex hash -t 2` with each mode, and reads every program's run count
and run time with `bpftool prog show` from inside the traced command, just after
the workload ends (the programs are still attached then). Prints per program:
runs, ns per run, and its share of the workload's wall time on each core; and,
for scale, what an untraced futex call takes (from an untraced run's ops/s).
The run counts include every process's system calls (sys_enter/sys_exit see
them all and return early for the untraced), and bpf_stats itself reads the
clock twice per run: the throughput here is below bench/overhead.py's.

usage (root): bench/bpf_stats.py [--seconds 2] [--modes default,summary]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("FXS_BUILD_DIR", os.path.join(ROOT, "build"))
FXS = os.path.join(BUILD, "futexscope")
STATS = "/proc/sys/kernel/bpf_stats_enabled"


def perf_bench(seconds):
    return [shutil.which("perf"), "bench", "futex", "hash", "-t", "2", "-r", str(seconds)]


def ops_per_sec(text):
    """perf bench's 'Averaged N operations/sec' line."""
    m = re.search(r"Averaged (\d+) operations/sec", text)
    return int(m[1]) if m else None


def record_with_stats(mode, seconds, tmp):
    """Records the workload; returns (programs' stats, workload ops/s, wall seconds)."""
    trace = os.path.join(tmp, f"{mode}.fxs")
    dump = os.path.join(tmp, f"{mode}.json")
    inner = " ".join(perf_bench(seconds)) + f"; bpftool prog show --json > {dump}"
    argv = [FXS, "record", "-q", "-o", trace]
    if mode == "summary":
        argv.append("--summary")
    out = subprocess.run(argv + ["--", "sh", "-c", inner], check=True, capture_output=True, text=True).stdout
    with open(dump) as f:
        progs = [p for p in json.load(f) if p.get("name", "").startswith("fxs_")]
    return progs, ops_per_sec(out), seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=2)
    ap.add_argument("--modes", default="default,summary")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bpf_stats.py: needs root (it loads BPF programs and sets kernel.bpf_stats_enabled)")
    for tool in ("perf", "bpftool"):
        if not shutil.which(tool):
            sys.exit(f"bpf_stats.py: `{tool}` not found (apt-get install linux-perf bpftool)")

    untraced = ops_per_sec(subprocess.run(perf_bench(args.seconds), check=True, capture_output=True,
                                          text=True).stdout)
    # Two threads, one op each at a time: an untraced op takes 2 / (ops/s) seconds of a core.
    print(f"untraced: {untraced:,} ops/s, {2e9 / untraced:.0f} ns of a core per futex call")
    with open(STATS) as f:
        was = f.read().strip()
    try:
        with open(STATS, "w") as f:
            f.write("1")
        with tempfile.TemporaryDirectory(prefix="fxs-bpfstats-") as tmp:
            for mode in args.modes.split(","):
                progs, ops, seconds = record_with_stats(mode, args.seconds, tmp)
                print(f"\nrecord{' --summary' if mode == 'summary' else ''}: {ops:,} ops/s "
                      f"({ops / untraced:.2f} of untraced, with bpf_stats on)")
                print(f"  {'program':<24} {'runs':>12} {'ns/run':>8} {'share of 2 cores':>17}")
                for p in sorted(progs, key=lambda p: -p.get("run_time_ns", 0)):
                    runs, ns = p.get("run_cnt", 0), p.get("run_time_ns", 0)
                    if not runs:
                        continue
                    share = ns / (seconds * 2e9)
                    print(f"  {p['name']:<24} {runs:>12,} {ns / runs:>8.0f} {share:>16.1%}")
    finally:
        with open(STATS, "w") as f:
            f.write(was)


if __name__ == "__main__":
    main()

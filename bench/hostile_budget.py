#!/usr/bin/env python3
"""Time and peak memory of every reader on every hostile trace.

Each file of tests/data/hostile (or the directories given) goes through
`report` as text, JSON and folded, `export`, and the window's loader
(fxs_load_bench ... full: read, timeline, futex table, pairing, without GL).
Prints one row per file and command: wall seconds, peak RSS, exit code, and
"OVER" where the budget (--seconds, --mb; the robustness issue's "under 5 s
and a few hundred MB") is exceeded. Exit code 1 if any run is over.

usage: bench/hostile_budget.py [DIR ...] [--seconds 5] [--mb 400]
"""
import argparse
import glob
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("FXS_BUILD_DIR", os.path.join(ROOT, "build"))
FXS = os.path.join(BUILD, "futexscope")
LOAD_BENCH = os.path.join(BUILD, "bench", "fxs_load_bench")


def run(argv):
    """Wall seconds, peak RSS in MB and exit code of one child."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - t0, usage.ru_maxrss / 1024, p.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="*", default=[os.path.join(ROOT, "tests", "data", "hostile")])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--mb", type=float, default=400.0)
    args = ap.parse_args()

    files = sorted(f for d in args.dirs for f in glob.glob(os.path.join(d, "*.fxs")))
    if not files:
        sys.exit(f"hostile_budget.py: no .fxs files in {' '.join(args.dirs)}")
    commands = {
        "report text": lambda f: [FXS, "report", f],
        "report json": lambda f: [FXS, "report", f, "--format", "json"],
        "report folded": lambda f: [FXS, "report", f, "--format", "folded"],
        "export": lambda f: [FXS, "export", f, "--format", "chrome", "-o", os.devnull],
        "window loader": lambda f: [LOAD_BENCH, f, "1", "full"],
    }
    over = 0
    worst_s = worst_mb = 0.0
    print(f"{'file':<28} {'command':<14} {'seconds':>8} {'MB':>7} exit")
    for f in files:
        for name, argv in commands.items():
            seconds, mb, code = run(argv(f))
            bad = seconds > args.seconds or mb > args.mb or code not in (0, 1)
            over += bad
            worst_s, worst_mb = max(worst_s, seconds), max(worst_mb, mb)
            print(f"{os.path.basename(f):<28} {name:<14} {seconds:8.2f} {mb:7.0f} {code:>4}{'  OVER' if bad else ''}")
    print(f"{len(files)} files x {len(commands)} commands: slowest {worst_s:.2f} s, largest {worst_mb:.0f} MB; "
          f"{over} over the budget of {args.seconds:g} s / {args.mb:g} MB (or exit not 0/1)")
    sys.exit(1 if over else 0)


if __name__ == "__main__":
    main()

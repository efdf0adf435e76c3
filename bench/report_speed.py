#!/usr/bin/env python3
"""Trace size and `report` read speed on a large trace.

Records `perf bench futex hash` in full (every event) until the trace holds at
least --min-events events, then times `futexscope report --format json` on it
(best of --runs) and prints events/s, bytes per event on disk and the peak RSS
of the report process.

usage (root): bench/report_speed.py [--min-events 10000000] [--runs 3]
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("FXS_BUILD_DIR", os.path.join(ROOT, "build"))
FXS = os.path.join(BUILD, "futexscope")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--min-events", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--trace", help="use this trace instead of recording one")
    args = ap.parse_args()

    trace = args.trace
    if not trace:
        if os.geteuid() != 0:
            sys.exit("report_speed.py: recording needs root (or pass --trace FILE)")
        trace = os.path.join(tempfile.mkdtemp(prefix="fxs-bench-"), "big.fxs")
        seconds = 6
        while True:
            subprocess.run([FXS, "record", "-q", "-o", trace, "--", shutil.which("perf"), "bench",
                            "futex", "hash", "-t", "2", "-r", str(seconds)],
                           check=True, stdout=subprocess.DEVNULL)
            events = json.loads(subprocess.run([FXS, "report", trace, "--format", "json", "--top", "1"],
                                               check=True, capture_output=True, text=True).stdout)["events"]
            print(f"recorded {events} events in {seconds}s of perf bench", file=sys.stderr)
            if events >= args.min_events:
                break
            seconds *= 2

    best = None
    for _ in range(args.runs):
        t0 = time.perf_counter()
        out = subprocess.run([FXS, "report", trace, "--format", "json"], check=True,
                             capture_output=True, text=True).stdout
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    rep = json.loads(out)
    events = rep["events"]
    size = os.path.getsize(trace)
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"trace: {events:,} events, {size / 1e6:.1f} MB, {size / events:.2f} bytes/event, lost {rep['lost']}")
    print(f"report --format json: {best:.2f} s best of {args.runs} = {events / best / 1e6:.1f} M events/s; "
          f"peak RSS of the children {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()

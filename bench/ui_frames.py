#!/usr/bin/env python3
"""UI frame time, load rate and memory per event on a large trace.

Records `perf bench futex hash -t 2 -r 6` in full (every event; the run is
doubled until the trace holds at least --min-events events), then runs
`futexscope replay TRACE --bench-frames N` under xvfb-run at 1600x1000
(llvmpipe: software rendering). The app loads the whole trace, prints its
load rate and RSS growth per loaded event, renders N frames panning and
zooming across the whole trace, and prints the frame-time percentiles.

usage (root to record): bench/ui_frames.py [--min-events 10000000] [--frames 600] [--runs 3] [--trace FILE]
                                          [--binary FUTEXSCOPE ...]
With several --binary, the runs of the binaries are interleaved (A B A B ...)
and each binary's medians are reported: on a shared machine, compare
binaries only within one such run.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FXS = os.path.join(ROOT, "build", "futexscope")
SIZE = "1600x1000"


def record(min_events):
    if os.geteuid() != 0:
        sys.exit("ui_frames.py: recording needs root (or pass --trace FILE)")
    trace = os.path.join(tempfile.mkdtemp(prefix="fxs-ui-bench-"), "big.fxs")
    seconds = 6
    while True:
        subprocess.run([FXS, "record", "-q", "-o", trace, "--", shutil.which("perf"), "bench", "futex", "hash",
                        "-t", "2", "-r", str(seconds)], check=True, stdout=subprocess.DEVNULL)
        rep = json.loads(subprocess.run([FXS, "report", trace, "--format", "json", "--top", "1"],
                                        check=True, capture_output=True, text=True).stdout)
        print(f"recorded {rep['events']:,} events in {seconds}s of perf bench, lost {rep['lost']}", file=sys.stderr)
        if rep["events"] >= min_events:
            return trace
        seconds *= 2


def run_once(trace, frames, fxs=FXS):
    cmd = ["xvfb-run", "-a", "-s", f"-screen 0 {SIZE}x24", fxs, "replay", trace,
           "--bench-frames", str(frames), "--size", SIZE]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    load = re.search(r"load events=(\d+) seconds=([\d.]+) rate=(\d+)/s rss_delta_bytes=(\d+) bytes_per_event=([\d.]+)",
                     out)
    frame = re.search(r"frame_ms p50=([\d.]+) p99=([\d.]+)", out)
    if not load or not frame:
        sys.exit(f"ui_frames.py: unexpected output from {' '.join(cmd)}:\n{out}")
    return {"events": int(load[1]), "load_s": float(load[2]), "rate": int(load[3]),
            "bytes_per_event": float(load[5]), "p50": float(frame[1]), "p99": float(frame[2])}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--min-events", type=int, default=10_000_000)
    ap.add_argument("--frames", type=int, default=600)
    ap.add_argument("--runs", type=int, default=3, help="report the median run")
    ap.add_argument("--trace", help="use this trace instead of recording one")
    ap.add_argument("--binary", action="append", help="futexscope binary to run (repeatable; default build/futexscope)")
    args = ap.parse_args()
    if not shutil.which("xvfb-run"):
        sys.exit("ui_frames.py: xvfb-run is missing (apt-get install xvfb xauth libgl1-mesa-dri)")
    trace = args.trace or record(args.min_events)
    binaries = args.binary or [FXS]
    runs = {b: [] for b in binaries}
    for _ in range(args.runs):
        for b in binaries:
            runs[b].append(run_once(trace, args.frames, b))
    size = os.path.getsize(trace)
    print(f"trace: {runs[binaries[0]][0]['events']:,} events, {size / 1e6:.1f} MB")
    for b in binaries:
        if len(binaries) > 1:
            print(f"{b}:")
        report(runs[b], args)


def report(runs, args):
    for r in runs:
        print(f"  run: p50 {r['p50']:.2f} ms  p99 {r['p99']:.2f} ms  load {r['rate'] / 1e6:.1f} M events/s  "
              f"{r['bytes_per_event']:.1f} B/event")
    med = lambda k: statistics.median(r[k] for r in runs)
    print(f"frames ({args.frames} per run, {SIZE}, llvmpipe, median of {args.runs} runs): "
          f"frame_ms p50={med('p50'):.2f} p99={med('p99'):.2f}")
    print(f"load: {med('rate') / 1e6:.1f} M events/s ({med('load_s'):.2f} s); "
          f"memory: {med('bytes_per_event'):.1f} bytes per loaded event (RSS growth / events)")


if __name__ == "__main__":
    main()

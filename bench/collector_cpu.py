#!/usr/bin/env python3
"""The recorder's own CPU per event, for one or more futexscope builds, in one run.

On a 2-core machine the collector competes with the program it traces for the
CPUs: what it spends per event is taken from that program. Each round starts
`perf bench futex hash -t 2` (about 2.5M recorded events a 3-second window on
the project VM), attaches `BINARY record -p PID --duration D` to it, and reads
the recorder's user and system CPU time (wait4's rusage) and the events its
trace holds; the binaries take turns within each round. Prints per binary the
median nanoseconds of collector CPU per event, user and system.

usage (root):
  bench/collector_cpu.py [BINARY ...] [--rounds 5] [--seconds 3]
  (default: this build's futexscope; give an older build's to compare)
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("FXS_BUILD_DIR", os.path.join(ROOT, "build"))


def events_in(binary, trace):
    p = subprocess.run([binary, "report", trace, "--format", "json", "--top", "1"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    if p.returncode != 0:
        sys.exit(f"report of {trace} failed ({p.returncode})")
    r = json.loads(p.stdout)
    return r["events"], r["lost"]


def one_round(binary, seconds, trace):
    """The recorder's (user ns, sys ns, events, lost) while it traces a futex-hash run."""
    bench = subprocess.Popen([shutil.which("perf"), "bench", "futex", "hash", "-t", "2", "-r", str(seconds + 3)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)  # its threads are up and hashing
        rec = subprocess.Popen([binary, "record", "-q", "-p", str(bench.pid), "--duration", f"{seconds}s", "-o", trace],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(rec.pid, 0)
        if status != 0:
            sys.exit(f"{binary} record failed: {rec.stderr.read().decode()}")
    finally:
        bench.kill()
        bench.wait()
    events, lost = events_in(binary, trace)
    return usage.ru_utime * 1e9, usage.ru_stime * 1e9, events, lost


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binaries", nargs="*", default=[os.path.join(BUILD, "futexscope")])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=3)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("collector_cpu.py: needs root to load BPF programs")
    if not shutil.which("perf"):
        sys.exit("collector_cpu.py: `perf` not found (apt-get install linux-perf)")
    tmp = tempfile.mkdtemp(prefix="fxs-colcpu-")
    per = {b: {"user": [], "sys": [], "events": [], "lost": []} for b in args.binaries}
    for i in range(args.rounds):
        for n, b in enumerate(args.binaries):
            user, sys_ns, events, lost = one_round(b, args.seconds, os.path.join(tmp, f"t{n}.fxs"))
            per[b]["user"].append(user / max(events, 1))
            per[b]["sys"].append(sys_ns / max(events, 1))
            per[b]["events"].append(events)
            per[b]["lost"].append(lost)
        print(f"round {i + 1}/{args.rounds}: " + ", ".join(
            f"{os.path.basename(os.path.dirname(b)) or b}: {per[b]['user'][-1] + per[b]['sys'][-1]:.0f} ns/event"
            for b in args.binaries), file=sys.stderr)
    print(f"`perf bench futex hash -t 2`, record -p for {args.seconds} s, {args.rounds} rounds, medians")
    print("| binary | events | collector user ns/event | sys ns/event | total | lost |")
    print("|---|---:|---:|---:|---:|---:|")
    for b in args.binaries:
        p = per[b]
        u, s = statistics.median(p["user"]), statistics.median(p["sys"])
        print(f"| {b} | {statistics.median(p['events']):,.0f} | {u:.0f} | {s:.0f} | {u + s:.0f} | {max(p['lost'])} |")


if __name__ == "__main__":
    main()

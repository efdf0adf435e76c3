#!/usr/bin/env python3
"""Tracing overhead, measured as ratios within one run (these machines are noisy).

Runs the workload untraced and traced, interleaved, several times, and prints
the median throughput of each mode and its ratio to the untraced median:
  untraced | two empty programs (libbpf, return 0) on raw sys_enter and
  sys_exit, and one on sys_exit alone (bench/empty_hooks.cpp): what the kernel
  charges any tracer on every system call | two floors: futexscope's programs
  attached but returning at once, --summary's (sys_exit and a sched_switch
  stamp, on tp_btf kernels) and the every-event mode's (sys_enter, sys_exit and
  the scheduler hooks): the price of being on every system call, which no
  capture in that mode can beat |
  futexscope --summary | futexscope (every event) | the same with
  frame-pointer stacks only (FXS_NO_DWARF_STACKS=1: no raw stack copies, no
  DWARF unwinding) | the same with one record per call (--each-call: EAGAIN
  waits not counted in the kernel) | the same without sampled stacks
  (--stack-sample 0) | bpftrace count
With --baseline BINARY, that futexscope's --summary and every-event modes run
in the same rounds (an A/B of a change to the capture).
For the full-event mode it also checks from the report that nothing was lost.

usage (root):
  bench/overhead.py futex-hash   [--runs 5] [--seconds 3] [--baseline OLD/futexscope]
  bench/overhead.py mutex        [--runs 5] [--stack-min-wait 0]
  bench/overhead.py python-queue [--runs 5]   (CPython threads through queue.Queue:
                                               a program nobody here wrote)
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

from ratio_table import print_ratio_table
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("FXS_BUILD_DIR", os.path.join(ROOT, "build"))
FXS = os.path.join(BUILD, "futexscope")
EMPTY_HOOKS = os.path.join(BUILD, "bench", "fxs_empty_hooks")
SAMPLES = os.path.join(BUILD, "samples")
# Lock/unlock pairs per thread of the mutex workload: enough that one run
# lasts a good fraction of a second on a fast day (23M ops/s measured), so
# the recorder's start-up work (symbols, names) is not most of what it measures.
MUTEX_ITERS = 2000000


def workload(name, seconds):
    if name == "futex-hash":
        return [shutil.which("perf"), "bench", "futex", "hash", "-t", "2", "-r", str(seconds)]
    if name == "mutex":
        # --exact: a fixed amount of work, so throughput = lock acquisitions / elapsed.
        return [os.path.join(SAMPLES, "fxs-sample-mutex"), "--threads", "4", "--iters",
                str(MUTEX_ITERS), "--exact"]
    if name == "python-queue":
        # The interpreter running this script (not a pyenv shim, whose shell
        # scripts would be traced and timed too).
        return [sys.executable, os.path.join(ROOT, "bench", "python_queue.py")]
    sys.exit(f"unknown workload {name}")


def throughput(name, out):
    """Operations per second the workload reported about itself."""
    if name == "futex-hash":
        m = re.search(r"Averaged (\d+) operations/sec", out)
        if m:
            return int(m.group(1))
    elif name == "python-queue":
        m = re.search(r'"items_per_s": (\d+)', out)
        if m:
            return int(m.group(1))
    else:
        m = re.search(r'"elapsed_ns":(\d+)', out)
        if m:
            return int(4 * MUTEX_ITERS * 1e9 / int(m.group(1)))
    sys.exit(f"could not read the throughput from:\n{out}")


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout}")
    return p.stdout


def report_json(trace):
    # stdout only: the report's warnings go to stderr.
    p = subprocess.run([FXS, "report", trace, "--format", "json"], stdout=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit(f"report of {trace} failed ({p.returncode})")
    return json.loads(p.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workload", choices=["futex-hash", "mutex", "python-queue"])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--no-bpftrace", action="store_true")
    ap.add_argument("--stack-min-wait", help="record's --stack-min-wait for the every-event modes "
                    "(default: record's, 1ms; 0 takes a stack of every wait)")
    ap.add_argument("--baseline", metavar="BINARY", help="another futexscope whose --summary and every-event modes run in the same rounds")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("overhead.py: needs root to load BPF programs")

    wl = workload(args.workload, args.seconds)
    stacks = ["--stack-min-wait", args.stack_min_wait] if args.stack_min_wait else []
    tmp = tempfile.mkdtemp(prefix="fxs-bench-")
    trace = os.path.join(tmp, "t.fxs")
    modes = {
        "untraced": lambda: wl,
        "floor: empty programs on raw sys_enter + sys_exit": lambda: [EMPTY_HOOKS, "--"] + wl,
        "floor: empty program on raw sys_exit alone": lambda: [EMPTY_HOOKS, "--exit-only", "--"] + wl,
        "floor: --summary's programs attached, return at once": lambda: [FXS, "record", "-q", "--summary", "-o",
                                                                          trace, "--"] + wl,
        "floor: every-event programs attached, return at once": lambda: [FXS, "record", "-q", "-o", trace, "--"] + wl,
        "futexscope --summary": lambda: [FXS, "record", "-q", "--summary", "-o", trace, "--"] + wl,
    }
    if args.baseline:
        modes["baseline --summary"] = lambda: [args.baseline, "record", "-q", "--summary", "-o", trace, "--"] + wl
        modes["baseline (every event)"] = lambda: [args.baseline, "record", "-q", "-o", trace] + stacks + ["--"] + wl
    modes |= {
        "futexscope (every event)": lambda: [FXS, "record", "-q", "-o", trace] + stacks + ["--"] + wl,
        "futexscope (every event), frame-pointer stacks only": lambda: [FXS, "record", "-q", "-o", trace] + stacks +
        ["--"] + wl,
        # One record per call: EAGAIN waits not counted in the kernel.
        "futexscope (every event), --each-call": lambda: [FXS, "record", "-q", "-o", trace, "--each-call"] +
        stacks + ["--"] + wl,
        # The default stacks without the 1-in-16 sample of the shorter waits.
        "futexscope (every event), --stack-sample 0": lambda: [FXS, "record", "-q", "-o", trace, "--stack-sample",
                                                               "0"] + stacks + ["--"] + wl,
    }
    if not args.no_bpftrace:
        modes["bpftrace count per comm"] = lambda: [
            "bpftrace", "-q", "-e", "tracepoint:syscalls:sys_enter_futex { @[comm] = count(); }",
            "-c", " ".join(wl)]
    if not os.access(EMPTY_HOOKS, os.X_OK):
        sys.exit(f"overhead.py: {EMPTY_HOOKS} is missing (build it: cmake --build build)")
    results = {m: [] for m in modes}
    lost, events, size = [], [], []
    for i in range(args.runs):
        for mode, cmd in modes.items():
            os.environ.pop("FXS_BENCH_ATTACH_ONLY", None)
            os.environ.pop("FXS_NO_DWARF_STACKS", None)
            if mode.startswith("floor"):
                os.environ["FXS_BENCH_ATTACH_ONLY"] = "1"
            if mode.endswith("frame-pointer stacks only"):
                os.environ["FXS_NO_DWARF_STACKS"] = "1"
            out = run(cmd())
            results[mode].append(throughput(args.workload, out))
            if mode == "futexscope (every event)":
                rep = report_json(trace)
                lost.append(rep["lost"])
                events.append(rep["events"])
                size.append(os.path.getsize(trace))
        print(f"run {i + 1}/{args.runs}: " +
              ", ".join(f"{m}={results[m][-1]}" for m in modes), file=sys.stderr)

    print_ratio_table(f"workload: {' '.join(wl)}  ({args.runs} interleaved runs, medians)", results, modes)
    # What the capture's own work costs, apart from being attached at all.
    med = {m: statistics.median(v) for m, v in results.items() if v}
    for mode, floor in (("futexscope --summary", "floor: --summary's programs attached, return at once"),
                        ("futexscope (every event)", "floor: every-event programs attached, return at once")):
        if med.get(floor):
            print(f"{mode}: {med[mode] / med[floor]:.2f} of its floor "
                  f"(the floor: {med[floor] / med['untraced']:.2f} of untraced)")
    print(f"every-event mode: lost per run {lost}; events per run {events}; "
          f"bytes/event on disk {statistics.median(s / max(e, 1) for s, e in zip(size, events)):.2f}")


if __name__ == "__main__":
    main()

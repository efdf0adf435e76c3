#!/usr/bin/env python3
"""Cross-check a sample's FXS_TRUTH line against the kernel, without futexscope.

    sudo samples/check_truth.py build/samples/fxs-sample-condvar [ARGS...]

runs the sample under bpftrace with check_truth.bt (an independent count of
every futex-family call the process makes, by the counting rules of
samples/README.md) and compares, for every word the FXS_TRUTH line lists, all
its counters. Exit status 0 if they all match. `--file OUT` compares a saved
`bpftrace -f json check_truth.bt -c CMD` output instead.
"""
import json
import os
import subprocess
import sys

NAMES = ["FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_FD", "FUTEX_REQUEUE", "FUTEX_CMP_REQUEUE",
         "FUTEX_WAKE_OP", "FUTEX_LOCK_PI", "FUTEX_UNLOCK_PI", "FUTEX_TRYLOCK_PI",
         "FUTEX_WAIT_BITSET", "FUTEX_WAKE_BITSET", "FUTEX_WAIT_REQUEUE_PI",
         "FUTEX_CMP_REQUEUE_PI", "FUTEX_LOCK_PI2", "futex_waitv", "futex_wait",
         "futex_wake", "futex_requeue"]
FIELDS = [("@waits", "waits"), ("@eagain", "eagain"), ("@timeouts", "timeouts"),
          ("@intr", "interrupted"), ("@woken", "woken"), ("@requeued", "requeued")]


def parse(lines):
    truth, maps = None, {}
    for line in lines:
        if line.startswith("FXS_TRUTH "):
            truth = json.loads(line[len("FXS_TRUTH "):])
        elif line.startswith("{"):
            try:
                j = json.loads(line)
            except ValueError:
                continue
            if j.get("type") == "map":
                maps.update(j["data"])
    return truth, maps


def kernel_view(maps):
    kern = {}

    def ent(a):
        return kern.setdefault(a, {"ops": {}, "waits": 0, "eagain": 0, "timeouts": 0,
                                   "interrupted": 0, "woken": 0, "requeued": 0})
    for key, v in (maps.get("@ops") or {}).items():
        a, op = key.split(",")
        ent(int(a))["ops"][NAMES[int(op)]] = v
    for m, f in FIELDS:
        for a, v in (maps.get(m) or {}).items():
            ent(int(a))[f] = v
    return kern


def main(argv):
    if len(argv) >= 2 and argv[0] == "--file":
        with open(argv[1]) as f:
            lines = f.read().splitlines()
    elif argv and argv[0] not in ("-h", "--help"):
        bt = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_truth.bt")
        cmd = " ".join(argv)
        out = subprocess.run(["bpftrace", "-f", "json", bt, "-c", cmd],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines = out.stdout.splitlines()
    else:
        print(__doc__)
        return 2
    truth, maps = parse(lines)
    if truth is None:
        print("no FXS_TRUTH line in the output:\n" + "\n".join(lines[-20:]))
        return 1
    if (maps.get("@waitv_too_long") or 0) > 0:
        print("note: a futex_waitv vector had more than 8 entries; check_truth.bt reads 8")
    kern = kernel_view(maps)
    ok = True
    for fx in truth["futexes"]:
        a = int(fx["uaddr"], 16)
        want = {k: v for k, v in fx.items() if k != "uaddr"}
        got = kern.get(a)
        if got != want:
            ok = False
            print("MISMATCH %s\n  FXS_TRUTH %s\n  kernel    %s" % (fx["uaddr"], want, got))
    listed = {int(fx["uaddr"], 16) for fx in truth["futexes"]}
    others = [hex(a) for a in kern if a not in listed]
    print("%s: %d words listed, counters %s; %d other futex words (glibc's) not compared; "
          "elapsed %.1f ms" % ("OK" if ok else "FAIL", len(listed), "match" if ok else "do NOT all match",
                               len(others), truth["elapsed_ns"] / 1e6))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

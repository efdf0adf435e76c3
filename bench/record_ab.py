#!/usr/bin/env python3
"""Default `record` of two futexscope builds on the contended-mutex sample, in one run.

Interleaves untraced runs of fxs-sample-mutex (4 threads x 200000 lock/unlock,
--exact) with runs under `OTHER record` and `this build's record`, and prints
each median throughput (the sample's own lock acquisitions per second) and its
ratio to the untraced median. For a before/after of a change to the capture
path: build the older revision elsewhere, e.g.

  git worktree add /tmp/old REV && cmake -S /tmp/old -B /tmp/old/build -G Ninja \\
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFXS_BUILD_UI=OFF && \\
      cmake --build /tmp/old/build --target futexscope
  sudo bench/record_ab.py /tmp/old/build/futexscope --rounds 15
"""
import argparse
import os
import re
import subprocess
import sys

from ratio_table import print_ratio_table
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("FXS_BUILD_DIR", os.path.join(ROOT, "build"))
ITERS = 200000


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("other", help="the other futexscope binary")
    ap.add_argument("--rounds", type=int, default=11)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("record_ab.py: needs root to load BPF programs")
    sample = [os.path.join(BUILD, "samples", "fxs-sample-mutex"), "--threads", "4", "--iters", str(ITERS), "--exact"]
    tmp = tempfile.mkdtemp(prefix="fxs-ab-")
    modes = {
        "untraced": sample,
        f"record ({args.other})": [args.other, "record", "-q", "-o", os.path.join(tmp, "other.fxs"), "--"] + sample,
        "record (this build)": [os.path.join(BUILD, "futexscope"), "record", "-q", "-o", os.path.join(tmp, "this.fxs"),
                                "--"] + sample,
    }
    results = {m: [] for m in modes}
    for i in range(args.rounds):
        for mode, cmd in modes.items():
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            m = re.search(r'"elapsed_ns":(\d+)', p.stdout)
            if p.returncode != 0 or not m:
                sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
            results[mode].append(4 * ITERS * 1e9 / int(m.group(1)))
        print(f"round {i + 1}/{args.rounds}", file=sys.stderr)
    print_ratio_table(f"workload: {' '.join(sample)}  ({args.rounds} interleaved rounds, medians)", results, modes)


if __name__ == "__main__":
    main()

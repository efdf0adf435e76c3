#!/usr/bin/env python3
"""Compares fxs_load_bench binaries on one trace, runs interleaved.

usage: bench/load_ab.py TRACE ROUNDS MODE BINARY...
  MODE: full, full+pairing, full-unpaired, read, timeline, futexes or pairing (see bench/load_bench.cpp)

Runs `BINARY TRACE 1 MODE` for each binary in turn (A B A B ...), ROUNDS times,
and prints each binary's median rate and CPU time with every run's values. On a
shared machine compare CPU time, and only within one such run.

example: bench/load_ab.py big.fxs 9 futexes /tmp/before/fxs_load_bench build/bench/fxs_load_bench
"""
import re
import statistics
import subprocess
import sys


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    trace, rounds, mode, binaries = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
    results = {b: [] for b in binaries}
    for _ in range(rounds):
        for b in binaries:
            out = subprocess.run([b, trace, "1", mode], capture_output=True, text=True, check=True).stdout
            rate = float(re.search(r"rate=(\d+)", out)[1]) / 1e6
            cpu = float(re.search(r"cpu_seconds=([\d.]+)", out)[1])
            results[b].append((rate, cpu))
    for b in binaries:
        rates = [r for r, _ in results[b]]
        cpus = [c for _, c in results[b]]
        print(f"{mode} {b}: rate median {statistics.median(rates):.2f} M/s  cpu median {statistics.median(cpus):.3f} s"
              f"   rates {' '.join(f'{x:.1f}' for x in rates)}  cpu {' '.join(f'{x:.2f}' for x in cpus)}")


if __name__ == "__main__":
    main()

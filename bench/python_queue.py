#!/usr/bin/env python3
"""A real program's locking, not ours: CPython threads handing items through
queue.Queue (its lock and condition variables, and the GIL, are futexes
underneath). Two producers, two consumers; prints its own throughput as JSON
so bench/overhead.py can compare traced and untraced runs.

usage: python_queue.py [--items N]
"""
import argparse
import json
import queue
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=200000, help="items each producer puts")
    args = ap.parse_args()
    q = queue.Queue(maxsize=64)
    done = object()
    got = [0, 0]

    def produce():
        for i in range(args.items):
            q.put(i)

    def consume(slot):
        n = 0
        while q.get() is not done:
            n += 1
        got[slot] = n

    producers = [threading.Thread(target=produce) for _ in range(2)]
    consumers = [threading.Thread(target=consume, args=(i,)) for i in range(2)]
    start = time.monotonic_ns()
    for t in producers + consumers:
        t.start()
    for t in producers:
        t.join()
    for _ in consumers:
        q.put(done)
    for t in consumers:
        t.join()
    elapsed = time.monotonic_ns() - start
    items = sum(got)
    assert items == 2 * args.items, (items, args.items)
    print(json.dumps({"items": items, "elapsed_ns": elapsed, "items_per_s": int(items * 1e9 / elapsed)}))


if __name__ == "__main__":
    main()

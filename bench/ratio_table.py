"""The throughput table the overhead benchmarks print: each mode's median
ops/s and its ratio to the untraced median (docs/BENCHMARKS.md)."""
import statistics


def print_ratio_table(title, results, modes):
    """results: mode -> ops/s per round; modes: in the table's order, "untraced" among them."""
    base = statistics.median(results["untraced"])
    print(title)
    print("| mode | ops/s | ratio to untraced |")
    print("|---|---:|---:|")
    for mode in modes:
        med = statistics.median(results[mode])
        print(f"| {mode} | {med:,.0f} | {med / base:.2f} |")

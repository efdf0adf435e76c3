#!/usr/bin/env bash
# Fuzzes the trace reader and every model behind it (docs/fuzzing.md):
#   scripts/fuzz.sh [--keep-going] [SECONDS]     (default 180 s)
# Configures ./build-fuzz with clang (-DFXS_FUZZ=ON), builds the harness,
# and runs it over the seed corpus: the sample traces, the hostile traces,
# and the sample traces' records in the wrapped form (recording the samples
# afresh when run as root after scripts/run-tests.sh). New inputs it finds
# stay in build-fuzz/corpus for the next run. A crash, hang, sanitizer
# report or broken output stops the run with a non-zero exit and leaves its
# input in build-fuzz/findings/. --keep-going fuzzes on past findings (each
# saved there) for the whole time, to collect them all.
set -euo pipefail
cd "$(dirname "$0")/.."
keep_going=()
if [ "${1:-}" = --keep-going ]; then
  keep_going=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  shift
fi
seconds=${1:-180}
out=build-fuzz
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
CC=clang CXX=clang++ cmake -S . -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFXS_FUZZ=ON \
  -DFXS_BUILD_UI=OFF "${launcher[@]}" >/dev/null
cmake --build "$out" -j"$(nproc)" --target fxs_fuzz_trace fxs_fuzz_make_seed fxs_fuzz_unwrap

rm -rf "$out/seeds"
mkdir -p "$out/corpus" "$out/seeds" "$out/findings"
cp tests/data/*.fxs tests/data/hostile/*.fxs "$out/seeds/"
# Recordings of the samples, as wrapped seeds: the one in tests/data, and,
# as root with ./build built (scripts/run-tests.sh), fresh ones of the mutex,
# condvar, futex2 and rseq samples, recorded once into build-fuzz/sample-traces.
mkdir -p "$out/sample-traces"
if [ "$(id -u)" -eq 0 ] && [ -x build/futexscope ]; then
  for s in mutex condvar futex2 rseq; do
    [ -s "$out/sample-traces/$s.fxs" ] || [ ! -x "build/samples/fxs-sample-$s" ] ||
      timeout 120 build/futexscope record -q -o "$out/sample-traces/$s.fxs" -- "build/samples/fxs-sample-$s" \
        >/dev/null || { rm -f "$out/sample-traces/$s.fxs"; echo "fuzz: recording the $s sample failed; fuzzing without it" >&2; }
  done
  # EAGAIN waits only, so its chunks hold counted calls (FXS_REC_FUTEX_COUNT): a raw seed
  # too (a few KB), since the wrapped form is made of decoded records, where none are left.
  [ -s "$out/sample-traces/counted.fxs" ] || [ ! -x build/samples/fxs-sample-buckets ] ||
    timeout 120 build/futexscope record -q -o "$out/sample-traces/counted.fxs" -- build/samples/fxs-sample-buckets \
      --threads 2 --words 3 --calls 20000 >/dev/null ||
    { rm -f "$out/sample-traces/counted.fxs"; echo "fuzz: recording the buckets sample failed; fuzzing without it" >&2; }
  [ ! -s "$out/sample-traces/counted.fxs" ] || cp "$out/sample-traces/counted.fxs" "$out/seeds/"
fi
shopt -s nullglob
for t in tests/data/*.fxs "$out"/sample-traces/*.fxs; do
  "$out/tests/fuzz/fxs_fuzz_make_seed" "$t" "$out/seeds/$(basename "$t" .fxs).wrapped" ||
    echo "fuzz: $t: not used as a seed" >&2
done
# Leaks are findings; UBSan already aborts (-fno-sanitize-recover).
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1
# -timeout: per input, for all the readers together under the sanitizers on
# a shared machine: a hang guard. A mutated input takes milliseconds unless
# something is quadratic, but the seed of 200,000 futexes (2 KB) takes 76 s
# through all six readers under ASan on 2 idle cores (since the window's
# loader pairs waits in its pass), more on busy ones. -rss_limit_mb:
# ASan's shadow and quarantine come on top of the readers' 128 MiB budget.
# -max_len: larger inputs mostly cost time per run.
"$out/tests/fuzz/fxs_fuzz_trace" -max_total_time="$seconds" -timeout=300 -rss_limit_mb=4096 -max_len=65536 \
  -dict=tests/fuzz/trace.dict -artifact_prefix="$out/findings/" -print_final_stats=1 "${keep_going[@]}" \
  "$out/corpus" "$out/seeds"

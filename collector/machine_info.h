// What the trace header records about this machine: kernel, host, CPU -> node map, clocks.
#pragma once

#include "replay/trace_format.h"

namespace fxs {

// Fills the machine fields of `h` (kernel release, hostname, CPUs and their
// NUMA nodes, a CLOCK_MONOTONIC/CLOCK_REALTIME pair). Never fails: what cannot
// be read stays empty (CPU nodes default to 0).
void fill_machine_info(TraceHeader& h);

// Monotonic nanoseconds, the clock bpf_ktime_get_ns() uses.
uint64_t monotonic_ns();

}  // namespace fxs

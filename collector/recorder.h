// `futexscope record`: load and attach the BPF session, drain it into the
// trace stream, stop cleanly on Ctrl-C/SIGTERM, --duration, or the end of the
// traced command or process, and flush everything recorded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fxs {

struct RecordOptions {
  std::string output = "futexscope.fxs";
  bool summary = false;
  int pid = -1;                      // -p PID; -1 = none
  uint64_t min_wait_ns = 0;
  uint64_t duration_ns = 0;          // 0 = until stopped
  uint32_t ring_bytes = 0;          // per CPU; 0 = 64 MiB split over the CPUs, >= 4 MiB each
  uint32_t agg_entries = 65536;
  std::vector<std::string> command;  // after --
  bool quiet = false;                // no progress or closing line on stderr
  bool verbose = false;              // also say what this kernel cannot capture (UMCG)
  bool stacks = true;                // capture and symbolize user stacks (per-event mode)
  uint64_t stack_min_wait_ns = 1000000;  // of waits that slept at least this long
  uint32_t stack_sample_every = 16;      // and 1 in N of a thread's shorter waits (0: none)
  bool each_call = false;  // per-event mode: a record for every call, not counts of those that did nothing
  // How often what is buffered reaches the file (and a served stream): the
  // most data a crash can lose, and for a live window the most it lags.
  uint64_t flush_interval_ns = 1000000000;
};

// The flush interval of a trace someone watches while it grows (`live`,
// `record --serve`): their window shows a call within a second of it.
inline constexpr uint64_t kWatchedFlushIntervalNs = 250000000;

// Runs a recording; returns the process exit status (the command's, if one was given).
int run_record(const RecordOptions& opts);

}  // namespace fxs

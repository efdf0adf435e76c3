// rseq_model.h: restartable-sequence aborts and updates from a trace
// (records of bpf/rseq.bpf.c; docs/rseq-umcg.md).
//
// Aborts are counted per critical section (pid, start_ip), per thread and per
// CPU, each with its causes; update/switch/signal counts come from the
// per-thread cumulative records (FXS_REC_RSEQ_THREAD: for one thread, the
// largest value of each counter wins, so snapshot order does not matter).
// The report's "rseq" JSON object and text section: replay/rseq_report.h.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>


#include "bpf/trace_abi.h"
#include "replay/record_types.h"

namespace fxs {

// "unknown", "preempted", "migrated", "signal", "blocked" (enum fxs_rseq_cause).
const char* rseq_cause_name(unsigned cause);

using RseqCauses = std::array<uint64_t, FXS_RSEQ_NR_CAUSES>;

// One critical section of one process.
struct RseqSection {
  uint32_t tgid = 0;
  uint64_t start_ip = 0;
  uint64_t post_commit_offset = 0;  // of the latest abort (a descriptor may be rewritten)
  uint64_t abort_ip = 0;
  uint64_t aborts = 0;
  RseqCauses causes{};
  uint32_t threads = 0;             // distinct tids that aborted here
  std::string symbol;               // "" when unknown; "name" or "name+0x1c"
  std::string comm;                 // process name, "" if unknown
};

struct RseqThread {
  uint32_t tgid = 0, tid = 0;
  fxs_rseq_counts counts{};  // in-kernel counts (sum over reused tids)
  uint64_t abort_records = 0;
  bool exited = false;
  std::string comm;
};

struct RseqProcess {
  uint32_t tgid = 0;
  uint64_t aborts = 0;       // abort records
  uint64_t updates = 0;
  uint32_t threads = 0;
  std::string comm;
};

struct RseqCpu {
  uint32_t cpu = 0;
  uint64_t aborts = 0;
  RseqCauses causes{};
};

// Everything the report shows about rseq.
struct RseqReport {
  bool captured = false;        // any rseq record: the recorder ran the rseq capture
  uint64_t updates = 0;         // rseq_update events (per-thread counts)
  uint64_t aborts = 0;          // abort records (rseq_ip_fixup events)
  uint64_t aborts_counted = 0;  // aborts per the in-kernel per-thread counts
  uint64_t preempted = 0, blocked = 0, migrated = 0, signals = 0;
  uint64_t registrations = 0;   // rseq(2) calls that registered
  uint64_t unregistrations = 0;
  uint64_t failed_registrations = 0;
  RseqCauses causes{};
  std::array<uint64_t, FXS_RSEQ_NR_COUNTERS> counters{};  // ringbuf_drop, map_full
  std::vector<RseqSection> by_cs;     // most aborts first
  std::vector<RseqProcess> by_pid;    // most aborts first
  std::vector<RseqThread> threads;    // by pid, tid
  std::vector<RseqCpu> per_cpu;       // by CPU
  std::vector<std::string> warnings;  // e.g. lost aborts
};

class RseqModel {
 public:
  // The record types add() reads (threads' and processes' names too).
  static constexpr RecordTypes kReads{FXS_REC_RSEQ_ABORT, FXS_REC_RSEQ_THREAD, FXS_REC_RSEQ_REG,
                                      FXS_REC_RSEQ_STATS, FXS_REC_RSEQ_SYM,   FXS_REC_TASK};
  // Takes the rseq records (FXS_REC_RSEQ_*) and FXS_REC_TASK names; ignores the rest.
  void add(const fxs_rec_hdr* h);
  RseqReport finish() const;
  uint64_t records() const { return records_; }

 private:
  struct SectionAcc {
    uint64_t post_commit_offset = 0, abort_ip = 0, aborts = 0;
    RseqCauses causes{};
    std::unordered_set<uint32_t> tids;  // distinct (a set: a hostile file may name millions)
  };
  struct ThreadAcc {
    fxs_rseq_counts counts{};  // elementwise max of the snapshots of one thread life
    bool exited = false;
  };
  std::map<std::pair<uint32_t, uint64_t>, SectionAcc> sections_;  // (tgid, start_ip)
  // (tgid, tid, first_ns): one life of a thread; a reused tid starts a new one.
  std::map<std::tuple<uint32_t, uint32_t, uint64_t>, ThreadAcc> lives_;
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> abort_records_;  // (tgid, tid)
  std::map<uint32_t, RseqCpu> cpus_;
  std::map<std::pair<uint32_t, uint64_t>, std::string> symbols_;
  std::unordered_map<uint32_t, std::string> process_names_, thread_names_;
  std::array<uint64_t, FXS_RSEQ_NR_COUNTERS> counters_{};
  uint64_t registrations_ = 0, unregistrations_ = 0, failed_registrations_ = 0;
  uint64_t records_ = 0, malformed_ = 0;
};

}  // namespace fxs

// umcg_model.h: UMCG (User Managed Concurrency Groups) from FXS_REC_UMCG
// records: who is a server and who a worker, every task's umcg_task state
// timeline, which server ran which worker, kicks, and whether each state
// transition is one the UMCG protocol allows (docs/rseq-umcg.md).
//
// UMCG was never merged into mainline (docs/kernel.md): no kernel futexscope
// runs on produces these records today. The model decodes the record format
// of bpf/trace_abi.h (the Jan 2022 series' umcg_task) so that a kernel that
// carries UMCG only needs the BPF side; tests feed it recorded-format fixtures.
//
// Each record carries the caller's umcg_task {state, next_tid, server_tid} as
// read at syscall enter or exit; every read is an observation of the task's
// state. A change between two observations of one task is a transition.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>


#include "bpf/trace_abi.h"
#include "replay/record_types.h"

namespace fxs {

// "NONE", "RUNNING", "RUNNABLE", "BLOCKED", or "0x.." for other values; with
// flags: "RUNNING|PREEMPT", "RUNNING|COND_WAIT", "RUNNABLE|PREEMPT|COND_WAIT".
std::string umcg_state_name(uint32_t state);
// "umcg_ctl", "umcg_wait", "umcg_kick".
const char* umcg_syscall_name(unsigned sc);

// Whether the protocol allows `from` -> `to` (base states; flag changes on
// the same base state are always allowed): see the table in umcg_model.cpp.
bool umcg_transition_allowed(uint32_t from, uint32_t to);

enum class UmcgRole : uint8_t { kUnknown, kServer, kWorker };
const char* umcg_role_name(UmcgRole r);  // "unknown", "server", "worker"

struct UmcgSegment {
  uint64_t start_ns = 0, end_ns = 0;
  uint32_t state = 0;  // state word: base state | flags
};

struct UmcgTask {
  uint32_t tgid = 0, tid = 0;
  UmcgRole role = UmcgRole::kUnknown;
  bool registered = false;      // after the last umcg_ctl seen: registered (not unregistered)
  uint32_t server_tid = 0;      // workers: the server last seen in umcg_task.server_tid
  std::vector<UmcgSegment> timeline;
  std::array<uint64_t, 4> time_in_state_ns{};  // by base state NONE..BLOCKED
  uint64_t transitions = 0;     // state word changes
  uint64_t unexpected = 0;      // ... that the protocol does not allow
  uint64_t preempt_requests = 0;  // observations where PREEMPT appeared
  uint64_t cond_waits = 0;        // observations where COND_WAIT appeared
  std::array<uint64_t, 3> calls{};  // umcg_ctl, umcg_wait, umcg_kick (one per call)
  uint64_t failed_calls = 0;        // returned < 0
  uint64_t kicks_received = 0;
};

struct UmcgTransition {
  uint32_t from = 0, to = 0;  // state words
  uint64_t count = 0;
  bool allowed = true;
};

struct UmcgEdge {  // a server switched to a worker (umcg_wait with next_tid)
  uint32_t server_tid = 0, worker_tid = 0;
  uint64_t count = 0;
};

struct UmcgReport {
  uint64_t records = 0;
  std::array<uint64_t, 3> calls{};
  uint64_t failed_calls = 0;
  uint64_t unreadable = 0;  // records whose umcg_task could not be read
  uint64_t malformed = 0;   // records shorter than struct fxs_umcg_rec
  uint64_t disordered = 0;  // records earlier than their task's previous one (clamped, not negative)
  uint64_t unexpected_transitions = 0;
  std::vector<UmcgTask> tasks;              // by tgid, tid
  std::vector<UmcgTransition> transitions;  // by (from, to)
  std::vector<UmcgEdge> server_worker;      // by (server, worker)
};

class UmcgModel {
 public:
  static constexpr RecordTypes kReads{FXS_REC_UMCG};  // the record types add() reads
  // Takes FXS_REC_UMCG records; ignores the rest.
  void add(const fxs_rec_hdr* h);
  // Closes every timeline at `end_ns` (0: each task's last record).
  UmcgReport finish(uint64_t end_ns = 0) const;
  uint64_t records() const { return records_; }

 private:
  struct Acc {
    UmcgTask task;
    bool has_state = false;
    uint64_t last_ts = 0;
  };
  void observe(Acc& a, uint64_t ts, uint32_t state);
  std::map<std::pair<uint32_t, uint32_t>, Acc> tasks_;  // (tgid, tid)
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> transitions_;
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> edges_;
  std::map<uint32_t, uint64_t> kicks_to_;  // target tid -> kicks
  std::array<uint64_t, 3> calls_{};
  uint64_t failed_ = 0, unreadable_ = 0, records_ = 0, malformed_ = 0, disordered_ = 0;
};

// What a report warns about: records out of time order ("" if none).
std::string umcg_warning(const UmcgReport& r);

}  // namespace fxs

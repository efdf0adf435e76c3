// One BPF session: open -> configure -> load -> attach -> drain -> destroy.
// Owns the skeleton and the ring buffer (RAII); the recorder drives it.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bpf/trace_abi.h"
#include "collector/hash_shape.h"
#include "replay/error.h"

struct futex_bpf;
struct ring_buffer;

namespace fxs {

struct SessionConfig {
  bool summary = false;
  bool filter_tgid = false;       // trace only target_tgid ...
  uint32_t target_tgid = 0;
  bool follow_children = false;   // ... and the processes it forks
  uint64_t min_wait_ns = 0;
  uint32_t ring_bytes = 32u << 20;   // per CPU; a power of two, multiple of the page size
  uint32_t agg_entries = 65536;      // --summary map size
  std::vector<int32_t> cpu_node;     // NUMA node of each CPU (TraceHeader::cpu_node)
  bool stacks = true;                // user stacks of long waits (per-event mode)
  uint64_t stack_min_wait_ns = 1000000;  // ... that slept at least this long
  uint32_t stack_sample_every = 16;      // ... and 1 in N of a thread's shorter waits (0: none)
  HashShape hash;                    // bucket computation (per-event mode)
  // Per-event mode: calls that did nothing counted in the kernel per thread and word
  // (bpf/counted_calls.bpf.h), an entry sent once its first call is this old;
  // 0: one record per call (record --each-call).
  uint64_t count_span_ns = 20'000'000;
  // That map's size: live entries (thread x word) plus those idle for less
  // than two spans; the sweep walks all its buckets every span, so no larger
  // than needed. Full: calls get records of their own, nothing is lost.
  uint32_t counted_entries = 16384;
  // The rseq capture's maps (bpf/rseq_state.bpf.h), when it runs: the
  // futex programs' sys_exit records rseq(2) registrations into them
  // (RseqSession::maps()). -1: no rseq capture, no registrations.
  struct RseqMaps {
    int events = -1, threads = -1, counters = -1;
  } rseq;
};

// Called for each ring buffer record; returning non-zero stops the drain.
using RecordSink = std::function<int(const void* data, size_t size)>;

class BpfSession {
 public:
  // Opens, configures, loads (the verifier runs here) and attaches the first
  // program variant that does both (collector/program_variants.h). Records
  // queue in the rings until the first poll, so set the sink before that.
  static Result<std::unique_ptr<BpfSession>> start(const SessionConfig& cfg);
  ~BpfSession();
  BpfSession(const BpfSession&) = delete;
  BpfSession& operator=(const BpfSession&) = delete;

  // Stops the programs (no more records), keeping the maps and rings to drain.
  void detach();
  // Drains the ring buffer into `sink`, waiting at most timeout_ms for data.
  Result<int> poll(int timeout_ms);
  // Drains whatever is queued now without waiting.
  Result<int> consume();
  // After detach() and the last drain: the counted calls still in the
  // kernel's map, each entry's as one FXS_REC_FUTEX_COUNT through the sink.
  Status flush_counted_calls();
  // Sums the per-CPU failure counters (cumulative since load).
  std::array<uint64_t, FXS_NR_COUNTERS> counters() const;
  // Cumulative --summary aggregates, every key currently in the map.
  void read_aggregates(const std::function<void(const fxs_agg_key&, const fxs_agg_val&)>& fn) const;
  // --summary: the keys the aggregation map gained since the last call, each
  // once, in insertion order (the page-node resolver asks about them at once).
  Status pop_new_agg_keys(const std::function<Status(const fxs_agg_key&)>& fn);
  // Keys that found that queue full (they wait for the next read_aggregates()).
  uint64_t new_agg_keys_full() const;
  void set_sink(RecordSink sink) { sink_ = std::move(sink); }
  // The user stack map the futex records' ustack_id index.
  int stack_map_fd() const;
  // The kernel stacks of waits that slept (bpf/sched_split.bpf.h), by kstack_id.
  int kstack_map_fd() const;
  // When thread `tid`'s futex call in flight began (bpf_ktime_get_ns), 0 if
  // it is in none the programs saw begin (it began before they attached).
  uint64_t futex_call_enter_ns(uint32_t tid) const;
  // Which program variant loaded: "tp_btf" or "raw_tracepoint".
  const char* variant() const { return variant_; }
  // Why the better variants before it failed ("" when the first one loaded).
  const std::string& passed_over() const { return passed_over_; }

 private:
  BpfSession() = default;
  static Result<std::unique_ptr<BpfSession>> start_variant(const SessionConfig& cfg, bool use_btf);
  static int on_record(void* ctx, void* data, size_t size);
  Status create_rings(uint32_t ring_bytes);  // before load
  Status install_rings();                    // after load: into the outer map, and the reader

  futex_bpf* skel_ = nullptr;
  ring_buffer* ring_ = nullptr;
  std::vector<int> ring_fds_;  // one ring buffer per possible CPU
  RecordSink sink_;
  int ncpus_ = 1;
  const char* variant_ = "";
  std::string passed_over_;
};

}  // namespace fxs

// The running kernel's facts that `probe`, `record` and `live` all rely on,
// measured once per process (a tracepoint is looked up, a type is found in
// kernel BTF, a prctl is called): never inferred from the version number,
// because distributions backport features and configs differ.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fxs {

// The futex hash bucket layout, from kernel BTF; 0 where the type is absent.
struct FutexHashLayout {
  uint16_t bucket_size = 0;    // sizeof(struct futex_hash_bucket)
  uint16_t lock_offset = 0;    // offsetof(struct futex_hash_bucket, lock)
  uint16_t queues_offset = 0;  // offsetof(struct futex_private_hash, queues); 0 before 6.16
};

struct KernelFacts {
  std::string release;              // uname -r
  bool privileged = false;          // euid 0, or CAP_BPF / CAP_SYS_ADMIN effective
  bool btf = false;                 // kernel BTF parses (CO-RE needs it)
  std::string tracefs_events;       // ".../tracing/events"; empty when none is readable
  // Tracepoints: listed in tracefs, else found by their btf_trace_<name> type in
  // kernel BTF (every built-in tracepoint has one), which raw_tracepoint and
  // tp_btf programs attach by without tracefs.
  bool tp_lock_contention = false;  // lock:contention_begin and contention_end
  bool tp_sched = false;            // sched_switch, sched_waking, sched_wakeup, sched_migrate_task
  bool tp_rseq = false;             // rseq:rseq_update and rseq:rseq_ip_fixup
  bool umcg = false;                // sys_enter_umcg_* in tracefs, else sys_umcg_ctl in kallsyms
  bool switch_has_prev_state = true;  // sched_switch passes prev_state (5.18+; BTF prototype)
  bool private_hash = false;        // prctl(PR_FUTEX_HASH, GET_SLOTS) answered
  int private_hash_slots = -1;      // of this process after it started a thread
  // The global hash is split per node and each key picks a node: union futex_key
  // has both.node, which the change that made the hash NUMA-aware (6.16) added.
  bool numa_hash = false;
  FutexHashLayout hash_layout;
  uint32_t global_hash_entries = 0;  // "futex hash table entries: N" in the kernel log; 0 unknown
  uint32_t possible_cpus = 1;
  std::vector<uint32_t> possible_nodes;  // empty: no node directory (CONFIG_NUMA off)
  int online_nodes = 1;
  // The measurements behind each "no" (errno, missing file), and what was done
  // to find out (tracefs mounted).
  std::vector<std::string> notes;
};

// Measured on first call, then the same answer for the life of the process
// (thread-safe). Side effects of the first call: this process starts and joins
// one thread (the private hash is allocated with a process's first thread),
// and, as root, tracefs is mounted at /sys/kernel/tracing if nothing readable is.
const KernelFacts& kernel_facts();

}  // namespace fxs

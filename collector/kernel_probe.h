// `futexscope probe`: what the running kernel offers, measured (programs are loaded,
// syscalls are called, tracepoints are looked up), and what futexscope will and will not
// capture as a result.
//
// probe_kernel() lives in kernel_probe.cpp (libbpf, syscalls). Everything else here is
// header-only and free of libbpf and syscalls, so unit tests can format a hand-built
// KernelCapabilities without root and without linking the collector.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fxs {

struct KernelCapabilities {
  std::string kernel_release;
  bool btf = false;                    // /sys/kernel/btf/vmlinux loads (CO-RE needs it)
  // BPF program types. tracepoint, perf_event: a program loads; raw_tracepoint: loads
  // and attaches to sys_enter; kprobe: the kprobe PMU exists and a program loads;
  // tracing: a tp_btf program (BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP) loads and
  // attaches; fentry: an fentry program (BPF trampoline) loads and attaches.
  bool prog_tracepoint = false;
  bool prog_raw_tracepoint = false;
  bool prog_perf_event = false;
  bool prog_kprobe = false;
  bool prog_tracing = false;
  bool prog_fentry = false;
  bool ringbuf = false;                // BPF_MAP_TYPE_RINGBUF can be created
  bool task_storage = false;           // BPF_MAP_TYPE_TASK_STORAGE can be created
  bool futex2_waitv = false;           // syscalls answer something other than ENOSYS
  bool futex2_wait = false;
  bool futex2_wake = false;
  bool futex2_requeue = false;
  bool numa_futex = false;             // futex_wake(FUTEX2_NUMA) accepted
  bool private_hash = false;           // prctl(PR_FUTEX_HASH, GET_SLOTS) answered
  int private_hash_slots = -1;         // of the probing process after it made a thread
  int global_hash_entries_per_node = -1;  // from the kernel log; -1 unknown
  int numa_nodes = 1;                  // online nodes
  bool lock_contention_tp = false;     // lock:contention_begin
  bool sched_tps = false;              // sched_switch, sched_waking, sched_wakeup, sched_migrate_task
  bool rseq_tps = false;               // rseq:rseq_update and rseq:rseq_ip_fixup
  bool umcg = false;                   // any syscalls:sys_enter_umcg_* tracepoint
  bool root_or_cap_bpf = false;        // euid 0, or CAP_BPF / CAP_SYS_ADMIN effective
  // Why a probe answered "no" (errno, missing file), then what futexscope will and
  // will not capture as a result (explain_capabilities).
  std::vector<std::string> notes;
};

// Runs every probe; never fails, never crashes, takes well under 100 ms. Without root
// the privileged probes answer false and a note says so. Side effects: the calling
// process creates and joins one thread (which gives it a private futex hash on 6.16+),
// and, as root, tracefs is mounted at /sys/kernel/tracing if nothing is mounted there.
KernelCapabilities probe_kernel();

// What futexscope will and will not capture, derived from the capability bits alone.
inline std::vector<std::string> explain_capabilities(const KernelCapabilities& c) {
  std::vector<std::string> n;
  // Unprivileged, every BPF and tracefs probe reads "no" for that reason alone, so
  // conclusions drawn from those bits would be wrong: say it once and skip them.
  const bool priv = c.root_or_cap_bpf;
  if (!priv)
    n.push_back("not root and no CAP_BPF: nothing can be recorded (run as root); BPF "
                "program and map types and tracepoints could not be checked and read 'no'");
  if (!c.btf)
    n.push_back("no kernel BTF: futexscope's BPF programs use CO-RE and will not load");
  if (priv && !c.prog_raw_tracepoint)
    n.push_back("raw tracepoints unusable: futex calls (raw sys_enter/sys_exit) cannot be captured");
  if (priv && !c.ringbuf)
    n.push_back("no BPF ring buffer (kernel < 5.8): per-event recording is impossible");
  if (priv && !c.task_storage)
    n.push_back("no BPF task storage (kernel < 5.11): futexscope's programs will not load");
  if (priv && !c.prog_kprobe)
    n.push_back("kprobes unavailable: futexscope uses tracepoints only (no effect)");
  if (priv && !c.prog_tracing && !c.prog_fentry)
    n.push_back("fentry/fexit/tp_btf unavailable: futexscope uses tracepoints only (no effect)");
  else if (priv && !c.prog_fentry)
    n.push_back("fentry/fexit unavailable (tp_btf works): futexscope uses tracepoints only (no effect)");
  else if (priv && !c.prog_tracing)
    n.push_back("tp_btf unavailable (fentry works): futexscope uses tracepoints only (no effect)");
  if (!c.futex2_waitv)
    n.push_back("futex_waitv absent (kernel < 5.16): only futex(2) is captured");
  if (!c.futex2_wait || !c.futex2_wake || !c.futex2_requeue)
    n.push_back(c.futex2_waitv
                    ? "futex_wait/futex_wake/futex_requeue absent (kernel < 6.7): only futex(2) "
                      "and futex_waitv are captured"
                    : "futex_wait/futex_wake/futex_requeue absent (kernel < 6.7): not captured");
  if (!c.numa_futex)
    n.push_back("no NUMA futexes (FUTEX2_NUMA, kernel < 6.16): every futex hashes by address");
  if (c.numa_nodes <= 1)
    n.push_back("one NUMA node online: the NUMA wake matrix has a single cell");
  if (c.private_hash && c.private_hash_slots > 0)
    n.push_back("private futex hash present (" + std::to_string(c.private_hash_slots) +
                " slots in the probing process): private futexes of threaded processes use "
                "per-process tables");
  else if (c.private_hash)
    n.push_back("private futex hash supported, but the probing process uses the global hash");
  else
    n.push_back("no private futex hash (kernel < 6.16): all futexes use the global hash");
  if (c.global_hash_entries_per_node < 0)
    n.push_back("global futex hash size unknown (kernel log unreadable or rotated): "
                "global bucket indices are reported without a table size");
  if (priv && !c.lock_contention_tp)
    n.push_back("no lock:contention_begin tracepoint: futex hash bucket contention is not captured");
  if (priv && !c.sched_tps)
    n.push_back("sched tracepoints missing: wakers and wake-up latency are not captured");
  if (priv && !c.rseq_tps)
    n.push_back("no rseq tracepoints: rseq updates and aborts are not captured");
  if (c.umcg)
    n.push_back("UMCG syscalls present (out-of-tree kernel): umcg_* calls can be captured");
  else if (priv)
    n.push_back("UMCG is not available on this kernel (never merged into mainline): not captured");
  return n;
}

// JSON: one key per field, snake_case as in the struct, in declaration order.
inline std::string format_probe_json(const KernelCapabilities& c) {
  nlohmann::ordered_json j;
  j["kernel_release"] = c.kernel_release;
  j["btf"] = c.btf;
  j["prog_tracepoint"] = c.prog_tracepoint;
  j["prog_raw_tracepoint"] = c.prog_raw_tracepoint;
  j["prog_perf_event"] = c.prog_perf_event;
  j["prog_kprobe"] = c.prog_kprobe;
  j["prog_tracing"] = c.prog_tracing;
  j["prog_fentry"] = c.prog_fentry;
  j["ringbuf"] = c.ringbuf;
  j["task_storage"] = c.task_storage;
  j["futex2_waitv"] = c.futex2_waitv;
  j["futex2_wait"] = c.futex2_wait;
  j["futex2_wake"] = c.futex2_wake;
  j["futex2_requeue"] = c.futex2_requeue;
  j["numa_futex"] = c.numa_futex;
  j["private_hash"] = c.private_hash;
  j["private_hash_slots"] = c.private_hash_slots;
  j["global_hash_entries_per_node"] = c.global_hash_entries_per_node;
  j["numa_nodes"] = c.numa_nodes;
  j["lock_contention_tp"] = c.lock_contention_tp;
  j["sched_tps"] = c.sched_tps;
  j["rseq_tps"] = c.rseq_tps;
  j["umcg"] = c.umcg;
  j["root_or_cap_bpf"] = c.root_or_cap_bpf;
  j["notes"] = c.notes;
  // Replace, not throw, on invalid UTF-8 (the kernel release is arbitrary bytes).
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

inline std::string format_probe_text(const KernelCapabilities& c) {
  std::string s;
  auto row = [&s](const char* name, const std::string& value) {
    std::string line = std::string("  ") + name;
    line.resize(std::max<size_t>(line.size() + 1, 26), ' ');
    s += line + value + "\n";
  };
  auto yn = [](bool b) { return std::string(b ? "yes" : "no"); };
  auto num = [](int v) { return v < 0 ? std::string("unknown") : std::to_string(v); };

  s += "kernel " + (c.kernel_release.empty() ? std::string("unknown") : c.kernel_release) + "\n";
  row("root or CAP_BPF", yn(c.root_or_cap_bpf));
  row("BTF", yn(c.btf));
  s += "BPF\n";
  row("tracepoint", yn(c.prog_tracepoint));
  row("raw_tracepoint", yn(c.prog_raw_tracepoint));
  row("perf_event", yn(c.prog_perf_event));
  row("kprobe", yn(c.prog_kprobe));
  row("tp_btf", yn(c.prog_tracing));
  row("fentry/fexit", yn(c.prog_fentry));
  row("ring buffer", yn(c.ringbuf));
  row("task storage", yn(c.task_storage));
  s += "futex\n";
  row("futex_waitv", yn(c.futex2_waitv));
  row("futex_wait", yn(c.futex2_wait));
  row("futex_wake", yn(c.futex2_wake));
  row("futex_requeue", yn(c.futex2_requeue));
  row("FUTEX2_NUMA", yn(c.numa_futex));
  row("private hash", c.private_hash ? "yes (" + num(c.private_hash_slots) + " slots)" : "no");
  row("global hash", c.global_hash_entries_per_node < 0
                         ? std::string("unknown entries per node")
                         : num(c.global_hash_entries_per_node) + " entries per node");
  row("NUMA nodes", num(c.numa_nodes));
  s += "tracepoints\n";
  row("lock:contention_begin", yn(c.lock_contention_tp));
  row("sched", yn(c.sched_tps));
  row("rseq", yn(c.rseq_tps));
  row("UMCG", yn(c.umcg));
  if (!c.notes.empty()) {
    s += "notes\n";
    for (const auto& n : c.notes) s += "  - " + n + "\n";
  }
  return s;
}

}  // namespace fxs

// Kernel feature probes. Each one measures (loads a program, calls the syscall, looks up
// the tracepoint) instead of trusting version numbers: distributions backport and
// configs differ. Every probe is cheap and fails closed: false plus a note saying why.
#include "collector/kernel_probe.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstring>
#include <string>

#include "collector/kernel_facts.h"
#include "collector/vmlinux_btf.h"

namespace fxs {
namespace {

// Syscalls added since 5.1 have one number on every architecture but alpha; Debian 12's
// headers predate all futex2 calls except futex_waitv.
constexpr long kNrFutexWaitv = 449;
constexpr long kNrFutexWake = 454;
constexpr long kNrFutexWait = 455;
constexpr long kNrFutexRequeue = 456;

constexpr unsigned kFutex2SizeU32 = 0x02;
constexpr unsigned kFutex2Numa = 0x04;
constexpr unsigned kFutex2Private = 0x80;
// Flag bits no kernel defines: the futex2 calls reject them before touching memory,
// so probing with them can neither block nor wake anyone.
constexpr unsigned kFutex2BogusFlags = 0xffff0000u;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { if (fd_ >= 0) close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) { if (fd_ >= 0) close(fd_); fd_ = o.fd_; o.fd_ = -1; }
    return *this;
  }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

// libbpf logs its own failures to stderr; a probe expects failures, so mute it.
class QuietLibbpf {
 public:
  QuietLibbpf() : old_(libbpf_set_print(&QuietLibbpf::drop)) {}
  ~QuietLibbpf() { libbpf_set_print(old_); }
  QuietLibbpf(const QuietLibbpf&) = delete;
  QuietLibbpf& operator=(const QuietLibbpf&) = delete;

 private:
  static int drop(enum libbpf_print_level, const char*, va_list) { return 0; }
  libbpf_print_fn_t old_;
};

// r0 = 0; exit. Valid for every tracing program type.
const bpf_insn kTrivialProg[] = {
    {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0},
    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
};
constexpr size_t kTrivialLen = sizeof(kTrivialProg) / sizeof(kTrivialProg[0]);

Fd load_trivial(bpf_prog_type type, const bpf_prog_load_opts* opts = nullptr) {
  return Fd(bpf_prog_load(type, nullptr, "GPL", kTrivialProg, kTrivialLen, opts));
}

// The last non-empty line of a verifier log: the reason it refused.
std::string last_log_line(const char* log) {
  std::string s(log);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  size_t nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

class Prober {
 public:
  KernelCapabilities run();

 private:
  void fail(const std::string& what, int err) {
    // Without privileges every BPF probe fails with EPERM; one note says that.
    if (!caps_.root_or_cap_bpf && (err == EPERM || err == EACCES)) return;
    caps_.notes.push_back(what + ": " + std::strerror(err));
  }
  void take_facts(const KernelFacts& f);
  void probe_prog_types();
  void probe_raw_tracepoint();
  void probe_tracepoint();
  void probe_kprobe();
  void probe_tracing();
  void probe_maps();
  void probe_futex2();

  KernelCapabilities caps_;
  const btf* vmlinux_ = nullptr;  // held by run() while it probes
};

// What probe, record and live share (collector/kernel_facts.h).
void Prober::take_facts(const KernelFacts& f) {
  caps_.kernel_release = f.release;
  caps_.root_or_cap_bpf = f.privileged;
  caps_.btf = f.btf;
  caps_.private_hash = f.private_hash;
  caps_.private_hash_slots = f.private_hash_slots;
  caps_.global_hash_entries_per_node = f.global_hash_entries ? int(f.global_hash_entries) : -1;
  caps_.numa_nodes = f.online_nodes;
  caps_.lock_contention_tp = f.tp_lock_contention;
  caps_.sched_tps = f.tp_sched;
  caps_.rseq_tps = f.tp_rseq;
  caps_.umcg = f.umcg;
  for (const auto& n : f.notes)
    // Unprivileged, what failed for that reason alone is said once (explain_capabilities).
    if (f.privileged || n.find(std::strerror(EPERM)) == std::string::npos) caps_.notes.push_back(n);
}

void Prober::probe_prog_types() {
  caps_.prog_perf_event = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_PERF_EVENT, nullptr) == 1;
  if (!caps_.prog_perf_event && caps_.root_or_cap_bpf)
    caps_.notes.push_back("perf_event program type does not load");
}

void Prober::probe_raw_tracepoint() {
  Fd prog = load_trivial(BPF_PROG_TYPE_RAW_TRACEPOINT);
  if (!prog.ok()) return fail("load raw_tracepoint program", errno);
  Fd link(bpf_raw_tracepoint_open("sys_enter", prog.get()));
  if (!link.ok()) return fail("attach raw_tracepoint sys_enter", errno);
  caps_.prog_raw_tracepoint = true;
}

// Load only. Attaching through a perf tracepoint event was measured at 60-110 ms,
// all of it in close(): the kernel waits for RCU grace periods when it unregisters the
// perf probe. futexscope attaches through raw tracepoints, tested for real above.
void Prober::probe_tracepoint() {
  Fd prog = load_trivial(BPF_PROG_TYPE_TRACEPOINT);
  if (!prog.ok()) return fail("load tracepoint program", errno);
  caps_.prog_tracepoint = true;
}

// kprobes need the kprobe PMU (CONFIG_KPROBES + CONFIG_KPROBE_EVENTS, kernel >= 4.17).
// No kprobe is created: closing a kprobe perf event costs the same RCU waits as a
// tracepoint one (perf_trace_event_unreg), and futexscope does not use kprobes anyway.
void Prober::probe_kprobe() {
  if (access("/sys/bus/event_source/devices/kprobe/type", F_OK) != 0) {
    caps_.notes.push_back("no kprobe PMU (/sys/bus/event_source/devices/kprobe): "
                          "kernel built without kprobes");
    return;
  }
  Fd prog = load_trivial(BPF_PROG_TYPE_KPROBE);
  if (!prog.ok()) return fail("load kprobe program", errno);
  caps_.prog_kprobe = true;
}

// Loads a BPF_PROG_TYPE_TRACING program against a kernel BTF id and attaches it.
// Returns 0, or an errno with `stage` saying where it failed (and the verifier's reason).
int load_attach_tracing(bpf_attach_type type, int btf_id, std::string& stage) {
  char log[4096] = "";
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = type,
              .attach_btf_id = static_cast<uint32_t>(btf_id), .log_level = 1,
              .log_size = sizeof(log), .log_buf = log);
  Fd prog = load_trivial(BPF_PROG_TYPE_TRACING, &opts);
  if (!prog.ok()) {
    int err = errno;
    std::string why = last_log_line(log);
    stage = why.empty() ? "load" : "load, verifier: " + why;
    return err;
  }
  stage = "attach";
  Fd link(bpf_raw_tracepoint_open(nullptr, prog.get()));
  return link.ok() ? 0 : errno;
}

// tp_btf (typed raw tracepoint, no trampoline) and fentry (BPF trampoline on a kernel
// function) are separate mechanisms: a kernel may allow one and refuse the other.
void Prober::probe_tracing() {
  if (!vmlinux_) {
    caps_.notes.push_back("fentry/tp_btf not tried: needs kernel BTF");
    return;
  }
  std::string stage;
  int id = btf__find_by_name_kind(vmlinux_, "btf_trace_sys_enter", BTF_KIND_TYPEDEF);
  if (id <= 0) {
    fail("find btf_trace_sys_enter in kernel BTF", ENOENT);
  } else if (int err = load_attach_tracing(BPF_TRACE_RAW_TP, id, stage)) {
    fail("tp_btf/sys_enter (" + stage + ")", err);
  } else {
    caps_.prog_tracing = true;
  }

  const char* fn = nullptr;
  id = -1;
  for (const char* name : {"futex_wake", "do_futex", "do_nanosleep"}) {
    id = btf__find_by_name_kind(vmlinux_, name, BTF_KIND_FUNC);
    fn = name;
    if (id > 0) break;
  }
  if (id <= 0) {
    fail("find an fentry target in kernel BTF", ENOENT);
  } else if (int err = load_attach_tracing(BPF_TRACE_FENTRY, id, stage)) {
    fail(std::string("fentry/") + fn + " (" + stage + ")", err);
  } else {
    caps_.prog_fentry = true;
  }
}

void Prober::probe_maps() {
  caps_.ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) == 1;
  caps_.task_storage = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, nullptr) == 1;
}

void Prober::probe_futex2() {
  // Invalid arguments: any answer but ENOSYS means the syscall exists.
  auto present = [](long r) { return r >= 0 || errno != ENOSYS; };
  caps_.futex2_waitv = present(syscall(kNrFutexWaitv, nullptr, 0, kFutex2BogusFlags, nullptr, 0));
  caps_.futex2_wake = present(syscall(kNrFutexWake, nullptr, 0, 0, kFutex2BogusFlags));
  caps_.futex2_wait =
      present(syscall(kNrFutexWait, nullptr, 0, 0, kFutex2BogusFlags, nullptr, 0));
  caps_.futex2_requeue = present(syscall(kNrFutexRequeue, nullptr, kFutex2BogusFlags, 0, 0));
  if (!caps_.futex2_wake) return;

  // A NUMA futex is {u32 value; u32 node}, 8-byte aligned; node -1 = "not chosen yet".
  // Waking nobody on it succeeds where FUTEX2_NUMA exists and is EINVAL elsewhere.
  struct alignas(8) {
    uint32_t val;
    uint32_t node;
  } numa_word = {0, ~0u};
  long r = syscall(kNrFutexWake, &numa_word, 0xffffffffUL, 1,
                   kFutex2SizeU32 | kFutex2Numa | kFutex2Private);
  caps_.numa_futex = r >= 0;
  if (r < 0 && errno != EINVAL) fail("futex_wake(FUTEX2_NUMA)", errno);
}

KernelCapabilities Prober::run() {
  QuietLibbpf quiet;
  // Held across kernel_facts(), which then parses the kernel BTF once for both.
  auto vmlinux = vmlinux_btf();
  vmlinux_ = vmlinux ? vmlinux->get() : nullptr;
  take_facts(kernel_facts());
  probe_prog_types();
  probe_raw_tracepoint();
  probe_tracepoint();
  probe_kprobe();
  probe_tracing();
  probe_maps();
  probe_futex2();
  vmlinux_ = nullptr;
  // Conclusions first, then the measurements behind them.
  std::vector<std::string> notes = explain_capabilities(caps_);
  for (auto& n : caps_.notes) notes.push_back(std::move(n));
  caps_.notes = std::move(notes);
  return std::move(caps_);
}

}  // namespace

KernelCapabilities probe_kernel() {
  Prober p;
  return p.run();
}

}  // namespace fxs

// Kernel feature probes. Each one measures (loads a program, calls the syscall, looks up
// the tracepoint) instead of trusting version numbers: distributions backport and
// configs differ. Every probe is cheap and fails closed: false plus a note saying why.
#include "collector/kernel_probe.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <linux/bpf.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <system_error>
#include <thread>

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

constexpr int kPrFutexHash = 78;
constexpr int kPrFutexHashGetSlots = 2;

constexpr int kCapSysAdmin = 21;
constexpr int kCapBpf = 39;

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

bool is_dir(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string& p) { return access(p.c_str(), F_OK) == 0; }

std::string read_first_line(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

// "0", "0-1", "0,2-3" -> number of nodes; 1 when absent (CONFIG_NUMA off).
int count_list(const std::string& list) {
  if (list.empty()) return 1;
  int n = 0;
  std::stringstream ss(list);
  std::string part;
  while (std::getline(ss, part, ',')) {
    int a = 0, b = 0;
    if (std::sscanf(part.c_str(), "%d-%d", &a, &b) == 2 && b >= a) n += b - a + 1;
    else if (std::sscanf(part.c_str(), "%d", &a) == 1) n += 1;
  }
  return n > 0 ? n : 1;
}

bool has_cap(int cap) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    unsigned long long mask = std::strtoull(line.c_str() + 7, nullptr, 16);
    return (mask >> cap) & 1;
  }
  return false;
}

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
  void probe_identity();
  void probe_btf();
  void probe_tracefs();
  void probe_prog_types();
  void probe_raw_tracepoint();
  void probe_tracepoint();
  void probe_kprobe();
  void probe_tracing();
  void probe_maps();
  void probe_futex2();
  void probe_private_hash();
  void probe_global_hash();
  void probe_tracepoint_names();

  KernelCapabilities caps_;
  std::unique_ptr<btf, void (*)(btf*)> vmlinux_{nullptr, btf__free};
  std::string events_;  // ".../tracing/events", empty when no tracefs is readable
};

void Prober::probe_identity() {
  utsname u {};
  if (uname(&u) == 0) caps_.kernel_release = u.release;
  caps_.root_or_cap_bpf = geteuid() == 0 || has_cap(kCapBpf) || has_cap(kCapSysAdmin);
  caps_.numa_nodes = count_list(read_first_line("/sys/devices/system/node/online"));
}

void Prober::probe_btf() {
  const char* path = "/sys/kernel/btf/vmlinux";
  if (!exists(path)) {
    caps_.notes.push_back(std::string("no ") + path + " (kernel built without CONFIG_DEBUG_INFO_BTF)");
    return;
  }
  errno = 0;
  btf* b = btf__load_vmlinux_btf();
  long err = libbpf_get_error(b);
  if (!b || err) {
    fail(std::string("load kernel BTF from ") + path,
         err ? static_cast<int>(-err) : (errno ? errno : EINVAL));
    return;
  }
  caps_.btf = true;
  vmlinux_.reset(b);
}

// Tracepoint names come from tracefs; mount it where it belongs if we may.
void Prober::probe_tracefs() {
  const std::string tracing = "/sys/kernel/tracing";
  if (!is_dir(tracing + "/events") && geteuid() == 0 && is_dir(tracing)) {
    if (mount("nodev", tracing.c_str(), "tracefs", 0, nullptr) != 0 && errno != EBUSY)
      fail("mount tracefs at " + tracing, errno);
  }
  int err = 0;
  for (const std::string& dir : {tracing, std::string("/sys/kernel/debug/tracing")}) {
    if (is_dir(dir + "/events")) {
      events_ = dir + "/events";
      return;
    }
    if (!err) err = errno;
  }
  caps_.notes.push_back(
      err == EACCES ? "tracefs not readable (needs root): tracepoint names cannot be checked"
                    : "no tracefs at /sys/kernel/tracing or /sys/kernel/debug/tracing");
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
  if (!exists("/sys/bus/event_source/devices/kprobe/type")) {
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
  int id = btf__find_by_name_kind(vmlinux_.get(), "btf_trace_sys_enter", BTF_KIND_TYPEDEF);
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
    id = btf__find_by_name_kind(vmlinux_.get(), name, BTF_KIND_FUNC);
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

// The private hash is allocated when a process creates its first thread.
void Prober::probe_private_hash() {
  try {
    std::thread([] {}).join();
  } catch (const std::system_error& e) {
    caps_.notes.push_back(std::string("start a thread for the private hash probe: ") + e.what());
  }
  errno = 0;
  int r = prctl(kPrFutexHash, kPrFutexHashGetSlots, 0, 0, 0);
  if (r >= 0) {
    caps_.private_hash = true;
    caps_.private_hash_slots = r;
  } else if (errno != EINVAL) {
    fail("prctl(PR_FUTEX_HASH, GET_SLOTS)", errno);
  }
}

// Only the boot log knows the global table size (the symbol is static).
void Prober::probe_global_hash() {
  int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, nullptr, 0);
  if (size <= 0) return fail("read kernel log size", errno);
  std::string buf(static_cast<size_t>(size), '\0');
  int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf.data(), size);
  if (n < 0) return fail("read kernel log", errno);
  buf.resize(static_cast<size_t>(n));
  const char* key = "futex hash table entries: ";
  size_t at = buf.find(key);
  if (at == std::string::npos) return;
  caps_.global_hash_entries_per_node = std::atoi(buf.c_str() + at + std::strlen(key));
}

void Prober::probe_tracepoint_names() {
  static const char* const kSched[] = {"sched_switch", "sched_waking", "sched_wakeup",
                                       "sched_migrate_task"};
  if (!events_.empty()) {
    caps_.lock_contention_tp = exists(events_ + "/lock/contention_begin");
    caps_.sched_tps = true;
    for (const char* tp : kSched) caps_.sched_tps &= exists(events_ + "/sched/" + tp);
    caps_.rseq_tps =
        exists(events_ + "/rseq/rseq_update") && exists(events_ + "/rseq/rseq_ip_fixup");
    if (DIR* d = opendir((events_ + "/syscalls").c_str())) {
      while (dirent* e = readdir(d))
        if (std::strncmp(e->d_name, "sys_enter_umcg_", 15) == 0) caps_.umcg = true;
      closedir(d);
    } else {
      caps_.notes.push_back("no syscall tracepoints (CONFIG_FTRACE_SYSCALLS off): "
                            "UMCG cannot be detected");
    }
    return;
  }
  // No tracefs: every tracepoint built into the kernel has a btf_trace_<name> typedef.
  // (Attaching raw tracepoints by name would also tell, but costs ~10 ms each: enabling
  // a tracepoint patches kernel text.) UMCG has none: syscalls share sys_enter.
  if (!vmlinux_) {
    caps_.notes.push_back("lock/sched/rseq/UMCG tracepoints not checked: no tracefs, no BTF");
    return;
  }
  auto known = [this](const char* tp) {
    return btf__find_by_name_kind(vmlinux_.get(), (std::string("btf_trace_") + tp).c_str(),
                                  BTF_KIND_TYPEDEF) > 0;
  };
  caps_.lock_contention_tp = known("contention_begin");
  caps_.sched_tps = true;
  for (const char* tp : kSched) caps_.sched_tps &= known(tp);
  caps_.rseq_tps = known("rseq_update") && known("rseq_ip_fixup");
  caps_.notes.push_back("no tracefs: lock/sched/rseq tracepoints found by name in kernel BTF; "
                        "UMCG not checked");
}

KernelCapabilities Prober::run() {
  QuietLibbpf quiet;
  probe_identity();
  probe_btf();
  probe_tracefs();
  probe_prog_types();
  probe_raw_tracepoint();
  probe_tracepoint();
  probe_kprobe();
  probe_tracing();
  probe_maps();
  probe_futex2();
  probe_private_hash();
  probe_global_hash();
  probe_tracepoint_names();
  vmlinux_.reset();
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

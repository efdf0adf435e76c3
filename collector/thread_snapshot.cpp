#include "collector/thread_snapshot.h"

#include <dirent.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "bpf/trace_abi.h"
#include "collector/stack_symbolizer.h"
#include "replay/futex_ops.h"
#include "replay/lock_owner.h"
#include "replay/syscall_names.h"

namespace fxs {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

size_t read_memory(pid_t pid, uint64_t addr, void* out, size_t n) {
  iovec local{out, n}, remote{reinterpret_cast<void*>(addr), n};
  ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  return got > 0 ? size_t(got) : 0;
}

// glibc's soname: a process that maps it locks with glibc's pthread_mutex_t.
bool maps_glibc(pid_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  for (std::string line; std::getline(maps, line);)
    if (line.size() > 10 && line.compare(line.size() - 10, 10, "/libc.so.6") == 0) return true;
  return false;
}

uint8_t syscall_kind(int64_t nr) {
  switch (nr) {
    case kSysFutex: return FXS_SC_FUTEX;
    case kSysFutexWaitv: return FXS_SC_FUTEX_WAITV;
    case kSysFutexWait: return FXS_SC_FUTEX_WAIT;
    case kSysFutexWake: return FXS_SC_FUTEX_WAKE;
    case kSysFutexRequeue: return FXS_SC_FUTEX_REQUEUE;
    default: return 0xff;
  }
}

// "[<0>] futex_wait_queue+0x5f/0x90" -> "[k] futex_wait_queue+0x5f"
std::vector<std::string> kernel_stack(const std::string& task) {
  std::vector<std::string> frames;
  std::ifstream f(task + "/stack");
  for (std::string line; std::getline(f, line);) {
    size_t sp = line.find("] ");
    std::string fn = sp == std::string::npos ? line : line.substr(sp + 2);
    fn = fn.substr(0, fn.find('/'));
    if (!fn.empty()) frames.push_back("[k] " + fn);
  }
  return frames;
}

// The registers of a thread stopped for a moment with ptrace and let go (a
// blocked system call restarts, as after a signal); nullopt if that is
// refused (a debugger holds the thread, or no rights).
std::optional<user_regs_struct> stopped_thread_registers(pid_t tid) {
  if (ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) return std::nullopt;
  std::optional<user_regs_struct> regs;
  int status = 0;
  if (ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) == 0 && waitpid(tid, &status, __WALL) == tid) {
    user_regs_struct r{};
    if (ptrace(PTRACE_GETREGS, tid, nullptr, &r) == 0) regs = r;
  }
  ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
  return regs;
}

// glibc's park after FUTEX_LOCK_PI failed with EDEADLK (replay/lock_owner.h):
// the PI mutex it wanted is the one pointer, in its callee-saved registers
// (the thread is stopped for a moment to read them; its endless wait
// restarts) or on its stack, to a glibc PI mutex held by another live thread
// of the process. Two such mutexes: ambiguous, nothing is named.
void name_refused_pi_lock(pid_t pid, ThreadSnapshot& t, uint64_t sp, const std::string& proc) {
  uint64_t stack[512];
  const size_t words = read_memory(pid, sp, stack, sizeof(stack)) / 8;
  std::vector<uint64_t> candidates;
  if (auto r = stopped_thread_registers(pid_t(t.tid))) candidates = {r->rbx, r->rbp, r->r12, r->r13, r->r14, r->r15};
  candidates.insert(candidates.end(), stack, stack + words);
  uint64_t found = 0;
  uint32_t owner = 0;
  for (const uint64_t p : candidates) {
    if (p < 4096 || (p & 3) || (p >= sp && p < sp + sizeof(stack))) continue;
    // The mutex itself, or one of its fields (glibc keeps &mutex->__kind).
    for (const uint64_t v : {p, p - 8, p - 16}) {
      if (v == found) continue;
      uint8_t m[kLockOwnerBytes];
      if (read_memory(pid, v, m, sizeof(m)) != sizeof(m)) continue;
      const uint32_t o = glibc_pi_mutex_owner(m, sizeof(m));
      if (!o || o == t.tid || access((proc + "/task/" + std::to_string(o)).c_str(), F_OK) != 0) continue;
      if (found) return;  // a second mutex
      found = v;
      owner = o;
    }
  }
  if (!found) return;
  t.op = op_name(FXS_OP_FUTEX_LOCK_PI);
  t.uaddrs = {found};
  t.expected = 0;
  t.owner_tid = owner;
  t.owner_source = kPiDeadlockSource;
}

// Fills t's futex fields from the call's arguments; returns its op index.
unsigned read_futex_call(pid_t pid, ThreadSnapshot& t, const uint64_t a[6], bool glibc) {
  const uint8_t sc = syscall_kind(t.syscall);
  t.in_futex = true;
  unsigned opi = FXS_OP_UNKNOWN;
  if (sc == FXS_SC_FUTEX) {
    opi = op_index(sc, uint32_t(a[1]));
    t.uaddrs = {a[0]};
    t.expected = uint32_t(a[2]);
  } else if (sc == FXS_SC_FUTEX_WAITV) {
    opi = FXS_OP_FUTEX2_WAITV;
    struct Waiter { uint64_t val, uaddr; uint32_t flags, reserved; } w[128];
    const size_t nr = std::min<uint64_t>(a[1], 128);
    const size_t got = read_memory(pid, a[0], w, nr * sizeof(Waiter)) / sizeof(Waiter);
    for (size_t i = 0; i < got; i++) t.uaddrs.push_back(w[i].uaddr);
  } else {
    opi = op_index(sc, 0);
    t.uaddrs = {a[0]};
    t.expected = a[1];
  }
  t.op = op_name(opi);
  if (t.uaddrs.size() != 1) return opi;
  uint8_t word[kLockOwnerBytes] = {};
  const size_t n = read_memory(pid, t.uaddrs[0], word, sizeof(word));
  LockOwner o = lock_owner(opi, t.expected, word, n, glibc);
  t.owner_tid = o.tid;
  t.owner_source = o.source;
  return opi;
}

}  // namespace

Result<std::vector<ThreadSnapshot>> snapshot_threads(pid_t pid, StackSymbolizer* stacks, bool stop_for_frame_pointer) {
  const std::string proc = "/proc/" + std::to_string(pid);
  DIR* dir = opendir((proc + "/task").c_str());
  if (!dir) {
    const int err = errno;
    return Error{"process " + std::to_string(pid) + ": " + std::strerror(err) +
                 (err == ENOENT ? " (no such process: check the PID)" : "")};
  }
  std::vector<pid_t> tids;
  while (dirent* e = readdir(dir))
    if (e->d_name[0] != '.') tids.push_back(pid_t(std::atoi(e->d_name)));
  closedir(dir);
  std::sort(tids.begin(), tids.end());
  const bool glibc = maps_glibc(pid);

  std::vector<ThreadSnapshot> out;
  for (pid_t tid : tids) {
    const std::string task = proc + "/task/" + std::to_string(tid);
    ThreadSnapshot t;
    t.pid = uint32_t(pid);
    t.tid = uint32_t(tid);
    t.comm = read_text(task + "/comm");
    while (!t.comm.empty() && t.comm.back() == '\n') t.comm.pop_back();
    const std::string stat = read_text(task + "/stat");
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size()) continue;  // exited meanwhile
    t.state = stat[paren + 2];
    // Readable only with ptrace rights over the process: without them every
    // thread would look idle, a silent wrong answer.
    if (access((task + "/syscall").c_str(), R_OK) != 0 && errno != ENOENT) {
      const int err = errno;
      return Error{"cannot read " + task + "/syscall: " + std::strerror(err) +
                   " (run as root, or as the owner of process " + std::to_string(pid) + ")"};
    }
    // "202 0x7f.. 0x80 0x2 0x0 0x0 0x0 0x7ffc.. 0x7f.." (nr, 6 args, sp, pc),
    // "-1 sp pc" outside a system call, "running" when on a CPU.
    std::istringstream sc(read_text(task + "/syscall"));
    std::string first;
    sc >> first;
    if (first.empty() || first == "running" || first == "-1") {
      out.push_back(std::move(t));
      continue;
    }
    t.syscall = std::strtoll(first.c_str(), nullptr, 10);
    uint64_t a[6] = {}, sp = 0, pc = 0;
    for (auto& v : a) sc >> std::hex >> v;
    sc >> std::hex >> sp >> pc;
    // The kernel stack first: a ptrace stop below would show in it.
    if (stacks && t.state != 'R') t.stack = kernel_stack(task);
    if (syscall_kind(t.syscall) != 0xff) {
      const unsigned opi = read_futex_call(pid, t, a, glibc);
      const bool unowned = glibc && t.uaddrs.size() == 1 && !t.owner_tid;
      if (unowned && parked_on_glibc_pi_deadlock(opi, t.expected, t.uaddrs[0], sp))
        name_refused_pi_lock(pid, t, sp, proc);
    }
    if (stacks && t.state != 'R') {
      auto raw = std::make_unique<fxs_ustack_raw_rec>();  // 4 KiB of stack
      raw->tgid = t.pid;
      raw->tid = t.tid;
      raw->ip = pc;
      raw->sp = sp;  // bp is not in /proc: without it, frames that need it end the walk
      if (stop_for_frame_pointer && t.state != 'T' && t.state != 't')
        if (auto r = stopped_thread_registers(tid); r && r->rsp == sp) raw->bp = r->rbp;
      raw->size = uint32_t(read_memory(pid, sp, raw->stack, sizeof(raw->stack)));
      for (auto& u : stacks->name_sleeping_stack(*raw)) t.stack.push_back(std::move(u));
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace fxs

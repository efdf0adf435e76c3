#include "collector/kernel_facts.h"

#include <bpf/btf.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <system_error>
#include <thread>

#include "collector/kernel_log.h"
#include "collector/sysfs_list.h"
#include "collector/tracefs.h"
#include "collector/vmlinux_btf.h"
#include "replay/error.h"

namespace fxs {
namespace {

constexpr int kPrFutexHash = 78;
constexpr int kPrFutexHashGetSlots = 2;
constexpr int kCapSysAdmin = 21;
constexpr int kCapBpf = 39;

bool exists(const std::string& p) { return access(p.c_str(), F_OK) == 0; }

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

// Reads the kernel's types; every question answers "absent" without BTF.
class BtfTypes {
 public:
  explicit BtfTypes(const btf* b) : b_(b) {}
  explicit operator bool() const { return b_ != nullptr; }

  const btf_type* find(const char* name, int kind) const {
    int id = b_ ? btf__find_by_name_kind(b_, name, kind) : -1;
    return id > 0 ? btf__type_by_id(b_, id) : nullptr;
  }
  bool has_tracepoint(const char* tp) const {
    return find((std::string("btf_trace_") + tp).c_str(), BTF_KIND_TYPEDEF) != nullptr;
  }
  // The member `name` of a struct or union, or nullptr.
  const btf_member* member(const btf_type* t, const char* name, int* byte_offset = nullptr) const {
    if (!t || !(btf_is_struct(t) || btf_is_union(t))) return nullptr;
    const btf_member* m = btf_members(t);
    for (int i = 0; i < btf_vlen(t); i++, m++) {
      if (std::strcmp(btf__name_by_offset(b_, m->name_off), name) != 0) continue;
      if (byte_offset) *byte_offset = int(btf_member_bit_offset(t, i) / 8);
      return m;
    }
    return nullptr;
  }
  const btf_type* type_of(const btf_member* m) const { return m ? btf__type_by_id(b_, m->type) : nullptr; }
  // A tracepoint's prototype, through its btf_trace_<name> typedef and pointer.
  const btf_type* tracepoint_proto(const char* tp) const {
    const btf_type* t = find((std::string("btf_trace_") + tp).c_str(), BTF_KIND_TYPEDEF);
    while (t && (btf_is_typedef(t) || btf_is_ptr(t))) t = btf__type_by_id(b_, t->type);
    return t && btf_is_func_proto(t) ? t : nullptr;
  }

 private:
  const btf* b_;
};

// A kernel symbol ending in `suffix` (the arch prefixes syscall entry points).
bool kallsyms_has_suffix(const char* suffix) {
  std::ifstream ks("/proc/kallsyms");
  const size_t n = std::strlen(suffix);
  std::string line;
  while (std::getline(ks, line))
    if (line.size() > n && line.compare(line.size() - n, n, suffix) == 0) return true;
  return false;
}

class Measure {
 public:
  KernelFacts run();

 private:
  void tracepoints(const BtfTypes& types);
  void futex_hash(const BtfTypes& types);
  void private_hash();

  KernelFacts f_;
};

void Measure::tracepoints(const BtfTypes& types) {
  static const char* const kSched[] = {"sched_switch", "sched_waking", "sched_wakeup", "sched_migrate_task"};
  const std::string& ev = f_.tracefs_events;
  if (!ev.empty()) {
    f_.tp_lock_contention = exists(ev + "/lock/contention_begin") && exists(ev + "/lock/contention_end");
    f_.tp_sched = true;
    for (const char* tp : kSched) f_.tp_sched &= exists(ev + "/sched/" + tp);
    f_.tp_rseq = exists(ev + "/rseq/rseq_update") && exists(ev + "/rseq/rseq_ip_fixup");
    if (exists(ev + "/syscalls")) {
      f_.umcg = exists(ev + "/syscalls/sys_enter_umcg_ctl") || exists(ev + "/syscalls/sys_enter_umcg_wait");
      return;
    }
    f_.notes.push_back("no syscall tracepoints (CONFIG_FTRACE_SYSCALLS off): UMCG looked up in /proc/kallsyms");
  } else if (types) {
    // Attaching raw tracepoints by name would also tell, but costs ~10 ms each
    // (enabling a tracepoint patches kernel text).
    f_.tp_lock_contention = types.has_tracepoint("contention_begin") && types.has_tracepoint("contention_end");
    f_.tp_sched = true;
    for (const char* tp : kSched) f_.tp_sched &= types.has_tracepoint(tp);
    f_.tp_rseq = types.has_tracepoint("rseq_update") && types.has_tracepoint("rseq_ip_fixup");
    f_.notes.push_back("no tracefs: lock/sched/rseq tracepoints found by name in kernel BTF");
  } else {
    f_.notes.push_back("lock/sched/rseq tracepoints not checked: no tracefs, no kernel BTF");
  }
  // Syscalls share sys_enter, so UMCG has no btf_trace_ type: its entry point, by name.
  f_.umcg = kallsyms_has_suffix("sys_umcg_ctl");
}

void Measure::futex_hash(const BtfTypes& types) {
  if (const btf_type* bucket = types.find("futex_hash_bucket", BTF_KIND_STRUCT)) {
    int lock = -1;
    if (types.member(bucket, "lock", &lock)) {
      f_.hash_layout.bucket_size = uint16_t(bucket->size);
      f_.hash_layout.lock_offset = uint16_t(lock);
    }
  }
  int queues = -1;
  if (types.member(types.find("futex_private_hash", BTF_KIND_STRUCT), "queues", &queues))
    f_.hash_layout.queues_offset = uint16_t(queues);
  // A key's node is kept next to the hashed words (union futex_key's both.node),
  // not hashed: its presence is the NUMA-aware global hash, whatever the version.
  const btf_type* key = types.find("futex_key", BTF_KIND_UNION);
  f_.numa_hash = types.member(types.type_of(types.member(key, "both")), "node") != nullptr;
  if (types && !key) f_.notes.push_back("no union futex_key in kernel BTF: the global hash is taken as one table");

  if (auto logged = futex_hash_entries_from_kernel_log()) f_.global_hash_entries = *logged;
  else f_.notes.push_back("global futex hash size: " + logged.message());
}

// The private hash is allocated when a process creates its first thread.
void Measure::private_hash() {
  try {
    std::thread([] {}).join();
  } catch (const std::system_error& e) {
    f_.notes.push_back(std::string("start a thread for the private hash probe: ") + e.what());
  }
  errno = 0;
  int r = prctl(kPrFutexHash, kPrFutexHashGetSlots, 0, 0, 0);
  if (r >= 0) {
    f_.private_hash = true;
    f_.private_hash_slots = r;
  } else if (errno != EINVAL) {
    f_.notes.push_back(errno_message("prctl(PR_FUTEX_HASH, GET_SLOTS)", errno));
  }
}

KernelFacts Measure::run() {
  utsname u{};
  if (uname(&u) == 0) f_.release = u.release;
  f_.privileged = geteuid() == 0 || has_cap(kCapBpf) || has_cap(kCapSysAdmin);
  f_.possible_cpus = uint32_t(read_sysfs_list("/sys/devices/system/cpu/possible").size());
  if (f_.possible_cpus == 0) f_.possible_cpus = 1;
  f_.possible_nodes = read_sysfs_list("/sys/devices/system/node/possible");
  size_t online = read_sysfs_list("/sys/devices/system/node/online").size();
  f_.online_nodes = online ? int(online) : 1;

  auto vmlinux = vmlinux_btf();
  f_.btf = vmlinux.ok();
  if (!vmlinux) f_.notes.push_back(vmlinux.message());
  BtfTypes types(vmlinux ? vmlinux->get() : nullptr);

  Tracefs tracefs = find_or_mount_tracefs();
  f_.tracefs_events = tracefs.events;
  if (!tracefs.note.empty()) f_.notes.push_back(tracefs.note);
  tracepoints(types);
  // sched_switch's prototype has prev_state (5 parameters with the tracepoint's
  // context pointer) since 5.18; before, programs read prev->__state.
  if (const btf_type* proto = types.tracepoint_proto("sched_switch"))
    f_.switch_has_prev_state = btf_vlen(proto) >= 5;
  futex_hash(types);
  private_hash();
  return std::move(f_);
}

}  // namespace

const KernelFacts& kernel_facts() {
  static const KernelFacts facts = Measure().run();
  return facts;
}

}  // namespace fxs

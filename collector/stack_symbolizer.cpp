#include "collector/stack_symbolizer.h"

#include <bpf/bpf.h>
#include <elfutils/libdwfl.h>
#include <inttypes.h>
#include <unistd.h>

#include <cxxabi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "bpf/trace_abi.h"
#include "replay/trace_writer.h"

namespace fxs {
namespace {

const Dwfl_Callbacks kProcCallbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = nullptr,
    .debuginfo_path = nullptr,
};

}  // namespace

StackSymbolizer::~StackSymbolizer() {
  for (auto& [pid, d] : dwfl_)
    if (d) dwfl_end(d);
  for (Dwfl* d : retired_) dwfl_end(d);
}

namespace {

// The modules of a live process, or nullptr: a process that already exited
// cannot be read (its stacks keep raw addresses).
Dwfl* read_modules(uint32_t pid) {
  Dwfl* d = dwfl_begin(&kProcCallbacks);
  if (d && (dwfl_linux_proc_report(d, pid_t(pid)) != 0 || dwfl_report_end(d, nullptr, nullptr) != 0)) {
    dwfl_end(d);
    d = nullptr;
  }
  return d;
}

}  // namespace

void StackSymbolizer::load_libraries_now() {
  Dwfl* d = read_modules(uint32_t(getpid()));
  if (!d) return;
  // The search that loads them is the one for a module without DWARF (no
  // debug file found beside it): look in our own modules until one has none.
  dwfl_getmodules(
      d,
      [](Dwfl_Module* m, void**, const char*, Dwarf_Addr, void*) -> int {
        Dwarf_Addr bias;
        return dwfl_module_getdwarf(m, &bias) ? DWARF_CB_OK : DWARF_CB_ABORT;
      },
      nullptr, 0);
  dwfl_end(d);
}

Dwfl* StackSymbolizer::dwfl_for(uint32_t pid) {
  auto it = dwfl_.find(pid);
  if (it != dwfl_.end()) return it->second;
  return dwfl_[pid] = read_modules(pid);
}

bool StackSymbolizer::refresh(uint32_t pid) {
  auto it = dwfl_.find(pid);
  if (it == dwfl_.end() || !it->second) {
    if (it != dwfl_.end()) dwfl_.erase(it);  // failed before: try afresh
    return dwfl_for(pid) != nullptr;
  }
  Dwfl* d = it->second;
  dwfl_report_begin_add(d);
  bool ok = dwfl_linux_proc_report(d, pid_t(pid)) == 0;
  dwfl_report_end(d, nullptr, nullptr);
  return ok;
}

bool StackSymbolizer::refresh_if_due(uint32_t pid, std::chrono::steady_clock::duration interval) {
  const auto now = std::chrono::steady_clock::now();
  auto [last, first_time] = modules_read_at_.try_emplace(pid, now);
  if (!first_time && now - last->second < interval) return false;
  if (!refresh(pid)) return false;
  last->second = now;
  return true;
}

std::string StackSymbolizer::symbolize(uint32_t pid, uint64_t ip, bool return_address) {
  return symbolize_frame(pid, ip, return_address, nullptr);
}

namespace {

// The C and C++ runtimes whose frames sit between a program and its futex
// calls: lock, condition variable and thread-start code, not the program's.
bool runtime_module(const char* path) {
  const char* slash = path ? std::strrchr(path, '/') : nullptr;
  const char* base = slash ? slash + 1 : (path ? path : "");
  for (const char* prefix : {"libc.so", "libc-", "libpthread", "libstdc++", "libgcc_s", "ld-linux", "ld64.so"})
    if (std::strncmp(base, prefix, std::strlen(prefix)) == 0) return true;
  return false;
}

// "ns::f(int, char*)+0x1c" -> "ns::f": a name short enough to sit beside a
// futex's ("(anonymous namespace)" is a scope, not a parameter list).
std::string function_name(const std::string& frame) {
  std::string f = frame.substr(0, frame.rfind("+0x"));
  static constexpr std::string_view kAnon = "(anonymous namespace)";
  for (size_t i = 0; i < f.size(); i++) {
    if (f[i] != '(') continue;
    if (f.compare(i, kAnon.size(), kAnon) == 0) {
      i += kAnon.size() - 1;
      continue;
    }
    return f.substr(0, i);
  }
  return f;
}

}  // namespace

const std::string* StackSymbolizer::caller_of(uint32_t tgid, int32_t stack_id) const {
  auto it = callers_.find(uint64_t(tgid) << 32 | uint32_t(stack_id));
  return it == callers_.end() ? nullptr : &it->second;
}

std::string StackSymbolizer::symbolize_frame(uint32_t pid, uint64_t ip, bool return_address, bool* own_function) {
  if (own_function) *own_function = false;
  char out[512];
  // A return address points after the call: look up the call itself.
  const uint64_t lookup = return_address && ip ? ip - 1 : ip;
  Dwfl* d = dwfl_for(pid);
  Dwfl_Module* m = d ? dwfl_addrmodule(d, Dwarf_Addr(lookup)) : nullptr;
  // Not in the mappings read so far: a library loaded since? Once per stack.
  if (!m && !refreshed_) {
    refreshed_ = true;
    if (refresh(pid)) {
      d = dwfl_for(pid);
      m = d ? dwfl_addrmodule(d, Dwarf_Addr(lookup)) : nullptr;
    }
  }
  if (!m) {
    std::snprintf(out, sizeof(out), "0x%" PRIx64, ip);
    return out;
  }
  GElf_Off off = 0;
  GElf_Sym sym;
  const char* name = dwfl_module_addrinfo(m, Dwarf_Addr(lookup), &off, &sym, nullptr, nullptr, nullptr);
  if (name) {
    if (own_function)
      *own_function = !runtime_module(dwfl_module_info(m, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr));
    int status = -1;
    char* demangled = abi::__cxa_demangle(name, nullptr, nullptr, &status);
    std::snprintf(out, sizeof(out), "%s+0x%" PRIx64, status == 0 ? demangled : name,
                  uint64_t(off) + (lookup != ip ? 1 : 0));
    std::free(demangled);
    return out;
  }
  Dwarf_Addr base = 0;
  const char* mod = dwfl_module_info(m, nullptr, &base, nullptr, nullptr, nullptr, nullptr, nullptr);
  const char* slash = mod ? std::strrchr(mod, '/') : nullptr;
  std::snprintf(out, sizeof(out), "[%s+0x%" PRIx64 "]", slash ? slash + 1 : (mod ? mod : "?"),
                ip - uint64_t(base));
  return out;
}

// ---- DWARF unwinding of raw stacks ------------------------------------------
//
// libdwfl unwinds a thread through callbacks: one Dwfl per process carries
// them (attached once), and they read the raw stack at hand (unwinding_):
// the thread's registers, and memory only within the copied stack bytes.

namespace {

constexpr int kDwarfRbp = 6, kDwarfRsp = 7;  // x86_64 DWARF register numbers

pid_t only_thread(Dwfl*, void* arg, void** thread_argp) {
  auto* self = static_cast<const fxs_ustack_raw_rec* const*>(arg);
  if (*thread_argp) return 0;  // one thread per unwind
  *thread_argp = arg;
  return pid_t((*self)->tid);
}

bool get_thread(Dwfl*, pid_t, void* arg, void** thread_argp) {
  *thread_argp = arg;
  return true;
}

bool read_stack(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* arg) {
  const fxs_ustack_raw_rec* raw = *static_cast<const fxs_ustack_raw_rec* const*>(arg);
  if (addr < raw->sp || addr - raw->sp > raw->size || raw->size - (addr - raw->sp) < sizeof(Dwarf_Word))
    return false;
  std::memcpy(result, raw->stack + (addr - raw->sp), sizeof(Dwarf_Word));
  return true;
}

bool initial_registers(Dwfl_Thread* thread, void* arg) {
  const fxs_ustack_raw_rec* raw = *static_cast<const fxs_ustack_raw_rec* const*>(arg);
  const Dwarf_Word regs[2] = {raw->bp, raw->sp};  // rbp, rsp
  if (!dwfl_thread_state_registers(thread, kDwarfRbp, 2, regs)) return false;
  dwfl_thread_state_register_pc(thread, raw->ip);
  return true;
}

const Dwfl_Thread_Callbacks kRawStackCallbacks = {
    .next_thread = only_thread,
    .get_thread = get_thread,
    .memory_read = read_stack,
    .set_initial_registers = initial_registers,
    .detach = nullptr,
    .thread_detach = nullptr,
};

}  // namespace

std::vector<uint64_t> StackSymbolizer::unwind(uint32_t pid, const fxs_ustack_raw_rec& raw) {
  std::vector<uint64_t> frames;
  Dwfl* d = dwfl_for(pid);
  if (!d || raw.size == 0) return frames;
  if (!attached_.count(d)) {
    if (!dwfl_attach_state(d, nullptr, pid_t(pid), &kRawStackCallbacks, &unwinding_)) return frames;
    attached_.insert(d);
  }
  unwinding_ = &raw;
  dwfl_getthread_frames(
      d, pid_t(raw.tid),
      [](Dwfl_Frame* state, void* arg) -> int {
        auto* out = static_cast<std::vector<uint64_t>*>(arg);
        Dwarf_Addr pc = 0;
        bool activation = false;
        if (!dwfl_frame_pc(state, &pc, &activation) || pc == 0) return DWARF_CB_ABORT;
        out->push_back(pc);
        return out->size() >= FXS_MAX_STACK_DEPTH ? DWARF_CB_ABORT : DWARF_CB_OK;
      },
      &frames);
  unwinding_ = nullptr;
  return frames;
}

std::vector<std::string> StackSymbolizer::name_sleeping_stack(const fxs_ustack_raw_rec& raw) {
  refreshed_ = false;
  std::vector<std::string> names;
  const std::vector<uint64_t> frames = unwind(raw.tgid, raw);
  for (size_t i = 0; i < frames.size(); i++) names.push_back(symbolize(raw.tgid, frames[i], i > 0));
  if (names.empty() && raw.ip) names.push_back(symbolize(raw.tgid, raw.ip, false));
  return names;
}

uint32_t StackSymbolizer::map_depth(int32_t id) {
  uint64_t ips[FXS_MAX_STACK_DEPTH] = {};
  uint32_t key = uint32_t(id);
  if (id < 0 || bpf_map_lookup_elem(map_fd_, &key, ips) != 0) return 0;
  uint32_t n = 0;
  while (n < FXS_MAX_STACK_DEPTH && ips[n]) n++;
  return n;
}

bool StackSymbolizer::take_raw_stack(const void* data, size_t size) {
  const auto* hdr = static_cast<const fxs_rec_hdr*>(data);
  if (hdr->type != FXS_REC_USTACK_RAW) return false;
  if (size < sizeof(fxs_ustack_raw_rec)) return true;  // cut short: nothing to unwind
  // Read through an aligned copy: the sink hands records over as bytes.
  raw_.resize(sizeof(fxs_ustack_raw_rec));
  std::memcpy(raw_.data(), data, sizeof(fxs_ustack_raw_rec));
  const auto& raw = *reinterpret_cast<const fxs_ustack_raw_rec*>(raw_.data());
  std::vector<uint64_t> frames = unwind(raw.tgid, raw);
  // A walk that ended in code no module covers: a library loaded since the
  // mappings were read (dlopen)? Re-read them and walk again, at most once a
  // second per process (code that is in no file, a JIT's, would ask every time).
  Dwfl* d = dwfl_for(raw.tgid);
  if (d && !frames.empty() && !dwfl_addrmodule(d, Dwarf_Addr(frames.back() - (frames.size() > 1 ? 1 : 0))) &&
      refresh_if_due(raw.tgid, std::chrono::seconds(1)))
    frames = unwind(raw.tgid, raw);
  pending_[raw.tid] = {raw.enter_ns, std::move(frames)};
  return true;
}

const void* StackSymbolizer::with_dwarf_stack(const void* data, size_t size) {
  const auto* hdr = static_cast<const fxs_rec_hdr*>(data);
  if (pending_.empty() || hdr->type != FXS_REC_FUTEX || size < sizeof(fxs_futex_rec)) return data;
  fxs_futex_rec r;
  std::memcpy(&r, data, sizeof(r));
  auto it = pending_.find(r.tid);
  if (it == pending_.end()) return data;
  auto [enter_ns, frames] = std::move(it->second);
  pending_.erase(it);
  // Only where the DWARF walk went deeper than the frame-pointer one.
  if (enter_ns != r.enter_ns || frames.size() <= map_depth(r.ustack_id)) return data;
  auto [at, added] = dwarf_ids_.try_emplace({r.tgid, std::move(frames)}, 0);
  if (added) {
    at->second = kDwarfStackIds + int32_t(dwarf_stacks_.size());
    dwarf_stacks_.push_back(&*at);
  }
  r.ustack_id = at->second;
  dwarf_used_++;
  rewritten_.assign(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size);
  std::memcpy(rewritten_.data(), &r, sizeof(r));
  return rewritten_.data();
}

Status StackSymbolizer::on_record(const void* data, size_t size, TraceWriter& w) {
  const auto* hdr = static_cast<const fxs_rec_hdr*>(data);
  if (size >= sizeof(fxs_task_rec) && hdr->type == FXS_REC_TASK) {
    // A new process: read its mappings now, while it surely still runs.
    fxs_task_rec t;
    std::memcpy(&t, data, sizeof(t));
    // A thread named a second time exec'd another program (bpf: fxs_exec):
    // the modules read before are another program's. They are forgotten, and
    // read again when next needed: by then the new program's libraries are
    // loaded too (at exec only the program and ld.so are). The old ones stay
    // alive (names cached from them point into them) but are not used again.
    if (!threads_named_.insert(uint64_t(t.tgid) << 32 | t.tid).second) {
      execs_[t.tgid]++;
      auto it = dwfl_.find(t.tgid);
      if (it != dwfl_.end()) {
        if (it->second) retired_.push_back(it->second);
        dwfl_.erase(it);
      }
      return {};
    }
    dwfl_for(t.tgid);
    return {};
  }
  if (size < sizeof(fxs_futex_rec) || hdr->type != FXS_REC_FUTEX) return {};
  fxs_futex_rec r;
  std::memcpy(&r, data, sizeof(r));
  if (r.ustack_id < 0) return {};
  if (!seen_.insert((uint64_t(r.tgid) << 32) | uint32_t(r.ustack_id)).second) return {};
  if (r.ustack_id >= kDwarfStackIds) {
    const auto& frames = dwarf_stacks_[size_t(r.ustack_id - kDwarfStackIds)]->first.second;
    return write_stack(r.tgid, r.ustack_id, frames.data(), uint32_t(frames.size()), w);
  }

  uint64_t ips[FXS_MAX_STACK_DEPTH] = {};
  uint32_t id = uint32_t(r.ustack_id);
  if (bpf_map_lookup_elem(map_fd_, &id, ips) != 0) return {};  // evicted: the record keeps its id
  uint32_t n = 0;
  while (n < FXS_MAX_STACK_DEPTH && ips[n]) n++;
  return write_stack(r.tgid, r.ustack_id, ips, n, w);
}

Status StackSymbolizer::write_stack(uint32_t tgid, int32_t id, const uint64_t* ips, uint32_t n, TraceWriter& w) {
  std::string names, caller;
  refreshed_ = false;
  for (uint32_t i = 0; i < n; i++) {
    bool own = false;
    std::string frame = symbolize_frame(tgid, ips[i], i > 0, &own);
    if (own && caller.empty()) caller = function_name(frame);
    names += frame;
    names.push_back('\0');
  }
  if (!caller.empty()) {
    if (callers_.size() >= kMaxCallers) callers_.clear();
    callers_[uint64_t(tgid) << 32 | uint32_t(id)] = std::move(caller);
  }
  size_t total = sizeof(fxs_stack_rec) + n * sizeof(uint64_t) + names.size();
  total = (total + 7) & ~size_t(7);
  if (total > 0xffff) return {};  // cannot be described by hdr.size: leave it unsymbolized
  buf_.assign(total, 0);
  fxs_stack_rec s{};
  s.hdr = {FXS_REC_STACK, uint16_t(total), 0};
  s.tgid = tgid;
  s.stack_id = id;
  s.nframes = n;
  std::memcpy(buf_.data(), &s, sizeof(s));
  std::memcpy(buf_.data() + sizeof(s), ips, n * sizeof(uint64_t));
  std::memcpy(buf_.data() + sizeof(s) + n * sizeof(uint64_t), names.data(), names.size());
  written_++;
  return w.append(buf_.data(), buf_.size());
}

}  // namespace fxs

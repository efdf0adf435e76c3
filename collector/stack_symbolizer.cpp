#include "collector/stack_symbolizer.h"

#include <bpf/bpf.h>
#include <elfutils/libdwfl.h>
#include <inttypes.h>

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

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
}

Dwfl* StackSymbolizer::dwfl_for(uint32_t pid) {
  auto it = dwfl_.find(pid);
  if (it != dwfl_.end()) return it->second;
  Dwfl* d = dwfl_begin(&kProcCallbacks);
  // A process that already exited cannot be read: its stacks keep raw addresses.
  if (d && (dwfl_linux_proc_report(d, pid_t(pid)) != 0 || dwfl_report_end(d, nullptr, nullptr) != 0)) {
    dwfl_end(d);
    d = nullptr;
  }
  dwfl_[pid] = d;
  return d;
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

std::string StackSymbolizer::symbolize(uint32_t pid, uint64_t ip, bool return_address) {
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

Status StackSymbolizer::on_record(const void* data, size_t size, TraceWriter& w) {
  const auto* hdr = static_cast<const fxs_rec_hdr*>(data);
  if (size >= sizeof(fxs_task_rec) && hdr->type == FXS_REC_TASK) {
    // A new process: read its mappings now, while it surely still runs.
    fxs_task_rec t;
    std::memcpy(&t, data, sizeof(t));
    dwfl_for(t.tgid);
    return {};
  }
  if (size < sizeof(fxs_futex_rec) || hdr->type != FXS_REC_FUTEX) return {};
  fxs_futex_rec r;
  std::memcpy(&r, data, sizeof(r));
  if (r.ustack_id < 0) return {};
  if (!seen_.insert((uint64_t(r.tgid) << 32) | uint32_t(r.ustack_id)).second) return {};

  uint64_t ips[FXS_MAX_STACK_DEPTH] = {};
  uint32_t id = uint32_t(r.ustack_id);
  if (bpf_map_lookup_elem(map_fd_, &id, ips) != 0) return {};  // evicted: the record keeps its id
  uint32_t n = 0;
  while (n < FXS_MAX_STACK_DEPTH && ips[n]) n++;

  std::string names;
  refreshed_ = false;
  for (uint32_t i = 0; i < n; i++) {
    names += symbolize(r.tgid, ips[i], i > 0);
    names.push_back('\0');
  }
  size_t total = sizeof(fxs_stack_rec) + n * sizeof(uint64_t) + names.size();
  total = (total + 7) & ~size_t(7);
  if (total > 0xffff) return {};  // cannot be described by hdr.size: leave it unsymbolized
  buf_.assign(total, 0);
  fxs_stack_rec s{};
  s.hdr = {FXS_REC_STACK, uint16_t(total), 0};
  s.tgid = r.tgid;
  s.stack_id = r.ustack_id;
  s.nframes = n;
  std::memcpy(buf_.data(), &s, sizeof(s));
  std::memcpy(buf_.data() + sizeof(s), ips, n * sizeof(uint64_t));
  std::memcpy(buf_.data() + sizeof(s) + n * sizeof(uint64_t), names.data(), names.size());
  written_++;
  return w.append(buf_.data(), buf_.size());
}

}  // namespace fxs

#include "collector/futex_namer.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <inttypes.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cstddef>
#include <vector>

#include "bpf/trace_abi.h"
#include "collector/proc_maps.h"
#include "collector/record_addresses.h"
#include "collector/stack_symbolizer.h"
#include "replay/trace_writer.h"

namespace fxs {
namespace {

constexpr size_t kMaxNameBytes = 400;
constexpr int kMaxDepth = 12;  // member levels followed

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%" PRIx64, v);
  return b;
}

std::string demangled(const char* name) {
  int status = -1;
  char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string out = status == 0 && d ? d : name;
  std::free(d);
  return out;
}

// The address a variable DIE's location names (a single DW_OP_addr), or 0.
uint64_t static_address(Dwarf_Die* var) {
  Dwarf_Attribute attr;
  Dwarf_Op* ops = nullptr;
  size_t n = 0;
  if (!dwarf_attr(var, DW_AT_location, &attr) || dwarf_getlocation(&attr, &ops, &n) != 0 || n != 1) return 0;
  return ops[0].atom == DW_OP_addr ? ops[0].number : 0;
}

// Every variable with a static address under `die` (namespaces, functions'
// static locals, blocks): address -> DIE offset.
void index_variables(Dwarf_Die* die, std::map<uint64_t, uint64_t>& out, int depth) {
  Dwarf_Die child;
  if (depth > 8 || dwarf_child(die, &child) != 0) return;
  do {
    switch (dwarf_tag(&child)) {
      case DW_TAG_variable:
        if (uint64_t a = static_address(&child)) out.emplace(a, dwarf_dieoffset(&child));
        break;
      case DW_TAG_namespace:
      case DW_TAG_subprogram:
      case DW_TAG_lexical_block:
        index_variables(&child, out, depth + 1);
        break;
      default:
        break;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
}

// A named object whose words belong together: the path ends there.
bool is_opaque(const char* type_name) {
  if (!type_name) return false;
  return std::strncmp(type_name, "pthread_", 8) == 0 || std::strcmp(type_name, "sem_t") == 0 ||
         std::strncmp(type_name, "std::", 5) == 0 || std::strncmp(type_name, "atomic", 6) == 0 ||
         std::strncmp(type_name, "__atomic", 8) == 0 || std::strcmp(type_name, "mutex") == 0 ||
         std::strcmp(type_name, "condition_variable") == 0;
}

// "/usr/lib/x/libfoo.so" -> "libfoo.so"
std::string base_name(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// "[heap]", "[stack]", "file+0xoff", "[anon]" for `addr` in mapping `m`.
std::string mapping_text(const Mapping& m, uint64_t addr) {
  if (m.path.empty()) return "[anon]";
  if (m.path[0] == '[') return m.path;
  return base_name(m.path) + "+" + hex(addr - m.start + m.offset);
}

}  // namespace

void FutexNamer::remember_mappings(uint32_t pid, std::chrono::steady_clock::duration every) {
  const auto now = std::chrono::steady_clock::now();
  auto it = mappings_.find(pid);
  if (it != mappings_.end() && it->second.execs == modules_.execs(pid) && now - it->second.read_at < every) return;
  std::optional<std::vector<Mapping>> maps = read_mappings(pid);
  if (!maps || maps->empty()) return;  // gone (a zombie has none): keep what was read
  if (it == mappings_.end()) {
    // Bounded: past this many processes (a system-wide recording of many
    // short ones), start afresh; a word first used at exit may go unnamed.
    if (mappings_.size() >= kMaxMappingSets) mappings_.clear();
    it = mappings_.try_emplace(pid).first;
  }
  it->second = {modules_.execs(pid), now, std::move(*maps)};
}

std::string FutexNamer::mapping_name(uint32_t pid, uint64_t uaddr, uint32_t execs) {
  // The process's mappings read for `execs`'s program, or nullptr (another program's).
  auto known = [&]() -> const Mapping* {
    auto it = mappings_.find(pid);
    return it == mappings_.end() || it->second.execs != execs ? nullptr : mapping_in(it->second.maps, uaddr);
  };
  remember_mappings(pid, kMappingsEvery);  // read now, if due, while it may still run
  const Mapping* m = known();
  if (!m) {
    // Mapped since they were read? Read them again, if it still runs.
    remember_mappings(pid, std::chrono::milliseconds(1));
    m = known();
  }
  return m ? mapping_text(*m, uaddr) : std::string();
}

const std::map<uint64_t, uint64_t>& FutexNamer::variables_of(Dwfl_Module* m) {
  auto [it, fresh] = variables_.try_emplace(m);
  if (!fresh) return it->second;
  Dwarf_Addr bias = 0;
  Dwarf* dw = dwfl_module_getdwarf(m, &bias);
  if (!dw) return it->second;
  Dwarf_Off off = 0, next = 0;
  size_t header = 0, units = 0;
  while (dwarf_nextcu(dw, off, &next, &header, nullptr, nullptr, nullptr) == 0 && ++units <= kMaxIndexedUnits) {
    Dwarf_Die cu;
    if (dwarf_offdie(dw, off + header, &cu)) index_variables(&cu, it->second, 0);
    off = next;
  }
  return it->second;
}

bool FutexNamer::member_path(Dwfl_Module* m, uint64_t var_addr, uint64_t off, std::string& path) {
  const auto& vars = variables_of(m);
  auto v = vars.find(var_addr);
  if (v == vars.end()) return false;
  Dwarf_Addr bias = 0;
  Dwarf* dw = dwfl_module_getdwarf(m, &bias);
  Dwarf_Die var, type;
  Dwarf_Attribute attr;
  if (!dw || !dwarf_offdie(dw, v->second, &var) || !dwarf_attr_integrate(&var, DW_AT_type, &attr) ||
      !dwarf_formref_die(&attr, &type))
    return false;
  for (int depth = 0; depth < kMaxDepth; depth++) {
    Dwarf_Die peeled;
    // pthread_cond_t, std::mutex: one object, whose words share its name.
    if (is_opaque(dwarf_diename(&type)) || dwarf_peel_type(&type, &peeled) != 0 ||
        is_opaque(dwarf_diename(&peeled)))
      return true;
    Dwarf_Word size = 0;
    if (dwarf_aggregate_size(&peeled, &size) != 0 || size <= 8) break;  // the word itself
    const int tag = dwarf_tag(&peeled);
    bool found = false;
    Dwarf_Die member;
    if ((tag == DW_TAG_structure_type || tag == DW_TAG_class_type || tag == DW_TAG_union_type) &&
        dwarf_child(&peeled, &member) == 0) {
      do {
        if (dwarf_tag(&member) != DW_TAG_member) continue;
        Dwarf_Word moff = 0, msize = 0;
        Dwarf_Attribute loc;
        if (dwarf_attr(&member, DW_AT_data_member_location, &loc) && dwarf_formudata(&loc, &moff) != 0) continue;
        Dwarf_Die mtype;
        if (!dwarf_attr_integrate(&member, DW_AT_type, &attr) || !dwarf_formref_die(&attr, &mtype) ||
            dwarf_aggregate_size(&mtype, &msize) != 0)
          continue;
        if (off < moff || off >= moff + msize) continue;
        const char* name = dwarf_diename(&member);
        if (name) path += std::string(".") + name;  // an anonymous struct or union adds no name
        off -= moff;
        type = mtype;
        found = true;
        break;
      } while (dwarf_siblingof(&member, &member) == 0);
    } else if (tag == DW_TAG_array_type && dwarf_attr_integrate(&peeled, DW_AT_type, &attr) &&
               dwarf_formref_die(&attr, &member)) {
      Dwarf_Word esize = 0;
      if (dwarf_aggregate_size(&member, &esize) == 0 && esize > 0) {
        path += "[" + std::to_string(off / esize) + "]";
        off %= esize;
        type = member;
        found = true;
      }
    }
    if (!found) break;
  }
  if (off) path += "+" + hex(off);
  return true;
}

FutexNamer::Name FutexNamer::name(uint32_t pid, uint64_t uaddr, Dwfl* d, uint32_t execs) {
  Name out;
  Dwfl_Module* m = d ? dwfl_addrmodule(d, Dwarf_Addr(uaddr)) : nullptr;
  // In none of the modules of the program that ran when the address was
  // seen, it may be the next program's: the rings are drained CPU by CPU, so
  // a record of the new program can come before its exec's. Try those.
  if (!m) {
    Dwfl* current = modules_.dwfl_for(pid);
    if (current && current != d) {
      d = current;
      m = dwfl_addrmodule(d, Dwarf_Addr(uaddr));
    }
  }
  // Not in the modules read so far: a library loaded since. Re-read them if
  // they are still the process's current ones (no exec since).
  if (!m && d && d == modules_.dwfl_for(pid) && modules_.refresh_if_due(pid, kModulesRereadEvery))
    m = dwfl_addrmodule(d, Dwarf_Addr(uaddr));
  if (m) {
    GElf_Off off = 0;
    GElf_Sym sym;
    const char* s = dwfl_module_addrinfo(m, Dwarf_Addr(uaddr), &off, &sym, nullptr, nullptr, nullptr);
    const int type = s ? GELF_ST_TYPE(sym.st_info) : STT_NOTYPE;
    if (s && (type == STT_OBJECT || type == STT_TLS || type == STT_COMMON) && (sym.st_size == 0 || off < sym.st_size)) {
      out.text = demangled(s);
      std::string path;
      // The variable's address as DWARF names it: the module's, without the load bias.
      Dwarf_Addr dwarf_bias = 0;
      if (dwfl_module_getdwarf(m, &dwarf_bias) && member_path(m, uaddr - off - dwarf_bias, off, path)) {
        out.text += path;
        out.source = FXS_NAME_DWARF;
      } else {
        if (off) out.text += "+" + hex(off);
        out.source = FXS_NAME_SYMBOL;
      }
    }
  }
  if (out.text.empty()) {
    out.text = mapping_name(pid, uaddr, execs);
    if (!out.text.empty()) out.source = FXS_NAME_MAPPING;
  }
  if (out.text.size() > kMaxNameBytes) out.text.resize(kMaxNameBytes);
  return out;
}

void FutexNamer::note(uint32_t tgid, uint64_t uaddr) {
  if (!uaddr || seen_.size() >= kMaxNames) return;
  bool fresh = false;
  seen_.find_or_add(tgid, uaddr, &fresh);
  if (!fresh) return;
  named_.push_back(false);
  Dwfl* d = modules_.dwfl_for(tgid);
  // An address no module holds yet: a library loaded since the modules were
  // read (after an exec, they may be read before ld.so loaded the rest).
  // Re-read them now, while the process surely runs.
  if (d && !dwfl_addrmodule(d, Dwarf_Addr(uaddr))) modules_.refresh_if_due(tgid, kModulesRereadEvery);
  pending_.push_back({tgid, uaddr, d, modules_.execs(tgid)});
}

void FutexNamer::on_record(const void* data, size_t size) {
  fxs_rec_hdr h;
  if (size >= sizeof(fxs_task_rec)) {
    std::memcpy(&h, data, sizeof(h));
    if (h.type == FXS_REC_TASK) {
      // A new thread (or program): its mappings now, while it surely runs,
      // for the words its process first uses as it exits.
      fxs_task_rec t;
      std::memcpy(&t, data, sizeof(t));
      remember_mappings(t.tgid, kMappingsEvery);
      return;
    }
  }
  if (size < sizeof(fxs_futex_rec)) return;
  std::memcpy(&h, data, sizeof(h));
  if (h.type != FXS_REC_FUTEX) return;
  fxs_futex_rec r;
  std::memcpy(&r, data, sizeof(r));
  if (r.ustack_id < 0 || !r.uaddr) return;
  if (const std::string* caller = modules_.caller_of(r.tgid, r.ustack_id)) caller_seen(PairKey{r.tgid, r.uaddr}, *caller);
}

void FutexNamer::caller_seen(const PairKey& key, const std::string& caller) {
  const uint32_t i = seen_.find(uint32_t(key.a), key.b);
  if (i == FutexIndex::kNone) return;
  if (!named_[i]) {  // not named yet: step() will use it
    early_callers_.try_emplace(key, caller);
    return;
  }
  auto mapping = mapping_of_.find(key);  // named by its mapping, waiting for a caller
  if (mapping == mapping_of_.end()) return;
  renames_.push_back({key, with_caller(mapping->second, caller)});
  mapping_of_.erase(mapping);
}

FutexNamer::Name FutexNamer::with_caller(const std::string& mapping, const std::string& caller) {
  Name n{mapping + " in " + caller, FXS_NAME_MAPPING_CALLER};
  if (n.text.size() > kMaxNameBytes) n.text.resize(kMaxNameBytes);
  return n;
}

Status FutexNamer::write_name(uint32_t tgid, uint64_t uaddr, const Name& n, TraceWriter& w) {
  const size_t bytes = (sizeof(fxs_futex_name_rec) + n.text.size() + 1 + 7) & ~size_t{7};
  std::vector<uint8_t> buf(bytes, 0);
  fxs_futex_name_rec r{};
  r.hdr = {FXS_REC_FUTEX_NAME, uint16_t(bytes), 0};
  r.tgid = tgid;
  r.source = n.source;
  r.uaddr = uaddr;
  std::memcpy(buf.data(), &r, sizeof r);
  std::memcpy(buf.data() + sizeof r, n.text.data(), n.text.size());
  Status st = w.append(buf.data(), buf.size());
  if (st.ok()) written_++;
  return st;
}

Status FutexNamer::step(TraceWriter& w, size_t budget, std::chrono::steady_clock::duration time) {
  size_t done = 0;
  Status st;
  const auto start = std::chrono::steady_clock::now();
  for (; done < pending_.size() && done < budget && st.ok(); done++) {
    // The clock every 16 names: a lookup takes microseconds.
    if (done % 16 == 15 && std::chrono::steady_clock::now() - start >= time) break;
    const auto [tgid, uaddr, modules, execs] = pending_[done];
    const PairKey key{tgid, uaddr};
    Name n = name(tgid, uaddr, modules ? modules : modules_.dwfl_for(tgid), execs);
    auto early = early_callers_.find(key);
    // A heap word: with the function of a stack on it, now or when one comes.
    if (n.source == FXS_NAME_MAPPING && !n.text.empty() && n.text[0] == '[') {
      if (early != early_callers_.end())
        n = with_caller(n.text, early->second);
      else
        mapping_of_[key] = n.text;
    }
    if (early != early_callers_.end()) early_callers_.erase(early);
    if (const uint32_t i = seen_.find(tgid, uaddr); i != FutexIndex::kNone) named_[i] = true;
    if (!n.text.empty()) st = write_name(tgid, uaddr, n, w);
  }
  pending_.erase(pending_.begin(), pending_.begin() + ptrdiff_t(done));
  for (size_t i = 0; i < renames_.size() && st.ok(); i++)
    st = write_name(uint32_t(renames_[i].first.a), renames_[i].first.b, renames_[i].second, w);
  renames_.clear();
  return st;
}

}  // namespace fxs

#include "collector/rseq_session.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cxxabi.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <vector>

#include "collector/kernel_facts.h"
#include "collector/machine_info.h"
#include "collector/proc_maps.h"
#include "replay/trace_writer.h"
#include "rseq.skel.h"

namespace fxs {
namespace {

// Aborts stream even in --summary (they are bounded by context switches and
// signals); 8 MiB holds 130k abort records between two drains (100 ms apart).
constexpr uint32_t kRingBytes = 8u << 20;
constexpr uint32_t kSummaryRingBytes = 1u << 20;
constexpr uint32_t kThreadEntries = 65536;  // live traced threads; exits free their entry

Error bpf_error(const std::string& what, int err) {
  err = err < 0 ? -err : err;
  std::string msg = errno_message(what, err);
  if (err == EPERM || err == EACCES) msg += " (run as root, or grant CAP_BPF and CAP_PERFMON)";
  return Error{msg};
}

bool exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

}  // namespace

RseqSession::RseqSession() : symbols_(std::make_unique<SymbolResolver>()) {}

RseqSession::~RseqSession() {
  if (ring_) ring_buffer__free(ring_);
  if (skel_) rseq_bpf::destroy(skel_);
}

Result<std::unique_ptr<RseqSession>> RseqSession::start(const SessionConfig& cfg, const KernelFacts& kernel,
                                                         RecordSink sink) {
  if (!kernel.tp_rseq)
    return Error{kernel.tracefs_events.empty() && !kernel.btf
                     ? "no tracefs and no kernel BTF to look the rseq tracepoints up"
                     : "this kernel has no rseq:rseq_update/rseq_ip_fixup tracepoints (CONFIG_RSEQ off?)"};
  std::unique_ptr<RseqSession> s(new RseqSession());
  s->sink_ = sink;
  s->ncpus_ = libbpf_num_possible_cpus();
  if (s->ncpus_ <= 0) return bpf_error("count possible CPUs", s->ncpus_);
  s->skel_ = rseq_bpf::open();
  if (!s->skel_) return bpf_error("open the rseq BPF object", errno);
  auto* ro = s->skel_->rodata;
  ro->filter_tgid = cfg.filter_tgid;
  ro->target_tgid = cfg.target_tgid;
  ro->follow_children = cfg.follow_children;
  ro->self_tgid = static_cast<uint32_t>(getpid());
  ro->switch_has_prev_state = kernel.switch_has_prev_state;
  int err = bpf_map__set_max_entries(s->skel_->maps.rseq_events,
                                     cfg.summary ? kSummaryRingBytes : kRingBytes);
  if (!err) err = bpf_map__set_max_entries(s->skel_->maps.rseq_threads, kThreadEntries);
  if (err) return bpf_error("size the rseq BPF maps", err);
  bpf_program__set_autoload(s->skel_->progs.fxs_rseq_fork, cfg.follow_children);
  err = rseq_bpf::load(s->skel_);
  if (err) return bpf_error("load the rseq BPF programs", err);
  err = rseq_bpf::attach(s->skel_);
  if (err) return bpf_error("attach the rseq BPF programs", err);
  s->ring_ = ring_buffer__new(bpf_map__fd(s->skel_->maps.rseq_events), &RseqSession::on_record,
                              s.get(), nullptr);
  if (!s->ring_) return bpf_error("create the rseq ring buffer reader", errno);
  return s;
}

SessionConfig::RseqMaps RseqSession::maps() const {
  return {bpf_map__fd(skel_->maps.rseq_events), bpf_map__fd(skel_->maps.rseq_threads),
          bpf_map__fd(skel_->maps.rseq_counters)};
}

std::unique_ptr<RseqSession> RseqSession::start_or_note(const SessionConfig& cfg, const KernelFacts& kernel,
                                                        RecordSink sink) {
  // FXS_NO_RSEQ=1: futex capture only (benchmarks isolate the rseq programs' cost with it).
  if (const char* off = getenv("FXS_NO_RSEQ"); off && *off && std::strcmp(off, "0") != 0) return nullptr;
  auto s = start(cfg, kernel, std::move(sink));
  if (s) return std::move(s.value());
  std::fprintf(stderr, "futexscope: rseq not captured: %s\n", s.message().c_str());
  return nullptr;
}

int RseqSession::on_record(void* ctx, void* data, size_t size) {
  auto* self = static_cast<RseqSession*>(ctx);
  auto* h = static_cast<const fxs_rec_hdr*>(data);
  if (size >= sizeof(fxs_rseq_abort_rec) && h->type == FXS_REC_RSEQ_ABORT) {
    fxs_rseq_abort_rec r;
    std::memcpy(&r, data, sizeof(r));
    self->note_symbol(r);
  }
  return self->sink_ ? self->sink_(data, size) : 0;
}

// The first abort of a (process, critical section): name the section while
// the process is alive. The symbol record precedes the abort in the trace.
void RseqSession::note_symbol(const fxs_rseq_abort_rec& r) {
  std::string key(reinterpret_cast<const char*>(&r.tgid), 4);
  key.append(reinterpret_cast<const char*>(&r.start_ip), 8);
  if (!sections_seen_.insert(key).second) return;
  SymbolResolver::Symbol sym;
  if (!symbols_->resolve(r.tgid, r.start_ip, sym) || !sink_) return;
  size_t name_len = std::min<size_t>(sym.name.size(), 4000);
  size_t size = (sizeof(fxs_rseq_sym_rec) + name_len + 1 + 7) & ~size_t{7};
  std::vector<uint8_t> buf(size, 0);
  fxs_rseq_sym_rec s{};
  s.hdr = {FXS_REC_RSEQ_SYM, uint16_t(size), 0};
  s.tgid = r.tgid;
  s.start_ip = r.start_ip;
  s.offset = sym.offset;
  std::memcpy(buf.data(), &s, sizeof(s));
  std::memcpy(buf.data() + sizeof(s), sym.name.data(), name_len);
  sink_(buf.data(), buf.size());
}

int RseqSession::consume() {
  int n = ring_buffer__consume(ring_);
  return n < 0 ? 0 : n;  // a sink that stopped (write error) reports through the sink's owner
}

std::array<uint64_t, FXS_RSEQ_NR_COUNTERS> RseqSession::counters() const {
  std::array<uint64_t, FXS_RSEQ_NR_COUNTERS> out{};
  std::vector<uint64_t> percpu(ncpus_);
  int fd = bpf_map__fd(skel_->maps.rseq_counters);
  for (uint32_t i = 0; i < FXS_RSEQ_NR_COUNTERS; i++) {
    if (bpf_map_lookup_elem(fd, &i, percpu.data())) continue;
    for (uint64_t v : percpu) out[i] += v;
  }
  return out;
}

Status RseqSession::write_counts(TraceWriter& w, bool final) {
  const uint64_t now = monotonic_ns();
  int fd = bpf_map__fd(skel_->maps.rseq_threads);
  // The map value is struct thread_val of rseq.bpf.c: fxs_rseq_counts, then private state.
  std::vector<uint8_t> val(bpf_map__value_size(skel_->maps.rseq_threads));
  if (val.size() < sizeof(fxs_rseq_counts)) return Error{"rseq thread map value too small"};
  uint64_t key = 0, next = 0;
  const void* prev = nullptr;
  Status st;
  while (st.ok() && bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    if (bpf_map_lookup_elem(fd, &key, val.data()) != 0) continue;  // exited meanwhile
    fxs_rseq_thread_rec r{};
    r.hdr = {FXS_REC_RSEQ_THREAD, sizeof(r), 0};
    r.ts_ns = now;
    r.tgid = uint32_t(key >> 32);
    r.tid = uint32_t(key);
    std::memcpy(&r.c, val.data(), sizeof(r.c));
    auto [it, fresh] = last_counts_.try_emplace(key, r.c);
    if (!fresh && std::memcmp(&it->second, &r.c, sizeof(r.c)) == 0) continue;
    it->second = r.c;
    st = w.append(&r, sizeof(r));
  }
  if (!st.ok()) return st;
  auto c = counters();
  if (!final && wrote_stats_ && c == last_counters_) return {};
  fxs_rseq_stats_rec s{};
  s.hdr = {FXS_REC_RSEQ_STATS, sizeof(s), 0};
  s.ts_ns = now;
  for (int i = 0; i < FXS_RSEQ_NR_COUNTERS; i++) s.counters[i] = c[i];
  last_counters_ = c;
  wrote_stats_ = true;
  return w.append(&s, sizeof(s));
}

// ---- symbols ------------------------------------------------------------------

struct SymbolResolver::File {
  struct Sym {
    uint64_t addr, size;
    bool sized;  // a function or object with a size (else a label: exact matches only)
    std::string name;
  };
  struct Load {
    uint64_t offset, filesz, vaddr;
  };
  std::vector<Sym> syms;  // sorted by address
  std::vector<Load> loads;
};

SymbolResolver::SymbolResolver() { elf_version(EV_CURRENT); }
SymbolResolver::~SymbolResolver() = default;

namespace {

std::string demangle(const char* name) {
  if (std::strncmp(name, "_Z", 2) != 0) return name;
  int status = 0;
  char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string out = status == 0 && d ? d : name;
  std::free(d);
  return out;
}

}  // namespace

const SymbolResolver::File* SymbolResolver::load(const std::string& path) {
  auto it = files_.find(path);
  if (it != files_.end()) return it->second.get();
  auto f = std::make_unique<File>();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (Elf* e = elf_begin(fd, ELF_C_READ, nullptr)) {
      size_t nph = 0;
      if (elf_getphdrnum(e, &nph) == 0)
        for (size_t i = 0; i < nph; i++) {
          GElf_Phdr ph;
          if (gelf_getphdr(e, int(i), &ph) && ph.p_type == PT_LOAD)
            f->loads.push_back({ph.p_offset, ph.p_filesz, ph.p_vaddr});
        }
      for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(e, scn));) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM)) continue;
        Elf_Data* data = elf_getdata(scn, nullptr);
        size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
        for (size_t i = 0; data && i < n; i++) {
          GElf_Sym s;
          if (!gelf_getsym(data, int(i), &s) || s.st_shndx == SHN_UNDEF || s.st_value == 0) continue;
          int type = GELF_ST_TYPE(s.st_info);
          if (type != STT_FUNC && type != STT_NOTYPE && type != STT_OBJECT) continue;
          const char* name = elf_strptr(e, sh.sh_link, s.st_name);
          if (!name || !*name || name[0] == '.' || (name[0] == '$')) continue;
          f->syms.push_back({s.st_value, s.st_size, type != STT_NOTYPE && s.st_size > 0, demangle(name)});
        }
      }
      elf_end(e);
    }
    close(fd);
  }
  std::sort(f->syms.begin(), f->syms.end(),
            [](const File::Sym& a, const File::Sym& b) { return a.addr < b.addr; });
  return (files_[path] = std::move(f)).get();
}

bool SymbolResolver::resolve(uint32_t pid, uint64_t ip, Symbol& out) {
  const std::optional<Mapping> m = mapping_holding(pid, ip);
  if (!m) return false;
  const uint64_t start = m->start, end = m->end, off = m->offset;
  const std::string& path = m->path;
  if (path.empty() || path[0] != '/') return false;  // anonymous, [vdso], ...
  // map_files reaches the mapped file even from another mount namespace.
  char mf[96];
  std::snprintf(mf, sizeof(mf), "/proc/%u/map_files/%" PRIx64 "-%" PRIx64, pid, start, end);
  const File* f = load(exists(mf) ? std::string(mf) : path);
  uint64_t file_off = ip - start + off;
  uint64_t vaddr = 0;
  bool found = false;
  for (const auto& l : f->loads)
    if (file_off >= l.offset && file_off < l.offset + l.filesz) {
      vaddr = file_off - l.offset + l.vaddr;
      found = true;
      break;
    }
  if (!found) return false;
  // A label exactly at the address wins (an asm critical section's own
  // name), else the sized symbol that contains it.
  auto hi = std::upper_bound(f->syms.begin(), f->syms.end(), vaddr,
                             [](uint64_t v, const File::Sym& s) { return v < s.addr; });
  const File::Sym* best = nullptr;
  for (auto it = hi; it != f->syms.begin();) {
    --it;
    if (it->addr == vaddr && !it->sized) {
      best = &*it;
      break;
    }
    if (it->sized && vaddr < it->addr + it->size && !best) best = &*it;
    if (it->addr + (1u << 20) < vaddr) break;  // far enough: nothing above can contain it
  }
  if (!best) return false;
  out.name = best->name;
  out.offset = vaddr - best->addr;
  return true;
}

}  // namespace fxs

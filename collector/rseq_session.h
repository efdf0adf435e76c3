// The rseq capture (bpf/rseq.bpf.c): open -> configure -> load -> attach ->
// drain -> destroy, next to the futex BpfSession and into the same trace.
// Owns its skeleton and ring buffer (RAII). docs/rseq-umcg.md explains the
// records; the recorder drives it with a few calls:
//
//   auto rseq = RseqSession::start_or_note(cfg, kernel_facts(), sink);  // nullptr + one stderr note if impossible
//   rseq->consume();              // every loop iteration: aborts, registrations, exited threads
//   rseq->write_counts(w, final); // once a second and before the stop record
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "bpf/trace_abi.h"
#include "collector/bpf_session.h"  // SessionConfig, RecordSink
#include "replay/error.h"

struct rseq_bpf;
struct ring_buffer;

namespace fxs {

class TraceWriter;
class SymbolResolver;
struct KernelFacts;

class RseqSession {
 public:
  // Opens, configures (target tgid, follow children, as the futex session),
  // loads and attaches. Records go to `sink`, like the futex session's.
  // rseq(2) registrations come from the futex session's sys_exit program,
  // given maps() before it loads.
  static Result<std::unique_ptr<RseqSession>> start(const SessionConfig& cfg, const KernelFacts& kernel,
                                                    RecordSink sink);
  // The maps the futex session's programs write registrations into.
  SessionConfig::RseqMaps maps() const;
  // start(), or nullptr after one line on stderr: "futexscope: rseq not captured: <reason>".
  // FXS_NO_RSEQ=1 in the environment: nullptr, silently (futex capture only).
  static std::unique_ptr<RseqSession> start_or_note(const SessionConfig& cfg, const KernelFacts& kernel,
                                                    RecordSink sink);
  ~RseqSession();
  RseqSession(const RseqSession&) = delete;
  RseqSession& operator=(const RseqSession&) = delete;

  // Drains what is queued now, without waiting: abort and registration
  // records, final counts of exited threads. The first abort of every
  // (process, critical section) also gets a FXS_REC_RSEQ_SYM record when the
  // symbol can be resolved (the process is still alive then). Returns the
  // number of records drained; stops early when the sink returns non-zero.
  int consume();
  // Appends a FXS_REC_RSEQ_THREAD record for every thread whose counts
  // changed since the last call, then a FXS_REC_RSEQ_STATS record (when the
  // counters changed, or always with `final`).
  Status write_counts(TraceWriter& w, bool final);
  // Sums the per-CPU failure counters (cumulative since load).
  std::array<uint64_t, FXS_RSEQ_NR_COUNTERS> counters() const;

 private:
  RseqSession();
  static int on_record(void* ctx, void* data, size_t size);
  void note_symbol(const fxs_rseq_abort_rec& r);

  rseq_bpf* skel_ = nullptr;
  ring_buffer* ring_ = nullptr;
  int ncpus_ = 1;
  RecordSink sink_;
  std::unordered_map<uint64_t, fxs_rseq_counts> last_counts_;  // by tgid << 32 | tid
  std::array<uint64_t, FXS_RSEQ_NR_COUNTERS> last_counters_{};
  bool wrote_stats_ = false;
  std::unordered_set<std::string> sections_seen_;  // (tgid, start_ip) already resolved
  std::unique_ptr<SymbolResolver> symbols_;
};

// Resolves user addresses of live processes to ELF symbols (/proc/PID/maps,
// then the mapped file's .symtab/.dynsym). Caches each file's symbols.
class SymbolResolver {
 public:
  struct Symbol {
    std::string name;     // demangled
    uint64_t offset = 0;  // address - symbol start
  };
  SymbolResolver();
  ~SymbolResolver();
  // The symbol holding `ip` in process `pid`; false when unknown.
  bool resolve(uint32_t pid, uint64_t ip, Symbol& out);

 private:
  struct File;
  std::unordered_map<std::string, std::unique_ptr<File>> files_;
  const File* load(const std::string& path);
};

}  // namespace fxs

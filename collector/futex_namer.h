// futex_namer.h: gives each futex word a name the first time a record names
// its address, while the process lives, and writes it into the trace as an
// FXS_REC_FUTEX_NAME, so a replay anywhere shows `g_pool.lock` rather than
// 0x5571aad64300.
//
// The name is the data symbol of the module that maps the address (libdwfl
// reads .symtab/.dynsym; the process's modules are those the stack
// symbolizer already reads, collector/stack_symbolizer.h), with the member
// path inside it when the module has DWARF ("g_w.herd.w",
// "_PyRuntime.ceval.gil.cond"), else "symbol+0xoff". The path stops at a
// pthread or std object, so the words of one pthread_cond_t share a name. An
// address no symbol holds is named by its mapping: "[heap]", "[stack]", or
// the mapped file; a process's mappings are kept as last read (when a thread
// of it began, or a name was looked up), so a word first used as the process
// exits (a join, a last unlock) is named after it is gone. A word in an anonymous mapping ("[heap]", "[anon]",
// "[stack]") is named again once a stack is recorded on it, with the
// program's own function in that stack: "[heap] in worker" (the first
// record names what the word is as soon as it is seen; the stack may come
// later, or never). Names are asked for at most kMaxNames addresses.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "collector/proc_maps.h"
#include "replay/error.h"
#include "replay/futex_index.h"
#include "replay/pair_key.h"

struct Dwfl;
struct Dwfl_Module;

namespace fxs {

class StackSymbolizer;
class TraceWriter;

class FutexNamer {
 public:
  static constexpr size_t kMaxNames = 262144;
  // What one step() may spend: a module's DWARF is indexed on its first name
  // (once), the rest are lookups of a few microseconds. A count alone was
  // too few when a burst of short-lived processes (a pyenv shim's) queued
  // their words first: the program that followed had exited before its turn.
  static constexpr size_t kStepBudget = 4096;
  static constexpr std::chrono::milliseconds kStepTime{5};
  // A module with more compilation units than this is named by its symbols
  // only: indexing its DWARF would hold the drain loop too long.
  static constexpr size_t kMaxIndexedUnits = 4000;
  // An address in no module re-reads the process's modules at most this
  // often (heap addresses never are in one).
  static constexpr std::chrono::milliseconds kModulesRereadEvery{100};

  explicit FutexNamer(StackSymbolizer& modules) : modules_(modules) {}

  // Notes the function of a futex call's stack (written to the trace before
  // this is called: StackSymbolizer::caller_of) for a heap word.
  void on_record(const void* data, size_t size);
  // Queues one address of process `tgid` if it is new (the recorder gives it
  // each new address of the records: collector/record_addresses.h).
  void note(uint32_t tgid, uint64_t uaddr);
  // Names up to `budget` queued addresses, for at most `time` (the drain loop
  // calls it each turn, so a process is still alive for its mapping);
  // flush() all of them.
  Status step(TraceWriter& w, size_t budget = kStepBudget,
              std::chrono::steady_clock::duration time = kStepTime);
  Status flush(TraceWriter& w) { return step(w, SIZE_MAX, std::chrono::steady_clock::duration::max()); }

  struct Name {
    std::string text;     // empty: no name
    uint32_t source = 0;  // enum fxs_futex_name_source
  };
  // What `uaddr` is in process `pid`, looked up in `modules` (those of the
  // program it ran when the address was seen: it may have exec'd since),
  // else in its mappings: the live ones, or, once it is gone, the last ones
  // read while it ran that program (`execs`: StackSymbolizer::execs then).
  Name name(uint32_t pid, uint64_t uaddr, Dwfl* modules, uint32_t execs);
  // How often a process's mappings are read for later at most: a word first
  // used as its process exits (a join, a last unlock) is named after it is
  // gone, from the mappings read when one of its threads began.
  static constexpr std::chrono::milliseconds kMappingsEvery{50};
  static constexpr size_t kMaxMappingSets = 4096;
  uint64_t names_written() const { return written_; }

 private:
  // ".member[2].word" of the variable at `var_addr` (a module address, bias
  // removed) for byte `off` inside it; false when the module has no DWARF
  // for it.
  bool member_path(Dwfl_Module* m, uint64_t var_addr, uint64_t off, std::string& path);
  // The DWARF variable at each address, per module, indexed on first use.
  const std::map<uint64_t, uint64_t>& variables_of(Dwfl_Module* m);  // address -> DIE offset

  Status write_name(uint32_t tgid, uint64_t uaddr, const Name& n, TraceWriter& w);
  // "[heap]", "[stack]", "file+0xoff", "[anon]" for the mapping holding
  // `uaddr`; empty if none is known.
  std::string mapping_name(uint32_t pid, uint64_t uaddr, uint32_t execs);
  // Reads the mappings of `pid` for later, unless they were read less than
  // `every` ago (for its current program).
  void remember_mappings(uint32_t pid, std::chrono::steady_clock::duration every);
  // "[heap] in worker", cut to the longest name a record holds.
  static Name with_caller(const std::string& mapping, const std::string& caller);
  // A stack on (tgid, uaddr) named `caller`: its name gets it if it is a heap word's.
  void caller_seen(const PairKey& key, const std::string& caller);

  StackSymbolizer& modules_;
  // (tgid, uaddr) queued once, and whether it was named yet: every record
  // names a futex, and an unordered_map's lookup was a tenth of the
  // collector's CPU (docs/BENCHMARKS.md).
  FutexIndex seen_;
  std::vector<bool> named_;  // by seen_'s index
  std::unordered_map<PairKey, std::string, PairKeyHash> early_callers_;  // not yet named, a stack came first
  std::unordered_map<PairKey, std::string, PairKeyHash> mapping_of_;     // named "[heap]", no stack on it yet
  std::vector<std::pair<PairKey, Name>> renames_;                        // written at the next step()
  struct Pending {
    uint32_t tgid;
    uint64_t uaddr;
    Dwfl* modules;  // the process's when the address was seen (StackSymbolizer keeps them alive)
    uint32_t execs;  // StackSymbolizer::execs then
  };
  // The mappings last read of each process, and of which of its programs.
  struct Mappings {
    uint32_t execs = 0;
    std::chrono::steady_clock::time_point read_at;
    std::vector<Mapping> maps;
  };
  std::unordered_map<uint32_t, Mappings> mappings_;
  std::vector<Pending> pending_;                   // queued, not named yet
  std::map<Dwfl_Module*, std::map<uint64_t, uint64_t>> variables_;
  uint64_t written_ = 0;
};

}  // namespace fxs

// Symbolizes the user stacks the BPF side stores in its stack map. The first
// time a futex record names a (tgid, stack id), the stack is read from the map,
// resolved with elfutils' libdwfl against the process's mappings, and written
// into the trace as an FXS_REC_STACK, so a trace replays with function names
// on any machine, after the process is gone. The mappings are read when the
// process's first thread record arrives (the BPF side wakes the collector for
// those at once), so that a process that exits before its stacks are drained
// still gets names; a miss later on re-reads them (dlopen) while it lives.
//
// The map's stacks come from a frame-pointer walk, which loses the callers of
// code built without frame pointers: a wait inside glibc (pthread_mutex_lock,
// pthread_cond_wait, pthread_join) names glibc and the thread's start, not
// the function that took the lock. So for the same waits the BPF side also
// sends the registers and the top of the stack (FXS_REC_USTACK_RAW, just
// before the wait's FXS_REC_FUTEX); that stack is unwound here with the DWARF
// call frame information of the process's modules (libdwfl), and when it goes
// deeper than the frame-pointer walk, the wait's record names it instead
// (a stack id from kDwarfStackIds up).
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

#include "replay/error.h"

struct Dwfl;
struct fxs_ustack_raw_rec;

namespace fxs {

class TraceWriter;

class StackSymbolizer {
 public:
  explicit StackSymbolizer(int stack_map_fd) : map_fd_(stack_map_fd) {}
  ~StackSymbolizer();
  StackSymbolizer(const StackSymbolizer&) = delete;
  StackSymbolizer& operator=(const StackSymbolizer&) = delete;

  // Looks at one ring buffer record; writes the stack record it needs first.
  Status on_record(const void* data, size_t size, TraceWriter& w);
  uint64_t stacks_written() const { return written_; }

  // An FXS_REC_USTACK_RAW: unwound now and kept for the wait's record that
  // follows; true if it was one (it is not written to the trace).
  bool take_raw_stack(const void* data, size_t size);
  // The record to write in place of `data`: a copy naming the DWARF stack
  // of its wait when that one is deeper, else `data` itself.
  const void* with_dwarf_stack(const void* data, size_t size);
  // Stack ids from here up are DWARF-unwound stacks (the map's ids are far smaller).
  static constexpr int32_t kDwarfStackIds = 1 << 30;
  uint64_t dwarf_stacks_used() const { return dwarf_used_; }

  // The named frames of a thread asleep in a system call, innermost first,
  // unwound from its registers and the stack bytes in `raw` (read by the caller).
  std::vector<std::string> name_sleeping_stack(const ::fxs_ustack_raw_rec& raw);

  // "func+0x1c", "[libc.so.6+0x8f2a0]" or "0x7f..." for one address of `pid`.
  std::string symbolize(uint32_t pid, uint64_t ip, bool return_address);

  // The program's own function in a stack written to the trace: the
  // innermost named frame outside the C and C++ runtime libraries (libc,
  // libpthread, libstdc++, libgcc_s, ld.so), "worker" rather than
  // "__futex_abstimed_wait_common"; nullptr if the stack has none or was not
  // written. What the futex names say of a heap word (collector/futex_namer.h).
  const std::string* caller_of(uint32_t tgid, int32_t stack_id) const;

  // libdw's first-use work, done now: the first search for a module's
  // DWARF loads libdebuginfod and the libraries it needs (tens of ms of
  // CPU). A recording does it before its command starts, not while it runs.
  static void load_libraries_now();

  // The modules of process `pid` (read once, kept after it exits: the
  // futex names use them too, collector/futex_namer.h), or nullptr.
  Dwfl* dwfl_for(uint32_t pid);
  // How many times process `pid` exec'd another program since it was first
  // seen (its FXS_REC_TASK records say): which program an address was seen in.
  uint32_t execs(uint32_t pid) const {
    auto it = execs_.find(pid);
    return it == execs_.end() ? 0 : it->second;
  }
  // Re-reads the mappings of a live process (libraries loaded since, or a
  // new program after exec); false if it is gone.
  bool refresh(uint32_t pid);
  // The same, unless they were re-read less than `interval` ago, for misses
  // that may never resolve (code or data in no file: a JIT's, the heap);
  // true if they were re-read now.
  bool refresh_if_due(uint32_t pid, std::chrono::steady_clock::duration interval);

 private:
  // The frames of one raw stack (innermost first: the exact ip, then return addresses).
  std::vector<uint64_t> unwind(uint32_t pid, const ::fxs_ustack_raw_rec& raw);
  // The map stack's depth, 0 if it is gone.
  uint32_t map_depth(int32_t id);
  Status write_stack(uint32_t tgid, int32_t id, const uint64_t* ips, uint32_t n, TraceWriter& w);
  // symbolize(), also saying whether the frame is the program's own (a
  // named function outside the runtime libraries), for caller_of().
  std::string symbolize_frame(uint32_t pid, uint64_t ip, bool return_address, bool* own_function);

  int map_fd_;
  std::unordered_set<uint64_t> seen_;          // (tgid << 32 | stack id)
  // The last raw stack per thread, waiting for its wait's record: (enter_ns, frames).
  std::unordered_map<uint32_t, std::pair<uint64_t, std::vector<uint64_t>>> pending_;
  // DWARF stacks by (tgid, frames) -> id, and by id - kDwarfStackIds.
  std::map<std::pair<uint32_t, std::vector<uint64_t>>, int32_t> dwarf_ids_;
  std::vector<const std::pair<const std::pair<uint32_t, std::vector<uint64_t>>, int32_t>*> dwarf_stacks_;
  std::unordered_set<Dwfl*> attached_;         // Dwfls with our unwinding callbacks
  // When an unwind last re-read a process's mappings (a walk into unknown code).
  std::unordered_map<uint32_t, std::chrono::steady_clock::time_point> modules_read_at_;
  const ::fxs_ustack_raw_rec* unwinding_ = nullptr;  // what the callbacks read
  std::vector<uint8_t> rewritten_, raw_;
  uint64_t dwarf_used_ = 0;
  std::unordered_map<uint32_t, Dwfl*> dwfl_;   // per process, kept after it exits
  std::vector<Dwfl*> retired_;                 // of processes that exec'd since: ended last
  std::unordered_set<uint64_t> threads_named_; // (tgid << 32 | tid) of FXS_REC_TASK records seen
  std::unordered_map<uint32_t, uint32_t> execs_;  // per process: execs seen
  bool refreshed_ = false;                     // refresh() already tried for the stack at hand
  // caller_of(), for the stacks written (bounded: cleared when full).
  static constexpr size_t kMaxCallers = 65536;
  std::unordered_map<uint64_t, std::string> callers_;  // (tgid << 32 | stack id) -> function
  std::vector<uint8_t> buf_;
  uint64_t written_ = 0;
};

}  // namespace fxs

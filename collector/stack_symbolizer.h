// Symbolizes the user stacks the BPF side stores in its stack map. The first
// time a futex record names a (tgid, stack id), the stack is read from the map,
// resolved with elfutils' libdwfl against the process's mappings, and written
// into the trace as an FXS_REC_STACK, so a trace replays with function names
// on any machine, after the process is gone. The mappings are read when the
// process's first thread record arrives (the BPF side wakes the collector for
// those at once), so that a process that exits before its stacks are drained
// still gets names; a miss later on re-reads them (dlopen) while it lives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "replay/error.h"

struct Dwfl;

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

  // "func+0x1c", "[libc.so.6+0x8f2a0]" or "0x7f..." for one address of `pid`.
  std::string symbolize(uint32_t pid, uint64_t ip, bool return_address);

 private:
  Dwfl* dwfl_for(uint32_t pid);
  // Re-reads the mappings of a live process (libraries loaded since); false if it is gone.
  bool refresh(uint32_t pid);

  int map_fd_;
  std::unordered_set<uint64_t> seen_;          // (tgid << 32 | stack id)
  std::unordered_map<uint32_t, Dwfl*> dwfl_;   // per process, kept after it exits
  bool refreshed_ = false;                     // refresh() already tried for the stack at hand
  std::vector<uint8_t> buf_;
  uint64_t written_ = 0;
};

}  // namespace fxs

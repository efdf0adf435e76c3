// Symbolizes the kernel stacks of waits that slept (bpf/sched_split.bpf.h
// keeps them in its kstacks map, keyed by a hash of the addresses) with
// /proc/kallsyms. The first time a FXS_REC_WAIT_SPLIT names a kstack_id, the
// stack goes into the trace as an FXS_REC_STACK with tgid 0, like a user stack.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "replay/error.h"

namespace fxs {

class TraceWriter;

class KernelStackSymbolizer {
 public:
  explicit KernelStackSymbolizer(int kstack_map_fd) : map_fd_(kstack_map_fd) {}

  // Looks at one ring buffer record; writes the stack record it names first.
  Status on_record(const void* data, size_t size, TraceWriter& w);
  // "function+0x1c" (or "0xffff..." when kallsyms does not say).
  std::string symbolize(uint64_t ip);
  // Reads /proc/kallsyms now (else at the first stack): ~0.1 s of CPU that a
  // recording spends before its command starts, not while it runs.
  void load_kallsyms();

 private:
  int map_fd_;
  bool loaded_ = false;
  std::vector<std::pair<uint64_t, std::string>> syms_;  // text symbols by address
  std::unordered_set<int32_t> seen_;
  std::vector<uint8_t> buf_;
};

}  // namespace fxs

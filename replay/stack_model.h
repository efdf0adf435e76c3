// User call stacks of futex waits: the symbolized stacks the collector wrote
// (FXS_REC_STACK) joined with the wait durations of the futex records that
// name them. Feeds `report --format folded` (flame graphs weighted by wait
// time in ns) and the top stacks per futex.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <unordered_map>
#include <vector>

#include "bpf/trace_abi.h"

namespace fxs {

// The frame names of an FXS_REC_STACK record (`s` is its copied-out head),
// as trace_text; nullopt if the record is shorter than its frame addresses.
std::optional<std::vector<std::string>> stack_frame_names(const fxs_rec_hdr* h, const fxs_stack_rec& s);

struct StackWait {
  std::vector<std::string> frames;  // innermost first
  uint64_t wait_ns = 0;             // total wait time of waits with this stack
  uint64_t waits = 0;
};

class StackModel {
 public:
  void add(const fxs_rec_hdr* rec);
  // Stacks of futex (tgid, uaddr) by wait time, descending; at most `top`.
  std::vector<StackWait> top_stacks(uint32_t tgid, uint64_t uaddr, size_t top) const;
  // How many of the futex's waits (and how much of their time) carry a stack:
  // `record` takes one only for waits of at least --stack-min-wait.
  StackWait coverage(uint32_t tgid, uint64_t uaddr) const;
  // "process;outermost;...;innermost <wait ns>" lines, one per (process, stack).
  void write_folded(std::ostream& out,
                    const std::unordered_map<uint32_t, std::string>& process_names) const;
  uint64_t stack_records() const { return stack_records_; }

 private:
  static uint64_t key(uint32_t tgid, int32_t id) { return (uint64_t(tgid) << 32) | uint32_t(id); }
  struct Use {
    uint64_t wait_ns = 0, waits = 0;
  };
  std::vector<std::string> frames_of(uint32_t tgid, int32_t id) const;

  struct FutexKey {
    uint32_t tgid;
    uint64_t uaddr;
    bool operator==(const FutexKey& o) const { return tgid == o.tgid && uaddr == o.uaddr; }
  };
  struct FutexKeyHash {
    size_t operator()(const FutexKey& k) const { return size_t(k.uaddr * 0x9E3779B97F4A7C15ull ^ k.tgid); }
  };

  std::unordered_map<uint64_t, std::vector<std::string>> names_;  // stack key -> frames
  std::unordered_map<FutexKey, std::unordered_map<uint64_t, Use>, FutexKeyHash> by_futex_;
  uint64_t stack_records_ = 0;
};

}  // namespace fxs

// futex_names.h: the names the collector gave futex words
// (FXS_REC_FUTEX_NAME, collector/futex_namer.h): "g_pool.lock",
// "_PyRuntime+0x6f0", "[heap]". A trace from before names has none, and
// every name is then empty.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "bpf/trace_abi.h"
#include "replay/pair_key.h"
#include "replay/record_types.h"

namespace fxs {

class FutexNames {
 public:
  static constexpr RecordTypes kReads{FXS_REC_FUTEX_NAME};  // the record types add() reads
  // Takes FXS_REC_FUTEX_NAME records; ignores the rest.
  void add(const fxs_rec_hdr* rec);
  // The name of (tgid, uaddr), or "" when it has none.
  const std::string& find(uint32_t tgid, uint64_t uaddr) const;
  size_t size() const { return names_.size(); }

 private:
  std::unordered_map<PairKey, std::string, PairKeyHash> names_;
};

}  // namespace fxs

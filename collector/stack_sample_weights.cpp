#include "collector/stack_sample_weights.h"

#include <algorithm>
#include <cstring>

#include "bpf/op_rules.h"
#include "bpf/trace_abi.h"
#include "replay/trace_writer.h"

namespace fxs {

Status StackSampleWeights::on_record(const void* data, size_t size, TraceWriter& w) {
  fxs_rec_hdr h;
  if (size < sizeof(fxs_futex_rec)) return {};
  std::memcpy(&h, data, sizeof(h));
  if (h.type != FXS_REC_FUTEX) return {};
  fxs_futex_rec r;
  std::memcpy(&r, data, sizeof(r));
  // The waits the BPF side samples, by the same rule (bpf/op_rules.h).
  if (!fxs_wait_in_stack_sample(r.opi, r.ret, r.enter_ns, r.exit_ns, min_wait_ns_)) return {};
  const PairKey key{uint64_t(r.tgid) << 32 | r.tid, r.uaddr};
  if (r.ustack_id < 0) {
    // Bounded: past this many (thread, futex) pairs (threads that come and
    // go), the counts start afresh; the stacks then stand for fewer waits,
    // which stack_coverage shows.
    if (pending_.size() >= kMaxPending && !pending_.count(key)) pending_.clear();
    Pending& p = pending_[key];
    p.waits++;
    p.wait_ns += r.exit_ns - r.enter_ns;
    return {};
  }
  auto it = pending_.find(key);
  if (it == pending_.end()) return {};
  fxs_stack_weight_rec out{};
  out.hdr = {FXS_REC_STACK_WEIGHT, sizeof(out), 0};
  out.tgid = r.tgid;
  out.tid = r.tid;
  out.ustack_id = r.ustack_id;
  out.waits = it->second.waits;
  out.wait_ns = it->second.wait_ns;
  pending_.erase(it);
  // A futex_waitv wait counts on every address of its vector (the replay's
  // FutexModel): its stack stands for the waits on each. Its pending waits
  // are keyed by the first address, which names the vector.
  size_t n = 1;
  if (r.opi == FXS_OP_FUTEX2_WAITV) n = std::min<size_t>(r.nr_uaddrs, (size - sizeof(r)) / sizeof(uint64_t));
  Status st;
  for (size_t i = 0; i < n && st.ok(); i++) {
    out.uaddr = r.uaddr;
    if (r.opi == FXS_OP_FUTEX2_WAITV)
      std::memcpy(&out.uaddr, static_cast<const uint8_t*>(data) + sizeof(r) + i * sizeof(uint64_t), sizeof(uint64_t));
    st = w.append(&out, sizeof(out));
    if (st.ok()) written_++;
  }
  return st;
}

}  // namespace fxs

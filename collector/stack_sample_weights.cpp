#include "collector/stack_sample_weights.h"

#include <cstring>

#include "bpf/op_rules.h"
#include "bpf/trace_abi.h"
#include "replay/futex_ops.h"
#include "replay/trace_writer.h"
#include "replay/waitv_entries.h"

namespace fxs {

namespace {

// The futexes a wait counts on: its address, or every address of a
// futex_waitv vector (as the replay's FutexModel counts it).
std::vector<uint64_t> wait_addresses(const fxs_futex_rec& r, const void* data, size_t size) {
  if (r.opi != FXS_OP_FUTEX2_WAITV) return {r.uaddr};
  return waitv_entries(r, data, size);
}

}  // namespace

Status StackSampleWeights::write_weights(const PairKey& key, const Stacked& stack, uint64_t waits, uint64_t wait_ns,
                                         uint32_t flags, TraceWriter& w) {
  fxs_stack_weight_rec out{};
  out.hdr = {FXS_REC_STACK_WEIGHT, sizeof(out), 0};
  out.tgid = uint32_t(key.a >> 32);
  out.tid = uint32_t(key.a);
  out.ustack_id = stack.ustack_id;
  out.flags = flags;
  out.waits = waits;
  out.wait_ns = wait_ns;
  Status st;
  for (size_t i = 0; i < stack.uaddrs.size() && st.ok(); i++) {
    out.uaddr = stack.uaddrs[i];
    st = w.append(&out, sizeof(out));
    if (st.ok()) written_++;
  }
  return st;
}

Status StackSampleWeights::on_record(const void* data, size_t size, TraceWriter& w) {
  fxs_rec_hdr h;
  if (size < sizeof(fxs_futex_rec)) return {};
  std::memcpy(&h, data, sizeof(h));
  if (h.type != FXS_REC_FUTEX) return {};
  fxs_futex_rec r;
  std::memcpy(&r, data, sizeof(r));
  // Pending waits are keyed by the first address, which names a futex_waitv vector.
  const PairKey key{uint64_t(r.tgid) << 32 | r.tid, r.uaddr};
  if (!fxs_is_wait_op(r.opi)) return on_wake(key, r, w);
  // Bounded: past this many (thread, futex) pairs (threads that come and go),
  // the counts start afresh; the stacks then stand for fewer waits, which
  // stack_coverage shows.
  if (r.ustack_id >= 0 && r.ret >= 0) {
    if (last_.size() >= kMaxPending && !last_.count(key)) last_.clear();
    last_[key] = Stacked{r.ustack_id, wait_addresses(r, data, size)};
  }
  // The waits the BPF side samples, by the same rule (bpf/op_rules.h).
  if (!fxs_wait_in_stack_sample(r.opi, r.ret, r.enter_ns, r.exit_ns, min_wait_ns_)) return {};
  if (r.ustack_id < 0) {
    if (pending_.size() >= kMaxPending && !pending_.count(key)) pending_.clear();
    Pending& p = pending_[key];
    p.waits++;
    p.wait_ns += r.exit_ns - r.enter_ns;
    return {};
  }
  auto it = pending_.find(key);
  if (it == pending_.end()) return {};
  const Pending p = it->second;
  pending_.erase(it);
  return write_weights(key, last_[key], p.waits, p.wait_ns, 0, w);
}

Status StackSampleWeights::on_wake(const PairKey& key, const fxs_futex_rec& r, TraceWriter& w) {
  const uint64_t woke = waiters_a_waker_woke(r.opi, r.ret, r.val, r.val3);
  if (!woke) return {};
  if (r.ustack_id < 0) {
    if (pending_wakes_.size() >= kMaxPending && !pending_wakes_.count(key)) pending_wakes_.clear();
    PendingWakes& p = pending_wakes_[key];
    p.wakes += woke;
    p.calls++;
    return {};
  }
  if (last_waker_.size() >= kMaxPending && !last_waker_.count(key)) last_waker_.clear();
  last_waker_[key] = r.ustack_id;
  auto it = pending_wakes_.find(key);
  if (it == pending_wakes_.end()) return {};
  const PendingWakes p = it->second;
  pending_wakes_.erase(it);
  return write_weights(key, Stacked{r.ustack_id, {r.uaddr}}, p.wakes, p.calls, FXS_STACK_WEIGHT_WAKER, w);
}

Status StackSampleWeights::flush(TraceWriter& w) {
  Status st;
  for (const auto& [key, p] : pending_) {
    auto last = last_.find(key);
    if (last == last_.end()) continue;  // no stack on this thread and futex at all
    st = write_weights(key, last->second, p.waits, p.wait_ns, 0, w);
    if (!st.ok()) return st;
  }
  pending_.clear();
  for (const auto& [key, p] : pending_wakes_) {
    auto last = last_waker_.find(key);
    if (last == last_waker_.end()) continue;  // no waker stack of this thread on this futex at all
    st = write_weights(key, Stacked{last->second, {key.b}}, p.wakes, p.calls, FXS_STACK_WEIGHT_WAKER, w);
    if (!st.ok()) return st;
  }
  pending_wakes_.clear();
  return st;
}

}  // namespace fxs

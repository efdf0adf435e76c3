#include "replay/kind_model.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <string_view>

#include "replay/futex_ops.h"
#include "replay/stack_model.h"
#include "replay/trace_format.h"

namespace fxs {
namespace {

constexpr uint32_t kMatchAny = 0xffffffffu;

// "__pthread_mutex_lock_full+0x1c" -> "pthread_mutex_lock_full"; "f@@GLIBC_2.3.2" -> "f";
// glibc's internal aliases "__GI___lll_lock_wait" -> "lll_lock_wait".
std::string_view function_of(std::string_view frame) {
  frame = frame.substr(0, frame.find('+'));
  frame = frame.substr(0, frame.find('@'));
  while (!frame.empty() && frame.front() == '_') frame.remove_prefix(1);
  if (frame.substr(0, 3) == "GI_") {
    frame.remove_prefix(3);
    while (!frame.empty() && frame.front() == '_') frame.remove_prefix(1);
  }
  return frame;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

bool kind_from_frames(const std::vector<std::string>& frames, FutexKind* kind) {
  for (const std::string& frame : frames) {
    std::string_view f = function_of(frame);
    // The lock word's own slow path comes first: a condvar wait re-taking its
    // mutex (__pthread_mutex_cond_lock -> __lll_lock_wait) waits on the mutex.
    if (starts_with(f, "lll_lock_wait") || starts_with(f, "pthread_mutex_lock") ||
        starts_with(f, "pthread_mutex_timedlock") || starts_with(f, "pthread_mutex_clocklock") ||
        starts_with(f, "pthread_mutex_cond_lock")) {
      *kind = FutexKind::kMutex;
      return true;
    }
    if (starts_with(f, "pthread_cond_wait") || starts_with(f, "pthread_cond_timedwait") ||
        starts_with(f, "pthread_cond_clockwait")) {
      *kind = FutexKind::kCondvar;
      return true;
    }
    if (starts_with(f, "pthread_rwlock_")) {
      *kind = FutexKind::kRwlock;
      return true;
    }
    if (starts_with(f, "pthread_barrier_wait")) {
      *kind = FutexKind::kBarrier;
      return true;
    }
    if (starts_with(f, "pthread_join") || starts_with(f, "pthread_timedjoin") ||
        starts_with(f, "pthread_clockjoin") || starts_with(f, "__pthread_clockjoin") ||
        starts_with(f, "pthread_tryjoin")) {
      *kind = FutexKind::kJoin;
      return true;
    }
    // Semaphores have no kind of their own.
    if (starts_with(f, "sem_wait") || starts_with(f, "sem_timedwait") || starts_with(f, "sem_clockwait") ||
        starts_with(f, "new_sem_wait")) {
      *kind = FutexKind::kOther;
      return true;
    }
  }
  return false;
}

FutexKind refine_kind(const FutexCounts& c, const KindEvidence& e) {
  const FutexKind by_ops = classify(c);
  if (by_ops == FutexKind::kPiMutex) return by_ops;
  // 2. What the program called, when stacks were captured.
  size_t best = 0;
  for (size_t k = 1; k < e.stack_votes.size(); k++)
    if (e.stack_votes[k] > e.stack_votes[best]) best = k;
  if (e.stack_votes[best]) return FutexKind(best);
  // 2b. A thread's exit word: nobody but the kernel ever wakes it.
  const uint64_t wakes = e.wake_one + e.wake_all + e.wake_some;
  if (e.plain_waits && !wakes && !e.requeue_source && e.values_are_tids) return FutexKind::kJoin;
  // 3. Waiters are moved away from here: a condition variable's wait word.
  if (e.requeue_source) return FutexKind::kCondvar;
  // 4. A sequence or turn word: every wait expects the value it last saw.
  if (e.plain_waits && e.distinct_values() >= 3)
    return wakes && e.wake_all == wakes ? FutexKind::kBarrier : FutexKind::kCondvar;
  // 5. A lock word: 1 (locked) or 2 (locked, contended), released one waiter at a time.
  const bool lock_values = !e.values.empty() && !e.many_values &&
                           std::all_of(e.values.begin(), e.values.end(), [](uint64_t v) { return v == 1 || v == 2; });
  if (e.plain_waits && lock_values && e.wake_one && e.wake_one == wakes) return FutexKind::kMutex;
  // Plain waits and wakes that expected something else (0: a semaphore or an event word).
  if (by_ops == FutexKind::kMutex && e.plain_waits && !lock_values) return FutexKind::kOther;
  // 6. The op counts, but glibc's generic MATCH_ANY bitset wait is no condvar by itself.
  if (by_ops == FutexKind::kCondvar && !e.specific_bitset && !c.ops[FXS_OP_FUTEX_WAIT_REQUEUE_PI]) {
    bool only_bitset = true;
    for (unsigned i = 0; i < kNumOps; i++)
      if (c.ops[i] && is_requeue_op(i)) only_bitset = false;
    if (only_bitset) return FutexKind::kOther;
  }
  return by_ops;
}

void KindModel::add(const fxs_rec_hdr* h, uint32_t futex) {
  fxs_futex_rec r;
  if (futex == FutexIndex::kNone || h->type != FXS_REC_FUTEX || !read_record(h, r)) return;
  if (r.opi == FXS_OP_FUTEX2_WAITV || r.ret == -38) return;
  if (futex >= futexes_.size()) {
    futexes_.resize(futex + 1);
    seen_.resize(futex + 1);
  }
  seen_[futex] = true;
  threads_.insert(uint64_t{r.tgid} << 32 | r.tid);
  KindEvidence& e = futexes_[futex];
  const uint8_t op = r.opi;
  // The mask: val3 for the futex(2) bitset commands, val2 for futex2 calls.
  const bool bitset_op = op == FXS_OP_FUTEX_WAIT_BITSET || op == FXS_OP_FUTEX_WAKE_BITSET;
  const bool futex2 = op == FXS_OP_FUTEX2_WAIT || op == FXS_OP_FUTEX2_WAKE;
  const bool match_any = bitset_op ? r.val3 == kMatchAny : futex2 ? uint32_t(r.val2) == kMatchAny : true;
  if (!match_any) e.specific_bitset++;
  if (op == FXS_OP_FUTEX_WAIT || op == FXS_OP_FUTEX2_WAIT || (op == FXS_OP_FUTEX_WAIT_BITSET && match_any)) {
    e.plain_waits++;
    if (!e.many_values && std::find(e.values.begin(), e.values.end(), r.val) == e.values.end()) {
      if (e.values.size() < KindEvidence::kMaxValues)
        e.values.push_back(r.val);
      else
        e.many_values = true;
    }
  } else if (is_wake_op(op) && op != FXS_OP_FUTEX_WAKE_OP) {
    // How many it asked to release: val for futex(2), the nr argument (val3) for futex_wake.
    const uint64_t nr = op == FXS_OP_FUTEX2_WAKE ? r.val3 : r.val;
    if (nr <= 1)
      e.wake_one++;
    else if (nr >= uint64_t(INT_MAX))
      e.wake_all++;
    else
      e.wake_some++;
  } else if (is_requeue_op(op)) {
    e.requeue_source++;
  }
}

KindEvidence KindModel::evidence(uint32_t futex, uint32_t tgid, uint64_t uaddr, const StackModel* stacks) const {
  const KindEvidence* found = find(futex);
  KindEvidence e = found ? *found : KindEvidence{};
  e.values_are_tids = !e.values.empty() && !e.many_values &&
                      std::all_of(e.values.begin(), e.values.end(), [&](uint64_t v) {
                        return v && v < (1ull << 32) && threads_.count(uint64_t{tgid} << 32 | v);
                      });
  if (stacks)
    for (const StackWait& st : stacks->top_stacks(tgid, uaddr, SIZE_MAX)) {
      FutexKind k;
      if (kind_from_frames(st.frames, &k)) e.stack_votes[size_t(k)] += st.waits;
    }
  return e;
}

FutexKind KindModel::kind(const FutexStats& s, uint32_t futex, const StackModel* stacks) const {
  if (!find(futex)) return s.kind;
  return refine_kind(s, evidence(futex, s.tgid, s.uaddr, stacks));
}

}  // namespace fxs

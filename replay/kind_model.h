// What kind of synchronisation a futex word implements (DESIGN.md `kind`:
// mutex, condvar, rwlock, pi-mutex, barrier, other, join), from more than its op
// counts: the values waiters expected, the bitsets, how many each wake
// released, and the glibc functions in the waits' user stacks when captured.
// Rules, first match wins (docs/report-json.md, `kind`):
//  1. PI operations: pi-mutex.
//  2. Stacks: the glibc entry point nearest the wait (pthread_mutex_lock,
//     pthread_cond_wait, pthread_rwlock_*, pthread_barrier_wait, sem_wait,
//     pthread_join...), the majority over the waits with a stack.
//  2b. A thread's exit word (join): plain waits, no wake call on it ever (the
//     kernel's exit wakes it), every wait expecting one value that is the TID
//     of a thread of the same process seen in the trace (glibc's pthread_join
//     waits for the word, the thread's tid, to become 0).
//  3. The source of a requeue: condvar.
//  4. Waits on a moving value (3 or more distinct expected values: a sequence
//     or turn word): barrier if every wake released all waiters, else condvar.
//  5. Waits expecting only 1 or 2 (glibc's lock word) and wakes of one waiter
//     each: mutex. Waits expecting anything else (0: a semaphore, an event)
//     are not a mutex, whatever the op counts say: other.
//  6. Otherwise the op-count heuristic (classify()), except that
//     FUTEX_WAIT_BITSET with FUTEX_BITSET_MATCH_ANY (glibc's generic timed
//     wait: also joins, semaphores) is not by itself a condvar.
// A --summary trace has no per-call records: there the op counts decide.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "bpf/trace_abi.h"
#include "replay/futex_index.h"
#include "replay/futex_model.h"
#include "replay/record_types.h"

namespace fxs {

class StackModel;

struct KindEvidence {
  uint64_t plain_waits = 0;      // FUTEX_WAIT, futex_wait, FUTEX_WAIT_BITSET/MATCH_ANY on this address
  std::vector<uint64_t> values;  // distinct expected values of those waits (at most kMaxValues)
  bool many_values = false;      // more distinct values than kept
  uint64_t specific_bitset = 0;  // bitset calls with a mask other than MATCH_ANY
  uint64_t wake_one = 0;         // wake calls releasing at most one waiter (nr 1)
  uint64_t wake_all = 0;         // ... releasing all (nr INT_MAX or more)
  uint64_t wake_some = 0;        // ... any other nr
  uint64_t requeue_source = 0;   // requeue calls moving waiters away from this address
  std::array<uint64_t, 7> stack_votes{};  // waits whose stack names a FutexKind's glibc entry point
  bool values_are_tids = false;  // every expected value is a TID of a thread of the process

  static constexpr size_t kMaxValues = 4;
  size_t distinct_values() const { return many_values ? kMaxValues + 1 : values.size(); }
};

// The glibc entry point nearest the innermost frame decides; false if none is known.
// Frames are "function+0xoff" (innermost first).
bool kind_from_frames(const std::vector<std::string>& frames, FutexKind* kind);

// The rules above.
FutexKind refine_kind(const FutexCounts& counts, const KindEvidence& e);

// Evidence is kept by futex index: the one FutexModel::add returns for the
// same record, so there is one lookup per call. add() runs for every call of a trace in
// the window's loader, where a lookup of its own was a fifth of the futex
// thread's time (docs/BENCHMARKS.md).
class KindModel {
 public:
  static constexpr RecordTypes kReads{FXS_REC_FUTEX};  // the record types add() reads
  // Takes FXS_REC_FUTEX records with their futex index; ignores the rest
  // (and records with index FutexIndex::kNone).
  void add(const fxs_rec_hdr* rec, uint32_t futex);
  // Evidence of futex (tgid, uaddr), index `futex` (may be kNone), with the
  // stack votes from `stacks` (may be null).
  KindEvidence evidence(uint32_t futex, uint32_t tgid, uint64_t uaddr, const StackModel* stacks) const;
  // The kind of one futex; `s.kind` (the op-count heuristic) when no call was recorded.
  FutexKind kind(const FutexStats& s, uint32_t futex, const StackModel* stacks) const;

 private:
  const KindEvidence* find(uint32_t futex) const {
    return futex < futexes_.size() && seen_[futex] ? &futexes_[futex] : nullptr;
  }
  std::vector<KindEvidence> futexes_;
  std::vector<bool> seen_;  // a call was added for this index
  std::unordered_set<uint64_t> threads_;  // tgid << 32 | tid of every thread with a call
};

}  // namespace fxs

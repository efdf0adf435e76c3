#include "replay/lock_owner.h"

#include <cstring>

#include "bpf/trace_abi.h"

namespace fxs {
namespace {

constexpr uint32_t kFutexTidMask = 0x3fffffff;
constexpr int32_t kGlibcLockedWithWaiters = 2;
constexpr int32_t kGlibcKindMask = 3;            // PTHREAD_MUTEX_KIND_MASK_NP
constexpr int32_t kGlibcRobustPiPp = 16 | 32 | 64;  // ROBUST_NORMAL_NP, PRIO_INHERIT_NP, PRIO_PROTECT_NP
constexpr int32_t kGlibcKnownKindBits = kGlibcKindMask | 128 | 256 | 512;  // + PSHARED, ELISION, NO_ELISION
constexpr int32_t kMaxTid = 4 * 1024 * 1024;     // PID_MAX_LIMIT

int32_t int_at(const uint8_t* p, size_t off) {
  int32_t v;
  std::memcpy(&v, p + off, sizeof(v));
  return v;
}

}  // namespace

LockOwner lock_owner(unsigned opi, uint64_t expected, const uint8_t* word, size_t n, bool process_uses_glibc) {
  LockOwner o;
  if ((opi == FXS_OP_FUTEX_LOCK_PI || opi == FXS_OP_FUTEX_LOCK_PI2) && n >= 4) {
    o.tid = uint32_t(int_at(word, 0)) & kFutexTidMask;
    if (o.tid) o.source = "pi word";
    return o;
  }
  if (opi != FXS_OP_FUTEX_WAIT || !process_uses_glibc || expected != uint64_t(kGlibcLockedWithWaiters) ||
      n < kLockOwnerBytes)
    return o;
  const int32_t lock = int_at(word, 0), owner = int_at(word, 8), nusers = int_at(word, 12),
                kind = int_at(word, 16);
  if (lock == 0 || owner <= 0 || owner >= kMaxTid || nusers <= 0) return o;
  if ((kind & kGlibcRobustPiPp) || (kind & ~kGlibcKnownKindBits)) return o;
  o.tid = uint32_t(owner);
  o.source = "glibc mutex __owner";
  return o;
}

bool parked_on_glibc_pi_deadlock(unsigned opi, uint64_t expected, uint64_t uaddr, uint64_t sp) {
  return (opi == FXS_OP_FUTEX_WAIT || opi == FXS_OP_FUTEX_WAIT_BITSET) && expected == 0 && sp && uaddr >= sp &&
         uaddr < sp + 4096;
}

uint32_t glibc_pi_mutex_owner(const uint8_t* m, size_t n) {
  constexpr int32_t kPrioInherit = 32;  // PTHREAD_MUTEX_PRIO_INHERIT_NP
  if (n < kLockOwnerBytes) return 0;
  const uint32_t word_tid = uint32_t(int_at(m, 0)) & kFutexTidMask;
  const int32_t owner = int_at(m, 8), kind = int_at(m, 16);
  if (!(kind & kPrioInherit) || (kind & ~(kGlibcKnownKindBits | kGlibcRobustPiPp)) || owner <= 0 ||
      owner >= kMaxTid || uint32_t(owner) != word_tid)
    return 0;
  return word_tid;
}

}  // namespace fxs
